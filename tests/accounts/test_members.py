"""Organization and project members: add, remove, change roles; the last owner stays; no escalation."""

import pytest
from django.contrib.auth import get_user_model

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEvent, OrganizationMembership, ProjectMembership, TeamMembership
from accounts.services import (
    organization_create,
    organization_member_add,
    organization_member_remove,
    organization_member_roles_set,
    project_create,
    project_member_add,
    project_member_remove,
    project_member_roles_set,
    team_create,
    team_project_assign,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    """Django caches permissions on the user object; ask a fresh one."""
    return get_user_model().objects.get(pk=user.pk)


def test_added_member_gets_roles_and_an_audit_event(organization, owner):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, roles=[roles.ORG_READ_ONLY], actor=owner)

    membership = OrganizationMembership.objects.get(organization=organization, user=member)
    assert membership.role_names == [roles.ORG_READ_ONLY]
    event = AuditEvent.objects.get(event_type="JOINED_ORG", target_id=member.public_id)
    assert event.actor == owner
    assert event.details == {"roles": [roles.ORG_READ_ONLY]}


def test_unknown_or_empty_roles_are_refused(organization, owner):
    member = UserFactory()
    for bad in ([], ["ORG_EMPEROR"], ["GROUP_OWNER"]):
        with pytest.raises(ServiceError) as error:
            organization_member_add(organization=organization, user=member, roles=bad, actor=owner)
        assert error.value.code == "INVALID_ROLE"
    assert not OrganizationMembership.objects.filter(user=member).exists()


def test_managing_organization_users_needs_org_owner(organization, owner):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, roles=[roles.ORG_READ_ONLY], actor=owner)
    with pytest.raises(ServiceError) as error:
        organization_member_add(organization=organization, user=UserFactory(), actor=member)
    assert error.value.code == "USER_UNAUTHORIZED"
    assert error.value.status == 403


def test_adding_someone_twice_is_refused(organization, owner):
    with pytest.raises(ServiceError) as error:
        organization_member_add(organization=organization, user=owner, actor=owner)
    assert error.value.code == "USER_ALREADY_IN_ORG"


def test_last_org_owner_cannot_be_removed_or_demoted(organization, owner):
    with pytest.raises(ServiceError) as error:
        organization_member_remove(organization=organization, user=owner, actor=owner)
    assert error.value.code == "CANNOT_REMOVE_LAST_ORG_OWNER"

    with pytest.raises(ServiceError) as error:
        organization_member_roles_set(
            organization=organization, user=owner, roles=[roles.ORG_MEMBER], actor=owner
        )
    assert error.value.code == "CANNOT_REMOVE_LAST_ORG_OWNER"
    assert "demoted" in error.value.message
    assert OrganizationMembership.objects.get(user=owner).role_names == [roles.ORG_OWNER]


def test_an_owner_can_leave_once_another_owner_exists(organization, owner):
    second = UserFactory()
    organization_member_add(organization=organization, user=second, roles=[roles.ORG_OWNER], actor=owner)
    organization_member_roles_set(
        organization=organization, user=owner, roles=[roles.ORG_MEMBER], actor=second
    )
    assert not fresh(owner).has_perm("accounts.manage_teams", organization)


def test_removing_from_organization_drops_teams_and_project_roles(organization, project, owner):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    project_member_add(project=project, user=member, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner)
    team = team_create(organization=organization, name="Ops", actor=owner, members=[member])
    team_project_assign(team=team, project=project, roles=[roles.GROUP_DATA_ACCESS_ADMIN], actor=owner)
    assert fresh(member).has_perm("accounts.manage_data_access", project)

    removed = organization_member_remove(organization=organization, user=member, actor=owner)

    assert removed == {
        "roles": [roles.ORG_MEMBER], "projects": [project.name], "teams": ["Ops"], "invitations": []
    }
    assert not ProjectMembership.objects.filter(user=member).exists()
    assert not TeamMembership.objects.filter(user=member).exists()
    assert not fresh(member).groups.exists()
    member = fresh(member)
    for permission in ("view_project", "manage_clusters", "manage_data_access"):
        assert not member.has_perm(f"accounts.{permission}", project)
    assert not member.has_perm("accounts.view_organization", organization)
    assert AuditEvent.objects.filter(event_type="REMOVED_FROM_ORG", target_id=member.public_id).exists()


def test_sole_project_owner_cannot_be_removed_from_the_organization(organization, owner):
    second_owner = UserFactory()
    organization_member_add(
        organization=organization, user=second_owner, roles=[roles.ORG_OWNER], actor=owner
    )
    project_create(organization=organization, name="Owned by first", actor=owner)

    with pytest.raises(ServiceError) as error:
        organization_member_remove(organization=organization, user=owner, actor=second_owner)
    assert error.value.code == "CANNOT_REMOVE_LAST_GROUP_OWNER"
    assert "Owned by first" in error.value.message
    assert OrganizationMembership.objects.filter(user=owner).exists()


def test_adding_an_outsider_to_a_project_adds_them_to_the_organization(organization, project, owner):
    outsider = UserFactory()
    project_member_add(project=project, user=outsider, actor=owner)

    assert OrganizationMembership.objects.get(organization=organization, user=outsider).role_names == [
        roles.ORG_MEMBER
    ]
    assert ProjectMembership.objects.get(project=project, user=outsider).role_names == [roles.GROUP_READ_ONLY]
    types = set(AuditEvent.objects.filter(target_id=outsider.public_id).values_list("event_type", flat=True))
    assert types == {"JOINED_ORG", "JOINED_GROUP"}


def test_org_member_sees_only_projects_it_was_added_to(organization, project, owner):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    other_project = project_create(organization=organization, name="Hidden", actor=owner)
    project_member_add(project=project, user=member, actor=owner)

    member = fresh(member)
    assert member.has_perm("accounts.view_project", project)
    assert not member.has_perm("accounts.view_project", other_project)


def test_managing_project_users_needs_group_owner_or_user_admin(organization, project, owner):
    user_admin, reader, newcomer = UserFactory(), UserFactory(), UserFactory()
    project_member_add(project=project, user=user_admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    project_member_add(project=project, user=reader, actor=owner)

    with pytest.raises(ServiceError) as error:
        project_member_add(project=project, user=newcomer, actor=reader)
    assert error.value.code == "USER_UNAUTHORIZED"

    project_member_add(project=project, user=newcomer, roles=[roles.GROUP_READ_ONLY], actor=user_admin)
    assert ProjectMembership.objects.filter(project=project, user=newcomer).exists()


def test_nobody_grants_a_role_that_carries_more_than_they_hold(project, owner):
    """Sentry's rule: a User Admin does not read data, so cannot hand out data access either."""
    user_admin = UserFactory()
    project_member_add(project=project, user=user_admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    with pytest.raises(ServiceError) as error:
        project_member_add(
            project=project, user=UserFactory(), roles=[roles.GROUP_DATA_ACCESS_READ_ONLY], actor=user_admin
        )
    assert error.value.code == "ROLE_ESCALATION"
    assert "read_data" in error.value.message


def test_user_admin_cannot_make_a_project_owner(project, owner):
    user_admin, member = UserFactory(), UserFactory()
    project_member_add(project=project, user=user_admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    project_member_add(project=project, user=member, actor=owner)

    with pytest.raises(ServiceError) as error:
        project_member_roles_set(project=project, user=member, roles=[roles.GROUP_OWNER], actor=user_admin)
    assert error.value.code == "ROLE_ESCALATION"
    with pytest.raises(ServiceError):
        project_member_add(project=project, user=UserFactory(), roles=[roles.GROUP_OWNER], actor=user_admin)
    # Nor demote or remove someone holding more than they do.
    with pytest.raises(ServiceError) as error:
        project_member_remove(project=project, user=owner, actor=user_admin)
    assert error.value.code == "ROLE_ESCALATION"
    assert ProjectMembership.objects.get(project=project, user=member).role_names == [roles.GROUP_READ_ONLY]


def test_last_group_owner_cannot_be_removed_or_demoted(project, owner):
    with pytest.raises(ServiceError) as error:
        project_member_remove(project=project, user=owner, actor=owner)
    assert error.value.code == "CANNOT_REMOVE_LAST_GROUP_OWNER"
    with pytest.raises(ServiceError) as error:
        project_member_roles_set(project=project, user=owner, roles=[roles.GROUP_READ_ONLY], actor=owner)
    assert error.value.code == "CANNOT_REMOVE_LAST_GROUP_OWNER"

    second = UserFactory()
    project_member_add(project=project, user=second, roles=[roles.GROUP_OWNER], actor=owner)
    project_member_remove(project=project, user=owner, actor=second)
    assert not ProjectMembership.objects.filter(project=project, user=owner).exists()


def test_role_change_is_audited_with_before_and_after(project, owner):
    member = UserFactory()
    project_member_add(project=project, user=member, actor=owner)
    project_member_roles_set(
        project=project, user=member, roles=[roles.GROUP_CLUSTER_MANAGER, roles.GROUP_READ_ONLY], actor=owner
    )

    event = AuditEvent.objects.get(event_type="USER_ROLES_CHANGED_AUDIT", target_id=member.public_id)
    assert event.details == {
        "from": [roles.GROUP_READ_ONLY],
        "to": [roles.GROUP_CLUSTER_MANAGER, roles.GROUP_READ_ONLY],
    }
    assert fresh(member).has_perm("accounts.manage_clusters", project)


def test_a_refusal_changes_nothing(organization, owner):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError):
        organization_member_roles_set(organization=organization, user=member, roles=["BOGUS"], actor=owner)
    assert AuditEvent.objects.count() == before
    assert OrganizationMembership.objects.get(user=member).role_names == [roles.ORG_MEMBER]


def test_member_of_another_organization_learns_nothing(organization, owner):
    stranger = UserFactory()
    organization_create(name="Elsewhere", actor=stranger)
    with pytest.raises(ServiceError) as error:
        organization_member_remove(organization=organization, user=owner, actor=stranger)
    assert error.value.code == "RESOURCE_NOT_FOUND"


def test_add_and_remove_one_role_keep_the_others(organization, owner):
    from accounts.services import organization_member_role_add, organization_member_role_remove

    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    organization_member_role_add(
        organization=organization, user=member, role=roles.ORG_READ_ONLY, actor=owner
    )
    assert OrganizationMembership.objects.get(user=member).role_names == [
        roles.ORG_MEMBER,
        roles.ORG_READ_ONLY,
    ]
    organization_member_role_remove(
        organization=organization, user=member, role=roles.ORG_MEMBER, actor=owner
    )
    assert OrganizationMembership.objects.get(user=member).role_names == [roles.ORG_READ_ONLY]
    with pytest.raises(ServiceError) as error:
        organization_member_role_remove(
            organization=organization, user=member, role=roles.ORG_READ_ONLY, actor=owner
        )
    assert error.value.code == "INVALID_ROLE"  # a member keeps at least one role


def test_member_update_is_all_or_nothing(organization, project, owner):
    from accounts.services import organization_member_update

    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    team = team_create(organization=organization, name="Ops", actor=owner)
    with pytest.raises(ServiceError) as error:
        organization_member_update(
            organization=organization,
            user=member,
            actor=owner,
            roles=[roles.ORG_READ_ONLY],
            group_role_assignments=[{"groupId": project.public_id, "roles": ["GROUP_WIZARD"]}],
            teams=[team],
        )
    assert error.value.code == "INVALID_ROLE"
    assert OrganizationMembership.objects.get(user=member).role_names == [roles.ORG_MEMBER]
    assert not ProjectMembership.objects.filter(user=member).exists()

    organization_member_update(
        organization=organization,
        user=member,
        actor=owner,
        roles=[roles.ORG_READ_ONLY],
        group_role_assignments=[{"groupId": project.public_id, "roles": [roles.GROUP_CLUSTER_MANAGER]}],
        teams=[team],
    )
    assert ProjectMembership.objects.get(user=member).role_names == [roles.GROUP_CLUSTER_MANAGER]
    assert TeamMembership.objects.filter(user=member, team=team).exists()
