"""/orgs/{orgId}/apiKeys (keys and access lists) and /groups/{groupId}/apiKeys over the session and over HTTP
Digest."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import roles
from accounts.api.api_keys.serializers import MASKED_PRIVATE_KEY
from accounts.models import ApiKey, ProjectMembership
from accounts.services import (
    organization_create,
    project_create,
    project_member_add,
)
from accounts.services.api_keys import (
    api_key_access_list_add,
    api_key_create,
    api_key_project_assign,
)
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

V2 = "/api/atlas/v2"
PRIVATE_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def keys_url(organization, *rest):
    return "/".join([f"{V2}/orgs/{organization.public_id}/apiKeys", *rest])


def group_keys_url(project, *rest):
    return "/".join([f"{V2}/groups/{project.public_id}/apiKeys", *rest])


def make_key(organization, owner, key_roles=(roles.ORG_MEMBER,), description="a key"):
    api_key, _ = api_key_create(
        organization=organization, description=description, roles=list(key_roles), actor=owner
    )
    return api_key


def client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


def error_of(response, status):
    assert response.status_code == status, response.content
    return response.json()


def queries_for(client, url) -> int:
    """Queries of one GET once per-process caches (content types) are warm."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries)


# ---- organization keys ---------------------------------------------------------------------------------------


def test_create_answers_201_with_the_private_key_and_never_again(api, organization):
    response = api.post(
        keys_url(organization), {"desc": "CI deploys", "roles": ["ORG_READ_ONLY"]}, format="json"
    )

    assert response.status_code == 201, response.content
    created = response.json()
    assert PRIVATE_KEY.match(created["privateKey"])
    assert re.fullmatch(r"[a-z]{8}", created["publicKey"])
    assert created["desc"] == "CI deploys"
    assert created["roles"] == [{"orgId": organization.public_id, "roleName": "ORG_READ_ONLY"}]
    assert created["links"][0]["href"].endswith(keys_url(organization, created["id"]))
    api_key = ApiKey.objects.get(public_id=created["id"])
    assert api_key.public_key == created["publicKey"]

    one = api.get(keys_url(organization, created["id"]))
    listed = api.get(keys_url(organization))
    for response in (one, listed):
        assert response.status_code == 200
        assert created["privateKey"] not in response.content.decode()
    assert one.json()["privateKey"] == MASKED_PRIVATE_KEY
    assert listed.json()["results"][0]["privateKey"] == MASKED_PRIVATE_KEY
    assert MASKED_PRIVATE_KEY.count("*") == 28  # nothing of the secret shows through


def test_create_takes_atlas_role_objects_as_well_as_names(api, organization):
    response = api.post(
        keys_url(organization),
        {"desc": "round trip", "roles": [{"orgId": organization.public_id, "roleName": "ORG_MEMBER"}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [r["roleName"] for r in response.json()["roles"]] == ["ORG_MEMBER"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"roles": ["ORG_MEMBER"]}, "desc"),
        (["not", "an", "object"], "body"),
        ({"desc": "", "roles": ["ORG_MEMBER"]}, "desc"),
        ({"desc": "x" * 251, "roles": ["ORG_MEMBER"]}, "desc"),
        ({"desc": ["not", "text"], "roles": ["ORG_MEMBER"]}, "desc"),
        ({"desc": "no roles"}, "roles"),
        ({"desc": "empty roles", "roles": []}, "roles"),
        ({"desc": "roles not a list", "roles": "ORG_MEMBER"}, "roles"),
        ({"desc": "a number", "roles": [7]}, "roles.0"),
        (
            {"desc": "a project role object", "roles": [{"groupId": "a" * 24, "roleName": "GROUP_OWNER"}]},
            "roles.0",
        ),
        ({"desc": "another org", "roles": [{"orgId": "b" * 24, "roleName": "ORG_MEMBER"}]}, "roles.0"),
    ],
)
def test_create_refuses_bad_bodies_naming_the_field(api, organization, body, field):
    body = error_of(api.post(keys_url(organization), body, format="json"), 400)
    assert body["errorCode"] == "VALIDATION_ERROR"
    assert field in [f["field"] for f in body["badRequestDetail"]["fields"]]
    assert field in body["parameters"]
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("role", ["ORG_SUPREME_LEADER", "GROUP_OWNER"])
def test_create_with_an_unknown_organization_role_names_it(api, organization, role):
    body = error_of(api.post(keys_url(organization), {"desc": "x", "roles": [role]}, format="json"), 400)
    assert body["errorCode"] == "INVALID_ROLE"
    assert role in body["detail"]


def test_a_member_or_read_only_member_cannot_create_keys_403(organization, owner):
    for org_roles in ([roles.ORG_MEMBER], [roles.ORG_READ_ONLY]):
        client = client_for(MemberFactory(organization=organization, actor=owner, roles=org_roles))
        body = error_of(
            client.post(keys_url(organization), {"desc": "mine", "roles": ["ORG_MEMBER"]}, format="json"), 403
        )
        assert body["errorCode"] == "USER_UNAUTHORIZED"
        assert client.get(keys_url(organization)).status_code == 200  # reading is an Organization Member's
    assert not ApiKey.objects.exists()


def test_list_shows_organization_then_project_roles(api, organization, owner, project):
    api_key = make_key(organization, owner, [roles.ORG_READ_ONLY, roles.ORG_MEMBER])
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_OWNER], actor=owner)

    body = api.get(keys_url(organization)).json()

    assert body["totalCount"] == 1
    assert body["results"][0]["roles"] == [
        {"orgId": organization.public_id, "roleName": "ORG_MEMBER"},
        {"orgId": organization.public_id, "roleName": "ORG_READ_ONLY"},
        {"groupId": project.public_id, "roleName": "GROUP_OWNER"},
    ]


def test_list_hides_project_roles_in_projects_the_caller_cannot_see(organization, owner, project):
    api_key = make_key(organization, owner)
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    plain_member = client_for(MemberFactory(organization=organization, actor=owner))

    roles_seen = plain_member.get(keys_url(organization)).json()["results"][0]["roles"]

    assert roles_seen == [{"orgId": organization.public_id, "roleName": "ORG_MEMBER"}]


def test_list_of_another_organization_is_a_404(api):
    foreign = organization_create(name="Foreign", actor=UserFactory())
    body = error_of(api.get(keys_url(foreign)), 404)
    assert body["errorCode"] == "RESOURCE_NOT_FOUND"


def test_key_of_another_organization_answers_like_a_missing_one(api, organization):
    stranger = UserFactory()
    foreign = organization_create(name="Foreign", actor=stranger)
    foreign_key = make_key(foreign, stranger)

    missing = error_of(api.get(keys_url(organization, "0123456789abcdef01234567")), 404)
    other = error_of(api.get(keys_url(organization, foreign_key.public_id)), 404)
    assert missing["errorCode"] == other["errorCode"] == "API_KEY_NOT_FOUND"
    for method in ("patch", "delete"):
        response = getattr(api, method)(
            keys_url(organization, foreign_key.public_id), {"desc": "x"}, format="json"
        )
        assert error_of(response, 404)["errorCode"] == "API_KEY_NOT_FOUND"
    assert error_of(api.get(keys_url(organization, foreign_key.public_id, "accessList")), 404)
    assert ApiKey.objects.filter(pk=foreign_key.pk, description="a key").exists()


def test_update_changes_description_and_roles(api, organization, owner):
    api_key = make_key(organization, owner)
    response = api.patch(
        keys_url(organization, api_key.public_id),
        {"desc": "renamed", "roles": ["ORG_GROUP_CREATOR", "ORG_READ_ONLY"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["desc"] == "renamed"
    assert [r["roleName"] for r in body["roles"]] == ["ORG_GROUP_CREATOR", "ORG_READ_ONLY"]
    assert body["privateKey"] == MASKED_PRIVATE_KEY

    only_desc = api.patch(keys_url(organization, api_key.public_id), {"desc": "again"}, format="json")
    assert only_desc.json()["desc"] == "again"
    assert len(only_desc.json()["roles"]) == 2


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({}, 400, "VALIDATION_ERROR"),
        ({"roles": []}, 400, "VALIDATION_ERROR"),
        ({"desc": ""}, 400, "VALIDATION_ERROR"),
        ({"roles": ["NOT_A_ROLE"]}, 400, "INVALID_ROLE"),
    ],
)
def test_update_refuses_bad_bodies(api, organization, owner, body, status, code):
    api_key = make_key(organization, owner)
    assert (
        error_of(api.patch(keys_url(organization, api_key.public_id), body, format="json"), status)[
            "errorCode"
        ]
        == code
    )


def test_member_cannot_update_or_delete_a_key_403(organization, owner):
    api_key = make_key(organization, owner)
    client = client_for(MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_READ_ONLY]))
    assert error_of(
        client.patch(keys_url(organization, api_key.public_id), {"desc": "x"}, format="json"), 403
    )
    assert error_of(client.delete(keys_url(organization, api_key.public_id)), 403)
    assert ApiKey.objects.filter(pk=api_key.pk, description="a key").exists()


def test_delete_removes_the_key_from_every_project(api, organization, owner, project):
    api_key = make_key(organization, owner)
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)

    response = api.delete(keys_url(organization, api_key.public_id))

    assert response.status_code == 204
    assert not ApiKey.objects.filter(pk=api_key.pk).exists()
    assert not ProjectMembership.objects.filter(project=project, user_id=api_key.user_id).exists()
    assert api.get(group_keys_url(project)).json()["totalCount"] == 0
    assert (
        error_of(api.get(keys_url(organization, api_key.public_id)), 404)["errorCode"] == "API_KEY_NOT_FOUND"
    )


def test_legacy_prefix_serves_the_same_views(api, organization, owner):
    api_key = make_key(organization, owner)
    body = api.get(f"/api/atlas/v1.0/orgs/{organization.public_id}/apiKeys").json()
    assert [k["id"] for k in body["results"]] == [api_key.public_id]


def test_org_keys_list_costs_the_same_queries_for_2_and_20(api, organization, owner, project):
    def add(count):
        for _ in range(count):
            api_key = make_key(organization, owner, [roles.ORG_MEMBER, roles.ORG_READ_ONLY])
            api_key_project_assign(
                api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner
            )

    add(2)
    two = queries_for(api, keys_url(organization))
    add(18)
    assert queries_for(api, keys_url(organization)) == two
    assert len(api.get(keys_url(organization)).json()["results"]) == 20


# ---- access lists --------------------------------------------------------------------------------------------


def test_access_list_add_answers_201_with_the_whole_list(api, organization, owner):
    api_key = make_key(organization, owner)
    url = keys_url(organization, api_key.public_id, "accessList")

    response = api.post(url, [{"ipAddress": "203.0.113.7"}, {"cidrBlock": "10.0.0.0/24"}], format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["totalCount"] == 2
    block, single = body["results"]
    assert block["cidrBlock"] == "10.0.0.0/24"
    assert "ipAddress" not in block
    assert block["links"][0]["href"].endswith(f"{url}/10.0.0.0%2F24")
    assert single["cidrBlock"] == "203.0.113.7/32"
    assert single["ipAddress"] == "203.0.113.7"
    assert single["count"] == 0
    assert single["created"]
    assert "lastUsed" not in single and "lastUsedAddress" not in single
    assert single["links"][0]["href"].endswith(f"{url}/203.0.113.7")

    again = api.post(url, [{"ipAddress": "203.0.113.7"}, {"ipAddress": "2001:db8::1"}], format="json")
    assert again.status_code == 201
    assert again.json()["totalCount"] == 3  # what was there stays as it was


def test_access_list_takes_one_bare_object_too(api, organization, owner):
    api_key = make_key(organization, owner)
    url = keys_url(organization, api_key.public_id, "accessList")
    assert api.post(url, {"cidrBlock": "192.0.2.0/24"}, format="json").status_code == 201
    assert [e["cidrBlock"] for e in api.get(url).json()["results"]] == ["192.0.2.0/24"]


def test_access_list_entry_get_and_delete_by_address_or_encoded_block(api, organization, owner):
    api_key = make_key(organization, owner)
    api_key_access_list_add(api_key=api_key, entries=["203.0.113.7", "10.0.0.0/24"], actor=owner)
    url = keys_url(organization, api_key.public_id, "accessList")

    assert api.get(f"{url}/10.0.0.0%2F24").json()["cidrBlock"] == "10.0.0.0/24"
    assert api.get(f"{url}/203.0.113.7").json()["ipAddress"] == "203.0.113.7"
    assert api.delete(f"{url}/10.0.0.0%2F24").status_code == 204
    assert api.delete(f"{url}/203.0.113.7").status_code == 204
    assert error_of(api.get(f"{url}/10.0.0.0%2F24"), 404)["errorCode"] == "RESOURCE_NOT_FOUND"
    assert error_of(api.delete(f"{url}/203.0.113.7"), 404)["errorCode"] == "RESOURCE_NOT_FOUND"
    assert api.get(url).json()["totalCount"] == 0


@pytest.mark.parametrize(
    "entry, hint",
    [
        ({"cidrBlock": "10.0.0.300/24"}, "10.0.0.300/24"),
        ({"cidrBlock": "10.0.0.1/24"}, "10.0.0.0/24"),  # host bits set: says which block was meant
        ({"ipAddress": "not-an-address"}, "not-an-address"),
        ({"ipAddress": "999.1.1.1"}, "999.1.1.1"),
    ],
)
def test_access_list_refuses_invalid_addresses_naming_them(api, organization, owner, entry, hint):
    api_key = make_key(organization, owner)
    url = keys_url(organization, api_key.public_id, "accessList")
    body = error_of(api.post(url, [{"ipAddress": "192.0.2.1"}, entry], format="json"), 400)
    assert body["errorCode"] == "INVALID_IP_ADDRESS"
    assert hint in body["detail"]
    assert not api_key.access_list.exists()  # nothing of a refused request is kept


@pytest.mark.parametrize(
    "body, field",
    [
        ([], "body"),
        ([{}], "ipAddress"),
        ([{"ipAddress": "192.0.2.1", "cidrBlock": "192.0.2.0/24"}], "cidrBlock"),
        ([{"ipAddress": "192.0.2.0/24"}], "ipAddress"),
        ([{"cidrBlock": ["10.0.0.0/8"]}], "cidrBlock"),
        (["192.0.2.1"], None),
    ],
)
def test_access_list_refuses_malformed_bodies_naming_the_field(api, organization, owner, body, field):
    api_key = make_key(organization, owner)
    answer = error_of(
        api.post(keys_url(organization, api_key.public_id, "accessList"), body, format="json"), 400
    )
    assert answer["errorCode"] == "VALIDATION_ERROR"
    if field:  # the entry's field, whatever the notation of its index in the list
        assert any(f["field"].endswith(field) for f in answer["badRequestDetail"]["fields"])
    assert not api_key.access_list.exists()


def test_access_list_entry_path_that_is_no_address_is_a_400(api, organization, owner):
    api_key = make_key(organization, owner)
    body = error_of(api.get(keys_url(organization, api_key.public_id, "accessList", "nonsense")), 400)
    assert body["errorCode"] == "INVALID_IP_ADDRESS"
    assert "nonsense" in body["detail"]


def test_a_key_cannot_remove_the_entry_its_request_comes_through(organization, owner):
    api_key = make_key(organization, owner, [roles.ORG_OWNER])
    api_key_access_list_add(api_key=api_key, entries=["127.0.0.1", "10.0.0.0/8"], actor=owner)
    client = APIClient()  # the key itself, from 127.0.0.1 (the test client's REMOTE_ADDR)
    client.force_authenticate(user=api_key.user)
    url = keys_url(organization, api_key.public_id, "accessList")

    body = error_of(client.delete(f"{url}/127.0.0.1"), 400)

    assert body["errorCode"] == "CANNOT_REMOVE_CALLER_ACCESS_LIST_ENTRY"
    assert client.delete(f"{url}/10.0.0.0%2F8").status_code == 204  # any other entry may go
    assert client_for(owner).delete(f"{url}/127.0.0.1").status_code == 204  # and someone else may remove it


def test_read_only_member_reads_but_cannot_change_access_lists(organization, owner):
    api_key = make_key(organization, owner)
    api_key_access_list_add(api_key=api_key, entries=["192.0.2.1"], actor=owner)
    client = client_for(MemberFactory(organization=organization, actor=owner, roles=[roles.ORG_READ_ONLY]))
    url = keys_url(organization, api_key.public_id, "accessList")

    assert client.get(url).json()["totalCount"] == 1
    assert error_of(client.post(url, [{"ipAddress": "192.0.2.2"}], format="json"), 403)["errorCode"] == (
        "USER_UNAUTHORIZED"
    )
    assert error_of(client.delete(f"{url}/192.0.2.1"), 403)
    assert api_key.access_list.count() == 1


def test_access_list_costs_the_same_queries_for_2_and_20(api, organization, owner):
    api_key = make_key(organization, owner)
    url = keys_url(organization, api_key.public_id, "accessList")
    api_key_access_list_add(api_key=api_key, entries=[f"10.0.0.{i}" for i in range(2)], actor=owner)
    two = queries_for(api, url)
    api_key_access_list_add(api_key=api_key, entries=[f"10.0.1.{i}" for i in range(18)], actor=owner)
    assert queries_for(api, url) == two
    assert api.get(url).json()["totalCount"] == 20


# ---- project keys --------------------------------------------------------------------------------------------


def test_group_keys_lists_only_the_keys_assigned_to_the_project(api, organization, owner, project):
    assigned, _unassigned = make_key(organization, owner, description="one"), make_key(organization, owner)
    other = project_create(organization=organization, name="Staging", actor=owner)
    api_key_project_assign(api_key=assigned, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    api_key_project_assign(api_key=assigned, project=other, roles=[roles.GROUP_OWNER], actor=owner)

    body = api.get(group_keys_url(project)).json()

    assert body["totalCount"] == 1
    result = body["results"][0]
    assert result["id"] == assigned.public_id
    assert result["privateKey"] == MASKED_PRIVATE_KEY
    assert {"groupId": project.public_id, "roleName": "GROUP_READ_ONLY"} in result["roles"]


@pytest.mark.parametrize(
    "body",
    [
        [{"roles": ["GROUP_READ_ONLY", "GROUP_CLUSTER_MANAGER"]}],  # Atlas v2: a list of {roles}
        {"roles": ["GROUP_READ_ONLY", "GROUP_CLUSTER_MANAGER"]},  # one bare object
        [{"roles": [{"roleName": "GROUP_READ_ONLY"}, {"roleName": "GROUP_CLUSTER_MANAGER"}]}],  # role objects
        [{"roles": [{"groupId": "PROJECT", "roleName": "GROUP_READ_ONLY"}, "GROUP_CLUSTER_MANAGER"]}],
    ],
)
def test_assign_a_key_to_a_project_answers_204(api, organization, owner, project, body):
    api_key = make_key(organization, owner)
    if "PROJECT" in str(body):  # roles as a key's details show them, naming this project
        body[0]["roles"][0]["groupId"] = project.public_id

    response = api.post(group_keys_url(project, api_key.public_id), body, format="json")

    assert response.status_code == 204, response.content
    membership = ProjectMembership.objects.get(project=project, user=api_key.user)
    assert membership.role_names == ["GROUP_CLUSTER_MANAGER", "GROUP_READ_ONLY"]
    assert [k["id"] for k in api.get(group_keys_url(project)).json()["results"]] == [api_key.public_id]


def test_assign_twice_is_a_409(api, organization, owner, project):
    api_key = make_key(organization, owner)
    url = group_keys_url(project, api_key.public_id)
    assert api.post(url, [{"roles": ["GROUP_READ_ONLY"]}], format="json").status_code == 204
    assert error_of(api.post(url, [{"roles": ["GROUP_OWNER"]}], format="json"), 409)["errorCode"] == (
        "USER_ALREADY_IN_GROUP"
    )


@pytest.mark.parametrize(
    "body, status, code",
    [
        ([], 400, "VALIDATION_ERROR"),
        ([{}], 400, "VALIDATION_ERROR"),
        ([{"roles": []}], 400, "VALIDATION_ERROR"),
        ([{"roles": "GROUP_OWNER"}], 400, "VALIDATION_ERROR"),
        ([{"roles": [{"orgId": "a" * 24, "roleName": "ORG_OWNER"}]}], 400, "VALIDATION_ERROR"),
        ([{"roles": ["GROUP_EMPEROR"]}], 400, "INVALID_ROLE"),
        ([{"roles": ["ORG_OWNER"]}], 400, "INVALID_ROLE"),
        ([{"roles": [{"groupId": "c" * 24, "roleName": "GROUP_OWNER"}]}], 400, "VALIDATION_ERROR"),
        ("GROUP_OWNER", 400, "VALIDATION_ERROR"),
    ],
)
def test_assign_refuses_bad_bodies(api, organization, owner, project, body, status, code):
    api_key = make_key(organization, owner)
    answer = error_of(api.post(group_keys_url(project, api_key.public_id), body, format="json"), status)
    assert answer["errorCode"] == code
    assert not ProjectMembership.objects.filter(user=api_key.user).exists()


def test_assigning_another_organizations_key_is_a_404(api, organization, project):
    stranger = UserFactory()
    foreign_key = make_key(organization_create(name="Foreign", actor=stranger), stranger)
    response = api.post(
        group_keys_url(project, foreign_key.public_id), [{"roles": ["GROUP_OWNER"]}], format="json"
    )
    assert error_of(response, 404)["errorCode"] == "API_KEY_NOT_FOUND"
    assert not ProjectMembership.objects.filter(user=foreign_key.user).exists()


def test_another_organizations_project_is_a_404(api, organization, owner):
    stranger = UserFactory()
    foreign_project = project_create(
        organization=organization_create(name="Foreign", actor=stranger), name="Theirs", actor=stranger
    )
    api_key = make_key(organization, owner)
    assert error_of(api.get(group_keys_url(foreign_project)), 404)["errorCode"] == "RESOURCE_NOT_FOUND"
    response = api.post(
        group_keys_url(foreign_project, api_key.public_id), [{"roles": ["GROUP_OWNER"]}], format="json"
    )
    assert error_of(response, 404)["errorCode"] == "RESOURCE_NOT_FOUND"


def test_project_read_only_member_cannot_assign_403(organization, owner, project):
    api_key = make_key(organization, owner)
    reader = MemberFactory(organization=organization, actor=owner)
    project_member_add(project=project, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    client = client_for(reader)

    assert client.get(group_keys_url(project)).status_code == 200
    response = client.post(
        group_keys_url(project, api_key.public_id), [{"roles": ["GROUP_READ_ONLY"]}], format="json"
    )
    assert error_of(response, 403)["errorCode"] == "USER_UNAUTHORIZED"


def test_update_project_roles(api, organization, owner, project):
    api_key = make_key(organization, owner, description="deployer")
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    url = group_keys_url(project, api_key.public_id)

    response = api.patch(url, {"roles": ["GROUP_OWNER"], "desc": "deployer"}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [r for r in body["roles"] if "groupId" in r] == [
        {"groupId": project.public_id, "roleName": "GROUP_OWNER"}
    ]
    assert body["privateKey"] == MASKED_PRIVATE_KEY


@pytest.mark.parametrize(
    "body, status, code, field",
    [
        ({}, 400, "VALIDATION_ERROR", "roles"),
        ({"roles": []}, 400, "VALIDATION_ERROR", "roles"),
        ({"roles": ["GROUP_OWNER"], "desc": "a new description"}, 400, "VALIDATION_ERROR", "desc"),
        ({"roles": ["ORG_MEMBER"]}, 400, "INVALID_ROLE", None),
    ],
)
def test_update_project_roles_refuses_bad_bodies(
    api, organization, owner, project, body, status, code, field
):
    api_key = make_key(organization, owner)
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    answer = error_of(api.patch(group_keys_url(project, api_key.public_id), body, format="json"), status)
    assert answer["errorCode"] == code
    if field:
        assert field in answer["parameters"]
    assert ProjectMembership.objects.get(user=api_key.user).role_names == ["GROUP_READ_ONLY"]


def test_update_or_unassign_a_key_not_in_the_project_is_a_404(api, organization, owner, project):
    api_key = make_key(organization, owner)
    url = group_keys_url(project, api_key.public_id)
    assert error_of(api.patch(url, {"roles": ["GROUP_OWNER"]}, format="json"), 404)["errorCode"] == (
        "API_KEY_NOT_IN_GROUP"
    )
    assert error_of(api.delete(url), 404)["errorCode"] == "API_KEY_NOT_IN_GROUP"


def test_unassign_removes_the_key_from_the_project_only(api, organization, owner, project):
    api_key = make_key(organization, owner)
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)

    assert api.delete(group_keys_url(project, api_key.public_id)).status_code == 204

    assert api.get(group_keys_url(project)).json()["totalCount"] == 0
    assert api.get(keys_url(organization, api_key.public_id)).status_code == 200


def test_group_keys_list_costs_the_same_queries_for_2_and_20(api, organization, owner, project):
    def add(count):
        for _ in range(count):
            api_key = make_key(organization, owner)
            api_key_project_assign(
                api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner
            )

    add(2)
    two = queries_for(api, group_keys_url(project))
    add(18)
    assert queries_for(api, group_keys_url(project)) == two
    assert api.get(group_keys_url(project)).json()["totalCount"] == 20


# ---- over HTTP Digest ----------------------------------------------------------------------------------------


def by_ipv4(client):
    """Requests from 127.0.0.1 (not ::1 through "localhost"), so that an IPv4 access list applies."""
    client.base = client.base.replace("localhost", "127.0.0.1")
    return client


@pytest.mark.django_db(transaction=True)
def test_digest_key_created_by_an_owner_key_works_at_once(digest_client):
    from tests.api.conftest import DigestClient

    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    owner_key = digest_client(organization)

    created = owner_key.post(
        f"orgs/{organization.public_id}/apiKeys",
        json={"desc": "made over Digest", "roles": ["ORG_READ_ONLY"]},
    )
    assert created.status_code == 201, created.text
    details = created.json()
    assert PRIVATE_KEY.match(details["privateKey"])

    new_key = DigestClient(
        owner_key.base.removesuffix("/api/atlas/v2"), details["publicKey"], details["privateKey"]
    )
    listed = new_key.get("orgs")
    assert listed.status_code == 200, listed.text
    assert [o["id"] for o in listed.json()["results"]] == [organization.public_id]
    shown = new_key.get(f"orgs/{organization.public_id}/apiKeys/{details['id']}")
    assert shown.json()["privateKey"] == MASKED_PRIVATE_KEY
    assert details["privateKey"] not in shown.text

    refused = new_key.post(
        f"orgs/{organization.public_id}/apiKeys", json={"desc": "mine", "roles": ["ORG_OWNER"]}
    )
    assert refused.status_code == 403
    assert refused.json()["errorCode"] == "USER_UNAUTHORIZED"

    foreign = organization_create(name="Elsewhere", actor=UserFactory())
    assert owner_key.get(f"orgs/{foreign.public_id}/apiKeys").status_code == 404
    assert owner_key.delete(f"orgs/{organization.public_id}/apiKeys/{details['id']}").status_code == 204
    assert new_key.get("orgs").status_code == 401  # a deleted key is refused on its very next request


@pytest.mark.django_db(transaction=True)
def test_digest_key_on_its_own_access_list_still_gets_in(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Listed Org", actor=owner)
    client = by_ipv4(digest_client(organization))
    api_key = ApiKey.objects.get(organization=organization)
    url = f"orgs/{organization.public_id}/apiKeys/{api_key.public_id}/accessList"

    added = client.post(url, json=[{"ipAddress": "127.0.0.1"}, {"cidrBlock": "192.0.2.0/24"}])
    assert added.status_code == 201, added.text
    assert added.json()["totalCount"] == 2

    assert client.get("orgs").status_code == 200  # on the list: still in
    entry = client.get(f"{url}/127.0.0.1").json()
    assert entry["count"] >= 1
    assert entry["lastUsedAddress"] == "127.0.0.1"
    assert "lastUsed" in entry

    refused = client.delete(f"{url}/127.0.0.1")
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "CANNOT_REMOVE_CALLER_ACCESS_LIST_ENTRY"
    assert client.delete(f"{url}/192.0.2.0%2F24").status_code == 204
    assert [e["cidrBlock"] for e in client.get(url).json()["results"]] == ["127.0.0.1/32"]


@pytest.mark.django_db(transaction=True)
def test_digest_assigns_a_key_to_a_project_and_lists_the_project_keys(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Project Org", actor=owner)
    project = project_create(organization=organization, name="Prod", actor=owner)
    client = digest_client(organization)
    other = make_key(organization, owner, description="to assign")

    assigned = client.post(
        f"groups/{project.public_id}/apiKeys/{other.public_id}", json=[{"roles": ["GROUP_READ_ONLY"]}]
    )
    assert assigned.status_code == 204, assigned.text
    listed = client.get(f"groups/{project.public_id}/apiKeys")
    assert listed.status_code == 200
    assert [k["id"] for k in listed.json()["results"]] == [other.public_id]
    changed = client.patch(
        f"groups/{project.public_id}/apiKeys/{other.public_id}", json={"roles": ["GROUP_OWNER"]}
    )
    assert changed.status_code == 200
    assert {"groupId": project.public_id, "roleName": "GROUP_OWNER"} in changed.json()["roles"]
    assert client.delete(f"groups/{project.public_id}/apiKeys/{other.public_id}").status_code == 204
    assert client.get(f"groups/{project.public_id}/apiKeys").json()["totalCount"] == 0
