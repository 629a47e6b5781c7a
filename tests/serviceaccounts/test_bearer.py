"""Bearer tokens on /api/atlas/v2 and /api/atlas/v1.0: what a token opens, for how long, and what refuses it."""

import random
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEvent
from accounts.services import organization_settings_update
from serviceaccounts.services.accounts import service_account_access_list_add

from .conftest import basic, token_for

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


def freeze_time(when):
    """The clock of every service and check (they all read ``django.utils.timezone.now``) stopped at ``when``."""
    return mock.patch("django.utils.timezone.now", return_value=when)


def with_token(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.mark.parametrize("version", ["v2", "v1.0"])
def test_a_token_opens_both_api_versions(bearer, organization, version):
    response = bearer.get(f"/api/atlas/{version}/orgs/{organization.public_id}")
    assert response.status_code == 200
    assert response.json()["id"] == organization.public_id


def test_a_token_carries_only_the_accounts_roles(oauth, organization, project, make_service_account):
    account, secret = make_service_account(organization, [roles.ORG_MEMBER], name="reader")
    client = with_token(token_for(oauth, account.client_id, secret))
    assert client.get(f"/api/atlas/v2/orgs/{organization.public_id}").status_code == 200
    assert client.get(f"/api/atlas/v2/groups/{project.public_id}").status_code == 404
    response = client.post(f"/api/atlas/v2/orgs/{organization.public_id}/teams", {"name": "x"}, format="json")
    assert response.status_code == 403


def _refused(response):
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == 401 and body["errorCode"] == "UNAUTHORIZED"
    assert response["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("version", ["v2", "v1.0"])
def test_unknown_tokens_get_atlas_401(organization, version):
    _refused(with_token("not-a-token").get(f"/api/atlas/{version}/orgs/{organization.public_id}"))


def test_a_token_lives_exactly_expires_in(oauth, service_account, organization):
    account, secret = service_account
    start = timezone.now()
    with freeze_time(start):
        token = token_for(oauth, account.client_id, secret)
    url = f"/api/atlas/v2/orgs/{organization.public_id}"
    with freeze_time(start + timedelta(seconds=3599)):
        assert with_token(token).get(url).status_code == 200
    with freeze_time(start + timedelta(seconds=3600)):
        _refused(with_token(token).get(url))


def test_a_revoked_token_is_refused_at_once(oauth, service_account, organization):
    account, secret = service_account
    token = token_for(oauth, account.client_id, secret)
    response = oauth.post(
        "/api/oauth/revoke",
        f"token={token}",
        content_type=FORM,
        HTTP_AUTHORIZATION=basic(account.client_id, secret),
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    _refused(with_token(token).get(f"/api/atlas/v2/orgs/{organization.public_id}"))
    assert AuditEvent.objects.filter(event_type="SERVICE_ACCOUNT_TOKEN_REVOKED").count() == 1


def test_revoke_answers_200_for_unknown_and_other_clients_tokens(oauth, organization, make_service_account):
    first, first_secret = make_service_account(organization, name="one")
    second, second_secret = make_service_account(organization, name="two")
    token = token_for(oauth, first.client_id, first_secret)
    for value in ("unknown", token):
        response = oauth.post(
            "/api/oauth/revoke",
            f"token={value}",
            content_type=FORM,
            HTTP_AUTHORIZATION=basic(second.client_id, second_secret),
        )
        assert response.status_code == 200
    assert with_token(token).get(f"/api/atlas/v2/orgs/{organization.public_id}").status_code == 200


def test_revoke_needs_client_authentication_and_a_token(oauth, service_account):
    account, secret = service_account
    response = oauth.post("/api/oauth/revoke", "token=x", content_type=FORM)
    assert response.status_code == 401 and response.json() == {"error": "invalid_client"}
    response = oauth.post(
        "/api/oauth/revoke", "", content_type=FORM, HTTP_AUTHORIZATION=basic(account.client_id, secret)
    )
    assert response.status_code == 400 and response.json() == {"error": "invalid_request"}


def test_a_disabled_accounts_token_is_refused(bearer, organization):
    user = bearer.service_account.user
    user.is_active = False
    user.save()
    _refused(bearer.get(f"/api/atlas/v2/orgs/{organization.public_id}"))


def test_deleting_a_secret_revokes_its_tokens(bearer, organization, owner):
    from serviceaccounts.services.accounts import service_account_secret_delete

    account = bearer.service_account
    service_account_secret_delete(
        service_account=account, secret_id=account.secrets.get().public_id, actor=owner
    )
    _refused(bearer.get(f"/api/atlas/v2/orgs/{organization.public_id}"))


def test_the_access_list_refuses_other_addresses(bearer, organization, owner):
    service_account_access_list_add(
        service_account=bearer.service_account, entries=["203.0.113.0/24"], actor=owner
    )
    response = bearer.get(f"/api/atlas/v2/orgs/{organization.public_id}")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "IP_ADDRESS_NOT_ON_ACCESS_LIST"
    assert AuditEvent.objects.filter(event_type="SERVICE_ACCOUNT_ACCESS_LIST_REFUSED").count() == 1
    response = bearer.get(f"/api/atlas/v2/orgs/{organization.public_id}", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    entry = bearer.service_account.access_list.get()
    assert entry.access_count == 1 and entry.last_used_address == "203.0.113.9"


def test_an_organization_requiring_access_lists_refuses_an_account_without_one(bearer, organization, owner):
    organization_settings_update(organization=organization, actor=owner, api_access_list_required=True)
    response = bearer.get(f"/api/atlas/v2/orgs/{organization.public_id}")
    assert response.status_code == 403
    assert response.json()["errorCode"] == "ORG_REQUIRES_ACCESS_LIST"
    service_account_access_list_add(
        service_account=bearer.service_account, entries=["127.0.0.1"], actor=owner
    )
    assert bearer.get(f"/api/atlas/v2/orgs/{organization.public_id}").status_code == 200


def test_refused_tokens_from_one_address_are_limited(organization, settings):
    settings.API_AUTH_FAILURE_LIMIT_PER_ADDRESS = 3
    client = with_token("guess")
    # An address of its own: the counts live in the shared cache, which outlives a test on Redis.
    client.defaults["REMOTE_ADDR"] = f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"
    for _ in range(3):
        _refused(client.get(f"/api/atlas/v2/orgs/{organization.public_id}"))
    response = client.get(f"/api/atlas/v2/orgs/{organization.public_id}")
    assert response.status_code == 429 and response.json()["errorCode"] == "RATE_LIMITED"


def test_tokens_are_counted_in_the_audit_trail_by_who_used_them(bearer, organization):
    response = bearer.post(
        f"/api/atlas/v2/orgs/{organization.public_id}/teams", {"name": "Robots"}, format="json"
    )
    assert response.status_code == 201
    event = AuditEvent.objects.get(event_type="TEAM_CREATED")
    assert event.actor_id == bearer.service_account.user_id


def test_dead_tokens_are_purged_after_a_day(oauth, service_account):
    from serviceaccounts.models import AccessToken
    from serviceaccounts.tasks import purge_access_tokens

    account, secret = service_account
    start = timezone.now()
    with freeze_time(start):
        token_for(oauth, account.client_id, secret)
        token_for(oauth, account.client_id, secret)
    assert purge_access_tokens.delay().get() == 0
    with freeze_time(start + timedelta(hours=25, seconds=1)):
        assert purge_access_tokens() == 2
    with freeze_time(start + timedelta(seconds=10)):
        assert purge_access_tokens() == 0
    assert not AccessToken.objects.exists()


def test_a_service_account_gets_its_fair_share_of_the_api(bearer, organization, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "service_account": "2/minute"}
    url = f"/api/atlas/v2/orgs/{organization.public_id}"
    assert [bearer.get(url).status_code for _ in range(3)] == [200, 200, 429]
