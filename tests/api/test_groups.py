"""/groups over the session and over HTTP Digest."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import ApiKey, Project
from accounts.services import (
    cluster_create,
    organization_create,
    project_create,
    project_member_add,
)
from accounts.services.api_keys import api_key_project_assign
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

MISSING_ID = "0123456789abcdef01234567"


def client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


# ---- list --------------------------------------------------------------------------------------------------


def test_list_shows_the_callers_projects_across_organizations_by_name(api, organization, owner):
    project_create(organization=organization, name="Zeta", actor=owner)
    project_create(organization=organization, name="Alpha", actor=owner)
    second = organization_create(name="Second", actor=owner)
    project_create(organization=second, name="Middle", actor=owner)
    stranger_org = organization_create(name="Foreign", actor=UserFactory())
    project_create(organization=stranger_org, name="Hidden", actor=stranger_org.memberships.get().user)

    body = api.get("/api/atlas/v2/groups").json()

    assert [g["name"] for g in body["results"]] == ["Alpha", "Middle", "Zeta"]
    assert body["totalCount"] == 3
    alpha = body["results"][0]
    assert alpha["orgId"] == organization.public_id
    assert alpha["clusterCount"] == 0
    assert alpha["links"][0]["href"].endswith(f"/api/atlas/v2/groups/{alpha['id']}")
    assert set(alpha) == {"id", "name", "orgId", "clusterCount", "created", "links"}


def test_org_member_lists_only_the_projects_it_was_added_to(organization, owner):
    project_create(organization=organization, name="Not added", actor=owner)
    added = project_create(organization=organization, name="Added", actor=owner)
    person = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=added, user=person, actor=owner)

    body = client_for(person).get("/api/atlas/v2/groups").json()

    assert [g["name"] for g in body["results"]] == ["Added"]


def test_legacy_prefix_serves_groups_too(api, project):
    assert api.get("/api/atlas/v1.0/groups").json()["results"][0]["id"] == project.public_id


@pytest.mark.parametrize("endpoint", ["groups", "orgs/{org}/groups"])
def test_project_lists_cost_the_same_queries_for_2_and_20(api, organization, owner, endpoint):
    url = "/api/atlas/v2/" + endpoint.format(org=organization.public_id)

    def count():
        api.get(url)  # warm Django's per-process caches (content types) so that only the page's queries count
        with CaptureQueriesContext(connection) as queries:
            response = api.get(url)
        assert response.status_code == 200
        return len(queries), response.json()["totalCount"]

    for i in range(2):
        project = project_create(organization=organization, name=f"p{i:03}", actor=owner)
        cluster_create(project=project, name="Cluster0", actor=None)
    two, total = count()
    assert total == 2
    for i in range(2, 20):
        project = project_create(organization=organization, name=f"p{i:03}", actor=owner)
        cluster_create(project=project, name="Cluster0", actor=None)
    twenty, total = count()
    assert total == 20
    assert twenty == two


# ---- create ------------------------------------------------------------------------------------------------


def test_create_makes_the_caller_project_owner(api, organization, owner):
    response = api.post(
        "/api/atlas/v2/groups", {"name": "Fresh", "orgId": organization.public_id}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Fresh"
    assert body["orgId"] == organization.public_id
    assert body["clusterCount"] == 0
    project = Project.objects.get(public_id=body["id"])
    assert owner.has_perm("accounts.delete_project", project)


def test_org_group_creator_may_create_a_project(organization, owner):
    creator = MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_GROUP_CREATOR])
    response = client_for(creator).post(
        "/api/atlas/v2/groups", {"name": "Mine", "orgId": organization.public_id}, format="json"
    )
    assert response.status_code == 201
    assert creator.has_perm("accounts.change_project", Project.objects.get(public_id=response.json()["id"]))


def test_org_member_creating_a_project_is_told_not_org_group_creator(organization, owner):
    person = MemberFactory(organization=organization, actor=owner)
    response = client_for(person).post(
        "/api/atlas/v2/groups", {"name": "Nope", "orgId": organization.public_id}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["errorCode"] == "NOT_ORG_GROUP_CREATOR"
    assert not Project.objects.filter(name="Nope").exists()


def test_create_in_a_foreign_organization_is_a_404_like_a_missing_one(api):
    foreign = organization_create(name="Foreign", actor=UserFactory())
    other = api.post("/api/atlas/v2/groups", {"name": "X", "orgId": foreign.public_id}, format="json")
    missing = api.post("/api/atlas/v2/groups", {"name": "X", "orgId": MISSING_ID}, format="json")
    assert other.status_code == missing.status_code == 404
    assert other.json()["errorCode"] == missing.json()["errorCode"] == "RESOURCE_NOT_FOUND"
    assert not foreign.projects.exists()


def test_create_with_a_taken_name_is_group_already_exists(api, organization, project):
    response = api.post(
        "/api/atlas/v2/groups", {"name": project.name, "orgId": organization.public_id}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["errorCode"] == "GROUP_ALREADY_EXISTS"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"orgId": "x"}, "name"),
        ({"name": "P"}, "orgId"),
        ({"name": "", "orgId": "x"}, "name"),
        ({"name": "n" * 65, "orgId": "x"}, "name"),
        ({"name": ["P"], "orgId": "x"}, "name"),
        ({"name": "P", "orgId": {"id": 1}}, "orgId"),
    ],
)
def test_create_with_bad_input_is_a_400_naming_the_field(api, body, field):
    response = api.post("/api/atlas/v2/groups", body, format="json")
    assert response.status_code == 400
    answer = response.json()
    assert answer["errorCode"] == "VALIDATION_ERROR"
    assert field in answer["parameters"]


def test_create_with_project_owner_id_makes_that_member_the_owner(api, organization, owner):
    colleague = MemberFactory(organization=organization, actor=owner)
    response = api.post(
        f"/api/atlas/v2/groups?projectOwnerId={colleague.public_id}",
        {"name": "For a colleague", "orgId": organization.public_id},
        format="json",
    )
    assert response.status_code == 201
    project = Project.objects.get(public_id=response.json()["id"])
    assert colleague.has_perm("accounts.delete_project", project)


def test_project_owner_must_be_a_member_of_the_organization(api, organization):
    outsider = UserFactory()
    response = api.post(
        f"/api/atlas/v2/groups?projectOwnerId={outsider.public_id}",
        {"name": "P", "orgId": organization.public_id},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errorCode"] == "USER_NOT_IN_ORG"
    assert response.json()["parameters"] == ["owner"]
    assert not outsider.organization_memberships.exists()
    unknown = api.post(
        "/api/atlas/v2/groups?projectOwnerId=0123456789abcdef01234567",
        {"name": "P", "orgId": organization.public_id},
        format="json",
    )
    # An id of another tenant's user answers like no id at all (same status, code and parameters).
    assert (unknown.status_code, unknown.json()["errorCode"], unknown.json()["parameters"]) == (
        400,
        "USER_NOT_IN_ORG",
        ["owner"],
    )


# ---- get, by name ------------------------------------------------------------------------------------------


def test_get_returns_the_group_with_its_cluster_count(api, organization, project):
    cluster_create(project=project, name="Cluster0", actor=None)
    cluster_create(project=project, name="Cluster1", actor=None)
    body = api.get(f"/api/atlas/v2/groups/{project.public_id}").json()
    assert body["id"] == project.public_id
    assert body["name"] == "Production"
    assert body["orgId"] == organization.public_id
    assert body["clusterCount"] == 2


def test_foreign_project_is_a_404_like_a_missing_one(api):
    stranger = UserFactory()
    foreign = project_create(
        organization=organization_create(name="Foreign", actor=stranger), name="Theirs", actor=stranger
    )
    for method in ("get", "patch", "delete"):
        other = getattr(api, method)(
            f"/api/atlas/v2/groups/{foreign.public_id}", {"name": "x"}, format="json"
        )
        missing = getattr(api, method)(f"/api/atlas/v2/groups/{MISSING_ID}", {"name": "x"}, format="json")
        assert other.status_code == missing.status_code == 404, method
        assert other.json()["errorCode"] == missing.json()["errorCode"] == "RESOURCE_NOT_FOUND"
    assert Project.objects.get(pk=foreign.pk).name == "Theirs"


def test_project_of_the_organization_not_added_to_is_a_404_for_an_org_member(organization, owner, project):
    person = MemberFactory(organization=organization, actor=owner)
    assert client_for(person).get(f"/api/atlas/v2/groups/{project.public_id}").status_code == 404


def test_by_name_finds_a_visible_project(api, project):
    response = api.get("/api/atlas/v2/groups/byName/Production")
    assert response.status_code == 200
    assert response.json()["id"] == project.public_id


def test_by_name_does_not_see_other_organizations_projects(api):
    stranger = UserFactory()
    project_create(organization=organization_create(name="F", actor=stranger), name="Secret", actor=stranger)
    response = api.get("/api/atlas/v2/groups/byName/Secret")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"


def test_by_name_refuses_to_guess_between_two_organizations_projects(api, owner, project):
    second = organization_create(name="Second", actor=owner)
    project_create(organization=second, name=project.name, actor=owner)
    response = api.get(f"/api/atlas/v2/groups/byName/{project.name}")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "GROUP_NAME_AMBIGUOUS"
    assert second.public_id in response.json()["detail"]


# ---- rename, delete ----------------------------------------------------------------------------------------


def test_rename(api, project):
    response = api.patch(f"/api/atlas/v2/groups/{project.public_id}", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    project.refresh_from_db()
    assert project.name == "Renamed"


def test_read_only_member_cannot_rename_403(organization, owner, project):
    reader = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    response = client_for(reader).patch(
        f"/api/atlas/v2/groups/{project.public_id}", {"name": "Mine"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["errorCode"] == "USER_UNAUTHORIZED"
    project.refresh_from_db()
    assert project.name == "Production"


def test_rename_to_a_taken_name_is_a_409(api, organization, owner, project):
    project_create(organization=organization, name="Staging", actor=owner)
    response = api.patch(f"/api/atlas/v2/groups/{project.public_id}", {"name": "Staging"}, format="json")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "GROUP_ALREADY_EXISTS"


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": None}, {"name": "n" * 65}])
def test_rename_with_bad_input_is_a_400_naming_name(api, project, body):
    response = api.patch(f"/api/atlas/v2/groups/{project.public_id}", body, format="json")
    assert response.status_code == 400
    assert response.json()["parameters"] == ["name"]


def test_delete_removes_an_empty_project(api, project):
    response = api.delete(f"/api/atlas/v2/groups/{project.public_id}")
    assert response.status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()


def test_delete_is_refused_while_the_project_has_clusters(api, project):
    cluster_create(project=project, name="Cluster0", actor=None)
    response = api.delete(f"/api/atlas/v2/groups/{project.public_id}")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "GROUP_NOT_EMPTY"
    assert Project.objects.filter(pk=project.pk).exists()


def test_read_only_member_cannot_delete_403(organization, owner, project):
    reader = MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_READ_ONLY])
    response = client_for(reader).delete(f"/api/atlas/v2/groups/{project.public_id}")
    assert response.status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


# ---- over HTTP Digest --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_digest_client_lists_creates_renames_and_deletes(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    project_create(organization=organization, name="Existing", actor=owner)
    client = digest_client(organization)

    listed = client.get("groups").json()
    assert [g["name"] for g in listed["results"]] == ["Existing"]

    created = client.post(
        f"groups?projectOwnerId={owner.public_id}", json={"name": "By key", "orgId": organization.public_id}
    )
    assert created.status_code == 201, created.text
    group_id = created.json()["id"]
    assert owner.has_perm("accounts.delete_project", Project.objects.get(public_id=group_id))

    assert client.get("groups/byName/By key").json()["id"] == group_id
    assert client.patch(f"groups/{group_id}", json={"name": "Renamed"}).json()["name"] == "Renamed"
    assert client.delete(f"groups/{group_id}").status_code == 204


@pytest.mark.django_db(transaction=True)
def test_digest_key_with_only_project_read_cannot_rename(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    project = project_create(organization=organization, name="Shared", actor=owner)
    reader = digest_client(organization, key_roles=[roles.ORG_MEMBER])
    api_key = ApiKey.objects.get(public_key=reader.session.auth.username)
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)

    assert reader.get(f"groups/{project.public_id}").status_code == 200
    refused = reader.patch(f"groups/{project.public_id}", json={"name": "Nope"})
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "USER_UNAUTHORIZED"
    creating = reader.post("groups", json={"name": "Nope", "orgId": organization.public_id})
    assert creating.status_code == 403
    assert creating.json()["errorCode"] == "NOT_ORG_GROUP_CREATOR"


def test_digest_key_creating_a_project_without_project_owner_id_makes_the_oldest_org_owner_owner(
    digest_client,
):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    client = digest_client(organization)

    created = client.post("groups", json={"name": "Terraformed", "orgId": organization.public_id})

    assert created.status_code == 201, created.text
    assert owner.has_perm("accounts.delete_project", Project.objects.get(public_id=created.json()["id"]))
