"""``lock_organization_for``: how a write service starts. The organization of the scope is locked, then the
permission is checked on the scope itself (an organization, or a project of it); an outsider learns nothing."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.errors import ServiceError
from accounts.services import organization_member_add
from accounts.services.locks import lock_organization_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_owner_gets_the_locked_organization_for_the_organization_and_for_its_project(
    owner, organization, project
):
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked = lock_organization_for(owner, roles.MANAGE_ORGANIZATION_MEMBERS, organization)
        through_project = lock_organization_for(owner, roles.MANAGE_PROJECT_MEMBERS, project)
    assert locked.pk == through_project.pk == organization.pk
    assert locked is not organization  # read again, under the lock
    locks = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "accounts_organization"')]
    assert len(locks) == 2
    if connection.features.has_select_for_update:
        assert all("FOR UPDATE" in sql for sql in locks)


def test_the_permission_is_checked_on_the_project_not_only_the_organization(owner, organization, project):
    """A plain member of the organization sees the organization but holds nothing on the project: refused with
    not found (they cannot see the project), and never with the organization's answer."""
    member = UserFactory()
    organization_member_add(organization=organization, user=member, roles=[roles.ORG_MEMBER], actor=owner)
    with pytest.raises(ServiceError) as refused, transaction.atomic():
        lock_organization_for(member, roles.MANAGE_PROJECT_MEMBERS, project)
    assert refused.value.code == "RESOURCE_NOT_FOUND"
    with pytest.raises(ServiceError) as refused, transaction.atomic():
        lock_organization_for(member, roles.MANAGE_ORGANIZATION_MEMBERS, organization)
    assert refused.value.code == "USER_UNAUTHORIZED"  # they see it, but may not manage it


def test_an_outsider_learns_nothing(organization, project):
    outsider = UserFactory()
    for permission, scope in (
        (roles.MANAGE_ORGANIZATION_MEMBERS, organization),
        (roles.MANAGE_PROJECT_MEMBERS, project),
    ):
        with pytest.raises(ServiceError) as refused, transaction.atomic():
            lock_organization_for(outsider, permission, scope)
        assert refused.value.code == "RESOURCE_NOT_FOUND"
