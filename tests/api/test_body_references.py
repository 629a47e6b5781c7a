"""References to objects in request bodies (and page forms) go through the one fetch-with-permission path: another
tenant's object answers exactly like a missing one (status, code, message shape, parameters) and the answer
carries none of its data (issue 11, finding 2)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import selectors
from accounts.errors import ServiceError
from accounts.models import Organization
from accounts.services import organization_create, organization_member_add, project_create
from monitoring.models import MonitoringUser
from monitoring.services import monitoring_user_attach
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

V2 = "/api/atlas/v2"
MISSING = "0123456789abcdef01234567"


@pytest.fixture
def tenant_b():
    """Another organization with a person, a project and a monitoring user, none of which Acme may know of."""
    judy = UserFactory(email="judy@tenant-b.example", first_name="Judy")
    organization = organization_create(name="Tenant B", actor=judy)
    project = project_create(organization=organization, name="B secret project", actor=judy)
    monitoring_user = monitoring_user_attach(
        organization=organization, username="judy-mms", email="judy-mms@tenant-b.example", actor=judy
    ).monitoring_user
    return {
        "person": judy,
        "organization": organization,
        "project": project,
        "monitoring_user": monitoring_user,
    }


def shape(response, foreign_id):
    """What a refusal says, with the id the caller gave replaced, so a foreign and a missing id compare."""
    body = response.json()
    text = str(body).replace(foreign_id, "ID").replace(MISSING, "ID")
    return response.status_code, body["errorCode"], text


def assert_alike(foreign, missing, foreign_id, secrets):
    assert shape(foreign, foreign_id) == shape(missing, MISSING)
    for secret in secrets:
        assert secret not in foreign.content.decode()


def test_org_owner_id_of_another_tenants_person_answers_like_a_missing_id(api, tenant_b):
    judy = tenant_b["person"]
    foreign = api.post(f"{V2}/orgs", {"name": "Gift", "orgOwnerId": judy.public_id}, format="json")
    missing = api.post(f"{V2}/orgs", {"name": "Gift", "orgOwnerId": MISSING}, format="json")

    assert foreign.status_code == 400
    assert_alike(foreign, missing, judy.public_id, [judy.email, "Tenant B"])
    assert not Organization.objects.filter(name="Gift").exists()
    assert judy.organization_memberships.count() == 1


def test_org_owner_id_of_a_colleague_the_caller_manages_is_accepted(api, organization, owner):
    colleague = UserFactory()
    organization_member_add(organization=organization, user=colleague, actor=owner)
    response = api.post(
        f"{V2}/orgs", {"name": "For a colleague", "orgOwnerId": colleague.public_id}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["orgOwnerId"] == colleague.public_id


def test_linked_user_id_of_another_tenants_person_answers_like_a_missing_id(api, organization, tenant_b):
    judy = tenant_b["person"]
    url = f"{V2}/orgs/{organization.public_id}/monitoringUsers"
    body = {"username": "mms-x", "emailAddress": "mms-x@acme.example"}
    foreign = api.post(url, {**body, "linkedUserId": judy.public_id}, format="json")
    missing = api.post(url, {**body, "linkedUserId": MISSING}, format="json")

    assert foreign.status_code == 400
    assert_alike(foreign, missing, judy.public_id, [judy.email])
    assert not MonitoringUser.objects.filter(organization=organization).exists()


def test_attaching_another_tenants_monitoring_user_by_name_reveals_nothing(api, organization, tenant_b):
    theirs = tenant_b["monitoring_user"]
    url = f"{V2}/orgs/{organization.public_id}/monitoringUsers"
    foreign = api.post(url, {"username": theirs.username}, format="json")
    missing = api.post(url, {"username": "nobody-uses-this-name"}, format="json")

    assert foreign.status_code == missing.status_code == 400
    assert foreign.json()["errorCode"] == missing.json()["errorCode"]
    assert theirs.email not in foreign.content.decode()
    assert not theirs.attachments.filter(organization=organization).exists()


@pytest.mark.parametrize("kind", ["users", "monitoringUsers"])
def test_offboarding_another_tenants_subject_answers_like_a_missing_one(api, organization, tenant_b, kind):
    subject = tenant_b["person"] if kind == "users" else tenant_b["monitoring_user"]
    base = f"{V2}/orgs/{organization.public_id}/{kind}"
    for method in ("get", "post"):
        foreign = getattr(api, method)(f"{base}/{subject.public_id}/offboarding")
        missing = getattr(api, method)(f"{base}/{MISSING}/offboarding")
        assert foreign.status_code == 404
        assert_alike(foreign, missing, subject.public_id, ["Tenant B", "judy"])


def test_project_owner_id_of_another_tenants_person_answers_like_a_missing_id(api, organization, tenant_b):
    judy = tenant_b["person"]
    body = {"name": "P", "orgId": organization.public_id}
    foreign = api.post(f"{V2}/groups?projectOwnerId={judy.public_id}", body, format="json")
    missing = api.post(f"{V2}/groups?projectOwnerId={MISSING}", body, format="json")
    assert foreign.status_code == 400
    assert_alike(foreign, missing, judy.public_id, [judy.email])


def test_asking_to_join_another_tenants_project_shows_nothing_of_it(client, owner, tenant_b):
    project = tenant_b["project"]
    client.force_login(owner)

    foreign = client.post(f"/projects/{project.public_id}/join/", {"message": "let me in"}, follow=True)
    missing = client.post(f"/projects/{MISSING}/join/", {"message": "let me in"}, follow=True)

    assert project.name not in foreign.content.decode()
    assert "Tenant B" not in foreign.content.decode()
    said = [[str(m) for m in response.context["messages"]] for response in (foreign, missing)]
    assert [s.replace(project.public_id, "ID") for s in said[0]] == [
        s.replace(MISSING, "ID") for s in said[1]
    ]
    assert project.name not in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("fetch", "kind"),
    [
        (
            lambda actor, b: selectors.access_organization(
                actor=actor, organization_id=b["organization"].public_id
            ),
            "organization",
        ),
        (
            lambda actor, b: selectors.access_project(actor=actor, project_id=b["project"].public_id),
            "project",
        ),
        (lambda actor, b: selectors.access_person(actor=actor, user_id=b["person"].public_id), "user"),
    ],
)
def test_a_foreign_object_costs_the_same_queries_and_says_the_same_as_a_missing_one(
    owner, tenant_b, fetch, kind
):
    """ "Same time": the lookup is scoped to what the actor sees, so both answers run the same queries."""
    missing_b = {
        "organization": Organization(public_id=MISSING),
        "project": type("P", (), {"public_id": MISSING})(),
        "person": type("U", (), {"public_id": MISSING})(),
    }
    answers = []
    for b in (tenant_b, missing_b):
        owner_fresh = type(owner).objects.get(pk=owner.pk)  # no permission cache carried between the two
        with CaptureQueriesContext(connection) as queries, pytest.raises(ServiceError) as error:
            fetch(owner_fresh, b)
        answers.append((error.value.code, error.value.message.split(" with ID ")[0], len(queries)))
    assert answers[0] == answers[1]
    assert answers[0][0] == "RESOURCE_NOT_FOUND"
