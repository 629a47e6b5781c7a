"""Atlas's support-access API: :grantMongoDBEmployeeAccess / :revokeMongoDBEmployeeAccess on a cluster, the
cluster's mongoDBEmployeeAccessGrant while a grant is in force, and /orgs/{orgId}/settings; over the session
and over HTTP Digest."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEvent
from accounts.services import cluster_create, organization_create, project_create, project_member_add
from support.models import SupportAccessGrant
from support.selectors import support_access_restricted
from support.services import support_access_restrict_set, support_grant_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GrantType = SupportAccessGrant.GrantType
Status = SupportAccessGrant.Status
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def iso(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def cluster_url(project, name="Cluster0", prefix="v2"):
    return f"/api/atlas/{prefix}/groups/{project.public_id}/clusters/{name}"


def grant_url(project, name="Cluster0", prefix="v2"):
    return cluster_url(project, name, prefix) + ":grantMongoDBEmployeeAccess"


def revoke_url(project, name="Cluster0", prefix="v2"):
    return cluster_url(project, name, prefix) + ":revokeMongoDBEmployeeAccess"


def settings_url(organization):
    return f"/api/atlas/v2/orgs/{organization.public_id}/settings"


@pytest.fixture
def blocked(organization, owner):
    support_access_restrict_set(organization=organization, restrict=True, actor=owner)
    return organization


@pytest.fixture
def cluster(project):
    return cluster_create(project=project, name="Cluster0", actor=None)


def post_grant(api, project, body, name="Cluster0"):
    return api.post(grant_url(project, name), body, format="json")


# ---- grant -------------------------------------------------------------------------------------------------------


def test_grant_answers_204_and_the_cluster_shows_it(api, blocked, project, cluster):
    expires = NOW + timedelta(hours=12)
    with time_machine.travel(NOW, tick=False):
        response = post_grant(
            api, project, {"grantType": "CLUSTER_INFRASTRUCTURE", "expirationTime": iso(expires)}
        )
        assert response.status_code == 204
        shown = api.get(cluster_url(project)).json()["mongoDBEmployeeAccessGrant"]
        listed = api.get(f"/api/atlas/v2/groups/{project.public_id}/clusters").json()["results"][0]

    assert shown == {"grantType": "CLUSTER_INFRASTRUCTURE", "expirationTime": "2026-03-02T21:00:00Z"}
    assert listed["mongoDBEmployeeAccessGrant"] == shown
    made = SupportAccessGrant.objects.get()
    assert made.expires_at == expires
    assert AuditEvent.objects.filter(event_type="EMPLOYEE_ACCESS_GRANTED").exists()


def test_the_grant_is_gone_from_the_cluster_at_the_instant_of_expiry(api, blocked, project, cluster):
    with time_machine.travel(NOW, tick=False):
        post_grant(
            api,
            project,
            {"grantType": "CLUSTER_DATABASE_LOGS", "expirationTime": iso(NOW + timedelta(hours=24))},
        )
    with time_machine.travel(NOW + timedelta(hours=24) - timedelta(seconds=1), tick=False):
        assert "mongoDBEmployeeAccessGrant" in api.get(cluster_url(project)).json()
    with time_machine.travel(NOW + timedelta(hours=24), tick=False):
        assert "mongoDBEmployeeAccessGrant" not in api.get(cluster_url(project)).json()
        listed = api.get(f"/api/atlas/v2/groups/{project.public_id}/clusters").json()["results"][0]
        assert "mongoDBEmployeeAccessGrant" not in listed


@pytest.mark.parametrize(
    ("offset", "code"),
    [
        (timedelta(hours=24, seconds=1), "EXPIRATION_TOO_FAR"),
        (timedelta(days=7), "EXPIRATION_TOO_FAR"),
        (timedelta(0), "INVALID_EXPIRATION_TIME"),
        (timedelta(minutes=-1), "INVALID_EXPIRATION_TIME"),
    ],
)
def test_the_expiration_must_be_in_the_future_and_at_most_24_hours_ahead(
    api, blocked, project, cluster, offset, code
):
    with time_machine.travel(NOW, tick=False):
        response = post_grant(
            api, project, {"grantType": "CLUSTER_INFRASTRUCTURE", "expirationTime": iso(NOW + offset)}
        )
    assert response.status_code == 400
    body = response.json()
    assert (body["error"], body["errorCode"]) == (400, code)
    assert not SupportAccessGrant.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"grantType": "CLUSTER_INFRASTRUCTURE"}, ["expirationTime"]),
        ({"expirationTime": "2026-03-02T10:00:00Z"}, ["grantType"]),
        ({"grantType": "EVERYTHING", "expirationTime": "2026-03-02T10:00:00Z"}, ["grantType"]),
        ({"grantType": "CLUSTER_INFRASTRUCTURE", "expirationTime": "tomorrow"}, ["expirationTime"]),
    ],
)
def test_a_malformed_body_is_a_400_naming_the_field(api, blocked, project, cluster, body, fields):
    response = post_grant(api, project, body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "VALIDATION_ERROR"
    assert response.json()["parameters"] == fields


def test_with_the_block_off_only_sync_data_can_be_granted(api, organization, project, cluster):
    synced = cluster_create(project=project, name="Synced", sync_enabled=True, actor=None)
    expires = iso(timezone.now() + timedelta(hours=2))

    refused = post_grant(api, project, {"grantType": "CLUSTER_INFRASTRUCTURE", "expirationTime": expires})
    assert (refused.status_code, refused.json()["errorCode"]) == (400, "GRANT_NOT_NEEDED")
    no_sync = post_grant(
        api,
        project,
        {"grantType": "CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA", "expirationTime": expires},
    )
    assert (no_sync.status_code, no_sync.json()["errorCode"]) == (400, "SYNC_NOT_ENABLED")
    granted = post_grant(
        api,
        project,
        {"grantType": "CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA", "expirationTime": expires},
        name=synced.name,
    )
    assert granted.status_code == 204


def test_a_second_grant_replaces_the_first(api, blocked, project, cluster):
    expires = iso(timezone.now() + timedelta(hours=2))
    post_grant(api, project, {"grantType": "CLUSTER_DATABASE_LOGS", "expirationTime": expires})
    post_grant(api, project, {"grantType": "CLUSTER_INFRASTRUCTURE", "expirationTime": expires})

    assert api.get(cluster_url(project)).json()["mongoDBEmployeeAccessGrant"]["grantType"] == (
        "CLUSTER_INFRASTRUCTURE"
    )
    assert sorted(SupportAccessGrant.objects.values_list("status", flat=True)) == ["ACTIVE", "REPLACED"]


def test_a_reader_gets_a_403_and_a_stranger_a_404(blocked, owner, project, cluster):
    reader = UserFactory()
    project_member_add(project=project, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    body = {"grantType": "CLUSTER_INFRASTRUCTURE", "expirationTime": iso(timezone.now() + timedelta(hours=1))}
    client = APIClient()

    client.force_login(reader)
    assert client.post(grant_url(project), body, format="json").json()["errorCode"] == "USER_UNAUTHORIZED"
    assert client.post(revoke_url(project)).status_code == 403

    client.force_login(UserFactory())
    for url in (grant_url(project), revoke_url(project)):
        response = client.post(url, body, format="json")
        assert (response.status_code, response.json()["errorCode"]) == (404, "RESOURCE_NOT_FOUND")
    assert not SupportAccessGrant.objects.exists()


def test_an_unknown_cluster_is_a_404(api, blocked, project):
    body = {"grantType": "CLUSTER_INFRASTRUCTURE", "expirationTime": iso(timezone.now() + timedelta(hours=1))}
    assert post_grant(api, project, body, name="Nope").status_code == 404


def test_the_legacy_prefix_serves_the_same_actions(api, blocked, project, cluster):
    body = {"grantType": "CLUSTER_INFRASTRUCTURE", "expirationTime": iso(timezone.now() + timedelta(hours=1))}
    assert api.post(grant_url(project, prefix="v1.0"), body, format="json").status_code == 204
    assert api.post(revoke_url(project, prefix="v1.0")).status_code == 204
    assert SupportAccessGrant.objects.get().status == Status.REVOKED


# ---- revoke ------------------------------------------------------------------------------------------------------


def test_revoke_answers_204_and_the_grant_disappears(api, blocked, owner, project, cluster):
    support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)

    assert api.post(revoke_url(project)).status_code == 204

    assert "mongoDBEmployeeAccessGrant" not in api.get(cluster_url(project)).json()
    assert SupportAccessGrant.objects.get().status == Status.REVOKED


def test_revoking_when_nothing_is_granted_is_still_a_204(api, blocked, project, cluster):
    assert api.post(revoke_url(project)).status_code == 204
    assert not AuditEvent.objects.filter(event_type="EMPLOYEE_ACCESS_REVOKED").exists()


# ---- the clusters list stays constant in queries with grants -------------------------------------------------------


def test_the_clusters_list_with_grants_costs_the_same_queries_for_2_and_20(api, blocked, owner, project):
    def count():
        api.get(f"/api/atlas/v2/groups/{project.public_id}/clusters")
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"/api/atlas/v2/groups/{project.public_id}/clusters")
        results = response.json()["results"]
        return len(queries), sum("mongoDBEmployeeAccessGrant" in c for c in results)

    def add(start, stop):
        for i in range(start, stop):
            cluster = cluster_create(project=project, name=f"c{i:03}", actor=None)
            support_grant_create(cluster=cluster, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, actor=owner)

    add(0, 2)
    two, granted = count()
    assert granted == 2
    add(2, 20)
    twenty, granted = count()
    assert granted == 20
    assert twenty == two


# ---- /orgs/{orgId}/settings ------------------------------------------------------------------------------------


def test_settings_read_and_change_both_fields(api, organization):
    assert api.get(settings_url(organization)).json() == {
        "restrictEmployeeAccess": False,
        "apiAccessListRequired": False,
        "multiFactorAuthRequired": False,
    }

    response = api.patch(
        settings_url(organization),
        {"restrictEmployeeAccess": True, "apiAccessListRequired": True},
        format="json",
    )

    assert response.status_code == 200
    assert response.json() == {
        "restrictEmployeeAccess": True,
        "apiAccessListRequired": True,
        "multiFactorAuthRequired": False,
    }
    assert support_access_restricted(organization)
    assert AuditEvent.objects.filter(event_type="ORG_EMPLOYEE_ACCESS_RESTRICTED").count() == 1


def test_settings_patch_changes_only_what_it_names(api, organization):
    api.patch(settings_url(organization), {"apiAccessListRequired": True}, format="json")
    body = api.patch(settings_url(organization), {"restrictEmployeeAccess": True}, format="json").json()
    assert body == {
        "restrictEmployeeAccess": True,
        "apiAccessListRequired": True,
        "multiFactorAuthRequired": False,
    }


def test_a_bad_settings_value_is_a_400_and_changes_nothing(api, organization):
    response = api.patch(
        settings_url(organization),
        {"restrictEmployeeAccess": "maybe", "apiAccessListRequired": True},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["parameters"] == ["restrictEmployeeAccess"]
    assert api.get(settings_url(organization)).json()["apiAccessListRequired"] is False


def test_members_read_the_settings_but_only_owners_change_them(organization, owner):
    from accounts.services import organization_member_add

    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    client = APIClient()
    client.force_login(member)

    assert client.get(settings_url(organization)).status_code == 200
    response = client.patch(settings_url(organization), {"restrictEmployeeAccess": True}, format="json")
    assert (response.status_code, response.json()["errorCode"]) == (403, "USER_UNAUTHORIZED")
    assert not support_access_restricted(organization)

    client.force_login(UserFactory())
    assert client.get(settings_url(organization)).status_code == 404


# ---- HTTP Digest ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_digest_client_grants_sees_and_revokes_and_blocks(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    project = project_create(organization=organization, name="Mine", actor=owner)
    cluster_create(project=project, name="Cluster0", actor=None)
    client = digest_client(organization, key_roles=[roles.ORG_OWNER])

    blocked = client.patch(f"orgs/{organization.public_id}/settings", json={"restrictEmployeeAccess": True})
    assert blocked.status_code == 200
    assert blocked.json()["restrictEmployeeAccess"] is True

    expires = iso(timezone.now() + timedelta(hours=3))
    cluster_path = f"groups/{project.public_id}/clusters/Cluster0"
    granted = client.post(
        f"{cluster_path}:grantMongoDBEmployeeAccess",
        json={"grantType": "CLUSTER_DATABASE_LOGS", "expirationTime": expires},
    )
    assert granted.status_code == 204
    assert client.get(cluster_path).json()["mongoDBEmployeeAccessGrant"] == {
        "grantType": "CLUSTER_DATABASE_LOGS",
        "expirationTime": expires,
    }
    too_far = client.post(
        f"{cluster_path}:grantMongoDBEmployeeAccess",
        json={
            "grantType": "CLUSTER_DATABASE_LOGS",
            "expirationTime": iso(timezone.now() + timedelta(days=2)),
        },
    )
    assert (too_far.status_code, too_far.json()["errorCode"]) == (400, "EXPIRATION_TOO_FAR")

    assert client.post(f"{cluster_path}:revokeMongoDBEmployeeAccess").status_code == 204
    assert "mongoDBEmployeeAccessGrant" not in client.get(cluster_path).json()
    event = AuditEvent.objects.get(event_type="EMPLOYEE_ACCESS_REVOKED")
    assert event.actor.is_service_account


@pytest.mark.django_db(transaction=True)
def test_a_read_only_digest_key_may_not_grant(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    project = project_create(organization=organization, name="Mine", actor=owner)
    cluster_create(project=project, name="Cluster0", actor=None)
    support_access_restrict_set(organization=organization, restrict=True, actor=owner)
    client = digest_client(organization, key_roles=[roles.ORG_READ_ONLY])

    response = client.post(
        f"groups/{project.public_id}/clusters/Cluster0:grantMongoDBEmployeeAccess",
        json={
            "grantType": "CLUSTER_INFRASTRUCTURE",
            "expirationTime": iso(timezone.now() + timedelta(hours=1)),
        },
    )
    assert (response.status_code, response.json()["errorCode"]) == (403, "USER_UNAUTHORIZED")
    settings = client.patch(f"orgs/{organization.public_id}/settings", json={"restrictEmployeeAccess": False})
    assert settings.status_code == 403
    assert support_access_restricted(organization)
