"""Every write of the accounts app: atomic, permission-checked on the object, audited."""

from .clusters import cluster_create, cluster_delete, cluster_update
from .members import (
    organization_member_add,
    organization_member_remove,
    organization_member_roles_set,
    project_member_add,
    project_member_remove,
    project_member_roles_set,
)
from .organizations import (
    organization_create,
    organization_delete,
    organization_rename,
    project_create,
    project_delete,
    project_rename,
)
from .teams import (
    team_create,
    team_delete,
    team_member_add,
    team_member_remove,
    team_members_add,
    team_project_assign,
    team_project_roles_set,
    team_project_unassign,
    team_rename,
)

__all__ = [
    "cluster_create",
    "cluster_delete",
    "cluster_update",
    "organization_create",
    "organization_delete",
    "organization_member_add",
    "organization_member_remove",
    "organization_member_roles_set",
    "organization_rename",
    "project_create",
    "project_delete",
    "project_member_add",
    "project_member_remove",
    "project_member_roles_set",
    "project_rename",
    "team_create",
    "team_delete",
    "team_member_add",
    "team_member_remove",
    "team_members_add",
    "team_project_assign",
    "team_project_roles_set",
    "team_project_unassign",
    "team_rename",
]
