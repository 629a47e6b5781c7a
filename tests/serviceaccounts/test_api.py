"""The Atlas v2 routes of service accounts: shapes, permissions by role, audit, and "not found" for another
organization's account on every route."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEvent
from accounts.services import organization_create, organization_member_add, project_create
from serviceaccounts.models import ServiceAccount
from serviceaccounts.services.accounts import service_account_access_list_add, service_account_project_assign
from tests import factories

pytestmark = pytest.mark.django_db
V2 = "/api/atlas/v2"


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def api(owner):
    return session(owner)


def create(api, organization, **overrides):
    body = {
        "name": "deployer",
        "description": "CI deployments",
        "roles": [roles.ORG_READ_ONLY],
        "secretExpiresAfterHours": 24,
        **overrides,
    }
    return api.post(f"{V2}/orgs/{organization.public_id}/serviceAccounts", body, format="json")


def test_create_answers_the_secret_once(api, organization):
    response = create(api, organization)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["clientId"].startswith("mdb_sa_id_") and len(body["clientId"]) == 34
    assert body["name"] == "deployer" and body["roles"] == [roles.ORG_READ_ONLY]
    (secret,) = body["secrets"]
    assert secret["secret"].startswith("mdb_sa_sk_")
    assert secret["maskedSecretValue"] == f"mdb_sa_sk_...{secret['secret'][-4:]}"
    shown = api.get(f"{V2}/orgs/{organization.public_id}/serviceAccounts/{body['clientId']}").json()
    assert "secret" not in shown["secrets"][0]
    assert shown["secrets"][0]["id"] == secret["id"]
    assert AuditEvent.objects.filter(event_type="SERVICE_ACCOUNT_CREATED").count() == 1


@pytest.mark.parametrize("hours", [7, 8761, "x"])
def test_secret_expiry_is_within_atlas_bounds(api, organization, hours):
    response = create(api, organization, secretExpiresAfterHours=hours)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "VALIDATION_ERROR"


def test_unknown_role_is_refused(api, organization):
    response = create(api, organization, roles=["GROUP_OWNER"])
    assert response.status_code == 400 and response.json()["errorCode"] == "INVALID_ROLE"


def test_no_escalation_and_only_owners_manage_service_accounts(organization, owner):
    creator = factories.UserFactory(email="creator@example.com")
    organization_member_add(
        organization=organization, user=creator, roles=[roles.ORG_GROUP_CREATOR], actor=owner
    )
    assert create(session(creator), organization).status_code == 403
    reader = factories.UserFactory(email="reader@example.com")
    organization_member_add(organization=organization, user=reader, roles=[roles.ORG_READ_ONLY], actor=owner)
    listing = session(reader).get(f"{V2}/orgs/{organization.public_id}/serviceAccounts")
    assert listing.status_code == 200


def test_a_service_account_cannot_grant_more_than_it_holds(
    organization, project, make_service_account, oauth, owner
):
    """A service account that administers a project's users assigns others only roles it holds itself."""
    from .conftest import token_for

    admin, secret = make_service_account(organization, [roles.ORG_MEMBER], name="project admin")
    service_account_project_assign(
        service_account=admin, project=project, roles=[roles.GROUP_USER_ADMIN], actor=owner
    )
    other, _ = make_service_account(organization, [roles.ORG_MEMBER], name="other")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(oauth, admin.client_id, secret)}")
    invite = f"{V2}/groups/{project.public_id}/serviceAccounts/{other.client_id}:invite"
    response = client.post(invite, [{"roles": [roles.GROUP_OWNER]}], format="json")
    assert response.status_code == 403 and response.json()["errorCode"] == "ROLE_ESCALATION"
    assert client.post(invite, [{"roles": [roles.GROUP_READ_ONLY]}], format="json").status_code == 201
    assert (
        create(client, organization).status_code == 403
    )  # only an Organization Owner makes service accounts


def test_list_costs_the_same_at_any_size(api, organization, make_service_account):
    url = f"{V2}/orgs/{organization.public_id}/serviceAccounts"
    make_service_account(organization, name="first")
    api.get(url)  # a process's first request reads a content type into Django's cache: not a cost of the list
    with CaptureQueriesContext(connection) as few:
        assert api.get(url).json()["totalCount"] == 1
    for n in range(6):
        make_service_account(organization, name=f"robot {n}")
    with CaptureQueriesContext(connection) as many:
        assert api.get(url).json()["totalCount"] == 7
    assert len(many) == len(few)


def test_update_changes_name_description_and_roles_with_audit(api, organization, service_account):
    account, _ = service_account
    url = f"{V2}/orgs/{organization.public_id}/serviceAccounts/{account.client_id}"
    response = api.patch(url, {"name": "renamed", "roles": [roles.ORG_MEMBER]}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "renamed" and response.json()["roles"] == [roles.ORG_MEMBER]
    assert AuditEvent.objects.filter(event_type="SERVICE_ACCOUNT_DETAILS_CHANGED").count() == 1
    assert AuditEvent.objects.filter(event_type="SERVICE_ACCOUNT_ROLES_CHANGED").count() == 1


def test_delete_removes_the_account_and_its_user(api, organization, service_account):
    account, _ = service_account
    url = f"{V2}/orgs/{organization.public_id}/serviceAccounts/{account.client_id}"
    assert api.delete(url).status_code == 204
    assert not ServiceAccount.objects.exists()
    assert api.get(url).json()["errorCode"] == "SERVICE_ACCOUNT_NOT_FOUND"
    assert AuditEvent.objects.filter(event_type="SERVICE_ACCOUNT_DELETED").count() == 1


def test_secret_rotation(api, organization, service_account, oauth):
    from .conftest import token_for

    account, old_secret = service_account
    base = f"{V2}/orgs/{organization.public_id}/serviceAccounts/{account.client_id}/secrets"
    response = api.post(base, {"secretExpiresAfterHours": 48}, format="json")
    assert response.status_code == 201 and response["Cache-Control"] == "no-store"
    new = response.json()
    assert set(new) >= {"id", "secret", "createdAt", "expiresAt", "maskedSecretValue"}
    token_for(oauth, account.client_id, new["secret"])
    assert api.post(base, {"secretExpiresAfterHours": 48}, format="json").status_code == 409
    old_id = account.secrets.exclude(public_id=new["id"]).get().public_id
    assert api.delete(f"{base}/{old_id}").status_code == 204
    response = oauth.post(
        "/api/oauth/token",
        f"grant_type=client_credentials&client_id={account.client_id}&client_secret={old_secret}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 401
    assert api.delete(f"{base}/{old_id}").json()["errorCode"] == "SERVICE_ACCOUNT_SECRET_NOT_FOUND"
    assert AuditEvent.objects.filter(event_type="SERVICE_ACCOUNT_SECRET_DELETED").count() == 1


def test_access_list(api, organization, service_account):
    account, _ = service_account
    base = f"{V2}/orgs/{organization.public_id}/serviceAccounts/{account.client_id}/accessList"
    response = api.post(base, [{"ipAddress": "203.0.113.7"}, {"cidrBlock": "198.51.100.0/24"}], format="json")
    assert response.status_code == 201
    assert [e["cidrBlock"] for e in response.json()["results"]] == ["198.51.100.0/24", "203.0.113.7/32"]
    assert response.json()["results"][1]["ipAddress"] == "203.0.113.7"
    assert (
        api.post(base, {"cidrBlock": "10.0.0.1/8"}, format="json").json()["errorCode"] == "INVALID_IP_ADDRESS"
    )
    assert api.delete(f"{base}/198.51.100.0%2F24").status_code == 204
    assert api.get(base).json()["totalCount"] == 1
    assert api.delete(f"{base}/192.0.2.1").status_code == 404
    assert AuditEvent.objects.filter(event_type="SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_ADDED").count() == 2
    assert AuditEvent.objects.filter(event_type="SERVICE_ACCOUNT_ACCESS_LIST_ENTRY_DELETED").count() == 1


def test_project_assignment(api, organization, project, service_account):
    account, _ = service_account
    group = f"{V2}/groups/{project.public_id}/serviceAccounts"
    one = f"{group}/{account.client_id}"
    assert api.get(one).json()["errorCode"] == "SERVICE_ACCOUNT_NOT_IN_GROUP"
    response = api.post(f"{one}:invite", [{"roles": [roles.GROUP_READ_ONLY]}], format="json")
    assert response.status_code == 201 and response.json()["roles"] == [roles.GROUP_READ_ONLY]
    assert api.post(f"{one}:invite", {"roles": [roles.GROUP_READ_ONLY]}, format="json").status_code == 409
    assert api.get(group).json()["results"][0]["clientId"] == account.client_id
    response = api.patch(one, {"roles": [roles.GROUP_OWNER]}, format="json")
    assert response.status_code == 200 and response.json()["roles"] == [roles.GROUP_OWNER]
    assert api.patch(one, {"roles": [roles.GROUP_OWNER], "name": "other"}, format="json").status_code == 400
    groups = api.get(f"{V2}/orgs/{organization.public_id}/serviceAccounts/{account.client_id}/groups").json()
    assert groups["results"] == [
        {"groupId": project.public_id, "name": project.name, "roles": [roles.GROUP_OWNER]}
    ]
    assert api.delete(one).status_code == 204
    assert api.get(group).json()["totalCount"] == 0
    for event in ("ADDED_TO_GROUP", "GROUP_ROLES_CHANGED", "REMOVED_FROM_GROUP"):
        assert AuditEvent.objects.filter(event_type=f"SERVICE_ACCOUNT_{event}", project=project).count() == 1


def test_a_project_user_admin_cannot_assign_group_owner(organization, project, owner, service_account):
    from accounts.services import project_member_add

    admin = factories.UserFactory(email="useradmin@example.com")
    project_member_add(project=project, user=admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    account, _ = service_account
    one = f"{V2}/groups/{project.public_id}/serviceAccounts/{account.client_id}"
    response = session(admin).post(f"{one}:invite", [{"roles": [roles.GROUP_OWNER]}], format="json")
    assert response.status_code == 403 and response.json()["errorCode"] == "ROLE_ESCALATION"
    response = session(admin).post(f"{one}:invite", [{"roles": [roles.GROUP_READ_ONLY]}], format="json")
    assert response.status_code == 201


@pytest.fixture
def foreign(db):
    """Another tenant's organization, project and service account, with an access list and a project."""
    stranger = factories.UserFactory(email="stranger@elsewhere.example")
    organization = organization_create(name="Elsewhere", actor=stranger)
    project = project_create(organization=organization, name="Theirs", actor=stranger)
    from serviceaccounts.services.accounts import service_account_create

    account, secret, _ = service_account_create(
        organization=organization,
        name="theirs",
        description="theirs",
        roles=[roles.ORG_OWNER],
        secret_expires_after_hours=24,
        actor=stranger,
    )
    service_account_access_list_add(service_account=account, entries=["203.0.113.5"], actor=stranger)
    service_account_project_assign(
        service_account=account, project=project, roles=[roles.GROUP_READ_ONLY], actor=stranger
    )
    return organization, project, account, secret


def _routes(org_id, group_id, client_id, secret_id):
    account = f"{V2}/orgs/{org_id}/serviceAccounts/{client_id}"
    project_account = f"{V2}/groups/{group_id}/serviceAccounts/{client_id}"
    return [
        ("get", account, None),
        ("patch", account, {"name": "mine now"}),
        ("delete", account, None),
        ("post", f"{account}/secrets", {"secretExpiresAfterHours": 24}),
        ("delete", f"{account}/secrets/{secret_id}", None),
        ("get", f"{account}/accessList", None),
        ("post", f"{account}/accessList", [{"ipAddress": "198.51.100.1"}]),
        ("delete", f"{account}/accessList/203.0.113.5", None),
        ("get", f"{account}/groups", None),
        ("get", project_account, None),
        ("patch", project_account, {"roles": [roles.GROUP_READ_ONLY]}),
        ("delete", project_account, None),
        ("post", f"{project_account}:invite", [{"roles": [roles.GROUP_READ_ONLY]}]),
    ]


def test_another_tenants_service_account_is_not_found_on_every_route(api, organization, project, foreign):
    """The foreign account named under our own organization and project: answered as a missing one."""
    _, _, account, secret = foreign
    missing = "mdb_sa_id_" + "f" * 24
    for (method, url, body), (_, missing_url, _) in zip(
        _routes(organization.public_id, project.public_id, account.client_id, secret.public_id),
        _routes(organization.public_id, project.public_id, missing, secret.public_id),
        strict=True,
    ):
        response = getattr(api, method)(url, body, format="json")
        expected = getattr(api, method)(missing_url, body, format="json")
        assert response.status_code == expected.status_code == 404, url
        assert response.json()["errorCode"] == expected.json()["errorCode"] == "SERVICE_ACCOUNT_NOT_FOUND"
    assert ServiceAccount.objects.filter(pk=account.pk).exists()
    assert account.access_list.count() == 1 and account.secrets.count() == 1


def test_another_tenants_organization_and_project_are_not_found(api, foreign):
    organization, project, account, secret = foreign
    for method, url, body in _routes(
        organization.public_id, project.public_id, account.client_id, secret.public_id
    ):
        response = getattr(api, method)(url, body, format="json")
        assert response.status_code == 404, url
        assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"
    for url in (
        f"{V2}/orgs/{organization.public_id}/serviceAccounts",
        f"{V2}/groups/{project.public_id}/serviceAccounts",
    ):
        assert api.get(url).status_code == 404
    assert create(api, organization).status_code == 404


def test_a_token_of_one_organization_reaches_nothing_of_another(bearer, foreign):
    organization, project, account, _ = foreign
    assert bearer.get(f"{V2}/orgs/{organization.public_id}").status_code == 404
    assert bearer.get(f"{V2}/groups/{project.public_id}").status_code == 404
    assert bearer.get(f"{V2}/orgs/{organization.public_id}/serviceAccounts").status_code == 404


def test_deleting_the_organization_removes_its_service_accounts_users(api, organization, service_account):
    from django.contrib.auth import get_user_model

    account, _ = service_account
    assert api.delete(f"{V2}/orgs/{organization.public_id}").status_code == 204
    assert not get_user_model().objects.filter(pk=account.user_id).exists()
