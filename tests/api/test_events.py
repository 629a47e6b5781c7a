"""/orgs/{orgId}/events and /groups/{groupId}/events over the session and over HTTP Digest."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import roles
from accounts.audit import audit_event_record
from accounts.models import ApiKey, AuditEvent, Cluster
from accounts.services import (
    cluster_create,
    organization_create,
    organization_member_add,
    project_create,
    project_member_add,
    team_create,
)
from accounts.services.api_keys import api_key_create, api_key_delete
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Event = AuditEvent.Type
MISSING_ID = "0123456789abcdef01234567"


def org_events_url(organization, event_id=""):
    return f"/api/atlas/v2/orgs/{organization.public_id}/events" + (f"/{event_id}" if event_id else "")


def group_events_url(project, event_id=""):
    return f"/api/atlas/v2/groups/{project.public_id}/events" + (f"/{event_id}" if event_id else "")


def client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


# ---- organization events -----------------------------------------------------------------------------------


def test_org_events_newest_first_with_who_and_what(api, organization, owner):
    colleague = UserFactory(email="colleague@example.com")
    organization_member_add(organization=organization, user=colleague, actor=owner)

    body = api.get(org_events_url(organization)).json()

    assert [e["eventTypeName"] for e in body["results"]] == ["JOINED_ORG", "JOINED_ORG", "ORG_CREATED"]
    assert body["totalCount"] == 3
    joined = body["results"][0]
    assert joined["orgId"] == organization.public_id
    assert joined["userId"] == owner.public_id
    assert joined["username"] == "owner@example.com"
    assert joined["targetUsername"] == "colleague@example.com"
    assert joined["created"].endswith("Z")
    assert joined["links"][0]["href"].endswith(f"/orgs/{organization.public_id}/events/{joined['id']}")
    assert "groupId" not in joined
    assert "apiKeyId" not in joined
    assert "raw" not in joined


def test_request_address_is_the_events_remote_address(api, organization):
    renaming = api.patch(f"/api/atlas/v2/orgs/{organization.public_id}", {"name": "Renamed"}, format="json")
    assert renaming.status_code == 200
    renamed = results(api.get(org_events_url(organization) + "?eventType=ORG_RENAMED"))[0]
    assert renamed["remoteAddress"] == "127.0.0.1"


def test_api_key_actor_is_apikeyid_and_publickey_instead_of_a_user(api, organization, owner):
    api_key, _ = api_key_create(
        organization=organization, description="ci", roles=[roles.ORG_OWNER], actor=owner
    )
    audit_event_record(event_type=Event.ORG_RENAMED, actor=api_key.user, organization=organization)

    by_key = results(api.get(org_events_url(organization) + "?eventType=ORG_RENAMED"))[0]
    assert by_key["apiKeyId"] == api_key.public_id
    assert by_key["publicKey"] == api_key.public_key
    assert "userId" not in by_key and "username" not in by_key

    created = results(api.get(org_events_url(organization) + "?eventType=API_KEY_CREATED"))[0]
    assert created["targetPublicKey"] == api_key.public_key
    assert created["userId"] == owner.public_id
    assert "publicKey" not in created


def test_events_of_a_deleted_key_still_list_by_the_email_they_recorded(api, organization, owner):
    api_key, _ = api_key_create(
        organization=organization, description="gone", roles=[roles.ORG_OWNER], actor=owner
    )
    audit_event_record(event_type=Event.ORG_RENAMED, actor=api_key.user, organization=organization)
    recorded_email = api_key.user.email
    api_key_delete(api_key=api_key, actor=owner)

    event = results(api.get(org_events_url(organization) + "?eventType=ORG_RENAMED"))[0]

    assert event["username"] == recorded_email
    assert "userId" not in event and "apiKeyId" not in event


def test_system_events_name_no_actor_and_teams_are_named_by_id(api, organization, owner):
    team = team_create(organization=organization, name="Ops", actor=owner)
    audit_event_record(event_type=Event.TEAM_NAME_CHANGED, actor=None, organization=organization, target=team)

    event = results(api.get(org_events_url(organization) + "?eventType=TEAM_NAME_CHANGED"))[0]

    assert event["teamId"] == team.public_id
    assert not {"userId", "username", "apiKeyId", "publicKey"} & set(event)


def test_include_raw_shows_what_the_event_recorded(api, organization, owner):
    organization_member_add(
        organization=organization, user=UserFactory(), roles=[roles.ORG_READ_ONLY], actor=owner
    )
    event = results(api.get(org_events_url(organization) + "?eventType=JOINED_ORG&includeRaw=true"))[0]
    assert event["raw"] == {"roles": [roles.ORG_READ_ONLY]}


def test_event_type_filter_takes_several_types(api, organization, owner):
    team_create(organization=organization, name="Ops", actor=owner)
    body = api.get(org_events_url(organization) + "?eventType=TEAM_CREATED&eventType=ORG_CREATED").json()
    assert [e["eventTypeName"] for e in body["results"]] == ["TEAM_CREATED", "ORG_CREATED"]


def test_date_filters_are_inclusive_and_read_iso_8601(api, organization, owner):
    for moment in ("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"):
        with time_machine.travel(moment, tick=False):
            audit_event_record(event_type=Event.ORG_RENAMED, actor=owner, organization=organization)
    url = org_events_url(organization) + "?eventType=ORG_RENAMED"

    def created(query):
        return [e["created"][:10] for e in results(api.get(url + query))]

    assert created("&minDate=2024-02-01T00:00:00Z") == ["2024-03-01", "2024-02-01"]
    assert created("&maxDate=2024-02-01T00:00:00Z") == ["2024-02-01", "2024-01-01"]
    assert created("&minDate=2024-01-15&maxDate=2024-02-15") == ["2024-02-01"]
    assert created("&minDate=2024-02-01T01:00:00%2B01:00") == ["2024-03-01", "2024-02-01"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("minDate=yesterday", "minDate"),
        ("maxDate=2024-13-01", "maxDate"),
        ("minDate=2024-02-01T00:00:00+01:00", "minDate"),
        ("minDate=2024-03-01&maxDate=2024-02-01", "minDate"),
        ("eventType=NOT_A_TYPE", "eventType"),
        ("eventType=", "eventType"),
        ("includeRaw=maybe", "includeRaw"),
        ("itemsPerPage=600", "itemsPerPage"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(api, organization, query, parameter):
    response = api.get(org_events_url(organization) + "?" + query)
    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "INVALID_QUERY_PARAMETER"
    assert body["parameters"] == [parameter]
    assert parameter in body["detail"]


def test_org_member_reads_org_events_but_not_project_ones(organization, owner, project):
    person = UserFactory()
    organization_member_add(organization=organization, user=person, actor=owner)
    names = [e["eventTypeName"] for e in results(client_for(person).get(org_events_url(organization)))]
    assert "ORG_CREATED" in names
    assert "GROUP_CREATED" not in names  # the project's own events are under /groups/{groupId}/events


def test_get_one_org_event(api, organization):
    event = AuditEvent.objects.get(organization=organization, event_type=Event.ORG_CREATED)
    response = api.get(org_events_url(organization, event.public_id))
    assert response.status_code == 200
    assert response.json()["id"] == event.public_id
    assert response.json()["eventTypeName"] == "ORG_CREATED"


def test_event_of_another_organization_or_project_is_a_404_like_a_missing_one(api, organization, project):
    stranger = UserFactory()
    foreign = organization_create(name="Foreign", actor=stranger)
    foreign_event = AuditEvent.objects.filter(organization=foreign).first()
    project_event = AuditEvent.objects.filter(project=project).first()
    for event_id in (foreign_event.public_id, project_event.public_id, MISSING_ID):
        response = api.get(org_events_url(organization, event_id))
        assert response.status_code == 404, event_id
        assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"


def test_foreign_organization_events_are_a_404_like_a_missing_organization(api):
    foreign = organization_create(name="Foreign", actor=UserFactory())
    event = AuditEvent.objects.filter(organization=foreign).first()
    for url in (
        org_events_url(foreign),
        org_events_url(foreign, event.public_id),
        f"/api/atlas/v2/orgs/{MISSING_ID}/events",
    ):
        response = api.get(url)
        assert response.status_code == 404, url
        assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"


def test_org_events_cost_the_same_queries_for_4_and_20(api, organization, owner):
    """Mixed actors (people, an API key, the system) and targets: still one page query."""
    api_key, _ = api_key_create(
        organization=organization, description="k", roles=[roles.ORG_MEMBER], actor=owner
    )
    actors = [owner, api_key.user, None, UserFactory()]

    def record(n):
        for i in range(n):
            audit_event_record(
                event_type=Event.ORG_RENAMED, actor=actors[i % 4], organization=organization, target=owner
            )

    url = org_events_url(organization) + "?eventType=ORG_RENAMED&includeRaw=true"

    def count():
        api.get(url)  # warm Django's per-process caches (content types)
        with CaptureQueriesContext(connection) as queries:
            body = results(api.get(url))
        return len(queries), len(body)

    record(4)  # one event by each kind of actor, as in the larger set
    four, listed = count()
    assert listed == 4
    record(16)
    twenty, listed = count()
    assert listed == 20
    assert twenty == four


# ---- project events ----------------------------------------------------------------------------------------


def test_group_events_are_the_projects_own(api, organization, owner, project):
    cluster_create(project=project, name="Cluster0", tier=Cluster.Tier.SANDBOX, actor=None)
    other = project_create(organization=organization, name="Other", actor=owner)
    cluster_create(project=other, name="Elsewhere", tier=Cluster.Tier.SANDBOX, actor=None)

    body = api.get(group_events_url(project)).json()

    assert [e["eventTypeName"] for e in body["results"]] == [
        "CLUSTER_CREATED",
        "JOINED_GROUP",
        "GROUP_CREATED",
    ]
    cluster_event = body["results"][0]
    assert cluster_event["clusterName"] == "Cluster0"
    assert cluster_event["groupId"] == project.public_id
    assert cluster_event["orgId"] == organization.public_id
    assert cluster_event["links"][0]["href"].endswith(
        f"/groups/{project.public_id}/events/{cluster_event['id']}"
    )
    assert body["results"][1]["targetUsername"] == "owner@example.com"


def test_group_events_filter_by_type(api, project):
    cluster_create(project=project, name="Cluster0", actor=None)
    assert [
        e["eventTypeName"] for e in results(api.get(group_events_url(project) + "?eventType=GROUP_CREATED"))
    ] == ["GROUP_CREATED"]
    assert api.get(group_events_url(project) + "?minDate=soon").json()["parameters"] == ["minDate"]


def test_get_one_group_event(api, project):
    event = AuditEvent.objects.get(project=project, event_type=Event.GROUP_CREATED)
    body = api.get(group_events_url(project, event.public_id)).json()
    assert body["id"] == event.public_id
    assert body["groupId"] == project.public_id


def test_event_of_another_project_is_a_404(api, organization, owner, project):
    other = project_create(organization=organization, name="Other", actor=owner)
    event = AuditEvent.objects.filter(project=other).first()
    org_event = AuditEvent.objects.get(organization=organization, event_type=Event.ORG_CREATED)
    for event_id in (event.public_id, org_event.public_id, MISSING_ID):
        response = api.get(group_events_url(project, event_id))
        assert response.status_code == 404
        assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"


def test_group_events_need_project_read(organization, owner, project):
    person = UserFactory()
    organization_member_add(organization=organization, user=person, actor=owner)
    client = client_for(person)
    assert client.get(group_events_url(project)).status_code == 404
    project_member_add(project=project, user=person, roles=[roles.GROUP_READ_ONLY], actor=owner)
    assert client.get(group_events_url(project)).status_code == 200


def test_foreign_project_events_are_a_404_like_a_missing_project(api):
    stranger = UserFactory()
    foreign = project_create(
        organization=organization_create(name="Foreign", actor=stranger), name="Theirs", actor=stranger
    )
    event = AuditEvent.objects.filter(project=foreign).first()
    for url in (
        group_events_url(foreign),
        group_events_url(foreign, event.public_id),
        f"/api/atlas/v2/groups/{MISSING_ID}/events",
    ):
        response = api.get(url)
        assert response.status_code == 404, url
        assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"


def test_group_events_cost_the_same_queries_for_2_and_20(api, owner, project):
    url = group_events_url(project) + "?eventType=CLUSTER_CREATED"

    def count():
        api.get(url)  # warm Django's per-process caches (content types)
        with CaptureQueriesContext(connection) as queries:
            body = results(api.get(url))
        return len(queries), len(body)

    for i in range(2):
        cluster_create(project=project, name=f"c{i:03}", actor=owner if i % 2 else None)
    two, listed = count()
    assert listed == 2
    for i in range(2, 20):
        cluster_create(project=project, name=f"c{i:03}", actor=owner if i % 2 else None)
    twenty, listed = count()
    assert listed == 20
    assert twenty == two


# ---- over HTTP Digest --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_digest_client_reads_org_events_and_sees_itself_as_the_actor(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    client = digest_client(organization, key_roles=[roles.ORG_OWNER])
    api_key = ApiKey.objects.get(public_key=client.session.auth.username)
    assert client.patch(f"orgs/{organization.public_id}", json={"name": "Renamed"}).status_code == 200

    listed = client.get(f"orgs/{organization.public_id}/events", params={"eventType": "ORG_RENAMED"})
    assert listed.status_code == 200
    (event,) = listed.json()["results"]
    assert event["apiKeyId"] == api_key.public_id
    assert event["publicKey"] == api_key.public_key
    assert event["remoteAddress"] in {"127.0.0.1", "::1"}

    one = client.get(f"orgs/{organization.public_id}/events/{event['id']}")
    assert one.json()["id"] == event["id"]
    foreign = organization_create(name="Elsewhere", actor=UserFactory())
    assert client.get(f"orgs/{foreign.public_id}/events").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_digest_org_member_key_reads_org_events_not_unassigned_project_events(digest_client):
    owner = UserFactory()
    organization = organization_create(name="Digest Org", actor=owner)
    project = project_create(organization=organization, name="P", actor=owner)
    member = digest_client(organization, key_roles=[roles.ORG_MEMBER])

    assert member.get(f"orgs/{organization.public_id}/events").status_code == 200
    assert member.get(f"groups/{project.public_id}/events").status_code == 404
