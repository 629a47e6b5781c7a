"""The role catalogue answers "who": which roles carry a permission, in a project and from an organization."""

from accounts import roles


def test_the_roles_that_administer_monitoring():
    assert roles.project_roles_with(roles.MANAGE_MONITORING) == [roles.GROUP_OWNER, roles.GROUP_MONITORING_ADMIN]
    assert roles.organization_roles_with_project(roles.MANAGE_MONITORING) == [roles.ORG_OWNER]


def test_every_project_role_carries_the_view_and_only_owners_manage_members_from_the_organization():
    assert roles.project_roles_with(roles.VIEW_PROJECT) == list(roles.PROJECT_ROLES)
    assert roles.project_roles_with(roles.MANAGE_PROJECT_MEMBERS) == [roles.GROUP_OWNER, roles.GROUP_USER_ADMIN]
    assert roles.organization_roles_with_project(roles.VIEW_PROJECT) == [roles.ORG_OWNER, roles.ORG_READ_ONLY]
    assert roles.organization_roles_with_project(roles.MANAGE_PROJECT_MEMBERS) == [roles.ORG_OWNER]


def test_the_monitoring_group_admins_come_from_the_catalogue():
    from monitoring.services.notifications import GROUP_ADMIN_PROJECT_ROLES

    assert tuple(roles.project_roles_with(roles.MANAGE_MONITORING)) == GROUP_ADMIN_PROJECT_ROLES
