"""GET /clusters (every cluster the caller may see, by project) and GET /groups/{groupId}/flexClusters (an empty
page), as Atlas's newer clients read them first (issue 14)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.services import cluster_create, organization_create, organization_member_add, project_create
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_visible_cluster_grouped_by_project(api, organization, project, owner):
    cluster = cluster_create(project=project, name="main", actor=None)
    other = project_create(organization=organization, name="Empty", actor=owner)
    stranger = factories.UserFactory(email="stranger@elsewhere.example")
    foreign = project_create(
        organization=organization_create(name="Else", actor=stranger), name="X", actor=stranger
    )
    cluster_create(project=foreign, name="theirs", actor=None)
    body = api.get("/api/atlas/v2/clusters").json()
    assert body["totalCount"] == 2
    by_group = {item["groupId"]: item for item in body["results"]}
    assert set(by_group) == {project.public_id, other.public_id}
    assert by_group[project.public_id] == {
        "groupId": project.public_id,
        "groupName": project.name,
        "orgId": organization.public_id,
        "orgName": organization.name,
        "clusters": [{"clusterId": cluster.public_id, "name": "main", "type": "REPLICA_SET"}],
    }
    assert by_group[other.public_id]["clusters"] == []


def test_a_member_sees_only_the_projects_it_reaches(client, organization, project, owner):
    member = factories.UserFactory(email="member@example.com")
    organization_member_add(organization=organization, user=member, roles=[roles.ORG_MEMBER], actor=owner)
    client.force_login(member)
    assert client.get("/api/atlas/v2/clusters").json()["totalCount"] == 0


def test_costs_the_same_at_any_size(api, organization, owner):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/atlas/v2/clusters").status_code == 200
        return len(queries)

    first = project_create(organization=organization, name="P0", actor=owner)
    cluster_create(project=first, name="c0", actor=None)
    few = count()
    for n in range(1, 6):
        extra = project_create(organization=organization, name=f"P{n}", actor=owner)
        for m in range(3):
            cluster_create(project=extra, name=f"c{n}-{m}", actor=None)
    assert count() == few


def test_flex_clusters_are_an_empty_page_of_a_visible_project(api, project):
    body = api.get(f"/api/atlas/v2/groups/{project.public_id}/flexClusters").json()
    assert body["results"] == [] and body["totalCount"] == 0
    assert api.get("/api/atlas/v2/groups/ffffffffffffffffffffffff/flexClusters").status_code == 404
