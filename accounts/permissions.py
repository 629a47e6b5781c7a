"""Object permissions derived from roles (django-guardian, direct foreign keys), and the checks that read them.

Roles on memberships are the source of truth. After every role change a service calls
``sync_organization_permissions`` inside its transaction: it recomputes what the roles give and writes only the
difference. A user's own roles become user object permissions; a team's project roles become object
permissions of the team's ``auth.Group``, so that team membership is group membership. ``manage.py
sync_permissions`` runs the same computation over everything.
"""

import structlog
from django.contrib.auth.models import Permission
from guardian.core import ObjectPermissionChecker

from . import roles
from .errors import ServiceError, not_found
from .models import (
    Organization,
    OrganizationGroupObjectPermission,
    OrganizationMembership,
    OrganizationUserObjectPermission,
    Project,
    ProjectGroupObjectPermission,
    ProjectMembership,
    ProjectUserObjectPermission,
    TeamMembership,
    TeamProjectAssignment,
)

ALL = None  # scope marker: every user (or team) of the organization

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


def _desired_user_permissions(organization, user_ids, perm_ids):
    """{(user_id, permission_id, object_id)} for the organization ('o') and its projects ('p')."""
    memberships = OrganizationMembership.objects.filter(organization=organization).prefetch_related("roles")
    project_memberships = ProjectMembership.objects.filter(
        project__organization=organization
    ).prefetch_related("roles")
    if user_ids is not ALL:
        memberships = memberships.filter(user_id__in=user_ids)
        project_memberships = project_memberships.filter(user_id__in=user_ids)
    org_roles = {m.user_id: [r.name for r in m.roles.all()] for m in memberships}
    project_roles = {
        (pm.user_id, pm.project_id): [r.name for r in pm.roles.all()] for pm in project_memberships
    }
    project_ids = list(Project.objects.filter(organization=organization).values_list("id", flat=True))

    on_org, on_projects = set(), set()
    for user_id, names in org_roles.items():
        for codename in roles.organization_permissions(names):
            on_org.add((user_id, perm_ids["organization", codename], organization.id))
        for project_id in project_ids:
            # Project roles count only while the user is in the organization.
            direct = project_roles.get((user_id, project_id), ())
            for codename in roles.project_permissions(direct, names):
                on_projects.add((user_id, perm_ids["project", codename], project_id))
    return on_org, on_projects


def _desired_team_permissions(organization, team_ids, perm_ids):
    assignments = TeamProjectAssignment.objects.filter(team__organization=organization).select_related("team")
    if team_ids is not ALL:
        assignments = assignments.filter(team_id__in=team_ids)
    desired = set()
    for assignment in assignments.prefetch_related("roles"):
        for codename in roles.project_permissions([r.name for r in assignment.roles.all()]):
            desired.add((assignment.team.group_id, perm_ids["project", codename], assignment.project_id))
    return desired


def _apply(model, owner_field, existing_qs, desired):
    """Make the rows of ``existing_qs`` equal ``desired`` {(owner_id, permission_id, object_id)}: one DELETE,
    one INSERT, nothing written when nothing differs."""
    existing = {
        (owner_id, perm_id, obj_id): pk
        for pk, owner_id, perm_id, obj_id in existing_qs.values_list(
            "pk", f"{owner_field}_id", "permission_id", "content_object_id"
        )
    }
    stale = [pk for key, pk in existing.items() if key not in desired]
    if stale:
        model.objects.filter(pk__in=stale).delete()
    missing = desired - existing.keys()
    if missing:
        model.objects.bulk_create(
            model(**{f"{owner_field}_id": owner_id}, permission_id=perm_id, content_object_id=obj_id)
            for owner_id, perm_id, obj_id in missing
        )
    return len(stale), len(missing)


def sync_organization_permissions(organization, *, user_ids=ALL, team_ids=ALL) -> dict:
    """Recompute the derived permissions of these users and teams (ids; ``ALL`` for every one) within the
    organization and its projects. Also puts team members in their teams' groups. Returns counts."""
    perm_ids = _permission_ids()
    counts = {"removed": 0, "added": 0}

    def tally(result):
        counts["removed"] += result[0]
        counts["added"] += result[1]

    if user_ids is ALL or user_ids:
        on_org, on_projects = _desired_user_permissions(organization, user_ids, perm_ids)
        org_rows = OrganizationUserObjectPermission.objects.filter(content_object=organization)
        project_rows = ProjectUserObjectPermission.objects.filter(content_object__organization=organization)
        if user_ids is not ALL:
            org_rows = org_rows.filter(user_id__in=user_ids)
            project_rows = project_rows.filter(user_id__in=user_ids)
        tally(_apply(OrganizationUserObjectPermission, "user", org_rows, on_org))
        tally(_apply(ProjectUserObjectPermission, "user", project_rows, on_projects))

    if team_ids is ALL or team_ids:
        desired = _desired_team_permissions(organization, team_ids, perm_ids)
        rows = ProjectGroupObjectPermission.objects.filter(content_object__organization=organization)
        if team_ids is not ALL:
            rows = rows.filter(group__team__id__in=team_ids)
        else:
            rows = rows.filter(group__team__organization=organization)
        tally(_apply(ProjectGroupObjectPermission, "group", rows, desired))
        # Teams hold no organization permissions: drop any that a hand edit left.
        OrganizationGroupObjectPermission.objects.filter(content_object=organization).delete()
        _sync_team_groups(organization, team_ids)
    return counts


def _sync_team_groups(organization, team_ids):
    """Group membership mirrors TeamMembership (the group is how guardian sees the team)."""
    from django.contrib.auth import get_user_model

    through = get_user_model().groups.through
    members = TeamMembership.objects.filter(team__organization=organization)
    groups = through.objects.filter(group__team__organization=organization)
    if team_ids is not ALL:
        members = members.filter(team_id__in=team_ids)
        groups = groups.filter(group__team__id__in=team_ids)
    desired = set(members.values_list("user_id", "team__group_id"))
    existing = {(u, g): pk for pk, u, g in groups.values_list("pk", "user_id", "group_id")}
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


def permissions_on(actor, obj) -> set[str]:
    """Every codename the actor holds on ``obj``: its object permissions (own and through its teams), plus
    model-wide permissions given to staff. A fresh checker each call: no cache outlives the question."""
    if actor is None or not actor.is_active:
        return set()
    perms = set(ObjectPermissionChecker(actor).get_perms(obj))
    prefix = f"{obj._meta.app_label}."
    perms.update(p.removeprefix(prefix) for p in actor.get_all_permissions() if p.startswith(prefix))
    return perms


def actor_may(actor, permission: str, obj) -> bool:
    """May ``actor`` do ``permission`` on ``obj``? ``actor`` None is the system itself (commands, tasks)."""
    if actor is None:
        return True
    if not actor.is_active:
        return False
    return actor.has_perm(f"{obj._meta.app_label}.{permission}", obj) or actor.has_perm(
        f"{obj._meta.app_label}.{permission}"
    )


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
