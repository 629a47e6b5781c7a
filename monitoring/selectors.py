"""Reads that the monitoring pages, API and admin share, with their prefetching; fetching is a permission
check, as in accounts.selectors."""

from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, IntegerField, Prefetch, Q, Value, When
from django.db.models.functions import Lower

from accounts import roles
from accounts.errors import ServiceError, not_found
from accounts.models import OrganizationMembership, Project, TeamMembership, User
from accounts.selectors import access_common, visible_organizations, visible_people, visible_projects

from .models import (
    NOT_ELIGIBLE_MESSAGE,
    MonitoringGroup,
    MonitoringGroupMembership,
    MonitoringUser,
    MonitoringUserAttachment,
    is_eligible,
)

# ---- attachments and the people they belong to ----------------------------------------------------------------


def organization_attachments(organization):
    """The organization's attached monitoring users by user name, each with ``group_count`` (the groups its
    attachment put it in) and who attached it: two queries whatever the size (with ``linked_people``, three)."""
    return (
        MonitoringUserAttachment.objects.filter(organization=organization)
        .select_related("monitoring_user", "linked_user", "organization")
        .annotate(group_count=Count("memberships"))
        .order_by(Lower("monitoring_user__username"), "pk")
    )


def access_attachment(*, actor, organization, monitoring_user_id, need=None) -> MonitoringUserAttachment:
    """The attachment of the monitoring user ``monitoring_user_id`` (its public id) to an organization the
    actor reached; the same 404 whether the user is unknown or another organization's."""
    attachments = organization_attachments(organization).filter(
        monitoring_user__public_id=monitoring_user_id,
        organization__in=visible_organizations(actor).values("pk"),
    )
    return access_common(
        actor=actor,
        visible=attachments,
        kind="monitoring user",
        identifier=monitoring_user_id,
        need=need,
        permission_target=lambda attachment: attachment.organization,
    )


def access_monitoring_user(*, actor, organization, monitoring_user_id, need=None) -> MonitoringUser:
    """One of ``organization``'s monitoring users (attached or not) by its public id."""
    monitoring_users = MonitoringUser.objects.filter(
        public_id=monitoring_user_id,
        organization=organization,
        organization__in=visible_organizations(actor).values("pk"),
    )
    return access_common(
        actor=actor,
        visible=monitoring_users,
        kind="monitoring user",
        identifier=monitoring_user_id,
        need=need,
        permission_target=lambda _user: organization,
    )


def access_offboarding_person(
    *, actor, organization, user_id, need=roles.MANAGE_ORGANIZATION_MEMBERS
) -> User:
    """A person offboarding can name in ``organization``: a member of it, or the portal user a monitoring user
    attached to it is linked to. Anyone else is "not found", like an id that names nobody."""
    people = (
        visible_people(None)
        .filter(public_id=str(user_id).strip().lower())
        .filter(
            Q(organization_memberships__organization=organization)
            | Q(monitoring_attachments__organization=organization)
        )
        .filter(Exists(visible_organizations(actor).filter(pk=organization.pk)))
    )
    return access_common(
        actor=actor,
        visible=people.distinct(),
        kind="user",
        identifier=user_id,
        need=need,
        permission_target=lambda _user: organization,
    )


def _members_by_email(organization, emails):
    keys = {email.lower() for email in emails}
    if not keys:
        return {}
    members = (
        User.objects.filter(organization_memberships__organization=organization, is_service_account=False)
        .annotate(email_key=Lower("email"))
        .filter(email_key__in=keys)
    )
    return {user.email_key: user for user in members}


def linked_people(organization, attachments) -> dict[int, User | None]:
    """{attachment id: the portal user it belongs to, or None}: the user the attacher linked, else the
    organization's member with the monitoring user's email address (unless that member was linked to another
    monitoring user). One query for a whole list."""
    attachments = list(attachments)
    explicitly_linked = set(
        MonitoringUserAttachment.objects.filter(
            organization=organization, linked_user__isnull=False
        ).values_list("linked_user_id", flat=True)
    )
    by_email = _members_by_email(
        organization, [a.monitoring_user.email for a in attachments if a.linked_user_id is None]
    )
    people = {}
    for attachment in attachments:
        if attachment.linked_user_id is not None:
            people[attachment.pk] = attachment.linked_user
            continue
        person = by_email.get(attachment.monitoring_user.email.lower())
        people[attachment.pk] = person if person is not None and person.pk not in explicitly_linked else None
    return people


def attachment_for_person(organization, user) -> MonitoringUserAttachment | None:
    """The monitoring user of a portal user in an organization: the one linked to them, else the one with their
    email address that is linked to nobody."""
    attachments = MonitoringUserAttachment.objects.filter(organization=organization).select_related(
        "monitoring_user", "organization"
    )
    linked = attachments.filter(linked_user=user).first()
    if linked is not None:
        return linked
    return attachments.filter(linked_user__isnull=True, monitoring_user__email__iexact=user.email).first()


# ---- groups ---------------------------------------------------------------------------------------------------


def require_eligible(cluster) -> None:
    if not is_eligible(cluster):
        raise ServiceError("NOT_ELIGIBLE", NOT_ELIGIBLE_MESSAGE, cluster=cluster.name, tier=cluster.tier)


def members_prefetch():
    return Prefetch(
        "memberships",
        queryset=MonitoringGroupMembership.objects.select_related("monitoring_user").order_by(
            Lower("monitoring_user__username"), "pk"
        ),
        to_attr="members",
    )


def cluster_group(cluster) -> MonitoringGroup:
    """The monitoring group of a cluster the caller reached (``access_cluster``), with its members; mLab's
    message for a sandbox or shared single-node cluster."""
    require_eligible(cluster)
    group = (
        MonitoringGroup.objects.filter(cluster=cluster)
        .select_related("project__organization", "cluster")
        .prefetch_related(members_prefetch())
        .first()
    )
    if group is None:
        raise not_found("monitoring group of cluster", cluster.name)
    return group


def project_groups(project):
    """A project's monitoring groups (the system's, then customers' own, by name) with ``member_count``."""
    return (
        MonitoringGroup.objects.filter(project=project)
        .select_related("cluster", "project__organization")
        .annotate(member_count=Count("memberships"))
        .order_by(
            Case(When(cluster__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField()),
            Lower("name"),
            "pk",
        )
    )


def access_group(*, actor, project, group_id, need=roles.VIEW_PROJECT, with_members=True) -> MonitoringGroup:
    """A monitoring group of a project the actor reached, with its members (``group.members``, unless
    ``with_members`` is False: a page lists them 50 at a time with ``group_members``); another project's is
    "not found" in the same words as a missing one. ``need`` is held on the project."""
    groups = MonitoringGroup.objects.filter(
        project=project,
        public_id=group_id,
        project__in=visible_projects(actor, Project.objects.filter(pk=project.pk)).values("pk"),
    ).select_related("project__organization", "cluster")
    if with_members:
        groups = groups.prefetch_related(members_prefetch())
    return access_common(
        actor=actor,
        visible=groups,
        kind="monitoring group",
        identifier=group_id,
        need=need,
        permission_target=lambda group: group.project,
    )


def group_members(group):
    """A group's memberships by user name, with their monitoring users (to page through)."""
    return (
        MonitoringGroupMembership.objects.filter(group=group)
        .select_related("monitoring_user")
        .order_by(Lower("monitoring_user__username"), "pk")
    )


def group_member(group, monitoring_user_id) -> MonitoringGroupMembership:
    """A member of a group the actor reached through ``access_group``."""
    memberships = MonitoringGroupMembership.objects.filter(
        group=group, monitoring_user__public_id=monitoring_user_id
    ).select_related("monitoring_user")
    return access_common(
        actor=None, visible=memberships, kind="member of monitoring group", identifier=monitoring_user_id
    )


# ---- offboarding ------------------------------------------------------------------------------------------------


@dataclass
class OffboardingPlan:
    """What offboarding one person from an organization removes: their portal membership (with its roles,
    projects and teams) and their monitoring user; the documentation warns that forgetting one of the two
    leaves access behind, so the plan says when only one exists."""

    organization: object
    user: User | None
    membership: OrganizationMembership | None
    attachment: MonitoringUserAttachment | None
    roles: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        name = self.organization.name
        if self.membership is not None and self.attachment is None:
            return [
                f"{self.user.email} has no monitoring user attached to {name}: only their portal access is "
                "removed. If they use a monitoring user under another name, detach it too, or it keeps access "
                "to the monitoring data."
            ]
        if self.attachment is not None and self.membership is None:
            username = self.attachment.monitoring_user.username
            who = f"{self.user.email} is" if self.user is not None else "no portal user is"
            return [
                f"The monitoring user {username} is attached to {name} but {who} a member of it: only the "
                "monitoring access is removed. If the person has a portal account under another address, "
                "remove it too, or it keeps access to the organization's databases."
            ]
        return []

    @property
    def is_empty(self) -> bool:
        return self.membership is None and self.attachment is None


def offboarding_plan(*, organization, user=None, monitoring_user=None, with_names=True) -> OffboardingPlan:
    """The plan for a portal ``user`` (their linked monitoring user comes along) or for a ``monitoring_user``
    attached to the organization (its linked portal user comes along). ``with_names=False`` leaves out the
    names of the roles, projects, teams and groups (what a confirmation shows; the services report their own)."""
    attachment = None
    if monitoring_user is not None:
        attachment = (
            MonitoringUserAttachment.objects.filter(
                organization=organization, monitoring_user=monitoring_user
            )
            .select_related("monitoring_user", "linked_user", "organization")
            .first()
        )
        if attachment is not None and user is None:
            user = linked_people(organization, [attachment])[attachment.pk]
    elif user is not None:
        attachment = attachment_for_person(organization, user)
    membership = None
    plan = OffboardingPlan(organization, user, None, attachment)
    if user is not None:
        membership = OrganizationMembership.objects.filter(organization=organization, user=user).first()
    if membership is not None:
        plan.membership = membership
    if membership is not None and with_names:
        plan.roles = membership.role_names
        plan.projects = sorted(
            user.project_memberships.filter(project__organization=organization).values_list(
                "project__name", flat=True
            )
        )
        plan.teams = sorted(
            TeamMembership.objects.filter(team__organization=organization, user=user).values_list(
                "team__name", flat=True
            )
        )
    if attachment is not None and with_names:
        plan.groups = sorted(attachment.memberships.values_list("group__name", flat=True))
    return plan
