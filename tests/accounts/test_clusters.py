"""cluster_create / update / delete."""

import pytest

from accounts.errors import ServiceError
from accounts.models import AuditEvent, Cluster
from accounts.services import cluster_create, cluster_delete, cluster_update, project_member_add
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_cluster_names_are_unique_within_a_project(project, owner):
    cluster_create(project=project, name="Cluster0", actor=owner)
    with pytest.raises(ServiceError) as error:
        cluster_create(project=project, name="Cluster0", actor=owner)
    assert error.value.code == "CLUSTER_ALREADY_EXISTS"


@pytest.mark.parametrize("name", ["", "has space", "-leading", "x" * 65, "émoji"])
def test_bad_cluster_names_are_refused(project, owner, name):
    with pytest.raises(ServiceError) as error:
        cluster_create(project=project, name=name, actor=owner)
    assert error.value.code == "VALIDATION_ERROR"
    assert not Cluster.objects.exists()


def test_unknown_tier_is_refused(project, owner):
    with pytest.raises(ServiceError) as error:
        cluster_create(project=project, name="c", tier="GIGANTIC", actor=owner)
    assert "GIGANTIC" in error.value.message


def test_managing_clusters_needs_the_cluster_manager_power(project, owner):
    reader = UserFactory()
    project_member_add(project=project, user=reader, actor=owner)
    with pytest.raises(ServiceError) as error:
        cluster_create(project=project, name="c", actor=reader)
    assert error.value.code == "USER_UNAUTHORIZED"


def test_tier_change_is_audited(project, owner):
    cluster = cluster_create(project=project, name="c", tier=Cluster.Tier.SANDBOX, actor=owner)
    cluster_update(cluster=cluster, tier=Cluster.Tier.DEDICATED, sync_enabled=True, actor=owner)

    event = AuditEvent.objects.get(event_type="CLUSTER_UPDATED")
    assert event.details == {
        "tier": {"from": "SANDBOX", "to": "DEDICATED"},
        "syncEnabled": {"from": False, "to": True},
    }
    cluster_delete(cluster=cluster, actor=owner)
    assert not Cluster.objects.exists()
