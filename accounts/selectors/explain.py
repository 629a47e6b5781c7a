"""Explain access, for staff: every organization, project and cluster a user reaches and the chain that gives
each, and everyone and everything that reaches one cluster, each with its reason.

Computed from roles (the source of truth), never from the guardian rows derived from them, so that a test can
hold the two against each other. The chains are those of ``accounts.selectors.reach``: a project role of the
person's own ("direct"), the project roles of a team they are in ("via team Platform"), an organization role
that carries power on every project ("from Organization Owner"). Other apps add their own ways to reach a
cluster (monitoring users through its ``mongolab_`` group, support engineers through a grant) with
``register_cluster_reach_source``, so that accounts knows none of them.

Each explanation costs a fixed number of queries whatever the numbers of members, teams, keys or projects.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from accounts import roles
from accounts.models import (
    ApiKey,
    Cluster,
    Organization,
    OrganizationMembership,
    OrganizationRole,
    Project,
    ProjectRole,
    TeamProjectAssignment,
    TeamProjectRole,
    User,
)

from .reach import DIRECT, ORGANIZATION, TEAM, Grant, people_reaching_project, project_reach


@dataclass(frozen=True)
class Entry:
    """One thing reached, or one who reaches: ``subject`` (an Organization, Project, Cluster, User, Team,
    ApiKey, MonitoringUser, ...), why (one line per chain), the roles it holds there if any, and until when
    (a support grant)."""

    subject: object
    reasons: tuple[str, ...]
    roles: tuple[str, ...] = ()
    until: datetime | None = None

    @property
    def role_labels(self) -> list[str]:
        return [roles.label(name) for name in self.roles]


@dataclass(frozen=True)
class Section:
    title: str
    entries: list[Entry]
    note: str = ""


# ---- a user: what they reach ---------------------------------------------------------------------------------


# Other apps' ways a person reaches things (a support engineer's clusters): ``source(user, now) -> Section | None``.
USER_REACH_SOURCES: list[Callable] = []


def register_user_reach_source(source):
    if source not in USER_REACH_SOURCES:
        USER_REACH_SOURCES.append(source)
    return source


@dataclass
class UserAccess:
    user: User
    organizations: list[Entry] = field(default_factory=list)
    projects: list[Entry] = field(default_factory=list)
    clusters: list[Entry] = field(default_factory=list)
    others: list[Section] = field(default_factory=list)
    # project -> the grants by which the user reaches it (the same chains as ``projects``, structured)
    project_grants: dict[int, list[Grant]] = field(default_factory=dict)
    organization_roles: dict[int, list[str]] = field(default_factory=dict)

    @property
    def sections(self) -> list[Section]:
        return [
            Section("Organizations", self.organizations),
            Section("Projects", self.projects),
            Section("Clusters", self.clusters),
            *self.others,
        ]

    def project_roles(self, project_id) -> list[str]:
        held = {name for grant in self.project_grants.get(project_id, ()) for name in grant.roles}
        return [name for name in roles.PROJECT_ROLES if name in held]


def _ordered(names, catalogue) -> tuple[str, ...]:
    names = set(names)
    return tuple(name for name in catalogue if name in names)


def user_access(user, now=None) -> UserAccess:
    """Every organization, project and cluster ``user`` reaches, each with its chains: seven queries whatever
    the numbers. A direct project role counts only while the user is in the project's organization (as the
    derived permissions do); a team's roles count for each member of the team."""
    access = UserAccess(user)
    org_roles: dict[int, list[str]] = {}
    for organization_id, name in OrganizationRole.objects.filter(membership__user=user).values_list(
        "membership__organization_id", "name"
    ):
        org_roles.setdefault(organization_id, []).append(name)
    access.organization_roles = {
        pk: list(_ordered(names, roles.ORGANIZATION_ROLES)) for pk, names in org_roles.items()
    }
    member_of = set(
        OrganizationMembership.objects.filter(user=user).values_list("organization_id", flat=True)
    )

    grants: dict[int, list[Grant]] = {}
    direct: dict[int, list[str]] = {}
    for project_id, organization_id, name in ProjectRole.objects.filter(membership__user=user).values_list(
        "membership__project_id", "membership__project__organization_id", "name"
    ):
        if organization_id in member_of:
            direct.setdefault(project_id, []).append(name)
    for project_id, names in direct.items():
        grants.setdefault(project_id, []).append(Grant(DIRECT, _ordered(names, roles.PROJECT_ROLES)))

    by_team: dict[tuple[int, str, str], list[str]] = {}
    for project_id, team_name, team_id, name in TeamProjectRole.objects.filter(
        assignment__team__memberships__user=user
    ).values_list("assignment__project_id", "assignment__team__name", "assignment__team__public_id", "name"):
        by_team.setdefault((project_id, team_name, team_id), []).append(name)
    for (project_id, team_name, team_id), names in sorted(
        by_team.items(), key=lambda item: item[0][1].lower()
    ):
        grants.setdefault(project_id, []).append(
            Grant(TEAM, _ordered(names, roles.PROJECT_ROLES), team_name=team_name, team_id=team_id)
        )

    reaching = set(roles.organization_roles_reaching_projects())
    inheriting = {pk: [n for n in names if n in reaching] for pk, names in access.organization_roles.items()}
    inheriting = {pk: names for pk, names in inheriting.items() if names}
    for project_id, organization_id in Project.objects.filter(organization_id__in=inheriting).values_list(
        "pk", "organization_id"
    ):
        for name in inheriting[organization_id]:
            grants.setdefault(project_id, []).append(
                Grant(ORGANIZATION, (roles.implied_project_role(name),), organization_role=name)
            )
    access.project_grants = grants

    organizations = Organization.objects.filter(pk__in=access.organization_roles).order_by("name", "pk")
    for organization in organizations:
        names = access.organization_roles[organization.pk]
        reasons = [f"member: {', '.join(roles.label(n) for n in names)}"]
        access.organizations.append(Entry(organization, tuple(reasons), tuple(names)))

    projects = Project.objects.filter(pk__in=grants).select_related("organization")
    projects = sorted(projects, key=lambda p: (p.organization.name.lower(), p.name.lower(), p.pk))
    for project in projects:
        project_grants = grants[project.pk]
        reasons = tuple(grant_reason(grant) for grant in project_grants)
        access.projects.append(Entry(project, reasons, tuple(access.project_roles(project.pk))))

    clusters = Cluster.objects.filter(project_id__in=grants).select_related("project__organization")
    clusters = sorted(
        clusters, key=lambda c: (c.project.organization.name.lower(), c.project.name.lower(), c.name.lower())
    )
    for cluster in clusters:
        reasons = tuple(
            f"in project {cluster.project.name}: {grant_reason(g)}" for g in grants[cluster.project_id]
        )
        access.clusters.append(Entry(cluster, reasons, tuple(access.project_roles(cluster.project_id))))
    for source in USER_REACH_SOURCES:
        section = source(user, now or timezone.now())
        if section is not None:
            access.others.append(section)
    return access


def grant_reason(grant: Grant) -> str:
    """A chain in words: "direct: Project Owner", "via team Platform: Project Read Only", "from Organization
    Owner (as Project Owner), inherited by every project of the organization"."""
    held = ", ".join(roles.label(name) for name in grant.roles)
    if grant.source == ORGANIZATION:
        return f"{grant.reason} (as {held}), inherited by every project of the organization"
    return f"{grant.reason}: {held}"


# ---- a cluster: who reaches it --------------------------------------------------------------------------------

# Other apps' ways to reach a cluster: ``source(cluster, now) -> Section``.
CLUSTER_REACH_SOURCES: list[Callable] = []


def register_cluster_reach_source(source):
    if source not in CLUSTER_REACH_SOURCES:
        CLUSTER_REACH_SOURCES.append(source)
    return source


@dataclass
class ClusterAccess:
    cluster: Cluster
    people: list[Entry] = field(default_factory=list)
    teams: list[Entry] = field(default_factory=list)
    api_keys: list[Entry] = field(default_factory=list)
    others: list[Section] = field(default_factory=list)
    # user id -> grants, for people and API keys' service accounts alike
    grants: dict[int, list[Grant]] = field(default_factory=dict)

    @property
    def sections(self) -> list[Section]:
        return [
            Section(
                "People",
                self.people,
                "Members of the project, of its teams, and owners and read-only members of its organization.",
            ),
            Section("Teams", self.teams, "Every member of a team holds its roles here."),
            Section("API keys", self.api_keys),
            *self.others,
        ]


def cluster_access(cluster, now=None) -> ClusterAccess:
    """Everyone and everything that reaches ``cluster``, with the chain of each: people (directly, through a
    team, through an organization role), teams, API keys, and what other apps register. A fixed number of
    queries whatever the numbers."""
    now = now or timezone.now()
    project = cluster.project
    access = ClusterAccess(cluster)

    for user, grants in _in_organization(project_reach(project, people_reaching_project(project)), project):
        access.grants[user.pk] = grants
        access.people.append(Entry(user, tuple(map(grant_reason, grants)), tuple(_roles_of(grants))))

    assignments = (
        TeamProjectAssignment.objects.filter(project=project)
        .select_related("team")
        .prefetch_related("roles")
        .order_by("team__name", "pk")
    )
    for assignment in assignments:
        names = _ordered(assignment.role_names, roles.PROJECT_ROLES)
        access.teams.append(
            Entry(
                assignment.team,
                (f"assigned to project {project.name}: {', '.join(map(roles.label, names))}",),
                names,
            )
        )

    reaching = roles.organization_roles_reaching_projects()
    keys = list(
        ApiKey.objects.filter(
            Q(user__project_memberships__project=project)
            | Q(
                user__organization_memberships__organization_id=project.organization_id,
                user__organization_memberships__roles__name__in=reaching,
            )
        )
        .distinct()
        .select_related("user")
        .order_by("public_key")
    )
    key_of = {key.user_id: key for key in keys}
    for user, grants in _in_organization(project_reach(project, [key.user for key in keys]), project):
        access.grants[user.pk] = grants
        access.api_keys.append(
            Entry(key_of[user.pk], tuple(map(grant_reason, grants)), tuple(_roles_of(grants)))
        )

    for source in CLUSTER_REACH_SOURCES:
        section = source(cluster, now)
        if section is not None:
            access.others.append(section)
    return access


def _roles_of(grants) -> list[str]:
    held = {name for grant in grants for name in grant.roles}
    return [name for name in roles.PROJECT_ROLES if name in held]


def _in_organization(reaches, project) -> list[tuple[User, list[Grant]]]:
    """(user, grants) of each reach that still has a grant once direct ones of people outside the project's
    organization are dropped (``project_reach`` does not ask; the derived permissions do): one query."""
    reaches = list(reaches)
    direct = [reach.user.pk for reach in reaches if any(g.source == DIRECT for g in reach.grants)]
    members = (
        set(
            OrganizationMembership.objects.filter(
                organization_id=project.organization_id, user_id__in=direct
            ).values_list("user_id", flat=True)
        )
        if direct
        else set()
    )
    kept = []
    for reach in reaches:
        grants = [g for g in reach.grants if g.source != DIRECT or reach.user.pk in members]
        if grants:
            kept.append((reach.user, grants))
    return kept
