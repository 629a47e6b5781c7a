"""A cluster as Atlas's clients read it: replicationSpecs[].regionConfigs[] (a sandbox or shared cluster on
Atlas's TENANT provider), paused, mongoDBVersion, connectionStrings; set by staff (the service, the admin), each
change checked and audited."""

import pytest
from django.urls import reverse

from accounts.errors import ServiceError
from accounts.models import AuditEvent, Cluster
from accounts.services import cluster_create, cluster_update

pytestmark = pytest.mark.django_db


def described(api, project, name):
    return api.get(f"/api/atlas/v2/groups/{project.public_id}/clusters/{name}").json()


def test_a_dedicated_cluster_reads_as_atlas_writes_it(api, project):
    cluster = cluster_create(
        project=project,
        name="Orders",
        provider_name="GCP",
        region_name="europe_west_1",
        instance_size="m30",
        mongodb_version="7.0",
        actor=None,
    )

    body = described(api, project, "Orders")

    assert body["replicationSpecs"] == [
        {
            "id": cluster.public_id,
            "zoneName": "Zone 1",
            "regionConfigs": [
                {
                    "providerName": "GCP",
                    "regionName": "EUROPE_WEST_1",
                    "priority": 7,
                    "electableSpecs": {"instanceSize": "M30", "nodeCount": 3},
                }
            ],
        }
    ]
    assert (body["paused"], body["mongoDBVersion"], body["stateName"]) == (False, "7.0", "IDLE")
    host = cluster.public_id[:6]
    assert body["connectionStrings"]["standardSrv"] == f"mongodb+srv://orders.{host}.mongodb.net"
    assert body["connectionStrings"]["standard"].startswith(
        f"mongodb://orders-shard-00-00.{host}.mongodb.net:27017,"
    )


def test_a_sandbox_is_an_m0_on_the_tenant_provider_backed_by_its_cloud(api, project):
    cluster_create(project=project, name="Free", tier=Cluster.Tier.SANDBOX, actor=None)

    [region] = described(api, project, "Free")["replicationSpecs"][0]["regionConfigs"]

    assert (region["providerName"], region["backingProviderName"]) == ("TENANT", "AWS")
    assert region["electableSpecs"]["instanceSize"] == "M0"


def test_a_change_is_checked_saved_and_audited(project):
    cluster = cluster_create(project=project, name="Orders", actor=None)

    cluster_update(cluster=cluster, paused=True, region_name="US_WEST_2", actor=None)

    cluster.refresh_from_db()
    assert (cluster.paused, cluster.region_name) == (True, "US_WEST_2")
    event = AuditEvent.objects.filter(event_type="CLUSTER_UPDATED").latest("id")
    assert event.details == {
        "paused": {"from": False, "to": True},
        "regionName": {"from": "US_EAST_1", "to": "US_WEST_2"},
    }
    for wrong in ({"provider_name": "IBM"}, {"region_name": "us-east-1"}, {"instance_size": "huge"}):
        with pytest.raises(ServiceError) as refused:
            cluster_update(cluster=cluster, actor=None, **wrong)
        assert refused.value.parameters["field"] == next(iter(wrong))
    cluster.refresh_from_db()
    assert (cluster.provider_name, cluster.region_name, cluster.instance_size) == ("AWS", "US_WEST_2", "")


def test_staff_set_the_description_in_the_admin(admin_client, project):
    cluster = cluster_create(project=project, name="Orders", actor=None)
    url = reverse("admin:accounts_cluster_change", args=[cluster.pk])
    form = {
        "tier": "DEDICATED",
        "provider_name": "AZURE",
        "region_name": "EUROPE_NORTH",
        "instance_size": "M40",
        "mongodb_version": "8.0",
        "paused": "on",
    }

    response = admin_client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    cluster.refresh_from_db()
    assert (cluster.provider_name, cluster.instance_size, cluster.paused) == ("AZURE", "M40", True)
    refused = admin_client.post(url, {**form, "region_name": "eu west"})
    assert refused.status_code == 200 and "region_name" in refused.content.decode()


def test_the_schema_says_backing_provider_may_be_absent():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    region = schema["components"]["schemas"]["RegionConfig"]
    assert "backingProviderName" in region["properties"]
    assert "backingProviderName" not in region.get("required", [])
