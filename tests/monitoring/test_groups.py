"""System groups follow clusters: one per eligible cluster, named by the system with the reserved prefix; made
with the cluster (or its move to an eligible tier), gone with it (or its move away); reconciled in bulk."""

import pytest
from django.core.management import call_command

from accounts.errors import ServiceError
from accounts.models import AuditEvent, Cluster
from accounts.services import cluster_delete, cluster_update
from monitoring.audit import Event as MonitoringEvent
from monitoring.models import NOT_ELIGIBLE_MESSAGE, MonitoringGroup, MonitoringGroupMembership
from monitoring.selectors import cluster_group
from monitoring.services import monitoring_groups_reconcile, monitoring_user_attach
from tests.factories import ClusterFactory

from .conftest import dedicated, sandbox, shared

pytestmark = pytest.mark.django_db
Tier = Cluster.Tier


def test_an_eligible_cluster_gets_one_group_named_with_the_reserved_prefix(project):
    cluster = dedicated(project, "prod")
    group = MonitoringGroup.objects.get()
    assert group.cluster == cluster
    assert group.project == project
    assert group.name == f"mongolab_prod_{cluster.public_id}"
    assert group.is_system
    event = AuditEvent.objects.get(event_type=MonitoringEvent.MONITORING_GROUP_CREATED)
    assert event.project_id == project.pk
    assert event.details["cluster"] == "prod"


@pytest.mark.parametrize("make", [sandbox, shared])
def test_sandbox_and_shared_clusters_are_not_eligible(project, make):
    cluster = make(project)
    assert not MonitoringGroup.objects.exists()
    with pytest.raises(ServiceError) as error:
        cluster_group(cluster)
    assert error.value.code == "NOT_ELIGIBLE"
    assert error.value.message == "Not available for Sandbox databases and Shared single-node servers"
    assert error.value.message == NOT_ELIGIBLE_MESSAGE
    assert error.value.status == 400


def test_a_cluster_that_becomes_eligible_gets_its_group_and_every_attached_user(organization, owner, project):
    cluster = shared(project)
    monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    monitoring_user_attach(organization=organization, username="bob@example.com", actor=owner)

    cluster_update(cluster=cluster, tier=Tier.DEDICATED, actor=None)

    group = cluster_group(Cluster.objects.get(pk=cluster.pk))
    assert sorted(m.monitoring_user.username for m in group.members) == ["ann@example.com", "bob@example.com"]
    assert {m.source for m in group.members} == {MonitoringGroupMembership.Source.ATTACHMENT}


@pytest.mark.parametrize("tier", [Tier.SHARED, Tier.SANDBOX])
def test_a_cluster_that_leaves_eligibility_loses_its_group(organization, owner, project, tier):
    cluster = dedicated(project)
    monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)

    cluster_update(cluster=cluster, tier=tier, actor=None)

    assert not MonitoringGroup.objects.exists()
    assert not MonitoringGroupMembership.objects.exists()
    event = AuditEvent.objects.get(event_type=MonitoringEvent.MONITORING_GROUP_DELETED)
    assert event.details["reason"] == "TIER_CHANGED"
    assert event.details["members"] == ["ann@example.com"]


def test_a_change_between_ineligible_tiers_or_of_sync_changes_no_group(project):
    cluster = shared(project)
    cluster_update(cluster=cluster, tier=Tier.SANDBOX, actor=None)
    assert not MonitoringGroup.objects.exists()
    cluster = dedicated(project, "d")
    group = cluster.monitoring_group
    cluster_update(cluster=cluster, sync_enabled=True, actor=None)
    assert MonitoringGroup.objects.get() == group


def test_a_deleted_cluster_loses_its_group(organization, owner, project):
    cluster = dedicated(project)
    monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    cluster_delete(cluster=cluster, actor=None)
    assert not MonitoringGroup.objects.exists()
    assert not MonitoringGroupMembership.objects.exists()
    assert AuditEvent.objects.filter(event_type=MonitoringEvent.MONITORING_GROUP_DELETED).exists()


def test_a_refused_cluster_creation_makes_no_group(project):
    from accounts.services import cluster_create
    from tests.factories import UserFactory

    with pytest.raises(ServiceError):
        cluster_create(project=project, name="x", actor=UserFactory())
    assert not MonitoringGroup.objects.exists()


def test_the_data_migration_gives_existing_eligible_clusters_their_groups(project):
    from importlib import import_module

    from django.apps import apps

    old = ClusterFactory(project=project, name="old", tier=Tier.DEDICATED)
    ClusterFactory(project=project, name="free", tier=Tier.SANDBOX)
    migration = import_module("monitoring.migrations.0002_groups_for_existing_clusters")

    migration.create_groups(apps, None)
    migration.create_groups(apps, None)

    assert list(MonitoringGroup.objects.values_list("name", flat=True)) == [f"mongolab_old_{old.public_id}"]


def test_reconcile_makes_groups_match_clusters_and_is_idempotent(organization, owner, project):
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    # Rows made outside the services (data from before the app): no hook ran.
    missing = ClusterFactory(project=project, name="old", tier=Tier.DEDICATED)
    demoted = dedicated(project, "demoted")
    Cluster.objects.filter(pk=demoted.pk).update(tier=Tier.SHARED)
    ClusterFactory(project=project, name="free", tier=Tier.SANDBOX)
    kept = dedicated(project, "kept")
    kept_group = kept.monitoring_group
    kept_group.memberships.all().delete()  # removed by hand: stays removed

    result = monitoring_groups_reconcile(organization=organization)

    assert result == {
        "created": [f"mongolab_old_{missing.public_id}"],
        "deleted": [f"mongolab_demoted_{demoted.public_id}"],
    }
    group = MonitoringGroup.objects.get(cluster=missing)
    assert list(group.memberships.values_list("attachment", flat=True)) == [attachment.pk]
    assert not kept_group.memberships.exists()
    assert sorted(MonitoringGroup.objects.values_list("cluster__name", flat=True)) == ["kept", "old"]
    assert monitoring_groups_reconcile(organization=organization) == {"created": [], "deleted": []}


def test_reconcile_command_covers_every_organization(organization, owner, project, capsys):
    ClusterFactory(project=project, name="old", tier=Tier.DEDICATED)
    call_command("monitoring_reconcile")
    assert MonitoringGroup.objects.filter(cluster__name="old").exists()
    assert "1 created, 0 deleted" in capsys.readouterr().out
    call_command("monitoring_reconcile", organization=organization.public_id)
    assert "0 created, 0 deleted" in capsys.readouterr().out


def test_the_demo_data_gets_its_groups_through_the_cluster_hook(settings):
    settings.DEBUG = True
    call_command("load_demo")
    eligible = Cluster.objects.filter(tier=Tier.DEDICATED)
    assert eligible.exists()
    assert MonitoringGroup.objects.filter(cluster__isnull=False).count() == eligible.count()
    assert not MonitoringGroup.objects.exclude(cluster__tier=Tier.DEDICATED).exists()
    from accounts.models import Organization

    for organization in Organization.objects.all():
        assert monitoring_groups_reconcile(organization=organization) == {"created": [], "deleted": []}
