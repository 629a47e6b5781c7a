"""Who reaches a project, and why: computed from roles (the source of truth), never from the guardian rows
derived from them, so that it can be checked against them.

A person reaches a project through any of three grants: their own project roles ("direct"), the project roles of
a team they are in ("via team Platform"), or an organization role that carries power on every project ("from
Organization Owner"). The pages show each, the API folds them into one list of roles, and staff read the same
explanation in the admin.
"""

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from accounts import roles
from accounts.models import OrganizationRole, ProjectRole, TeamProjectRole, User

DIRECT, TEAM, ORGANIZATION = "direct", "team", "organization"


@dataclass(frozen=True)
class Grant:
    """One reason a person reaches a project and the project roles it gives them there."""

    source: str  # DIRECT, TEAM or ORGANIZATION
    roles: tuple[str, ...]
    team_name: str = ""
    team_id: str = ""
    organization_role: str = ""

    @property
    def reason(self) -> str:
        if self.source == TEAM:
            return f"via team {self.team_name}"
        if self.source == ORGANIZATION:
            return f"from {roles.label(self.organization_role)}"
        return "direct"


@dataclass
class ProjectReach:
    """A person and every grant by which they reach one project."""

    user: User
    grants: list[Grant] = field(default_factory=list)

    @property
    def roles(self) -> list[str]:
        """Every project role the person holds there, whatever gives it, in the catalogue's order."""
        held = {name for grant in self.grants for name in grant.roles}
        return [name for name in roles.PROJECT_ROLES if name in held]

    @property
    def direct_roles(self) -> list[str]:
        return [name for grant in self.grants if grant.source == DIRECT for name in grant.roles]

    @property
    def permissions(self) -> set[str]:
        return roles.project_permissions(self.roles)

    def grants_of(self, role_name) -> list[Grant]:
        return [grant for grant in self.grants if role_name in grant.roles]


def people_reaching_project(project, *, teams=True, organization=True) -> QuerySet:
    """The people who reach ``project`` (its members; with ``teams``, its teams' members; with ``organization``,
    the holders of organization roles that reach every project), by email: a queryset, so it pages in SQL."""
    reach = Q(project_memberships__project=project)
    if teams:
        reach |= Q(team_memberships__team__project_assignments__project=project)
    if organization:
        reach |= Q(
            organization_memberships__organization_id=project.organization_id,
            organization_memberships__roles__name__in=roles.organization_roles_reaching_projects(),
        )
    return User.objects.filter(reach, is_service_account=False).distinct().order_by("email", "pk")


def project_reach(project, users) -> list[ProjectReach]:
    """The grants of each of ``users`` (one page) on ``project``, in their order: three queries whatever the
    page size. A person listed with no grant does not reach it."""
    users = list(users)
    found = {user.pk: ProjectReach(user) for user in users}
    ids = list(found)
    direct: dict[int, list[str]] = {}
    for user_id, name in ProjectRole.objects.filter(
        membership__project=project, membership__user_id__in=ids
    ).values_list("membership__user_id", "name"):
        direct.setdefault(user_id, []).append(name)
    for user_id, names in direct.items():
        found[user_id].grants.append(Grant(DIRECT, _ordered(names)))

    by_team: dict[tuple[int, str, str], list[str]] = {}
    team_roles = TeamProjectRole.objects.filter(
        assignment__project=project, assignment__team__memberships__user_id__in=ids
    ).values_list(
        "assignment__team__memberships__user_id",
        "assignment__team__name",
        "assignment__team__public_id",
        "name",
    )
    for user_id, team_name, team_id, name in team_roles:
        by_team.setdefault((user_id, team_name, team_id), []).append(name)
    for (user_id, team_name, team_id), names in sorted(by_team.items(), key=lambda item: item[0][1].lower()):
        found[user_id].grants.append(Grant(TEAM, _ordered(names), team_name=team_name, team_id=team_id))

    for user_id, name in OrganizationRole.objects.filter(
        membership__organization_id=project.organization_id,
        membership__user_id__in=ids,
        name__in=roles.organization_roles_reaching_projects(),
    ).values_list("membership__user_id", "name"):
        found[user_id].grants.append(
            Grant(ORGANIZATION, (roles.implied_project_role(name),), organization_role=name)
        )
    return [found[user.pk] for user in users]


def _ordered(names) -> tuple[str, ...]:
    return tuple(name for name in roles.PROJECT_ROLES if name in set(names))


def projects_reached(user, organization, projects=None) -> dict[int, ProjectReach]:
    """How ``user`` reaches each project of ``organization`` (or of ``projects``, e.g. one page of them), by
    project pk: three queries whatever the number of projects (four when ``projects`` is not given and an
    organization role reaches them all). A project missing from the answer is not
    reached. The Projects tab shows the person's access on each with this."""
    project_ids = None if projects is None else [project.pk for project in projects]
    found: dict[int, ProjectReach] = {}

    def reach_of(project_id) -> ProjectReach:
        return found.setdefault(project_id, ProjectReach(user))

    direct_rows = ProjectRole.objects.filter(
        membership__user=user, membership__project__organization=organization
    )
    if project_ids is not None:
        direct_rows = direct_rows.filter(membership__project_id__in=project_ids)
    direct: dict[int, list[str]] = {}
    for project_id, name in direct_rows.values_list("membership__project_id", "name"):
        direct.setdefault(project_id, []).append(name)
    for project_id, names in direct.items():
        reach_of(project_id).grants.append(Grant(DIRECT, _ordered(names)))

    team_rows = TeamProjectRole.objects.filter(
        assignment__team__memberships__user=user, assignment__project__organization=organization
    )
    if project_ids is not None:
        team_rows = team_rows.filter(assignment__project_id__in=project_ids)
    by_team: dict[tuple[int, str, str], list[str]] = {}
    for project_id, team_name, team_id, name in team_rows.values_list(
        "assignment__project_id", "assignment__team__name", "assignment__team__public_id", "name"
    ):
        by_team.setdefault((project_id, team_name, team_id), []).append(name)
    for (project_id, team_name, team_id), names in sorted(by_team.items(), key=lambda item: item[0][1].lower()):
        reach_of(project_id).grants.append(Grant(TEAM, _ordered(names), team_name=team_name, team_id=team_id))

    organization_roles = list(
        OrganizationRole.objects.filter(
            membership__organization=organization,
            membership__user=user,
            name__in=roles.organization_roles_reaching_projects(),
        ).values_list("name", flat=True)
    )
    if organization_roles:
        if project_ids is None:
            project_ids = list(organization.projects.values_list("pk", flat=True))
        for project_id in project_ids:
            for name in organization_roles:
                reach_of(project_id).grants.append(
                    Grant(ORGANIZATION, (roles.implied_project_role(name),), organization_role=name)
                )
    return found


def project_owner_ids(project) -> set[int]:
    """The people whose own roles make them Project Owner of ``project`` (active, not an API key's account): the
    ones the "last Project Owner" rule counts. One query."""
    return set(
        ProjectRole.objects.filter(
            membership__project=project,
            name=roles.PROJECT_OWNER_ROLE,
            membership__user__is_active=True,
            membership__user__is_service_account=False,
        ).values_list("membership__user_id", flat=True)
    )
