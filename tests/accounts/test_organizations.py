"""organization_create / rename / delete, project_create / rename / delete."""

import pytest

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Organization, OrganizationMembership, Project, ProjectMembership
from accounts.services import (
    cluster_create,
    organization_create,
    organization_delete,
    organization_member_add,
    organization_rename,
    project_create,
    project_delete,
    project_rename,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_organization_creator_becomes_its_owner(owner):
    organization = organization_create(name="Initech", actor=owner)

    membership = OrganizationMembership.objects.get(organization=organization, user=owner)
    assert membership.role_names == [roles.ORG_OWNER]
    assert owner.has_perm("accounts.manage_teams", organization)
    events = AuditEvent.objects.filter(organization=organization).values_list("event_type", flat=True)
    assert set(events) == {"ORG_CREATED", "JOINED_ORG"}


def test_public_ids_are_random_24_hex(owner):
    first = organization_create(name="A", actor=owner)
    second = organization_create(name="B", actor=owner)
    for organization in (first, second):
        assert len(organization.public_id) == 24
        int(organization.public_id, 16)
    assert first.public_id != second.public_id


def test_organization_name_must_not_be_blank(owner):
    with pytest.raises(ServiceError) as error:
        organization_create(name="   ", actor=owner)
    assert error.value.code == "VALIDATION_ERROR"
    assert not Organization.objects.exists()


def test_only_an_owner_renames_the_organization(organization, owner):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)

    with pytest.raises(ServiceError) as error:
        organization_rename(organization=organization, name="Taken over", actor=member)
    assert error.value.code == "USER_UNAUTHORIZED"

    organization_rename(organization=organization, name="Acme Inc", actor=owner)
    organization.refresh_from_db()
    assert organization.name == "Acme Inc"
    assert AuditEvent.objects.filter(event_type="ORG_RENAMED", details__to="Acme Inc").exists()


def test_organization_with_projects_cannot_be_deleted(organization, project, owner):
    with pytest.raises(ServiceError) as error:
        organization_delete(organization=organization, actor=owner)
    assert error.value.code == "ORG_NOT_EMPTY"
    assert Organization.objects.filter(pk=organization.pk).exists()

    project_delete(project=project, actor=owner)
    organization_delete(organization=organization, actor=owner)
    assert not Organization.objects.filter(pk=organization.pk).exists()
    # The audit trail outlives what it speaks of.
    assert AuditEvent.objects.filter(event_type="ORG_DELETED", organization_id=organization.pk).exists()


def test_project_creator_becomes_group_owner(organization, owner):
    project = project_create(organization=organization, name="Analytics", actor=owner)

    membership = ProjectMembership.objects.get(project=project, user=owner)
    assert membership.role_names == [roles.GROUP_OWNER]
    assert AuditEvent.objects.filter(project=project, event_type="GROUP_CREATED").exists()


def test_project_creation_needs_owner_or_project_creator(organization, owner):
    member = UserFactory()
    creator = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    organization_member_add(
        organization=organization, user=creator, roles=[roles.ORG_GROUP_CREATOR], actor=owner
    )

    with pytest.raises(ServiceError) as error:
        project_create(organization=organization, name="Sneaky", actor=member)
    assert error.value.code == "NOT_ORG_GROUP_CREATOR"

    project = project_create(organization=organization, name="Allowed", actor=creator)
    assert ProjectMembership.objects.get(project=project, user=creator).role_names == [roles.GROUP_OWNER]


def test_stranger_cannot_learn_that_an_organization_exists(organization):
    stranger = UserFactory()
    with pytest.raises(ServiceError) as error:
        project_create(organization=organization, name="Nope", actor=stranger)
    assert error.value.code == "RESOURCE_NOT_FOUND"
    assert error.value.status == 404


def test_project_names_are_unique_within_an_organization(organization, project, owner):
    with pytest.raises(ServiceError) as error:
        project_create(organization=organization, name=project.name, actor=owner)
    assert error.value.code == "GROUP_ALREADY_EXISTS"
    assert error.value.status == 409

    other = organization_create(name="Other", actor=owner)
    assert project_create(organization=other, name=project.name, actor=owner).name == project.name

    second = project_create(organization=organization, name="Staging", actor=owner)
    with pytest.raises(ServiceError):
        project_rename(project=second, name=project.name, actor=owner)


def test_project_with_clusters_cannot_be_deleted(project, owner):
    cluster_create(project=project, name="Cluster0", actor=owner)
    with pytest.raises(ServiceError) as error:
        project_delete(project=project, actor=owner)
    assert error.value.code == "GROUP_NOT_EMPTY"
    assert Project.objects.filter(pk=project.pk).exists()


def test_naming_an_outsider_as_project_owner_is_refused(organization, owner):
    outsider = UserFactory()
    with pytest.raises(ServiceError) as error:
        project_create(organization=organization, name="P", actor=owner, owner=outsider)
    assert error.value.code == "USER_NOT_IN_ORG"
    assert not Project.objects.filter(name="P").exists()
    assert not OrganizationMembership.objects.filter(user=outsider).exists()
