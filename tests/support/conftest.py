"""Fixtures of the support tests: a support engineer, an organization that blocks support, its clusters, and a
project owner who is not an organization owner."""

import pytest
from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import Cluster
from accounts.services import cluster_create, organization_member_add, project_member_add
from support.models import SUPPORT_GROUP_NAME
from support.services import support_access_restrict_set
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.PORTAL_BASE_URL = "https://portal.example.com"


@pytest.fixture
def support_group(db):
    return Group.objects.get_or_create(name=SUPPORT_GROUP_NAME)[0]


@pytest.fixture
def engineer(support_group):
    """A support engineer: a staff user in the Support group."""
    user = UserFactory(email="tse@provider.example", is_staff=True, totp=True)
    user.groups.add(support_group)
    return user


@pytest.fixture
def blocked(organization, owner):
    """The organization, blocking support access."""
    support_access_restrict_set(organization=organization, restrict=True, actor=owner)
    return organization


@pytest.fixture
def cluster(project):
    return cluster_create(project=project, name="Cluster0", tier=Cluster.Tier.DEDICATED, actor=None)


@pytest.fixture
def sync_cluster(project):
    return cluster_create(project=project, name="Synced", sync_enabled=True, actor=None)


@pytest.fixture
def group_owner(organization, owner, project):
    """A Project Owner of the project who is only an Organization Member."""
    person = UserFactory(email="project.owner@example.com")
    organization_member_add(organization=organization, user=person, actor=owner)
    project_member_add(project=project, user=person, roles=[roles.GROUP_OWNER], actor=owner)
    return person


@pytest.fixture
def reader(organization, owner, project):
    person = UserFactory(email="reader@example.com")
    organization_member_add(organization=organization, user=person, actor=owner)
    project_member_add(project=project, user=person, roles=[roles.GROUP_READ_ONLY], actor=owner)
    return person
