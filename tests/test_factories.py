"""The factories make their rows through the services: the role rows, permissions, audit events and encrypted
secrets a test then sees are the ones the application makes."""

import pytest

from accounts import roles
from accounts.models import AuditEvent, OrganizationMembership, ProjectMembership
from accounts.services.api_keys import api_key_ha1
from tests.factories import (
    ApiKeyFactory,
    ClusterFactory,
    MemberFactory,
    OrganizationFactory,
    OrganizationMembershipFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    TeamFactory,
    TeamProjectAssignmentFactory,
    UserFactory,
    owner_of,
)

pytestmark = pytest.mark.django_db


def test_an_organization_has_its_owner_membership_and_events():
    organization = OrganizationFactory()

    (membership,) = OrganizationMembership.objects.filter(organization=organization)
    assert membership.role_names == [roles.ORG_OWNER]
    assert owner_of(organization) == membership.user
    assert set(AuditEvent.objects.filter(organization=organization).values_list("event_type", flat=True)) == {
        "ORG_CREATED",
        "JOINED_ORG",
    }


def test_a_project_is_owned_by_the_organizations_owner_unless_an_actor_is_given():
    project = ProjectFactory()
    owner = owner_of(project.organization)

    assert ProjectMembership.objects.get(project=project).user == owner
    assert owner.has_perm(f"accounts.{roles.MANAGE_CLUSTERS}", project)


def test_a_member_holds_the_roles_given_and_reaches_the_project_given():
    project = ProjectFactory()
    organization = project.organization

    pat = MemberFactory(
        organization=organization,
        roles=[roles.ORG_READ_ONLY],
        project=project,
        project_roles=[roles.GROUP_OWNER],
    )
    plain = MemberFactory(organization=organization, email="plain@example.com")

    assert OrganizationMembership.objects.get(organization=organization, user=pat).role_names == [
        roles.ORG_READ_ONLY
    ]
    assert ProjectMembership.objects.get(project=project, user=pat).role_names == [roles.GROUP_OWNER]
    assert plain.email == "plain@example.com"
    assert OrganizationMembership.objects.get(organization=organization, user=plain).role_names == [
        roles.ORG_MEMBER
    ]
    assert not ProjectMembership.objects.filter(user=plain).exists()
    joined = AuditEvent.objects.get(event_type="JOINED_ORG", organization=organization, target_name=pat.email)
    assert joined.actor == owner_of(organization)


def test_memberships_and_teams_are_made_by_the_services():
    project = ProjectFactory()
    organization = project.organization
    user = UserFactory()

    membership = OrganizationMembershipFactory(organization=organization, user=user, roles=[roles.ORG_OWNER])
    project_membership = ProjectMembershipFactory(project=project, user=UserFactory())
    team = TeamFactory(organization=organization, members=[user])
    assignment = TeamProjectAssignmentFactory(
        team=team, project=project, roles=[roles.GROUP_DATA_ACCESS_ADMIN]
    )

    assert membership.role_names == [roles.ORG_OWNER]
    assert project_membership.role_names == [roles.GROUP_READ_ONLY]
    assert [m.user for m in team.memberships.all()] == [user]
    assert assignment.project == project
    assert AuditEvent.objects.filter(event_type="TEAM_CREATED", organization=organization).exists()


def test_an_api_key_has_encrypted_secrets_and_its_private_key():
    api_key = ApiKeyFactory(roles=[roles.ORG_READ_ONLY])

    assert len(api_key.private_key) == 36
    assert api_key.private_key not in api_key.ha1_md5_encrypted
    assert api_key_ha1(api_key, "MD5")
    assert OrganizationMembership.objects.get(user=api_key.user).role_names == [roles.ORG_READ_ONLY]


def test_a_cluster_is_a_bare_row_in_a_project():
    cluster = ClusterFactory()

    assert cluster.project.organization
    assert not AuditEvent.objects.filter(event_type="CLUSTER_CREATED").exists()


def test_service_made_rows_cannot_be_built_without_the_service():
    with pytest.raises(TypeError):
        OrganizationFactory.build()
