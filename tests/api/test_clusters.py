"""/groups/{groupId}/clusters over the session and over HTTP Digest."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework import serializers
from rest_framework.test import APIClient

from accounts import roles
from accounts.api import clusters as clusters_api
from accounts.api.clusters import ClusterExtras
from accounts.models import ApiKey, Cluster
from accounts.services import (
    cluster_create,
    organization_create,
    organization_member_add,
    project_create,
    project_member_add,
)
from accounts.services.api_keys import api_key_project_assign
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MISSING_ID = "0123456789abcdef01234567"


def clusters_url(project, name=""):
    return f"/api/atlas/v2/groups/{project.public_id}/clusters" + (f"/{name}" if name else "")


def foreign_project():
    stranger = UserFactory()
    organization = organization_create(name="Foreign", actor=stranger)
    return project_create(organization=organization, name="Theirs", actor=stranger)


def test_list_describes_the_projects_clusters_by_name(api, project):
    cluster_create(project=project, name="Zeta", tier=Cluster.Tier.SANDBOX, actor=None)
    alpha = cluster_create(project=project, name="Alpha", actor=None)

    body = api.get(clusters_url(project)).json()

    assert body["totalCount"] == 2
    assert [c["name"] for c in body["results"]] == ["Alpha", "Zeta"]
    first = body["results"][0]
    assert first["id"] == alpha.public_id
    assert first["groupId"] == project.public_id
    assert first["clusterType"] == "REPLICASET"
    assert first["stateName"] == "IDLE"
    assert first["tier"] == "DEDICATED"
    assert body["results"][1]["tier"] == "SANDBOX"
    assert first["createDate"].endswith("Z")
    assert first["links"][0]["href"].endswith(f"/api/atlas/v2/groups/{project.public_id}/clusters/Alpha")


def test_list_costs_the_same_queries_for_2_and_20(api, project):
    def count():
        api.get(clusters_url(project))  # warm Django's per-process caches (content types)
        with CaptureQueriesContext(connection) as queries:
            response = api.get(clusters_url(project))
        assert response.status_code == 200
        return len(queries), response.json()["totalCount"]

    for i in range(2):
        cluster_create(project=project, name=f"c{i:03}", actor=None)
    two, total = count()
    assert total == 2
    for i in range(2, 20):
        cluster_create(project=project, name=f"c{i:03}", actor=None)
    twenty, total = count()
    assert total == 20
    assert twenty == two


def test_get_one_cluster(api, project):
    cluster = cluster_create(project=project, name="Cluster0", tier=Cluster.Tier.SHARED, actor=None)
    response = api.get(clusters_url(project, "Cluster0"))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == cluster.public_id
    assert body["name"] == "Cluster0"
    assert body["tier"] == "SHARED"


def test_employee_access_grant_is_absent_while_there_is_none(api, project):
    """Atlas shows mongoDBEmployeeAccessGrant only while a grant is active; there is no grant yet."""
    cluster_create(project=project, name="Cluster0", actor=None)
    assert "mongoDBEmployeeAccessGrant" not in api.get(clusters_url(project, "Cluster0")).json()
    assert "mongoDBEmployeeAccessGrant" not in api.get(clusters_url(project)).json()["results"][0]


def test_an_apps_cluster_extras_appear_in_the_cluster_json(api, project, monkeypatch):
    """The hook support fills in (``mongoDBEmployeeAccessGrant``): an app adds fields to a cluster's JSON, in
    its own shape, present only when it has a value for the cluster, without accounts knowing the app."""
    cluster_create(project=project, name="Cluster0", actor=None)
    cluster_create(project=project, name="Cluster1", actor=None)
    extras = ClusterExtras(
        fields={"backupWindow": serializers.DateTimeField(required=False)},
        prefetch=lambda clusters: clusters,
        represent=lambda cluster: {"backupWindow": cluster.created_at} if cluster.name == "Cluster0" else {},
    )
    monkeypatch.setattr(clusters_api, "CLUSTER_EXTRAS", [*clusters_api.CLUSTER_EXTRAS, extras])

    assert api.get(clusters_url(project, "Cluster0")).json()["backupWindow"].endswith("Z")
    listed = api.get(clusters_url(project)).json()["results"]
    assert [("backupWindow" in cluster) for cluster in listed] == [True, False]


def test_missing_cluster_is_a_404(api, project):
    response = api.get(clusters_url(project, "Nope"))
    assert response.status_code == 404
    assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"


def test_cluster_of_another_project_is_a_404(api, organization, owner, project):
    other = project_create(organization=organization, name="Other", actor=owner)
    cluster_create(project=other, name="Elsewhere", actor=None)
    assert api.get(clusters_url(project, "Elsewhere")).status_code == 404


def test_foreign_project_clusters_are_a_404_like_a_missing_project(api):
    foreign = foreign_project()
    cluster_create(project=foreign, name="Cluster0", actor=None)
    for path in ("/clusters", "/clusters/Cluster0"):
        other = api.get(f"/api/atlas/v2/groups/{foreign.public_id}{path}")
        missing = api.get(f"/api/atlas/v2/groups/{MISSING_ID}{path}")
        assert other.status_code == missing.status_code == 404
        assert other.json()["errorCode"] == missing.json()["errorCode"] == "RESOURCE_NOT_FOUND"


def test_org_member_not_in_the_project_gets_a_404(organization, owner, project):
    cluster_create(project=project, name="Cluster0", actor=None)
    person = UserFactory()
    organization_member_add(organization=organization, user=person, actor=owner)
    client = APIClient()
    client.force_login(person)
    assert client.get(clusters_url(project)).status_code == 404
    assert client.get(clusters_url(project, "Cluster0")).status_code == 404


def test_project_read_only_member_reads_clusters(organization, owner, project):
    cluster_create(project=project, name="Cluster0", actor=None)
    reader = UserFactory()
    project_member_add(project=project, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    client = APIClient()
    client.force_login(reader)
    assert [c["name"] for c in client.get(clusters_url(project)).json()["results"]] == ["Cluster0"]


def test_an_action_suffix_is_not_taken_for_a_cluster_name(api, project):
    """Atlas's ``{clusterName}:grantMongoDBEmployeeAccess`` actions get routes of their own later; the
    cluster route never swallows them (it answers 404, not the cluster)."""
    cluster_create(project=project, name="Cluster0", actor=None)
    response = api.get(clusters_url(project, "Cluster0:grantMongoDBEmployeeAccess"))
    assert response.status_code == 404


def test_bad_page_parameter_is_a_400(api, project):
    response = api.get(clusters_url(project) + "?itemsPerPage=0")
    assert response.status_code == 400
    assert response.json()["parameters"] == ["itemsPerPage"]


@pytest.mark.django_db(transaction=True)
def test_digest_client_lists_and_gets_clusters_of_its_project_only(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    project = project_create(organization=organization, name="Mine", actor=owner)
    cluster = cluster_create(project=project, name="Cluster0", tier=Cluster.Tier.SANDBOX, actor=None)
    other = project_create(organization=organization, name="Not assigned", actor=owner)
    client = digest_client(organization, key_roles=[roles.ORG_MEMBER])
    api_key = ApiKey.objects.get(public_key=client.session.auth.username)
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)

    listed = client.get(f"groups/{project.public_id}/clusters").json()
    assert [c["id"] for c in listed["results"]] == [cluster.public_id]
    got = client.get(f"groups/{project.public_id}/clusters/Cluster0")
    assert got.status_code == 200
    assert got.json()["tier"] == "SANDBOX"
    assert client.get(f"groups/{other.public_id}/clusters").status_code == 404
    assert client.get(f"groups/{foreign_project().public_id}/clusters").status_code == 404
