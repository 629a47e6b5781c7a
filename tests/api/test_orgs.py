"""/orgs over the session and over HTTP Digest."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import Organization
from accounts.services import organization_create, organization_member_add, project_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_list_shows_only_the_callers_organizations(api, organization, owner):
    organization_create(name="Not mine", actor=UserFactory())

    body = api.get("/api/atlas/v2/orgs").json()

    assert body["totalCount"] == 1
    assert [o["name"] for o in body["results"]] == ["Acme"]
    result = body["results"][0]
    assert result["id"] == organization.public_id
    assert result["isDeleted"] is False
    assert result["links"][0]["href"].endswith(f"/api/atlas/v2/orgs/{organization.public_id}")
    assert body["links"][0]["rel"] == "self"


def test_legacy_prefix_serves_the_same_views(api, organization):
    assert api.get("/api/atlas/v1.0/orgs").json()["results"][0]["id"] == organization.public_id


def test_versioned_media_type_is_accepted_and_answered(api, organization):
    response = api.get("/api/atlas/v2/orgs", HTTP_ACCEPT="application/vnd.atlas.2023-01-01+json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.atlas.2023-01-01+json"


def test_pagination_and_count(api, owner):
    for i in range(7):
        organization_create(name=f"Org {i}", actor=owner)
    body = api.get("/api/atlas/v2/orgs?itemsPerPage=3&pageNum=2").json()
    assert [o["name"] for o in body["results"]] == ["Org 3", "Org 4", "Org 5"]
    assert body["totalCount"] == 7
    assert {link["rel"] for link in body["links"]} == {"self", "previous", "next"}
    assert "totalCount" not in api.get("/api/atlas/v2/orgs?includeCount=false").json()


@pytest.mark.parametrize(
    "query", ["itemsPerPage=501", "itemsPerPage=0", "pageNum=-1", "pageNum=x", "includeCount=maybe"]
)
def test_bad_page_parameters_are_a_400_saying_which(api, query):
    response = api.get(f"/api/atlas/v2/orgs?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "INVALID_QUERY_PARAMETER"
    assert query.split("=")[0] in body["detail"]


def test_list_costs_the_same_queries_for_2_and_20(api, owner):
    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/atlas/v2/orgs").status_code == 200
        return len(queries)

    for i in range(1):
        organization_create(name=f"o{i}", actor=owner)
    two = count()
    for i in range(1, 19):
        organization_create(name=f"o{i}", actor=owner)
    assert count() == two


def test_create_makes_the_caller_owner(api, owner):
    response = api.post("/api/atlas/v2/orgs", {"name": "Fresh"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["orgOwnerId"] == owner.public_id
    organization = Organization.objects.get(public_id=body["organization"]["id"])
    assert owner.has_perm("accounts.manage_teams", organization)


def test_create_without_a_name_says_which_field(api):
    response = api.post("/api/atlas/v2/orgs", {}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "VALIDATION_ERROR"
    assert body["badRequestDetail"]["fields"][0]["field"] == "name"


def test_session_writes_need_the_csrf_token(owner):
    from django.middleware.csrf import get_token
    from django.test import RequestFactory
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)
    refused = client.post("/api/atlas/v2/orgs", {"name": "x"}, format="json")
    assert refused.status_code == 403

    token = get_token(RequestFactory().get("/"))
    client.cookies["csrftoken"] = token
    accepted = client.post("/api/atlas/v2/orgs", {"name": "x"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_foreign_organization_is_a_404_like_a_missing_one(api):
    foreign = organization_create(name="Foreign", actor=UserFactory())
    missing = api.get("/api/atlas/v2/orgs/0123456789abcdef01234567").json()
    other = api.get(f"/api/atlas/v2/orgs/{foreign.public_id}").json()
    assert missing["error"] == other["error"] == 404
    assert missing["errorCode"] == other["errorCode"] == "RESOURCE_NOT_FOUND"


def test_member_cannot_rename_403(organization, owner):
    from rest_framework.test import APIClient

    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    client = APIClient()
    client.force_login(member)
    response = client.patch(f"/api/atlas/v2/orgs/{organization.public_id}", {"name": "Mine"}, format="json")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "USER_UNAUTHORIZED"


def test_delete_refused_while_it_has_projects(api, organization, owner):
    project_create(organization=organization, name="P", actor=owner)
    response = api.delete(f"/api/atlas/v2/orgs/{organization.public_id}")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "ORG_NOT_EMPTY"


def test_envelope_wraps_status_and_content(api):
    response = api.get("/api/atlas/v2/orgs/0123456789abcdef01234567?envelope=true")
    assert response.status_code == 200
    assert response.json()["status"] == 404
    assert response.json()["content"]["errorCode"] == "RESOURCE_NOT_FOUND"


def test_org_groups_lists_visible_projects_with_cluster_counts(api, organization, owner):
    project_create(organization=organization, name="B", actor=owner)
    project_create(organization=organization, name="A", actor=owner)
    body = api.get(f"/api/atlas/v2/orgs/{organization.public_id}/groups").json()
    assert [g["name"] for g in body["results"]] == ["A", "B"]
    assert body["results"][0]["orgId"] == organization.public_id
    assert body["results"][0]["clusterCount"] == 0


@pytest.mark.django_db(transaction=True)
def test_digest_client_lists_renames_and_is_refused_elsewhere(digest_client, live_server):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    client = digest_client(organization)

    listed = client.get("orgs").json()
    assert [o["id"] for o in listed["results"]] == [organization.public_id]
    renamed = client.patch(f"orgs/{organization.public_id}", json={"name": "Renamed"})
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Renamed"

    foreign = organization_create(name="Elsewhere", actor=UserFactory())
    assert client.get(f"orgs/{foreign.public_id}").status_code == 404

    reader = digest_client(organization, key_roles=[roles.ORG_READ_ONLY], actor=owner)
    refused = reader.patch(f"orgs/{organization.public_id}", json={"name": "Nope"})
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "USER_UNAUTHORIZED"
