"""HTTP Digest and a key the provider's staff disabled: its right secret gets 401 API_KEY_DISABLED (Atlas's error
body, saying so and nothing of why or by whom), a wrong secret gets the answer any wrong secret gets, the refusal
is counted and audited like every refused answer, and the key is accepted again once enabled."""

import random
from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEvent
from accounts.services import staff as staff_services
from accounts.services.api_keys import api_key_create
from accounts.services.signin import authentication_failures_flush
from tests.api.test_limits import START, digest

pytestmark = pytest.mark.django_db
ROOT = "/api/atlas/v2"
Event = AuditEvent.Type


@pytest.fixture
def key(organization, owner):
    return api_key_create(organization=organization, description="ci", roles=[roles.ORG_OWNER], actor=owner)


@pytest.fixture
def client():
    """From an address no other test uses (the limits count in the shared cache, which outlives tests)."""
    return APIClient(REMOTE_ADDR=f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}")


def _disable(api_key, admin_user, reason="leaked in a public repository"):
    staff_services.api_key_disable(api_key=api_key, actor=admin_user, reason=reason)


def test_a_disabled_keys_right_secret_gets_401_saying_the_key_is_disabled(
    client, key, admin_user, organization
):
    api_key, private_key = key
    _disable(api_key, admin_user)

    path = f"{ROOT}/orgs/{organization.public_id}"
    response = client.get(path, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key, path))

    assert response.status_code == 401
    body = response.json()
    assert body["error"] == 401 and body["reason"] == "Unauthorized"
    assert body["errorCode"] == "API_KEY_DISABLED"
    assert body["parameters"] == [api_key.public_key]
    assert "disabled" in body["detail"] and api_key.public_key in body["detail"]
    assert response["WWW-Authenticate"].startswith("Digest ")  # clients may still answer a challenge
    # nothing of why, by whom or of the organization
    text = response.content.decode()
    for hidden in ("leaked", admin_user.email, organization.name, organization.public_id):
        assert hidden not in text
    api_key.refresh_from_db()
    assert api_key.last_used_at is None


def test_a_wrong_secret_for_a_disabled_key_learns_nothing_of_its_state(client, key, admin_user):
    api_key, private_key = key
    wrong = client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, "wrong")).json()
    _disable(api_key, admin_user)

    refused = client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, "wrong")).json()
    unknown = client.get(ROOT, HTTP_AUTHORIZATION=digest("zzzzzzzz", "wrong")).json()

    assert refused == wrong
    assert refused["errorCode"] == unknown["errorCode"] == "UNAUTHORIZED"
    assert "disabled" not in refused["detail"]


def test_the_key_is_accepted_again_once_enabled_on_the_very_next_request(client, key, admin_user):
    api_key, private_key = key
    assert client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key)).status_code == 200
    _disable(api_key, admin_user)
    assert client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key)).status_code == 401

    staff_services.api_key_enable(api_key=api_key, actor=admin_user)

    assert client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key)).status_code == 200


def test_a_disabled_keys_refusals_count_towards_its_limit_and_are_audited_as_refused_authentications(
    client, key, admin_user, settings, organization
):
    settings.API_AUTH_FAILURE_LIMIT_PER_KEY = 2
    api_key, private_key = key
    _disable(api_key, admin_user)

    with time_machine.travel(START + timedelta(seconds=5), tick=False):
        statuses = [
            client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key)).status_code
            for _ in range(3)
        ]

    assert statuses == [401, 401, 429]
    authentication_failures_flush(now=START + timedelta(minutes=1))
    [event] = AuditEvent.objects.filter(event_type=Event.API_KEY_AUTHENTICATION_FAILED)
    assert event.organization == organization and event.target_id == api_key.public_id
    assert event.details["reasons"] == {"key disabled by staff": 2, "rate limited": 1}
