"""Emails to group admins about new members: an outbox. A membership is made with ``admins_notified_at`` empty;
a task (queued after the change commits, and swept every minute by beat) emails every admin of each group once
about the members added to it, then marks them notified. So a change touching 1,000 groups stays a few queries,
and the emails go out as tasks."""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.models import OutboundEmail, ProjectRole, TeamProjectRole
from accounts.services.emails import emails_queue_bulk
from monitoring.models import GroupRole, MonitoringGroupMembership

# Besides a group's ADMIN members, the project's own users holding a project role that administers monitoring
# (themselves or through a team: Project Owner, Project Monitoring Admin) are the group's admins, and are emailed.
# An Organization Owner, who may administer every project's groups by inheritance, is not emailed about each
# group of each project: they are the organization's administrators, not the group's (a 1,000-cluster attach
# would send each of them 1,000 messages); one who is also a Project Owner of the project is emailed as such.
GROUP_ADMIN_PROJECT_ROLES = tuple(roles.project_roles_with(roles.MANAGE_MONITORING))
TEMPLATE = "monitoring/email/added_to_group"


def notify_group_admins_after_commit(organization_id) -> None:
    """Queue the outbox run for this organization once the surrounding transaction commits."""
    from monitoring.tasks import notify_group_admins

    notify_group_admins.delay_on_commit(organization_id)


def group_admin_emails(groups) -> dict[int, set[str]]:
    """{group id: lower-cased email addresses of its admins} of these groups (each with ``pk`` and
    ``project_id``): the group's ADMIN members, and the active people
    holding GROUP_OWNER or GROUP_MONITORING_ADMIN on its project, directly or through a team. Three queries
    whatever the number of groups."""
    group_ids = [group.pk for group in groups]
    admins = defaultdict(set)
    for group_id, email in MonitoringGroupMembership.objects.filter(
        group_id__in=group_ids, role=GroupRole.ADMIN
    ).values_list("group_id", "monitoring_user__email"):
        admins[group_id].add(email.lower())

    people = defaultdict(set)
    project_ids = {group.project_id for group in groups}
    direct = ProjectRole.objects.filter(
        name__in=GROUP_ADMIN_PROJECT_ROLES,
        membership__project_id__in=project_ids,
        membership__user__is_active=True,
        membership__user__is_service_account=False,
    ).values_list("membership__project_id", "membership__user__email")
    through_teams = TeamProjectRole.objects.filter(
        name__in=GROUP_ADMIN_PROJECT_ROLES,
        assignment__project_id__in=project_ids,
        assignment__team__memberships__user__is_active=True,
        assignment__team__memberships__user__is_service_account=False,
    ).values_list("assignment__project_id", "assignment__team__memberships__user__email")
    for project_id, email in [*direct, *through_teams]:
        people[project_id].add(email.lower())
    for group in groups:
        admins[group.pk] |= people[group.project_id]
    return admins


@dataclass(frozen=True)
class NoticeGroup:
    """A group whose admins are told of new members, with the names its notice shows."""

    pk: int
    project_id: int
    name: str
    cluster: str
    project: str
    organization: str


@dataclass(frozen=True)
class AddedMember:
    """A membership not yet announced, as its notice names it."""

    pk: int
    username: str
    email: str
    role: str
    by_attachment: bool


_NOTICE_COLUMNS = (
    "pk",
    "group_id",
    "group__project_id",
    "group__name",
    "group__cluster__name",
    "group__project__name",
    "group__project__organization__name",
    "monitoring_user__username",
    "monitoring_user__email",
    "role",
    "source",
)


def added_by_group(memberships) -> dict[NoticeGroup, list[AddedMember]]:
    """{group: its members} of a queryset of MonitoringGroupMemberships, in the queryset's order: read as plain
    values in one query (no model instance a row: a 1,000-cluster attach announces 1,000 memberships)."""
    added = defaultdict(list)
    for row in memberships.values_list(*_NOTICE_COLUMNS):
        pk, group_id, project_id, name, cluster, project, organization, username, email, role, source = row
        group = NoticeGroup(group_id, project_id, name, cluster or "", project, organization)
        added[group].append(
            AddedMember(pk, username, email, role, source == MonitoringGroupMembership.Source.ATTACHMENT)
        )
    return added


def _subject(group, members) -> str:
    if len(members) == 1:
        return f"{members[0].username} was added to the monitoring group {group.name}"
    return f"{len(members)} monitoring users were added to the monitoring group {group.name}"


def _context(group, members) -> dict:
    return {
        "group": group.name,
        "cluster": group.cluster,
        "project": group.project,
        "organization": group.organization,
        "members": [
            {"username": m.username, "email": m.email, "role": m.role, "byAttachment": m.by_attachment}
            for m in members
        ],
    }


@transaction.atomic
def monitoring_group_admins_notify(*, organization_id=None) -> int:
    """Email each admin of each group once about the members added to it and not yet announced (of one
    organization, or of all), never to a member just added; then mark them announced. Safe to run twice and
    side by side: rows another run holds are skipped. Returns the number of emails queued."""
    pending = MonitoringGroupMembership.objects.filter(admins_notified_at__isnull=True)
    if organization_id is not None:
        pending = pending.filter(group__project__organization_id=organization_id)
    added = added_by_group(
        pending.select_for_update(skip_locked=True, of=("self",)).order_by("group__name", "monitoring_user__username")
    )
    if not added:
        return 0
    admins = group_admin_emails(list(added))
    # The plan: who hears about which members of which group. Nobody is told of their own addition (an admin
    # added with others hears of the others only).
    notices = []
    for group, members in added.items():
        for email in sorted(admins[group.pk]):
            others = [m for m in members if m.email.lower() != email]
            if others:
                notices.append((email, group, others))
    queued = queue_admin_notices(notices)
    MonitoringGroupMembership.objects.filter(pk__in=[m.pk for members in added.values() for m in members]).update(
        admins_notified_at=timezone.now()
    )
    return queued


def queue_admin_notices(notices) -> int:
    """The outbox's part: one message row per planned notice [(address, NoticeGroup, [AddedMember])], queued in
    one INSERT
    (each sent by its own task after commit). Returns how many."""
    messages = [
        (
            OutboundEmail(
                to=email,
                subject=_subject(group, others)[:255],
                template=TEMPLATE,
                context=_context(group, others),
            ),
            None,
        )
        for email, group, others in notices
    ]
    if messages:
        emails_queue_bulk(messages)
    return len(messages)
