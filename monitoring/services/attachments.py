"""Attaching a monitoring user to an organization (it joins every eligible cluster's group, now and later) and
detaching it (it leaves every group the attachment put it in)."""

from django.db import transaction

from accounts import roles
from accounts.audit import audit_event_record
from accounts.errors import ServiceError
from accounts.models import OrganizationMembership
from accounts.services.locks import lock_organization_for
from monitoring import selectors
from monitoring.models import GroupRole, MonitoringUserAttachment

from ..audit import Event
from ._common import clean_group_role, insert_attachment_memberships, monitoring_user_find_or_create
from .notifications import notify_group_admins_after_commit

# Attaching and detaching monitoring users changes who reaches the organization's data: the Organization
# Owner's power over the organization's users.
MANAGE_MONITORING_USERS = roles.MANAGE_ORGANIZATION_MEMBERS


def _check_linked_user(organization, linked_user):
    if (
        linked_user.is_service_account
        or not OrganizationMembership.objects.filter(organization=organization, user=linked_user).exists()
    ):
        raise ServiceError(
            "USER_NOT_IN_ORG",
            f"{linked_user.email} is not a member of {organization.name}.",
            username=linked_user.email,
        )
    taken = selectors.attachment_for_person(organization, linked_user)
    if taken is not None:
        raise ServiceError(
            "MONITORING_USER_ALREADY_LINKED",
            f"{linked_user.email} already has the monitoring user {taken.monitoring_user.username} in "
            f"{organization.name}.",
            username=linked_user.email,
        )


@transaction.atomic
def monitoring_user_attach(
    *, organization, username, email=None, group_role=GroupRole.MEMBER, linked_user=None, actor
) -> MonitoringUserAttachment:
    """Attach a monitoring user (made when unknown) to the organization: it becomes a member, with
    ``group_role``, of every eligible cluster's group there, and of those of clusters created later. Each group's
    admins are emailed (from a task). One bulk INSERT whatever the number of clusters."""
    organization = lock_organization_for(actor, MANAGE_MONITORING_USERS, organization)
    group_role = clean_group_role(group_role)
    monitoring_user, _ = monitoring_user_find_or_create(
        organization=organization, username=username, email=email
    )
    if MonitoringUserAttachment.objects.filter(
        organization=organization, monitoring_user=monitoring_user
    ).exists():
        raise ServiceError(
            "MONITORING_USER_ALREADY_ATTACHED",
            f"{monitoring_user.username} is already attached to {organization.name}.",
            username=monitoring_user.username,
        )
    if linked_user is not None:
        _check_linked_user(organization, linked_user)
    attachment = MonitoringUserAttachment.objects.create(
        organization=organization,
        monitoring_user=monitoring_user,
        group_role=group_role,
        linked_user=linked_user,
        attached_by=actor,
        attached_by_email=getattr(actor, "email", "") or "",
    )
    added = insert_attachment_memberships(organization=organization, attachment=attachment)
    groups = sorted(attachment.memberships.values_list("group__name", flat=True))
    audit_event_record(
        event_type=Event.MONITORING_USER_ATTACHED,
        actor=actor,
        organization=organization,
        target=monitoring_user,
        target_type="monitoringUser",
        details={
            "username": monitoring_user.username,
            "groupRole": group_role,
            "linkedUser": linked_user.email if linked_user else None,
            "groupCount": len(groups),
            "groups": groups,
        },
    )
    if added:
        notify_group_admins_after_commit(organization.pk)
    return attachment


@transaction.atomic
def monitoring_user_detach(*, attachment, actor) -> dict:
    """Detach a monitoring user from the organization: every group membership its attachment made goes, in
    every group (memberships made by hand stay). Returns {"monitoringUser", "groups"} (the groups it left)."""
    organization = lock_organization_for(actor, MANAGE_MONITORING_USERS, attachment.organization)
    return detach_from_organization(organization=organization, attachment=attachment, actor=actor)


def detach_from_organization(*, organization, attachment, actor, read_under_lock=False) -> dict:
    """``monitoring_user_detach`` after its lock and permission check (offboarding does both itself, and passes
    ``read_under_lock`` for the attachment it read, with its monitoring user, under the organization lock)."""
    stored = (
        attachment
        if read_under_lock
        else MonitoringUserAttachment.objects.select_related("monitoring_user")
        .filter(pk=attachment.pk, organization=organization)
        .first()
    )
    if stored is None:
        raise ServiceError(
            "MONITORING_USER_NOT_ATTACHED",
            f"{attachment.monitoring_user.username} is not attached to {organization.name}.",
            username=attachment.monitoring_user.username,
        )
    monitoring_user = stored.monitoring_user
    memberships = stored.memberships.all()
    groups = sorted(memberships.values_list("group__name", flat=True))
    memberships.delete()
    # Its group memberships, its only dependents, are gone: one DELETE, without the collector looking again.
    detached = MonitoringUserAttachment.objects.filter(pk=stored.pk)
    detached._raw_delete(detached.db)
    audit_event_record(
        event_type=Event.MONITORING_USER_DETACHED,
        actor=actor,
        organization=organization,
        target=monitoring_user,
        target_type="monitoringUser",
        details={"username": monitoring_user.username, "groupCount": len(groups), "groups": groups},
    )
    return {"monitoringUser": monitoring_user, "groups": groups}
