"""Monitoring groups: the system's (one per eligible cluster, following the cluster through the accounts
cluster-change hook, and reconciled in bulk), customers' own groups, and members added or removed by hand."""

from dataclasses import dataclass

from django.db import transaction

from accounts import roles
from accounts.audit import audit_event_record, audit_events_record_bulk
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Cluster
from accounts.services.locks import lock_organization_for
from monitoring.models import (
    ELIGIBLE_TIERS,
    RESERVED_GROUP_PREFIX,
    GroupRole,
    MonitoringGroup,
    MonitoringGroupMembership,
    MonitoringUser,
    MonitoringUserAttachment,
    is_eligible,
    is_reserved_group_name,
    system_group_name,
)

from ..audit import Event
from ._common import (
    clean_group_role,
    insert_attachment_memberships,
    may_manage_system_groups,
    monitoring_user_find_or_create,
)
from .notifications import notify_group_admins_after_commit

_GROUP_NAME_MAX = 128


# ---- system groups follow clusters --------------------------------------------------------------------------


def _group_audit(event_type, group, actor, *, cluster=None, **details) -> None:
    """One audit row about a monitoring group, in its project; a system group's (``cluster``) names its
    cluster first."""
    if cluster is not None:
        details = {"cluster": cluster.name, **details}
    audit_event_record(
        event_type=event_type,
        actor=actor,
        project=group.project if cluster is None else cluster.project,
        target=group,
        target_type="monitoringGroup",
        details=details,
    )


def _member_audit(event_type, group, monitoring_user, actor, **details) -> None:
    """One audit row about a monitoring user joining or leaving ``group`` by hand."""
    audit_event_record(
        event_type=event_type,
        actor=actor,
        project=group.project,
        target=monitoring_user,
        target_type="monitoringUser",
        details={"group": group.name, **details},
    )


def _member_names(group) -> list[str]:
    return sorted(group.memberships.values_list("monitoring_user__username", flat=True))


def _system_group_create(cluster, actor, reason) -> MonitoringGroup:
    """The cluster's group, filled with every monitoring user attached to its organization (one INSERT); their
    admins are emailed after commit."""
    group = MonitoringGroup.objects.create(
        project=cluster.project, cluster=cluster, name=system_group_name(cluster)
    )
    organization = cluster.project.organization
    added = insert_attachment_memberships(organization=organization, group_ids=[group.pk])
    members = _member_names(group) if added else []
    _group_audit(
        Event.MONITORING_GROUP_CREATED, group, actor, cluster=cluster, reason=reason, members=members
    )
    if added:
        notify_group_admins_after_commit(organization.pk)
    return group


def _system_group_delete(group, cluster, actor, reason) -> None:
    members = _member_names(group)
    _group_audit(
        Event.MONITORING_GROUP_DELETED, group, actor, cluster=cluster, reason=reason, members=members
    )
    group.delete()


def cluster_changed(*, cluster, change, changes, actor) -> None:
    """The accounts cluster-change hook (inside the change's transaction, the organization locked): a cluster
    created eligible, or made eligible by a tier change, gets its group with every attached monitoring user; one
    deleted, or no longer eligible, loses its group."""
    group = MonitoringGroup.objects.filter(cluster=cluster).first() if change != "created" else None
    if change == "created":
        if is_eligible(cluster):
            _system_group_create(cluster, actor, reason="CLUSTER_CREATED")
    elif change == "updated" and "tier" in changes:
        if is_eligible(changes["tier"]["to"]) and group is None:
            _system_group_create(cluster, actor, reason="TIER_CHANGED")
        elif not is_eligible(changes["tier"]["to"]) and group is not None:
            _system_group_delete(group, cluster, actor, reason="TIER_CHANGED")
    elif change == "deleting" and group is not None:
        _system_group_delete(group, cluster, actor, reason="CLUSTER_DELETED")


def _reconciled(event_type, group, organization, actor) -> AuditEvent:
    """The audit row of a group that reconciling created or deleted (written in bulk by the caller)."""
    return AuditEvent(
        event_type=event_type,
        organization=organization,
        project_id=group.project_id,
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        target_type="monitoringGroup",
        target_id=group.public_id,
        target_name=group.name,
        details={"cluster": group.cluster.name, "reason": "RECONCILED"},
    )


@transaction.atomic
def monitoring_groups_reconcile(*, organization, actor=None) -> dict:
    """Make the organization's system groups match its clusters, in bulk: every eligible cluster without a group
    gets one (with every attached monitoring user), and groups of clusters no longer eligible go. Idempotent:
    for data that predates the monitoring app, or anything made outside the services. Members removed by hand
    from an existing group stay removed. Returns {"created": [names], "deleted": [names]}."""
    organization = lock_organization_for(actor, roles.MANAGE_ORGANIZATION_MEMBERS, organization)
    missing = list(
        Cluster.objects.filter(
            project__organization=organization, tier__in=ELIGIBLE_TIERS, monitoring_group__isnull=True
        ).select_related("project")
    )
    stale = list(
        MonitoringGroup.objects.filter(project__organization=organization, cluster__isnull=False)
        .exclude(cluster__tier__in=ELIGIBLE_TIERS)
        .select_related("cluster", "project")
    )
    created = MonitoringGroup.objects.bulk_create(
        [MonitoringGroup(project=c.project, cluster=c, name=system_group_name(c)) for c in missing]
    )
    if created and not all(group.pk for group in created):  # a database that returns no ids from bulk_create
        created = list(MonitoringGroup.objects.filter(cluster__in=missing).select_related("cluster"))
    added = insert_attachment_memberships(organization=organization, group_ids=[g.pk for g in created])
    events = [
        _reconciled(Event.MONITORING_GROUP_CREATED, group, organization, actor) for group in created
    ] + [_reconciled(Event.MONITORING_GROUP_DELETED, group, organization, actor) for group in stale]
    if stale:
        MonitoringGroup.objects.filter(pk__in=[group.pk for group in stale]).delete()
    if events:
        audit_events_record_bulk(events)
    if added:
        notify_group_admins_after_commit(organization.pk)
    return {"created": sorted(g.name for g in created), "deleted": sorted(g.name for g in stale)}


# ---- customers' own groups ---------------------------------------------------------------------------------


def _refuse_reserved_name(name):
    if is_reserved_group_name(name):
        raise ServiceError(
            "RESERVED_GROUP_NAME",
            f"Group names starting with {RESERVED_GROUP_PREFIX} are reserved: the system gives them to the "
            "groups it makes for eligible clusters. Choose another name.",
            name=name,
        )


def _clean_group_name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError("VALIDATION_ERROR", "The group name must not be empty.", field="name")
    if len(name) > _GROUP_NAME_MAX:
        raise ServiceError(
            "VALIDATION_ERROR", f"The group name must be at most {_GROUP_NAME_MAX} characters.", field="name"
        )
    return name


@transaction.atomic
def monitoring_group_create(*, project, name, actor) -> MonitoringGroup:
    """A customer's own monitoring group in a project (MANAGE_MONITORING). Names starting with ``mongolab_``
    (in any case) are the system's: nobody else may create one."""
    lock_organization_for(actor, roles.MANAGE_MONITORING, project)
    name = _clean_group_name(name)
    _refuse_reserved_name(name)
    if MonitoringGroup.objects.filter(project=project, name__iexact=name).exists():
        raise ServiceError(
            "MONITORING_GROUP_NAME_TAKEN",
            f"A monitoring group named {name} already exists in {project.name}.",
            name=name,
        )
    group = MonitoringGroup.objects.create(project=project, name=name)
    _group_audit(Event.MONITORING_GROUP_CREATED, group, actor, reason="CREATED_BY_HAND")
    return group


@transaction.atomic
def monitoring_group_delete(*, group, actor) -> None:
    """Delete a customer's own group. A system group goes only with its cluster or its eligibility."""
    lock_organization_for(actor, roles.MANAGE_MONITORING, group.project)
    if group.is_system:
        raise ServiceError(
            "RESERVED_GROUP_NAME",
            f"{group.name} is managed by the system: it goes when its cluster is deleted or stops being "
            "eligible.",
            name=group.name,
        )
    members = _member_names(group)
    _group_audit(Event.MONITORING_GROUP_DELETED, group, actor, reason="DELETED_BY_HAND", members=members)
    group.delete()


# ---- members by hand ------------------------------------------------------------------------------------------


@transaction.atomic
def monitoring_group_member_add(
    *, group, username, email=None, role=GroupRole.MEMBER, actor
) -> MonitoringGroupMembership:
    """Add a monitoring user (made when unknown) to one group by hand (MANAGE_MONITORING). Nobody but the
    system joins a ``mongolab_`` group this way: its members are the monitoring users attached to the
    organization. The group's admins are emailed."""
    organization = lock_organization_for(actor, roles.MANAGE_MONITORING, group.project)
    if group.is_system and not may_manage_system_groups(actor):
        raise ServiceError(
            "RESERVED_GROUP_NAME",
            f"Nobody joins {group.name} by hand: groups named {RESERVED_GROUP_PREFIX}... are the system's, "
            f"and their members are the monitoring users attached to {organization.name}. Attach the user "
            "to the organization instead.",
            name=group.name,
        )
    role = clean_group_role(role)
    monitoring_user, _ = monitoring_user_find_or_create(
        organization=organization, username=username, email=email
    )
    if MonitoringGroupMembership.objects.filter(group=group, monitoring_user=monitoring_user).exists():
        raise ServiceError(
            "MONITORING_USER_ALREADY_IN_GROUP",
            f"{monitoring_user.username} is already a member of {group.name}.",
            username=monitoring_user.username,
        )
    membership = MonitoringGroupMembership.objects.create(
        group=group,
        monitoring_user=monitoring_user,
        role=role,
        source=MonitoringGroupMembership.Source.MANUAL,
    )
    source = membership.source
    _member_audit(
        Event.MONITORING_GROUP_MEMBER_ADDED, group, monitoring_user, actor, role=role, source=source
    )
    notify_group_admins_after_commit(organization.pk)
    return membership


@dataclass(frozen=True)
class HandRemoval:
    """What removing one member from one group by hand did, and what it left as it was."""

    group: MonitoringGroup
    monitoring_user: MonitoringUser
    source: str
    still_attached: bool

    @property
    def note(self) -> str:
        organization = self.group.project.organization.name
        if self.still_attached:
            return (
                f"{self.monitoring_user.username} was removed from {self.group.name} only. It is still attached "
                f"to {organization}: the attached list is unchanged, its other groups keep it, and clusters "
                f"created later will add it. Detach it from {organization} to remove it from every group."
            )
        return f"{self.monitoring_user.username} was removed from {self.group.name}."


@transaction.atomic
def monitoring_group_member_remove(*, group, monitoring_user, actor) -> HandRemoval:
    """Remove a monitoring user from one group by hand (MANAGE_MONITORING). The organization's attached list is
    left as it was: it still decides who joins the groups of clusters created later."""
    organization = lock_organization_for(actor, roles.MANAGE_MONITORING, group.project)
    membership = MonitoringGroupMembership.objects.filter(
        group=group, monitoring_user=monitoring_user
    ).first()
    if membership is None:
        raise ServiceError(
            "MONITORING_USER_NOT_IN_GROUP",
            f"{monitoring_user.username} is not a member of {group.name}.",
            username=monitoring_user.username,
        )
    still_attached = MonitoringUserAttachment.objects.filter(
        organization=organization, monitoring_user=monitoring_user
    ).exists()
    membership.delete()
    _member_audit(
        Event.MONITORING_GROUP_MEMBER_REMOVED,
        group,
        monitoring_user,
        actor,
        source=membership.source,
        stillAttached=still_attached,
    )
    return HandRemoval(group, monitoring_user, membership.source, still_attached)
