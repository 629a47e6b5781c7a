"""Reads shared by pages, API and admin. Fetching an object is a permission check: the ``access_*`` helpers
return the object or raise the same RESOURCE_NOT_FOUND whether it is missing or the actor may not see it."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, prefetch_related_objects
from django.utils import timezone

from accessportal.prepared import PreparedLookup
from accounts import roles
from accounts.errors import ServiceError
from accounts.models import (
    ApiKey,
    ApiKeyAccessListEntry,
    Invitation,
    JoinRequest,
    Organization,
    OrganizationMembership,
    Project,
    ProjectMembership,
    Team,
    TeamMembership,
)
from accounts.permissions import objects_held

from .access import (
    access_api_key,
    access_cluster,
    access_colleague,
    access_common,
    access_invitation,
    access_join_request,
    access_member,
    access_organization,
    access_organization_project,
    access_person,
    access_project,
    access_team,
    access_team_by_name,
    body_reference,
    join_request_label,
    usual_actor,
    visible_organizations,
    visible_people,
    visible_projects,
)

__all__ = [
    "access_api_key",
    "access_cluster",
    "access_colleague",
    "access_common",
    "access_invitation",
    "access_join_request",
    "access_member",
    "access_organization",
    "access_organization_project",
    "access_person",
    "access_project",
    "access_team",
    "access_team_by_name",
    "api_key_for_public_key",
    "body_reference",
    "invitations_listed",
    "join_request_label",
    "usual_actor",
    "organization_members",
    "organization_teams",
    "organizations_for_user",
    "organizations_overview",
    "pending_invitations",
    "project_members",
    "project_people",
    "projects_for_user",
    "two_factor_required_by",
    "two_factor_user_ids",
    "user_has_two_factor",
    "visible_organizations",
    "visible_people",
    "visible_projects",
]


def organizations_for_user(user, permission=roles.VIEW_ORGANIZATION):
    """The organizations the user may ``permission`` (a queryset, for lists)."""
    return objects_held(user, permission, Organization.objects.all())


def projects_for_user(user, permission=roles.VIEW_PROJECT, organization=None):
    """The projects the user may ``permission``: their own, their teams', and those their organization roles
    reach (ORG_OWNER, ORG_READ_ONLY)."""
    projects = Project.objects.select_related("organization")
    if organization is not None:
        projects = projects.filter(organization=organization)
    return objects_held(user, permission, projects)


def organizations_overview(user) -> list[Organization]:
    """The user's organizations, each with ``visible_projects``: four queries whatever the sizes."""
    projects = projects_for_user(user).order_by("name")
    return list(
        organizations_for_user(user)
        .order_by("name")
        .prefetch_related(Prefetch("projects", queryset=projects, to_attr="visible_projects"))
    )


def organization_members(organization):
    """An organization's members with their roles and teams, by email: three queries whatever the size."""
    return (
        OrganizationMembership.objects.filter(organization=organization)
        .select_related("user")
        .prefetch_related(
            "roles",
            Prefetch(
                "user__team_memberships",
                queryset=TeamMembership.objects.filter(team__organization=organization).select_related(
                    "team"
                ),
                to_attr="teams_here",
            ),
        )
        .order_by("user__email")
    )


def project_members(project):
    """A project's individual members with their roles, by email."""
    return (
        ProjectMembership.objects.filter(project=project)
        .select_related("user")
        .prefetch_related("roles")
        .order_by("user__email")
    )


@dataclass(frozen=True)
class ProjectPerson:
    """One row of a project's Users list: a member, a pending invitation or a join request."""

    kind: str  # "member", "invitation" or "request"
    name: str
    email: str
    roles: list[str]
    obj: object


PENDING_USER_NAME = "Pending User"
INVITE_SENT_ROLE = "--invite sent--"


def project_people(project, now=None) -> list[ProjectPerson]:
    """The project's Users list in Cloud Manager's order: members (by email), then pending invitations (shown as
    "Pending User" with role "--invite sent--"), then join requests. Four queries whatever the sizes."""
    now = now or timezone.now()
    members = [
        ProjectPerson("member", m.user.get_full_name(), m.user.email, m.role_names, m)
        for m in project_members(project).filter(user__is_service_account=False)
    ]
    invitations = [
        ProjectPerson("invitation", PENDING_USER_NAME, i.email, [INVITE_SENT_ROLE], i)
        for i in Invitation.objects.filter(
            project=project, status=Invitation.Status.PENDING, expires_at__gt=now
        ).order_by("email")
    ]
    requests = [
        ProjectPerson("request", r.user.get_full_name(), r.user.email, [], r)
        for r in JoinRequest.objects.filter(project=project, status=JoinRequest.Status.PENDING)
        .select_related("user")
        .order_by("created_at")
    ]
    return members + invitations + requests


def pending_invitations(*, organization=None, project=None, now=None):
    """Pending invitations not yet past their expiry, newest first (expiry is decided here, at read time)."""
    now = now or timezone.now()
    invitations = Invitation.objects.filter(status=Invitation.Status.PENDING, expires_at__gt=now)
    if project is not None:
        invitations = invitations.filter(project=project)
    else:
        invitations = invitations.filter(organization=organization, project__isnull=True)
    return (
        invitations.select_related("organization", "project")
        .prefetch_related("teams")
        .order_by("-created_at")
    )


# Asked on every request with an API key: compiled once per process (see accessportal.prepared).
_API_KEY_BY_PUBLIC_KEY = PreparedLookup(
    lambda public_key: (
        ApiKey.objects.select_related("user", "organization")
        .annotate(has_access_list=Exists(ApiKeyAccessListEntry.objects.filter(api_key=OuterRef("pk"))))
        .filter(public_key=public_key)
    )
)


def api_key_for_public_key(public_key: str):
    """The key a Digest user name names, with what authentication needs (its access list read); None when there
    is none. One query for a key without an access list (it is asked on every API request), two with one."""
    api_key = _API_KEY_BY_PUBLIC_KEY.first(public_key)
    if api_key is None:
        return None
    if api_key.has_access_list:
        prefetch_related_objects([api_key], "access_list")
    else:  # known empty: ``api_key.access_list.all()`` answers from this, as from a prefetch, without SQL
        empty = api_key.access_list.get_queryset()
        empty._result_cache, empty._prefetch_done = [], True
        api_key._prefetched_objects_cache = {"access_list": empty}
    return api_key


def invitations_listed(*, organization):
    """An organization's invitations still awaiting an answer, newest first: pending ones, including those past
    their expiry that no task has marked yet (shown as expired: ``effective_status``), and those the task
    marked expired, until the address is invited again or joins. Two queries whatever the size."""
    return (
        Invitation.objects.filter(
            organization=organization,
            project__isnull=True,
            status__in=[Invitation.Status.PENDING, Invitation.Status.EXPIRED],
        )
        .prefetch_related("teams")
        .order_by("-created_at")
    )


def organization_teams(organization):
    """The organization's teams with their member and project counts: one query."""
    return (
        Team.objects.filter(organization=organization)
        .annotate(
            member_count=Count("memberships", distinct=True),
            project_count=Count("project_assignments", distinct=True),
        )
        .order_by("name")
    )


# ---- two-factor authentication -----------------------------------------------------------------------------------

# What counts as two-factor: an authenticator app (TOTP) or a security key; recovery codes only back them up.
TWO_FACTOR_TYPES = ("totp", "webauthn")


def user_has_two_factor(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user_id=user.pk, type__in=TWO_FACTOR_TYPES).exists()


def two_factor_user_ids(user_ids) -> set[int]:
    """Which of these users have two-factor authentication: one query, for a users list of any length (the
    organization's Users tab marks them)."""
    from allauth.mfa.models import Authenticator

    return set(
        Authenticator.objects.filter(user_id__in=list(user_ids), type__in=TWO_FACTOR_TYPES)
        .values_list("user_id", flat=True)
        .distinct()
    )


def two_factor_required_by(*, user, admin=False, organization_id=None, project_id=None) -> str | None:
    """Why ``user`` must set up two-factor authentication before opening the Django admin (``admin``, for
    staff) or a page of an organization or project (by public id), or None when nothing requires it. Someone
    who may not see the organization is not told it exists: the page answers them as it would anyway. One query
    when the organization does not require it."""
    if admin:
        if user_has_two_factor(user):
            return None
        return "Staff need two-factor authentication to use the Django admin."
    try:
        if organization_id is not None:
            organization = access_organization(actor=user, organization_id=organization_id)
        else:
            organization = access_project(actor=user, project_id=project_id).organization
    except ServiceError:  # not found (or not visible): the page itself answers
        return None
    if not organization.multi_factor_auth_required or user_has_two_factor(user):
        return None
    return f"{organization.name} requires two-factor authentication."


def organizations_of_member(user):
    """The organizations the person belongs to (their own memberships, not what staff powers reach), by name:
    the header's organization switcher. One query."""
    return Organization.objects.filter(memberships__user=user).order_by("name").only("public_id", "name")
