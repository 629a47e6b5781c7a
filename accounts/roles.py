"""The one catalogue of roles: each role's name, label and the object permissions it carries.

Nothing else spells out a role's power. Code asks "may this actor do X on this object" (a permission), and the
permissions themselves are derived from roles into django-guardian by ``accounts.permissions``.
"""

from dataclasses import dataclass, field

# Organization permissions (codenames on accounts.Organization).
VIEW_ORGANIZATION = "view_organization"
CHANGE_ORGANIZATION = "change_organization"
DELETE_ORGANIZATION = "delete_organization"
MANAGE_ORGANIZATION_MEMBERS = "manage_organization_members"
MANAGE_TEAMS = "manage_teams"
MANAGE_API_KEYS = "manage_api_keys"
CREATE_PROJECT = "create_project"
VIEW_BILLING = "view_billing"
MANAGE_BILLING = "manage_billing"

ORGANIZATION_PERMISSIONS = {
    VIEW_ORGANIZATION: "Read the organization's settings and users",
    CHANGE_ORGANIZATION: "Rename the organization and change its settings",
    DELETE_ORGANIZATION: "Delete the organization",
    MANAGE_ORGANIZATION_MEMBERS: "Invite, remove and change the roles of organization users",
    MANAGE_TEAMS: "Create, rename and delete teams and change their members",
    MANAGE_API_KEYS: "Create and manage the organization's API keys",
    CREATE_PROJECT: "Create projects in the organization",
    VIEW_BILLING: "Read billing",
    MANAGE_BILLING: "Manage billing",
}

# Project permissions (codenames on accounts.Project).
VIEW_PROJECT = "view_project"
CHANGE_PROJECT = "change_project"
DELETE_PROJECT = "delete_project"
MANAGE_PROJECT_MEMBERS = "manage_project_members"
MANAGE_CLUSTERS = "manage_clusters"
MANAGE_DATA_ACCESS = "manage_data_access"
READ_WRITE_DATA = "read_write_data"
READ_DATA = "read_data"
MANAGE_MONITORING = "manage_monitoring"
MANAGE_BACKUPS = "manage_backups"
GRANT_SUPPORT_ACCESS = "grant_support_access"

PROJECT_PERMISSIONS = {
    VIEW_PROJECT: "Read the project, its clusters and its users",
    CHANGE_PROJECT: "Rename the project and change its settings",
    DELETE_PROJECT: "Delete the project",
    MANAGE_PROJECT_MEMBERS: "Invite, remove and change the roles of project users, teams and API keys",
    MANAGE_CLUSTERS: "Create, change and delete clusters",
    MANAGE_DATA_ACCESS: "Manage database users and network access",
    READ_WRITE_DATA: "Read and write the databases' data",
    READ_DATA: "Read the databases' data",
    MANAGE_MONITORING: "Administer monitoring groups",
    MANAGE_BACKUPS: "Manage backups",
    GRANT_SUPPORT_ACCESS: "Grant and revoke support staff's temporary access to clusters",
}


@dataclass(frozen=True)
class Role:
    name: str
    label: str
    description: str
    organization_permissions: frozenset[str] = field(default_factory=frozenset)
    # For an organization role, the project permissions it carries on every project of its organization
    # (inherited, so the holder is not listed among a project's members).
    project_permissions: frozenset[str] = field(default_factory=frozenset)


ORG_OWNER = "ORG_OWNER"
ORG_GROUP_CREATOR = "ORG_GROUP_CREATOR"
ORG_BILLING_ADMIN = "ORG_BILLING_ADMIN"
ORG_BILLING_READ_ONLY = "ORG_BILLING_READ_ONLY"
ORG_READ_ONLY = "ORG_READ_ONLY"
ORG_MEMBER = "ORG_MEMBER"

GROUP_OWNER = "GROUP_OWNER"
GROUP_CLUSTER_MANAGER = "GROUP_CLUSTER_MANAGER"
GROUP_DATA_ACCESS_ADMIN = "GROUP_DATA_ACCESS_ADMIN"
GROUP_DATA_ACCESS_READ_WRITE = "GROUP_DATA_ACCESS_READ_WRITE"
GROUP_DATA_ACCESS_READ_ONLY = "GROUP_DATA_ACCESS_READ_ONLY"
GROUP_MONITORING_ADMIN = "GROUP_MONITORING_ADMIN"
GROUP_BACKUP_ADMIN = "GROUP_BACKUP_ADMIN"
GROUP_USER_ADMIN = "GROUP_USER_ADMIN"
GROUP_READ_ONLY = "GROUP_READ_ONLY"

DEFAULT_ORGANIZATION_ROLE = ORG_MEMBER
DEFAULT_PROJECT_ROLE = GROUP_READ_ONLY
# The roles whose last holder can never be removed or demoted.
ORGANIZATION_OWNER_ROLE = ORG_OWNER
PROJECT_OWNER_ROLE = GROUP_OWNER

_ALL_PROJECT = frozenset(PROJECT_PERMISSIONS)
_READ_PROJECT = frozenset({VIEW_PROJECT})

PROJECT_ROLES: dict[str, Role] = {
    role.name: role
    for role in [
        Role(
            GROUP_OWNER,
            "Project Owner",
            "Full administration of the project.",
            project_permissions=_ALL_PROJECT,
        ),
        Role(
            GROUP_CLUSTER_MANAGER,
            "Project Cluster Manager",
            "Create, change and delete the project's clusters.",
            project_permissions=_READ_PROJECT | {MANAGE_CLUSTERS},
        ),
        Role(
            GROUP_DATA_ACCESS_ADMIN,
            "Project Data Access Admin",
            "Manage database users and network access; read and write data.",
            project_permissions=_READ_PROJECT | {MANAGE_DATA_ACCESS, READ_WRITE_DATA, READ_DATA},
        ),
        Role(
            GROUP_DATA_ACCESS_READ_WRITE,
            "Project Data Access Read/Write",
            "Read and write the databases' data.",
            project_permissions=_READ_PROJECT | {READ_WRITE_DATA, READ_DATA},
        ),
        Role(
            GROUP_DATA_ACCESS_READ_ONLY,
            "Project Data Access Read Only",
            "Read the databases' data.",
            project_permissions=_READ_PROJECT | {READ_DATA},
        ),
        Role(
            GROUP_MONITORING_ADMIN,
            "Project Monitoring Admin",
            "Administer the project's monitoring groups.",
            project_permissions=_READ_PROJECT | {MANAGE_MONITORING},
        ),
        Role(
            GROUP_BACKUP_ADMIN,
            "Project Backup Manager",
            "Manage the project's backups.",
            project_permissions=_READ_PROJECT | {MANAGE_BACKUPS},
        ),
        Role(
            GROUP_USER_ADMIN,
            "Project User Admin",
            "Invite, remove and change the roles of the project's users and teams.",
            project_permissions=_READ_PROJECT | {MANAGE_PROJECT_MEMBERS},
        ),
        Role(GROUP_READ_ONLY, "Project Read Only", "Read the project.", project_permissions=_READ_PROJECT),
    ]
}

ORGANIZATION_ROLES: dict[str, Role] = {
    role.name: role
    for role in [
        Role(
            ORG_OWNER,
            "Organization Owner",
            "Full administration of the organization and owner power on all of its projects.",
            organization_permissions=frozenset(ORGANIZATION_PERMISSIONS),
            project_permissions=_ALL_PROJECT,
        ),
        Role(
            ORG_GROUP_CREATOR,
            "Organization Project Creator",
            "Create projects in the organization.",
            organization_permissions=frozenset({VIEW_ORGANIZATION, CREATE_PROJECT}),
        ),
        Role(
            ORG_BILLING_ADMIN,
            "Organization Billing Admin",
            "Manage the organization's billing.",
            organization_permissions=frozenset({VIEW_ORGANIZATION, VIEW_BILLING, MANAGE_BILLING}),
        ),
        Role(
            ORG_BILLING_READ_ONLY,
            "Organization Billing Viewer",
            "Read the organization's billing.",
            organization_permissions=frozenset({VIEW_ORGANIZATION, VIEW_BILLING}),
        ),
        Role(
            ORG_READ_ONLY,
            "Organization Read Only",
            "Read the organization, its billing and every one of its projects.",
            organization_permissions=frozenset({VIEW_ORGANIZATION, VIEW_BILLING}),
            project_permissions=_READ_PROJECT,
        ),
        Role(
            ORG_MEMBER,
            "Organization Member",
            "Read the organization's settings and users; reach only the projects it was added to.",
            organization_permissions=frozenset({VIEW_ORGANIZATION}),
        ),
    ]
}


def role_choices(catalogue: dict[str, Role]) -> list[tuple[str, str]]:
    """A catalogue's roles as a form's or a field's choices: (name, label), in the catalogue's order."""
    return [(role.name, role.label) for role in catalogue.values()]


ORGANIZATION_ROLE_CHOICES = role_choices(ORGANIZATION_ROLES)
PROJECT_ROLE_CHOICES = role_choices(PROJECT_ROLES)


def organization_permissions(role_names) -> set[str]:
    """What a set of organization roles may do on their organization."""
    return set().union(*(ORGANIZATION_ROLES[name].organization_permissions for name in role_names))


def project_permissions(project_role_names, organization_role_names=()) -> set[str]:
    """What a holder of these project roles (and these roles in the project's organization) may do on it."""
    direct = (PROJECT_ROLES[name].project_permissions for name in project_role_names)
    inherited = (ORGANIZATION_ROLES[name].project_permissions for name in organization_role_names)
    return set().union(*direct, *inherited)


def project_roles_with(permission: str) -> list[str]:
    """The project roles that carry ``permission`` (in the catalogue's order): who, among a project's own
    members and teams, may do it. Organization roles that carry it on every project are
    ``organization_roles_with_project(permission)``."""
    return [name for name, role in PROJECT_ROLES.items() if permission in role.project_permissions]


def organization_roles_with_project(permission: str) -> list[str]:
    """The organization roles that carry ``permission`` on every project of their organization."""
    return [name for name, role in ORGANIZATION_ROLES.items() if permission in role.project_permissions]


def organization_roles_reaching_projects() -> list[str]:
    """The organization roles that carry power on every project of their organization (inherited, so their
    holders are not listed among a project's members)."""
    return [name for name, role in ORGANIZATION_ROLES.items() if role.project_permissions]


def implied_project_role(organization_role: str) -> str | None:
    """The project role whose power an organization role carries on every project (Organization Owner: Project
    Owner; Organization Read Only: Project Read Only), or None."""
    carried = ORGANIZATION_ROLES[organization_role].project_permissions
    if not carried:
        return None
    return next(name for name, role in PROJECT_ROLES.items() if role.project_permissions == carried)


def label(role_name: str) -> str:
    """A role's name for people ("Organization Owner"), whichever catalogue it is in."""
    role = ORGANIZATION_ROLES.get(role_name) or PROJECT_ROLES.get(role_name)
    return role.label if role else role_name
