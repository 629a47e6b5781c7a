"""Reads shared by pages, API and admin. Fetching an object is a permission check: the ``access_*`` helpers
return the object or raise the same RESOURCE_NOT_FOUND whether it is missing or the actor may not see it."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch
from django.utils import timezone
from guardian.shortcuts import get_objects_for_user

from . import roles
from .errors import ServiceError, not_found
from .models import (
    ApiKey,
    Cluster,
    Invitation,
    JoinRequest,
    Organization,
    OrganizationMembership,
    Project,
    ProjectMembership,
    Team,
    TeamMembership,
)
from .permissions import actor_may, permission_refusal_log


def organizations_for_user(user, permission=roles.VIEW_ORGANIZATION):
    """The organizations the user may ``permission`` (a queryset, for lists)."""
    return get_objects_for_user(
        user, f"accounts.{permission}", klass=Organization.objects.all(), accept_global_perms=True
    )


def projects_for_user(user, permission=roles.VIEW_PROJECT, organization=None):
    """The projects the user may ``permission``: their own, their teams', and those their organization roles
    reach (ORG_OWNER, ORG_READ_ONLY)."""
    projects = Project.objects.select_related("organization")
    if organization is not None:
        projects = projects.filter(organization=organization)
    return get_objects_for_user(user, f"accounts.{permission}", klass=projects, accept_global_perms=True)


def organizations_overview(user) -> list[Organization]:
    """The user's organizations, each with ``visible_projects``: four queries whatever the sizes."""
    projects = projects_for_user(user).order_by("name")
    return list(
        organizations_for_user(user)
        .order_by("name")
        .prefetch_related(Prefetch("projects", queryset=projects, to_attr="visible_projects"))
    )


def _access(model, kind, *, actor, public_id, need, queryset=None, permission_object=None):
    queryset = queryset if queryset is not None else model.objects.all()
    try:
        obj = queryset.get(public_id=public_id)
    except (model.DoesNotExist, ValueError):
        raise not_found(kind, public_id) from None
    target = permission_object(obj) if permission_object else obj
    if not actor_may(actor, need, target):
        view = roles.VIEW_ORGANIZATION if isinstance(target, Organization) else roles.VIEW_PROJECT
        if not actor_may(actor, view, target):
            permission_refusal_log(
                actor=actor, code="RESOURCE_NOT_FOUND", kind=kind, object_id=public_id, permission=need
            )
            raise not_found(kind, public_id)
        permission_refusal_log(
            actor=actor, code="USER_UNAUTHORIZED", kind=kind, object_id=public_id, permission=need
        )
        raise ServiceError(
            "USER_UNAUTHORIZED",
            f"You do not have the permission to do this on {kind} {public_id}.",
            permission=need,
        )
    return obj


def access_organization(*, actor, organization_id, need=roles.VIEW_ORGANIZATION) -> Organization:
    return _access(Organization, "organization", actor=actor, public_id=organization_id, need=need)


def access_project(*, actor, project_id, need=roles.VIEW_PROJECT) -> Project:
    return _access(
        Project,
        "project",
        actor=actor,
        public_id=project_id,
        need=need,
        queryset=Project.objects.select_related("organization"),
    )


def access_team(*, actor, team_id, organization=None, need=roles.VIEW_ORGANIZATION) -> Team:
    queryset = Team.objects.select_related("organization")
    if organization is not None:
        queryset = queryset.filter(organization=organization)
    return _access(
        Team,
        "team",
        actor=actor,
        public_id=team_id,
        need=need,
        queryset=queryset,
        permission_object=lambda team: team.organization,
    )


def access_cluster(*, actor, project, name, need=roles.VIEW_PROJECT) -> Cluster:
    """A cluster of a project the actor reached through ``access_project``; same answers as the others: 404
    when it cannot see the project, 403 when it sees it but lacks ``need``."""
    if not actor_may(actor, need, project):
        if not actor_may(actor, roles.VIEW_PROJECT, project):
            permission_refusal_log(
                actor=actor, code="RESOURCE_NOT_FOUND", kind="cluster", object_id=name, permission=need
            )
            raise not_found("cluster", name)
        permission_refusal_log(
            actor=actor, code="USER_UNAUTHORIZED", kind="cluster", object_id=name, permission=need
        )
        raise ServiceError(
            "USER_UNAUTHORIZED",
            f"You do not have the permission to do this on cluster {name}.",
            permission=need,
        )
    try:
        return Cluster.objects.select_related("project__organization").get(project=project, name=name)
    except Cluster.DoesNotExist:
        raise not_found("cluster", name) from None


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


def api_key_for_public_key(public_key: str):
    """The key a Digest user name names, with what authentication needs; None when there is none."""
    return (
        ApiKey.objects.select_related("user", "organization")
        .prefetch_related("access_list")
        .filter(public_key=public_key)
        .first()
    )


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
