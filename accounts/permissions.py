"""Object permissions derived from roles (django-guardian, direct foreign keys), and the checks that read them.

Roles on memberships are the source of truth. After every role change a service calls
``sync_organization_permissions`` inside its transaction, scoped to what the change touches: the database
computes what the roles give (the catalogue joined as a derived table) and writes only the difference. A
user's own roles become user object permissions; a team's project roles become object permissions of the
team's ``auth.Group``, so that team membership is group membership; what an organization role carries to every
project (Organization Owner, Organization Read Only) is held the same way, through one group per role and
organization whose members are the role's holders, so that giving or taking such a role is one group
membership whatever the number of projects. ``manage.py sync_permissions`` runs the same computation over
everything.
"""

import structlog
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Exists, Q, QuerySet, Subquery
from guardian.core import ObjectPermissionChecker

from . import roles
from .errors import ServiceError, not_found
from .models import (
    Organization,
    OrganizationGroupObjectPermission,
    OrganizationMembership,
    OrganizationRole,
    OrganizationRoleGroup,
    OrganizationUserObjectPermission,
    Project,
    ProjectGroupObjectPermission,
    ProjectMembership,
    ProjectRole,
    ProjectUserObjectPermission,
    Team,
    TeamMembership,
    TeamProjectAssignment,
    TeamProjectRole,
    User,
)

ALL = None  # scope marker: every user, team or project of the organization

log = structlog.get_logger("accessportal.permissions")


def permission_refusal_log(*, actor, code, kind, object_id, permission="", **fields) -> None:
    """One INFO line for each refusal: who, what they needed, on which object, and the code answered (a
    RESOURCE_NOT_FOUND here is an object that exists but that the actor may not see)."""
    log.info(
        "permission_refused",
        code=code,
        actor_id=getattr(actor, "public_id", None),
        object_kind=kind,
        object_id=str(object_id),
        permission=permission,
        **fields,
    )


def _permission_ids() -> dict[tuple[str, str], int]:
    """(model name, codename) -> Permission id, for the two models that carry object permissions."""
    rows = Permission.objects.filter(
        content_type__app_label="accounts", content_type__model__in=["organization", "project"]
    ).values_list("content_type__model", "codename", "id")
    return {(model, codename): pk for model, codename, pk in rows}


def _role_permissions(perm_ids, model) -> tuple[str, list]:
    """The catalogue as a derived table the database can join: (role_name, permission_id) for each permission
    each role carries on ``model`` ("organization" or "project"; an organization role's inherited project
    permissions included). SQL and its parameters."""
    pairs = []
    if model == "organization":
        for name, role in roles.ORGANIZATION_ROLES.items():
            pairs += [
                (name, perm_ids["organization", codename]) for codename in role.organization_permissions
            ]
    else:
        for catalogue in (roles.PROJECT_ROLES, roles.ORGANIZATION_ROLES):
            for name, role in catalogue.items():
                pairs += [(name, perm_ids["project", codename]) for codename in role.project_permissions]
    sql = " UNION ALL ".join(["SELECT %s AS role_name, %s AS permission_id"] * len(pairs))
    return sql, [value for pair in sorted(pairs) for value in pair]


def _in(column, ids) -> tuple[str, list]:
    """`` AND column IN (...)`` for a scope, nothing for ``ALL``."""
    if ids is ALL:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _desired_user_project_rows(organization, user_ids, project_ids, perm_ids) -> tuple[str, list]:
    """SELECT (owner_id, permission_id, object_id) of what their own project roles give these users on these
    projects, counted only while they are in the organization. (What organization roles carry to every project,
    ORG_OWNER's and ORG_READ_ONLY's, is held through the organization's role groups: ``_desired_role_group_rows``.)
    """
    mapping, mapping_params = _role_permissions(perm_ids, "project")
    users, users_params = _in("pm.user_id", user_ids)
    projects, projects_params = _in("pm.project_id", project_ids)
    sql = (
        f"SELECT DISTINCT pm.user_id AS owner_id, rp.permission_id AS permission_id, "  # nosec B608
        f"pm.project_id AS object_id FROM {_table(ProjectRole)} r "
        f"INNER JOIN {_table(ProjectMembership)} pm ON pm.id = r.membership_id "
        f"INNER JOIN {_table(Project)} p ON p.id = pm.project_id "
        f"INNER JOIN {_table(OrganizationMembership)} m "
        f"ON m.user_id = pm.user_id AND m.organization_id = p.organization_id "
        f"INNER JOIN ({mapping}) rp ON rp.role_name = r.name "
        f"WHERE p.organization_id = %s{users}{projects}"
    )
    return sql, [*mapping_params, organization.pk, *users_params, *projects_params]


def _desired_role_group_rows(organization, project_ids, perm_ids) -> tuple[str, list]:
    """SELECT (group_id, permission_id, project_id) of what each organization role carries to these projects
    (every project of the organization: ``ALL``), as object permissions of the role's group."""
    mapping, mapping_params = _role_permissions(perm_ids, "project")
    projects, projects_params = _in("p.id", project_ids)
    sql = (
        f"SELECT DISTINCT g.group_id AS owner_id, rp.permission_id AS permission_id, p.id AS object_id "  # nosec B608
        f"FROM {_table(OrganizationRoleGroup)} g "
        f"INNER JOIN ({mapping}) rp ON rp.role_name = g.role "
        f"INNER JOIN {_table(Project)} p ON p.organization_id = g.organization_id "
        f"WHERE g.organization_id = %s{projects}"
    )
    return sql, [*mapping_params, organization.pk, *projects_params]


def _desired_user_organization_rows(organization, user_ids, perm_ids) -> tuple[str, list]:
    mapping, mapping_params = _role_permissions(perm_ids, "organization")
    users, users_params = _in("m.user_id", user_ids)
    sql = (
        f"SELECT DISTINCT m.user_id AS owner_id, rp.permission_id AS permission_id, "  # nosec B608
        f"m.organization_id AS object_id "
        f"FROM {_table(OrganizationRole)} r "
        f"INNER JOIN {_table(OrganizationMembership)} m ON m.id = r.membership_id "
        f"INNER JOIN ({mapping}) rp ON rp.role_name = r.name "
        f"WHERE m.organization_id = %s{users}"
    )
    return sql, [*mapping_params, organization.pk, *users_params]


def _desired_team_rows(organization, team_ids, project_ids, perm_ids) -> tuple[str, list]:
    """SELECT (group_id, permission_id, project_id) of what these teams' project roles give their groups."""
    mapping, mapping_params = _role_permissions(perm_ids, "project")
    teams, teams_params = _in("t.id", team_ids)
    projects, projects_params = _in("a.project_id", project_ids)
    sql = (
        f"SELECT DISTINCT t.group_id AS owner_id, rp.permission_id AS permission_id, a.project_id AS object_id "  # nosec B608
        f"FROM {_table(TeamProjectRole)} r "
        f"INNER JOIN {_table(TeamProjectAssignment)} a ON a.id = r.assignment_id "
        f"INNER JOIN {_table(Team)} t ON t.id = a.team_id "
        f"INNER JOIN ({mapping}) rp ON rp.role_name = r.name "
        f"WHERE t.organization_id = %s{teams}{projects}"
    )
    return sql, [*mapping_params, organization.pk, *teams_params, *projects_params]


def _apply(model, owner_column, scope, desired) -> tuple[int, int]:
    """Make the rows of ``model`` within ``scope`` (SQL condition on its columns as ``x.column``, params) equal
    ``desired`` (SELECT owner_id, permission_id, object_id; params): one DELETE of the stale rows (an anti-join)
    and one INSERT ... SELECT of the missing ones, both computed by the database, nothing loaded into Python.
    Returns (removed, added)."""
    table = _table(model)
    scope_sql, scope_params = scope
    desired_sql, desired_params = desired
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE id IN (SELECT x.id FROM {table} x LEFT JOIN ({desired_sql}) d "  # nosec B608
            f"ON d.owner_id = x.{owner_column} AND d.permission_id = x.permission_id "
            f"AND d.object_id = x.content_object_id WHERE {scope_sql} AND d.owner_id IS NULL)",
            [*desired_params, *scope_params],
        )
        removed = max(cursor.rowcount, 0)
        cursor.execute(
            f"INSERT INTO {table} ({owner_column}, permission_id, content_object_id) "  # nosec B608
            f"SELECT d.owner_id, d.permission_id, d.object_id FROM ({desired_sql}) d "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} x WHERE x.{owner_column} = d.owner_id "
            f"AND x.permission_id = d.permission_id AND x.content_object_id = d.object_id)",
            desired_params,
        )
        added = max(cursor.rowcount, 0)
    return removed, added


def sync_organization_permissions(organization, *, user_ids=ALL, team_ids=ALL, project_ids=ALL) -> dict:
    """Recompute the derived permissions of these users and teams (ids; ``ALL`` for every one) within the
    organization, on these of its projects (``ALL``: every project, and the organization itself). Also puts
    team members in their teams' groups. Set-based: the database computes what the roles give and writes only
    the difference (a constant number of queries, whatever the sizes). Scope it to what the change touches:
    a new project is ``project_ids=[it]`` for every user; a user's organization roles are ``user_ids=[them]``
    on every project. Returns counts."""
    counts = {"removed": 0, "added": 0}
    if project_ids is not ALL and not project_ids:
        return counts
    perm_ids = _permission_ids()
    role_groups, made = _role_groups(organization)
    if made:  # the organization's first sync since role groups exist: every holder, every project
        user_ids, project_ids = ALL, ALL

    def tally(result):
        counts["removed"] += result[0]
        counts["added"] += result[1]

    org_projects = f"SELECT id FROM {_table(Project)} WHERE organization_id = %s"  # nosec B608
    if user_ids is ALL or user_ids:
        users, users_params = _in("x.user_id", user_ids)
        if project_ids is ALL:
            tally(
                _apply(
                    OrganizationUserObjectPermission,
                    "user_id",
                    (f"x.content_object_id = %s{users}", [organization.pk, *users_params]),
                    _desired_user_organization_rows(organization, user_ids, perm_ids),
                )
            )
        projects, projects_params = _in("x.content_object_id", project_ids)
        tally(
            _apply(
                ProjectUserObjectPermission,
                "user_id",
                (
                    f"x.content_object_id IN ({org_projects}){users}{projects}",
                    [organization.pk, *users_params, *projects_params],
                ),
                _desired_user_project_rows(organization, user_ids, project_ids, perm_ids),
            )
        )
        _sync_role_group_members(organization, user_ids, role_groups)

    # The role groups' rows change only with the projects (a role's permissions are the catalogue's): on a new
    # project, and when everything is rebuilt.
    if made or project_ids is not ALL or (user_ids is ALL and team_ids is ALL):
        groups, groups_params = _in("x.group_id", list(role_groups.values()))
        projects, projects_params = _in("x.content_object_id", project_ids)
        tally(
            _apply(
                ProjectGroupObjectPermission,
                "group_id",
                (
                    f"x.content_object_id IN ({org_projects}){groups}{projects}",
                    [organization.pk, *groups_params, *projects_params],
                ),
                _desired_role_group_rows(organization, project_ids, perm_ids),
            )
        )

    if team_ids is ALL or team_ids:
        org_groups = f"SELECT group_id FROM {_table(Team)} WHERE organization_id = %s"  # nosec B608
        teams, teams_params = _in("id", team_ids)
        projects, projects_params = _in("x.content_object_id", project_ids)
        tally(
            _apply(
                ProjectGroupObjectPermission,
                "group_id",
                (
                    f"x.content_object_id IN ({org_projects}) AND x.group_id IN ({org_groups}{teams}){projects}",
                    [organization.pk, organization.pk, *teams_params, *projects_params],
                ),
                _desired_team_rows(organization, team_ids, project_ids, perm_ids),
            )
        )
        # Teams and role groups hold no organization permissions: drop any that a hand edit left.
        OrganizationGroupObjectPermission.objects.filter(content_object=organization).delete()
        _sync_team_groups(organization, team_ids)
    return counts


def permissions_of_departed_revoke(organization, user) -> None:
    """What ``sync_organization_permissions(organization, user_ids=[user])`` comes to once ``user`` holds
    nothing in the organization (their membership, project roles and teams there deleted): none of their object
    permissions on it and its projects, and none of its role or team groups. Three deletes by index, where the
    sync would compute what their (no longer existing) roles give and compare it row by row."""
    organization_projects = f"SELECT id FROM {_table(Project)} WHERE organization_id = %s"  # nosec B608
    organization_groups = (
        f"SELECT group_id FROM {_table(Team)} WHERE organization_id = %s "  # nosec B608
        f"UNION ALL SELECT group_id FROM {_table(OrganizationRoleGroup)} WHERE organization_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_table(OrganizationUserObjectPermission)} "  # nosec B608
            "WHERE user_id = %s AND content_object_id = %s",
            [user.pk, organization.pk],
        )
        cursor.execute(
            f"DELETE FROM {_table(ProjectUserObjectPermission)} "  # nosec B608
            f"WHERE user_id = %s AND content_object_id IN ({organization_projects})",
            [user.pk, organization.pk],
        )
        cursor.execute(
            f"DELETE FROM {_table(User.groups.through)} "  # nosec B608
            f"WHERE user_id = %s AND group_id IN ({organization_groups})",
            [user.pk, organization.pk, organization.pk],
        )


# The organization roles that reach every project of their organization, each through a group of its own.
ROLES_WITH_GROUPS = tuple(name for name, role in roles.ORGANIZATION_ROLES.items() if role.project_permissions)


def _role_groups(organization) -> tuple[dict[str, int], bool]:
    """({organization role: its group's id}, whether any was made now): one query, and two more the first
    time (the groups of an organization made before role groups existed are made on its next sync)."""
    found = dict(
        OrganizationRoleGroup.objects.filter(organization=organization).values_list("role", "group_id")
    )
    missing = [name for name in ROLES_WITH_GROUPS if name not in found]
    if not missing:
        return found, False
    groups = Group.objects.bulk_create(
        [Group(name=f"organization-role:{organization.public_id}:{name}") for name in missing]
    )
    OrganizationRoleGroup.objects.bulk_create(
        [
            OrganizationRoleGroup(organization=organization, role=name, group=group)
            for name, group in zip(missing, groups, strict=True)
        ]
    )
    found.update({name: group.pk for name, group in zip(missing, groups, strict=True)})
    return found, True


def _sync_role_group_members(organization, user_ids, role_groups) -> None:
    """The holders of each organization role with a group are its group's members, and nobody else."""
    holders = OrganizationRole.objects.filter(
        membership__organization=organization, name__in=list(role_groups)
    ).values_list("membership__user_id", "name")
    links = _group_links().filter(group_id__in=list(role_groups.values()))
    if user_ids is not ALL:
        holders = holders.filter(membership__user_id__in=user_ids)
        links = links.filter(user_id__in=user_ids)
    _links_set(links, {(user_id, role_groups[name]) for user_id, name in holders})


def _sync_team_groups(organization, team_ids):
    """Group membership mirrors TeamMembership (the group is how guardian sees the team)."""
    members = TeamMembership.objects.filter(team__organization=organization)
    links = _group_links().filter(group__team__organization=organization)
    if team_ids is not ALL:
        members = members.filter(team_id__in=team_ids)
        links = links.filter(group__team__id__in=team_ids)
    _links_set(links, set(members.values_list("user_id", "team__group_id")))


def _group_links():
    from django.contrib.auth import get_user_model

    return get_user_model().groups.through.objects.all()


def _links_set(links, desired) -> None:
    """Make the user-group links of ``links`` (a scope of the table behind ``User.groups``) exactly ``desired``
    ({(user id, group id)}): one read, one DELETE of the stale links, one INSERT of the missing ones."""
    through = links.model
    existing = {(u, g): pk for pk, u, g in links.values_list("pk", "user_id", "group_id")}
    stale = [pk for key, pk in existing.items() if key not in desired]
    if stale:
        through.objects.filter(pk__in=stale).delete()
    missing = desired - existing.keys()
    if missing:
        through.objects.bulk_create(through(user_id=u, group_id=g) for u, g in missing)


def sync_all_permissions() -> dict:
    """Rebuild every derived permission from roles (``manage.py sync_permissions``)."""
    counts = {"removed": 0, "added": 0}
    for organization in Organization.objects.order_by("pk"):
        result = sync_organization_permissions(organization)
        counts["removed"] += result["removed"]
        counts["added"] += result["added"]
    return counts


# ---- checks ---------------------------------------------------------------------------------------------------


def _model_label(obj) -> str:
    return obj._meta.model_name


def _object_codenames(actor, obj) -> set[str]:
    """The codenames of ``actor``'s object permissions on ``obj``, its own and its teams' groups', in one query
    (guardian's checker asks two, through more Python than the question)."""
    tables = _HELD_IN.get(obj._meta.concrete_model)
    if tables is None:  # a model whose object permissions live in guardian's generic tables
        return set(ObjectPermissionChecker(actor).get_perms(obj))
    own_model, group_model = tables
    own = own_model.objects.filter(user_id=actor.pk, content_object_id=obj.pk).values_list(
        "permission__codename"
    )
    teams = group_model.objects.filter(group__user=actor.pk, content_object_id=obj.pk).values_list(
        "permission__codename"
    )
    return {codename for (codename,) in own.union(teams)}


def permissions_on(actor, obj) -> set[str]:
    """Every codename the actor holds on ``obj``: its object permissions (own and through its teams), plus
    model-wide permissions given to staff (a superuser holds every permission of the model, as guardian says).
    Read afresh each call: no cache outlives the question."""
    if actor is None or not actor.is_active:
        return set()
    if actor.is_superuser:
        perms = set(
            Permission.objects.filter(content_type=ContentType.objects.get_for_model(obj)).values_list(
                "codename", flat=True
            )
        )
    else:
        perms = _object_codenames(actor, obj)
    prefix = f"{obj._meta.app_label}."
    perms.update(p.removeprefix(prefix) for p in actor.get_all_permissions() if p.startswith(prefix))
    return perms


def actor_may(actor, permission: str, obj) -> bool:
    """May ``actor`` do ``permission`` on ``obj``? ``actor`` None is the system itself (commands, tasks). The
    object permissions are read afresh, in one query; the model-wide permission (staff's, a superuser's) only
    when they do not give it (Django caches those on the actor object)."""
    if actor is None:
        return True
    if not actor.is_active:
        return False
    if permission in _object_codenames(actor, obj):
        return True
    return actor.has_perm(f"{obj._meta.app_label}.{permission}")


# The object permission tables of each model that carries object permissions: (the user's, its groups').
_HELD_IN = {
    Organization: (OrganizationUserObjectPermission, OrganizationGroupObjectPermission),
    Project: (ProjectUserObjectPermission, ProjectGroupObjectPermission),
}


def objects_held(actor, permission: str, queryset: QuerySet) -> QuerySet:
    """The rows of ``queryset`` (organizations or projects) on which ``actor`` holds ``permission``: all of them
    for a superuser or staff given the model-wide permission, else those of its object permissions, its own and
    its teams' groups'. What guardian's ``get_objects_for_user`` answers for one permission, as one queryset
    the database decides (two ``IN`` subqueries it hashes), built with a fraction of guardian's Python: it is
    on the path of every API request that names an organization or project and of every list.

    The model-wide permission (staff's, given to the user or a group of theirs) is asked in the same query, as
    two uncorrelated ``EXISTS`` the database answers once, where Django's ``has_perm`` would read every
    model-wide permission of the actor in two queries more: an API key's account never has one."""
    if actor.is_superuser:
        return queryset
    return held_by_user_id(actor.pk, permission, queryset, model_wide=actor.is_active)


def held_by_user_id(user_id, permission: str, queryset: QuerySet, *, model_wide: bool = True) -> QuerySet:
    """``objects_held`` for the user with this id, neither a superuser nor (without ``model_wide``, which an
    inactive user never holds, as in Django's backend) inactive: the id is only a parameter of the query, so
    that it can be compiled once for every such user (``accessportal.prepared``)."""
    own_model, group_model = _HELD_IN[queryset.model]
    # A scalar subquery: the database reads it once and then walks the (user, permission, object) index.
    held = Subquery(
        Permission.objects.filter(
            codename=permission,
            content_type__app_label=queryset.model._meta.app_label,
            content_type__model=queryset.model._meta.model_name,
        ).values("pk")
    )
    own = own_model.objects.filter(user_id=user_id, permission=held).values("content_object_id")
    teams = group_model.objects.filter(group__user=user_id, permission=held).values("content_object_id")
    held_anywhere = Q(pk__in=own) | Q(pk__in=teams)
    if model_wide:
        held_anywhere |= Exists(
            User.user_permissions.through.objects.filter(user_id=user_id, permission=held)
        ) | Exists(Group.permissions.through.objects.filter(group__user=user_id, permission=held))
    return queryset.filter(held_anywhere)


_VIEW_PERMISSION = {"organization": roles.VIEW_ORGANIZATION, "project": roles.VIEW_PROJECT}


def require(actor, permission: str, obj) -> None:
    """Raise unless the actor may. One who cannot even see ``obj`` gets "not found", exactly as for an object
    that does not exist; one who sees it but lacks the power gets USER_UNAUTHORIZED."""
    if actor_may(actor, permission, obj):
        return
    kind = _model_label(obj)
    view = _VIEW_PERMISSION.get(kind)
    object_id = getattr(obj, "public_id", obj.pk)
    if view is not None and not actor_may(actor, view, obj):
        permission_refusal_log(
            actor=actor, code="RESOURCE_NOT_FOUND", kind=kind, object_id=object_id, permission=permission
        )
        raise not_found(kind, object_id)
    permission_refusal_log(
        actor=actor, code="USER_UNAUTHORIZED", kind=kind, object_id=object_id, permission=permission
    )
    raise ServiceError(
        "USER_UNAUTHORIZED",
        f"You do not have the permission to {roles.ORGANIZATION_PERMISSIONS.get(permission) or roles.PROJECT_PERMISSIONS.get(permission, permission)} "  # noqa: E501
        f"on {kind} {obj}.",
        permission=permission,
    )


def require_may_grant(actor, role_names, obj) -> None:
    """No privilege escalation: granting roles on ``obj`` needs every permission those roles carry on it."""
    if actor is None:
        return
    if _model_label(obj) == "organization":
        carried = roles.organization_permissions(role_names)
    else:
        carried = roles.project_permissions(role_names)
    # The object permissions (one query) answer for every member; staff's model-wide ones are read only when
    # those do not cover the roles.
    held = _object_codenames(actor, obj) if actor.is_active and not actor.is_superuser else set()
    if not carried <= held:
        held = permissions_on(actor, obj)
    lacking = sorted(carried - held)
    if lacking:
        permission_refusal_log(
            actor=actor,
            code="ROLE_ESCALATION",
            kind=_model_label(obj),
            object_id=getattr(obj, "public_id", obj.pk),
            roles=sorted(role_names),
            lacking=lacking,
        )
        raise ServiceError(
            "ROLE_ESCALATION",
            f"You cannot grant {', '.join(sorted(role_names))}: it carries more than you hold "
            f"({', '.join(lacking)}).",
            roles=sorted(role_names),
            lacking=lacking,
        )
