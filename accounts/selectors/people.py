"""Reads of the organization's Users tab, a member's page and the home page: members with what they hold, the
people pending anywhere in the organization, requests to join, invitations addressed to a person. Each reads a
fixed number of queries whatever the sizes."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import roles
from accounts.models import (
    Invitation,
    JoinRequest,
    OrganizationMembership,
    OrganizationRole,
    ProjectMembership,
    TeamMembership,
)

from . import projects_for_user, two_factor_user_ids

LISTED = [Invitation.Status.PENDING, Invitation.Status.EXPIRED]


def _matching(term, *fields) -> Q:
    """Every word of the search term in one of ``fields`` ("ann lee" finds Ann Lee by first and last name)."""
    condition = Q()
    for word in term.split():
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


# ---- members --------------------------------------------------------------------------------------------------


def organization_people_members(organization, term=""):
    """The organization's members (people, never an API key's account) by email, matching ``term`` in name or
    email: a queryset to page through, the user joined."""
    return (
        OrganizationMembership.objects.filter(organization=organization, user__is_service_account=False)
        .filter(_matching(term, "user__email", "user__first_name", "user__last_name"))
        .select_related("user")
        .order_by("user__email")
    )


@dataclass
class ProjectHeld:
    name: str
    public_id: str
    role_names: list[str] = field(default_factory=list)

    @property
    def role_labels(self) -> str:
        return ", ".join(roles.label(name) for name in self.role_names)


@dataclass
class MemberRow:
    """A member as the Users tab shows them: organization roles, the projects (that the viewer may see) they are
    a member of with their roles there, teams, two-factor."""

    membership: OrganizationMembership
    role_names: list[str]
    projects: list[ProjectHeld]
    teams: list[tuple[str, str]]  # (name, public id), to link each to its page
    two_factor: bool

    @property
    def user(self):
        return self.membership.user

    @property
    def role_labels(self) -> str:
        return ", ".join(roles.label(name) for name in self.role_names)


def member_rows(memberships, organization, actor) -> list[MemberRow]:
    """A page of ``organization_people_members`` with what each holds: four queries (none without rows), read as
    plain tuples."""
    memberships = list(memberships)
    if not memberships:
        return []
    user_ids = [m.user_id for m in memberships]
    org_roles = defaultdict(list)
    for membership_id, name in OrganizationRole.objects.filter(
        membership_id__in=[m.pk for m in memberships]
    ).values_list("membership_id", "name"):
        org_roles[membership_id].append(name)
    projects = defaultdict(dict)
    visible = projects_for_user(actor, organization=organization).values("pk")
    for user_id, name, public_id, role_name in (
        ProjectMembership.objects.filter(project__organization=organization, user_id__in=user_ids)
        .filter(project__in=visible)
        .order_by("project__name")
        .values_list("user_id", "project__name", "project__public_id", "roles__name")
    ):
        held = projects[user_id].setdefault(public_id, ProjectHeld(name, public_id))
        if role_name is not None:  # a membership without roles (LEFT JOIN)
            held.role_names.append(role_name)
    teams = defaultdict(list)
    for user_id, name, public_id in (
        TeamMembership.objects.filter(team__organization=organization, user_id__in=user_ids)
        .order_by("team__name")
        .values_list("user_id", "team__name", "team__public_id")
    ):
        teams[user_id].append((name, public_id))
    with_two_factor = two_factor_user_ids(user_ids)
    return [
        MemberRow(
            membership=m,
            role_names=sorted(org_roles[m.pk]),
            projects=[_sorted_roles(p) for p in projects[m.user_id].values()],
            teams=teams[m.user_id],
            two_factor=m.user_id in with_two_factor,
        )
        for m in memberships
    ]


def _sorted_roles(held: ProjectHeld) -> ProjectHeld:
    held.role_names.sort()
    return held


def member_row(organization, user, actor) -> MemberRow:
    """One member with what they hold (their page, and what removing them takes away)."""
    membership = OrganizationMembership.objects.select_related("user").get(
        organization=organization, user=user
    )
    return member_rows([membership], organization, actor)[0]


# ---- pending ----------------------------------------------------------------------------------------------------


def organization_pending_invitations(organization, actor, term=""):
    """Everyone pending in the organization or any of its projects (those ``actor`` may see), by address then
    project (the organization's own invitation first): one row per invitation still awaiting an answer,
    pending or expired, until the address is invited again to the same place or has joined it."""
    place = Coalesce("project_id", Value(0))
    newer = Invitation.objects.annotate(place=place).filter(
        organization=organization, email=OuterRef("email"), place=OuterRef("place"), pk__gt=OuterRef("pk")
    )
    joined_organization = OrganizationMembership.objects.filter(
        organization=organization, user__email__iexact=OuterRef("email")
    )
    joined_project = ProjectMembership.objects.filter(
        project=OuterRef("project"), user__email__iexact=OuterRef("email")
    )
    visible = projects_for_user(actor, organization=organization).values("pk")
    return (
        Invitation.objects.annotate(place=place)
        .filter(organization=organization, status__in=LISTED)
        .filter(Q(project__isnull=True) | Q(project__in=visible))
        .filter(_matching(term, "email"))
        .exclude(Exists(newer))
        .exclude(Q(project__isnull=True) & Exists(joined_organization))
        .exclude(Q(project__isnull=False) & Exists(joined_project))
        .select_related("project")
        .order_by("email", F("project__name").asc(nulls_first=True), "pk")
    )


@dataclass
class PendingRow:
    """An invitation as the Users tab shows it: where it leads (the organization, with its teams and the
    projects it adds, or one project) and with which roles."""

    invitation: Invitation
    teams: list[str]
    projects: list[ProjectHeld]

    @property
    def role_labels(self) -> str:
        return ", ".join(roles.label(name) for name in self.invitation.roles)

    @property
    def expired(self) -> bool:
        return self.invitation.effective_status == Invitation.Status.EXPIRED


def pending_rows(invitations, organization, actor) -> list[PendingRow]:
    """A page of ``organization_pending_invitations`` with the names of the teams and projects the organization
    invitations name (the projects ``actor`` may see): two queries at most."""
    invitations = list(invitations)
    of_organization = [i for i in invitations if i.project_id is None]
    teams = defaultdict(list)
    if of_organization:
        for invitation_id, name in (
            Invitation.teams.through.objects.filter(invitation_id__in=[i.pk for i in of_organization])
            .order_by("team__name")
            .values_list("invitation_id", "team__name")
        ):
            teams[invitation_id].append(name)
    named = {a["groupId"] for i in of_organization for a in i.group_role_assignments}
    names = {}
    if named:
        names = dict(
            projects_for_user(actor, organization=organization)
            .filter(public_id__in=named)
            .values_list("public_id", "name")
        )
    rows = []
    for invitation in invitations:
        if invitation.project_id is not None:
            projects = [
                ProjectHeld(invitation.project.name, invitation.project.public_id, list(invitation.roles))
            ]
        else:
            projects = [
                ProjectHeld(names[a["groupId"]], a["groupId"], sorted(a["roles"]))
                for a in invitation.group_role_assignments
                if a["groupId"] in names
            ]
        rows.append(PendingRow(invitation, teams[invitation.pk], projects))
    return rows


def organization_join_requests(organization, actor, term=""):
    """Pending requests to join the organization's projects (those ``actor`` may see), oldest first."""
    visible = projects_for_user(actor, organization=organization).values("pk")
    return (
        JoinRequest.objects.filter(
            project__organization=organization, project__in=visible, status=JoinRequest.Status.PENDING
        )
        .filter(_matching(term, "user__email", "user__first_name", "user__last_name"))
        .select_related("user", "project")
        .order_by("created_at", "pk")
    )


# ---- a person's own -------------------------------------------------------------------------------------------


def invitations_addressed_to(user, now=None):
    """The pending, unexpired invitations sent to the person's address, newest first (their home page)."""
    now = now or timezone.now()
    return (
        Invitation.objects.filter(
            email__iexact=user.email, status=Invitation.Status.PENDING, expires_at__gt=now
        )
        .select_related("organization", "project")
        .order_by("-created_at")
    )


def invitation_addressed_to(user, invitation_id):
    """The invitation of this id sent to the person's address, whatever its state (accepting says why it cannot
    be used), or None."""
    return (
        Invitation.objects.filter(public_id=invitation_id, email__iexact=user.email)
        .select_related("organization", "project")
        .first()
    )
