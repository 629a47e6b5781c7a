"""Rules that several services share: locking an organization, checking role names and names."""

import re

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import Organization


def lock_organization(organization) -> Organization:
    """Every membership, team and project write of an organization locks its row first (PostgreSQL row lock;
    on SQLite the IMMEDIATE transaction holds the database's write lock). So writes within one organization
    queue, and no two of them can both pass a "last owner" or "250 teams" check."""
    return Organization.objects.select_for_update().get(pk=organization.pk)


def clean_organization_roles(role_names) -> list[str]:
    return _clean_roles(role_names, roles.ORGANIZATION_ROLES, "organization")


def clean_project_roles(role_names) -> list[str]:
    return _clean_roles(role_names, roles.PROJECT_ROLES, "project")


def _clean_roles(role_names, catalogue, kind) -> list[str]:
    if isinstance(role_names, str):
        role_names = [role_names]
    names = sorted(set(role_names or ()))
    if not names:
        raise ServiceError("INVALID_ROLE", f"Give at least one {kind} role.", roles=[])
    unknown = [name for name in names if name not in catalogue]
    if unknown:
        raise ServiceError(
            "INVALID_ROLE",
            f"Unknown {kind} role {', '.join(unknown)}; valid roles are {', '.join(catalogue)}.",
            roles=unknown,
        )
    return names


def replace_roles(membership, role_model, names, owner_field="membership") -> tuple[list[str], list[str]]:
    """Make ``membership``'s role rows exactly ``names``; returns (added, removed)."""
    current = set(role_model.objects.filter(**{owner_field: membership}).values_list("name", flat=True))
    removed = sorted(current - set(names))
    added = sorted(set(names) - current)
    if removed:
        role_model.objects.filter(**{owner_field: membership, "name__in": removed}).delete()
    if added:
        role_model.objects.bulk_create(role_model(**{owner_field: membership}, name=name) for name in added)
    return added, removed


_NAME_MAX = 64


def clean_name(name, *, kind: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError("VALIDATION_ERROR", f"The {kind} name must not be empty.", field="name")
    if len(name) > _NAME_MAX:
        raise ServiceError(
            "VALIDATION_ERROR", f"The {kind} name must be at most {_NAME_MAX} characters.", field="name"
        )
    return name


_CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")


def clean_cluster_name(name) -> str:
    name = (name or "").strip()
    if not _CLUSTER_NAME.match(name):
        raise ServiceError(
            "VALIDATION_ERROR",
            "A cluster name has 1 to 64 ASCII letters, digits and hyphens, and starts with a letter or digit.",
            field="name",
        )
    return name
