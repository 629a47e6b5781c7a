"""POST /api/oauth/token: the client credentials grant as RFC 6749 and Atlas's clients expect it."""

import base64

import pytest
from django.test import override_settings

from accounts.models import AuditEvent
from serviceaccounts.models import AccessToken, secret_hash

from .conftest import basic

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


def post(client, body="grant_type=client_credentials", **headers):
    return client.post("/api/oauth/token", body, content_type=FORM, **headers)


def test_client_credentials_give_exactly_atlas_token_answer(oauth, service_account):
    account, secret = service_account
    response = post(oauth, HTTP_AUTHORIZATION=basic(account.client_id, secret))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    token = AccessToken.objects.get(token_hash=secret_hash(body["access_token"]))
    assert (token.expires_at - token.issued_at).total_seconds() == 3600
    assert body["access_token"] not in str(AccessToken.objects.values_list()), "only the hash is kept"


def test_form_encoded_client_credentials_are_accepted(oauth, service_account):
    account, secret = service_account
    response = post(
        oauth, f"grant_type=client_credentials&client_id={account.client_id}&client_secret={secret}"
    )
    assert response.status_code == 200


def test_basic_credentials_split_at_the_first_colon_and_form_decoded(oauth, service_account):
    account, secret = service_account
    encoded = base64.b64encode(f"{account.client_id}:{secret}".replace("_", "%5F").encode()).decode()
    assert post(oauth, HTTP_AUTHORIZATION=f"Basic {encoded}").status_code == 200
    wrong = basic(account.client_id, secret + ":extra")
    assert post(oauth, HTTP_AUTHORIZATION=wrong).status_code == 401


def test_token_endpoint_needs_no_csrf_token(oauth, service_account):
    account, secret = service_account
    assert oauth.handler.enforce_csrf_checks
    assert post(oauth, HTTP_AUTHORIZATION=basic(account.client_id, secret)).status_code == 200


@pytest.mark.parametrize(
    "body, code",
    [
        ("", "invalid_request"),
        ("scope=x", "invalid_request"),
        ("grant_type=password", "unsupported_grant_type"),
        ("grant_type=authorization_code", "unsupported_grant_type"),
        ("grant_type=client_credentials&grant_type=client_credentials", "invalid_request"),
    ],
)
def test_malformed_requests_get_rfc6749_errors(oauth, service_account, body, code):
    account, secret = service_account
    response = post(oauth, body, HTTP_AUTHORIZATION=basic(account.client_id, secret))
    assert response.status_code == 400
    assert response.json() == {"error": code}
    assert response["Cache-Control"] == "no-store"


def test_a_json_body_is_an_invalid_request(oauth, service_account):
    account, secret = service_account
    response = oauth.post(
        "/api/oauth/token",
        {"grant_type": "client_credentials"},
        format="json",
        HTTP_AUTHORIZATION=basic(account.client_id, secret),
    )
    assert response.status_code == 400 and response.json() == {"error": "invalid_request"}


def test_credentials_in_header_and_body_at_once_are_refused(oauth, service_account):
    account, secret = service_account
    body = f"grant_type=client_credentials&client_id={account.client_id}&client_secret={secret}"
    response = post(oauth, body, HTTP_AUTHORIZATION=basic(account.client_id, secret))
    assert response.status_code == 400 and response.json() == {"error": "invalid_request"}


def _invalid_client(response):
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert response["Cache-Control"] == "no-store"


def test_wrong_secret_unknown_client_and_missing_credentials_are_invalid_client(oauth, service_account):
    account, secret = service_account
    _invalid_client(
        post(
            oauth,
            HTTP_AUTHORIZATION=basic(account.client_id, secret[:-1] + ("1" if secret.endswith("0") else "0")),
        )
    )
    _invalid_client(post(oauth, HTTP_AUTHORIZATION=basic("mdb_sa_id_" + "0" * 24, secret)))
    _invalid_client(post(oauth))
    _invalid_client(post(oauth, HTTP_AUTHORIZATION="Basic not-base64!"))
    _invalid_client(post(oauth, HTTP_AUTHORIZATION="Digest username=x"))


def test_another_accounts_secret_is_refused(oauth, organization, make_service_account):
    first, _ = make_service_account(organization, name="one")
    _, other_secret = make_service_account(organization, name="two")
    _invalid_client(post(oauth, HTTP_AUTHORIZATION=basic(first.client_id, other_secret)))


def test_expired_secret_is_invalid_client(oauth, service_account):
    account, secret = service_account
    account.secrets.update(expires_at="2000-01-01T00:00:00Z")
    _invalid_client(post(oauth, HTTP_AUTHORIZATION=basic(account.client_id, secret)))


def test_disabled_account_is_invalid_client(oauth, service_account):
    account, secret = service_account
    account.user.is_active = False
    account.user.save()
    _invalid_client(post(oauth, HTTP_AUTHORIZATION=basic(account.client_id, secret)))


def test_only_post(oauth):
    assert oauth.get("/api/oauth/token").status_code == 405


def test_issuance_is_audited_and_refusals_are_aggregated(oauth, service_account):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.services.signin import authentication_failures_flush

    account, secret = service_account
    post(oauth, HTTP_AUTHORIZATION=basic(account.client_id, secret))
    issued = AuditEvent.objects.get(event_type="SERVICE_ACCOUNT_TOKEN_ISSUED")
    assert issued.details["clientId"] == account.client_id and issued.actor_id == account.user_id
    for _ in range(5):
        post(oauth, HTTP_AUTHORIZATION=basic(account.client_id, "mdb_sa_sk_wrong"))
    assert not AuditEvent.objects.filter(event_type="SERVICE_ACCOUNT_AUTHENTICATION_FAILED").exists()
    authentication_failures_flush(now=timezone.now() + timedelta(minutes=2))
    refused = AuditEvent.objects.get(event_type="SERVICE_ACCOUNT_AUTHENTICATION_FAILED")
    assert refused.details["count"] == 5 and refused.organization_id == account.organization_id
    assert refused.target_type == "service_account" and refused.target_name == account.client_id


def test_refusals_past_the_limit_get_429_even_with_the_right_secret(oauth, service_account, settings):
    settings.API_AUTH_FAILURE_LIMIT_PER_KEY = 3
    account, secret = service_account
    for _ in range(3):
        _invalid_client(post(oauth, HTTP_AUTHORIZATION=basic(account.client_id, "mdb_sa_sk_wrong")))
    response = post(oauth, HTTP_AUTHORIZATION=basic(account.client_id, secret))
    assert response.status_code == 429
    assert response.json() == {"error": "slow_down"}
    assert int(response["Retry-After"]) >= 1


def test_refusals_are_counted_in_the_metrics(oauth, service_account):
    from accounts.metrics import API_AUTHENTICATION_FAILURES

    counter = API_AUTHENTICATION_FAILURES.labels(scheme="oauth", reason="credentials")
    before = counter._value.get()
    account, _ = service_account
    post(oauth, HTTP_AUTHORIZATION=basic(account.client_id, "mdb_sa_sk_wrong"))
    assert counter._value.get() == before + 1


@override_settings(OAUTH_ACCESS_TOKEN_LIFETIME_SECONDS=60)
def test_lifetime_is_configurable_and_answered(oauth, service_account):
    account, secret = service_account
    assert post(oauth, HTTP_AUTHORIZATION=basic(account.client_id, secret)).json()["expires_in"] == 60


def test_nul_characters_in_credentials_are_invalid_client(oauth):
    _invalid_client(post(oauth, "grant_type=client_credentials&client_id=a%00b&client_secret=x"))
    _invalid_client(post(oauth, HTTP_AUTHORIZATION=basic("mdb_sa_id_\x00", "secret")))
