"""The monitoring API over the session and over HTTP Digest: /orgs/{orgId}/monitoringUsers (attach, detach),
offboarding, and a Digest client's round trip (the groups' endpoints: test_monitoring_groups_api.py)."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import OrganizationMembership
from accounts.services import (
    cluster_create,
    organization_create,
    organization_member_add,
    project_create,
    project_member_add,
)
from monitoring.models import MonitoringGroupMembership, MonitoringUser, MonitoringUserAttachment
from monitoring.services import monitoring_user_attach
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

V2 = "/api/atlas/v2"
NOT_ELIGIBLE = "Not available for Sandbox databases and Shared single-node servers"


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"


def users_url(organization, suffix=""):
    return f"{V2}/orgs/{organization.public_id}/monitoringUsers{suffix}"


def group_url(cluster):
    return f"{V2}/groups/{cluster.project.public_id}/clusters/{cluster.name}/monitoringGroup"


def dedicated(project, name="Cluster0"):
    return cluster_create(project=project, name=name, actor=None)


def signed_in_member(api, organization, owner, org_roles=(roles.ORG_MEMBER,)):
    user = UserFactory()
    organization_member_add(organization=organization, user=user, roles=list(org_roles), actor=owner)
    api.force_login(user)
    return user


# ---- /orgs/{orgId}/monitoringUsers ------------------------------------------------------------------------------


def test_attach_answers_201_with_the_monitoring_user_and_emails_the_group_admins(
    api, organization, project, owner, django_capture_on_commit_callbacks
):
    cluster = dedicated(project)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            users_url(organization),
            {"username": "ann", "emailAddress": "Ann@Example.com", "groupRole": "ADMIN"},
            format="json",
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    user = MonitoringUser.objects.get()
    assert body["id"] == user.public_id
    assert body["username"] == "ann"
    assert body["emailAddress"] == "ann@example.com"
    assert body["groupRole"] == "ADMIN"
    assert body["attachedBy"] == owner.email
    assert body["monitoringGroupCount"] == 1
    assert body["linkedUserId"] is None
    assert body["links"][0]["href"].endswith(
        f"/api/atlas/v2/orgs/{organization.public_id}/monitoringUsers/{user.public_id}"
    )
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert cluster.monitoring_group.name in mail.outbox[0].subject


def test_attach_links_the_member_with_the_same_email_or_the_one_named(api, organization, owner):
    member = UserFactory(email="carl@example.com")
    organization_member_add(organization=organization, user=member, actor=owner)
    by_email = api.post(users_url(organization), {"username": "carl@example.com"}, format="json").json()
    assert by_email["linkedUserId"] == member.public_id
    assert by_email["groupRole"] == "MEMBER"

    other = UserFactory(email="dora@example.com")
    organization_member_add(organization=organization, user=other, actor=owner)
    named = api.post(
        users_url(organization),
        {"username": "d-mms", "emailAddress": "d@elsewhere.org", "linkedUserId": other.public_id},
        format="json",
    ).json()
    assert named["linkedUsername"] == "dora@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "username"),
        ({"username": "ann@example.com", "groupRole": "OWNER"}, "groupRole"),
        ({"username": "ann", "emailAddress": "not-an-email"}, "emailAddress"),
    ],
)
def test_bad_attach_input_is_a_400_naming_the_field(api, organization, body, field):
    response = api.post(users_url(organization), body, format="json")
    assert response.status_code == 400
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert field in response.json()["parameters"]
    assert not MonitoringUser.objects.exists()


def test_a_new_user_without_an_email_is_a_400(api, organization):
    response = api.post(users_url(organization), {"username": "ann"}, format="json")
    assert response.status_code == 400
    assert "email address" in response.json()["detail"]


def test_attaching_twice_is_a_409(api, organization):
    api.post(users_url(organization), {"username": "ann@example.com"}, format="json")
    response = api.post(users_url(organization), {"username": "ANN@example.com"}, format="json")
    assert response.status_code == 409
    assert response.json()["errorCode"] == "MONITORING_USER_ALREADY_ATTACHED"


def test_a_member_reads_the_list_but_only_an_owner_attaches_and_detaches(api, organization, owner):
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    signed_in_member(api, organization, owner)

    assert api.get(users_url(organization)).json()["totalCount"] == 1
    response = api.post(users_url(organization), {"username": "bob@example.com"}, format="json")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "USER_UNAUTHORIZED"
    response = api.delete(users_url(organization, f"/{attachment.monitoring_user.public_id}"))
    assert response.status_code == 403
    assert MonitoringUserAttachment.objects.count() == 1


def test_another_organizations_list_and_users_answer_404(api, organization, owner):
    stranger = UserFactory()
    foreign = organization_create(name="Foreign", actor=stranger)
    theirs = monitoring_user_attach(organization=foreign, username="eve@example.com", actor=stranger)
    assert api.get(users_url(foreign)).status_code == 404
    assert api.post(users_url(foreign), {"username": "x@example.com"}, format="json").status_code == 404
    # Their monitoring user is not attached here: the same 404 as an unknown id.
    assert api.get(users_url(organization, f"/{theirs.monitoring_user.public_id}")).status_code == 404
    assert api.delete(users_url(organization, f"/{theirs.monitoring_user.public_id}")).status_code == 404
    assert api.get(users_url(organization, "/0123456789abcdef01234567")).status_code == 404


def test_detach_removes_the_user_from_every_group_and_answers_204(api, organization, project, owner):
    a, b = dedicated(project, "A"), dedicated(project, "B")
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    url = users_url(organization, f"/{attachment.monitoring_user.public_id}")
    assert api.get(url).json()["monitoringGroupCount"] == 2

    response = api.delete(url)

    assert response.status_code == 204
    assert not MonitoringGroupMembership.objects.filter(
        group__in=[a.monitoring_group, b.monitoring_group]
    ).exists()
    assert api.get(url).status_code == 404


def test_the_schema_says_detach_removes_from_every_group_and_hand_removal_keeps_the_list(api):
    schema = api.get(f"{V2}/openapi.json", HTTP_ACCEPT="application/json").json()
    detach = schema["paths"]["/api/atlas/v2/orgs/{org_id}/monitoringUsers/{monitoring_user_id}"]["delete"]
    assert "EVERY monitoring group" in detach["description"]
    remove = schema["paths"][
        "/api/atlas/v2/groups/{group_id}/monitoringGroups/{monitoring_group_id}/members/{monitoring_user_id}"
    ]["delete"]
    assert "attached monitoring users are left as they were" in remove["description"]


def test_list_costs_the_same_queries_for_2_and_20(api, organization, owner):
    def count():
        api.get(users_url(organization))  # warm Django's per-process caches
        with CaptureQueriesContext(connection) as queries:
            response = api.get(users_url(organization))
        assert response.status_code == 200
        return len(queries), response.json()["totalCount"]

    for i in range(2):
        monitoring_user_attach(organization=organization, username=f"u{i}@example.com", actor=owner)
    two, total = count()
    assert total == 2
    for i in range(2, 20):
        member = UserFactory(email=f"u{i}@example.com")  # linked by email: the people lookup is one query
        organization_member_add(organization=organization, user=member, actor=owner)
        monitoring_user_attach(organization=organization, username=f"u{i}@example.com", actor=owner)
    assert count() == (two, 20)


def test_legacy_prefix_serves_the_same_views(api, organization, owner):
    monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    body = api.get(f"/api/atlas/v1.0/orgs/{organization.public_id}/monitoringUsers").json()
    assert [u["username"] for u in body["results"]] == ["ann@example.com"]


# ---- offboarding ------------------------------------------------------------------------------------------------


def offboarding_url(organization, user):
    return f"{V2}/orgs/{organization.public_id}/users/{user.public_id}/offboarding"


def test_offboarding_plan_warns_and_post_reports_each_thing_removed(api, organization, project, owner):
    dana = UserFactory(email="dana@example.com")
    organization_member_add(organization=organization, user=dana, actor=owner)
    project_member_add(project=project, user=dana, roles=[roles.GROUP_READ_ONLY], actor=owner)
    plan = api.get(offboarding_url(organization, dana)).json()
    assert plan["monitoringUserDetached"] is None
    assert "no monitoring user" in plan["warnings"][0]

    cluster = dedicated(project)
    monitoring_user_attach(organization=organization, username="dana@example.com", actor=owner)
    plan = api.get(offboarding_url(organization, dana)).json()
    assert plan["warnings"] == []
    assert plan["monitoringUserDetached"]["groups"] == [cluster.monitoring_group.name]

    response = api.post(offboarding_url(organization, dana))

    assert response.status_code == 200
    report = response.json()
    assert report["user"] == {"id": dana.public_id, "username": "dana@example.com"}
    assert report["organizationRoles"] == [roles.ORG_MEMBER]
    assert report["projects"] == ["Production"]
    assert report["teams"] == []
    assert report["monitoringUserDetached"]["username"] == "dana@example.com"
    assert not OrganizationMembership.objects.filter(user=dana).exists()
    assert not MonitoringUserAttachment.objects.exists()
    assert api.post(offboarding_url(organization, dana)).status_code == 404  # nothing left


def test_offboarding_from_the_monitoring_user_side(api, organization, project, owner):
    attachment = monitoring_user_attach(organization=organization, username="ext@example.com", actor=owner)
    url = users_url(organization, f"/{attachment.monitoring_user.public_id}/offboarding")
    assert "no portal user" in api.get(url).json()["warnings"][0]
    report = api.post(url).json()
    assert report["user"] is None
    assert report["monitoringUserDetached"]["username"] == "ext@example.com"


def test_offboarding_a_stranger_answers_like_a_missing_user(api, organization, owner):
    assert api.get(offboarding_url(organization, UserFactory())).status_code == 404
    member = signed_in_member(api, organization, owner)
    assert api.post(offboarding_url(organization, member)).status_code == 403


# ---- HTTP Digest ------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_digest_client_attaches_reads_the_group_and_detaches(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    project = project_create(organization=organization, name="Mine", actor=owner)
    cluster = dedicated(project)
    client = digest_client(organization)

    created = client.post(
        f"orgs/{organization.public_id}/monitoringUsers",
        json={"username": "ann@example.com", "groupRole": "ADMIN"},
    )
    assert created.status_code == 201, created.text
    group = client.get(f"groups/{project.public_id}/clusters/{cluster.name}/monitoringGroup").json()
    assert [(m["username"], m["groupRole"]) for m in group["members"]] == [("ann@example.com", "ADMIN")]
    detached = client.delete(f"orgs/{organization.public_id}/monitoringUsers/{created.json()['id']}")
    assert detached.status_code == 204
    assert (
        client.get(f"groups/{project.public_id}/clusters/{cluster.name}/monitoringGroup").json()["members"]
        == []
    )


@pytest.mark.django_db(transaction=True)
def test_digest_client_with_a_member_key_cannot_attach(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    client = digest_client(organization, key_roles=[roles.ORG_MEMBER])
    response = client.post(
        f"orgs/{organization.public_id}/monitoringUsers", json={"username": "a@example.com"}
    )
    assert response.status_code == 403
    assert client.get(f"orgs/{organization.public_id}/monitoringUsers").status_code == 200
