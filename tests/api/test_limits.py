"""The API's limits: refused HTTP Digest answers per public key and per address (429 RATE_LIMITED with
Retry-After, right secret or not, until the window ends), request rates per API key and per session (DRF
throttles), and the audit trail of refusals, one row per key or address and minute."""

import random
import secrets
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from accessportal.api.digest import DigestCredentials, expected_response, make_nonce
from accounts import roles
from accounts.digest import compute_ha1, get_realm
from accounts.models import AuditEvent
from accounts.services.api_keys import api_key_create
from accounts.services.signin import authentication_failures_flush

pytestmark = pytest.mark.django_db
ROOT = "/api/atlas/v2"
Event = AuditEvent.Type
START = datetime(2031, 3, 4, 5, 0, 0, tzinfo=UTC)  # the start of a 300-second window and of a minute


def digest(public_key, private_key, path=ROOT, method="GET") -> str:
    """The Authorization header a Digest client sends for ``path`` (a fresh nonce from this server)."""
    realm, nonce, cnonce = get_realm(), make_nonce(), secrets.token_hex(8)
    fields = dict(
        username=public_key, realm=realm, nonce=nonce, uri=path, qop="auth", nc="00000001", cnonce=cnonce
    )
    unsigned = DigestCredentials(**fields, response="0" * 32, algorithm="MD5")
    response = expected_response(
        unsigned, method=method, ha1=compute_ha1(public_key, realm, private_key, "MD5")
    )
    return ", ".join(
        [
            f'Digest username="{public_key}"',
            f'realm="{realm}"',
            f'nonce="{nonce}"',
            f'uri="{path}"',
            f'response="{response}"',
            "qop=auth",
            "nc=00000001",
            f'cnonce="{cnonce}"',
            "algorithm=MD5",
        ]
    )


def caller() -> APIClient:
    """A client from an address no other test uses (counters live in the shared cache, which outlives tests)."""
    return APIClient(REMOTE_ADDR=f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}")


@pytest.fixture
def key(organization, owner):
    return api_key_create(
        organization=organization, description="limits", roles=[roles.ORG_OWNER], actor=owner
    )


def test_wrong_secrets_past_the_limit_get_429_rate_limited_with_retry_after(
    settings, key, organization, owner
):
    settings.API_AUTH_FAILURE_LIMIT_PER_KEY = 3
    settings.API_AUTH_FAILURE_WINDOW_SECONDS = 300
    api_key, private_key = key
    client = caller()
    with time_machine.travel(START + timedelta(seconds=100), tick=False):
        answers = [client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, "wrong")) for _ in range(4)]
        right = client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key))
        from_elsewhere = caller().get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key))
        other_key, other_private = api_key_create(
            organization=organization, description="other", roles=[roles.ORG_READ_ONLY], actor=owner
        )
        other = client.get(ROOT, HTTP_AUTHORIZATION=digest(other_key.public_key, other_private))

    assert [r.status_code for r in answers] == [401, 401, 401, 429]
    from prometheus_client import REGISTRY

    assert REGISTRY.get_sample_value("accessportal_lockouts_total", {"kind": "api"}) >= 1
    for refused in (answers[3], right, from_elsewhere):  # the key is limited, from anywhere, secret or not
        assert refused.status_code == 429
        assert refused.json()["errorCode"] == "RATE_LIMITED"
        assert refused.json()["error"] == 429
        assert refused["Retry-After"] == "200"  # the window ends 200 seconds later
    assert other.status_code == 200
    with time_machine.travel(START + timedelta(seconds=301), tick=False):
        assert client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key)).status_code == 200


def test_an_address_trying_many_keys_is_limited(settings, key):
    settings.API_AUTH_FAILURE_LIMIT_PER_ADDRESS = 5
    api_key, private_key = key
    client = caller()
    with time_machine.travel(START, tick=False):
        for i in range(5):
            assert client.get(ROOT, HTTP_AUTHORIZATION=digest(f"guess{i:04d}", "x")).status_code == 401
        refused = client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key))
        elsewhere = caller().get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key))

    assert refused.status_code == 429
    assert refused.json()["errorCode"] == "RATE_LIMITED"
    assert int(refused["Retry-After"]) == settings.API_AUTH_FAILURE_WINDOW_SECONDS
    assert elsewhere.status_code == 200


def test_a_thousand_failed_digest_attempts_from_one_source_write_at_most_a_few_audit_rows(settings, key):
    settings.API_AUTH_FAILURE_LIMIT_PER_KEY = settings.API_AUTH_FAILURE_LIMIT_PER_ADDRESS = 50
    api_key, _ = key
    client = caller()
    with time_machine.travel(START + timedelta(seconds=5), tick=False):
        statuses = {
            client.get(
                ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key if i % 2 else f"k{i}", "x")
            ).status_code
            for i in range(1000)
        }
        assert AuditEvent.objects.filter(event_type=Event.API_KEY_AUTHENTICATION_FAILED).count() == 0
        assert authentication_failures_flush() == []  # the minute has not ended
    events = authentication_failures_flush(now=START + timedelta(minutes=1))

    assert statuses == {401, 429}
    rows = list(AuditEvent.objects.filter(event_type=Event.API_KEY_AUTHENTICATION_FAILED))
    assert len(rows) == len(events) == 2  # one for the key, one for the address's unknown keys
    assert sum(row.details["count"] for row in rows) == 1000
    by_key = next(row for row in rows if row.details["publicKey"] == api_key.public_key)
    assert by_key.target_id == api_key.public_id
    assert by_key.organization_id == api_key.organization_id
    assert set(by_key.details["reasons"]) == {"unknown key or wrong secret", "rate limited"}
    assert authentication_failures_flush(now=START + timedelta(minutes=2)) == []  # safe to run twice


def test_an_api_key_over_its_request_rate_gets_429(settings, key, organization, owner):
    settings.API_THROTTLE_RATES = {"api_key": "3/minute", "session": "1000/minute"}
    api_key, private_key = key
    client = caller()
    with time_machine.travel(START, tick=False):
        answers = [
            client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key)) for _ in range(4)
        ]
        other_key, other_private = api_key_create(
            organization=organization, description="other", roles=[roles.ORG_READ_ONLY], actor=owner
        )
        other = client.get(ROOT, HTTP_AUTHORIZATION=digest(other_key.public_key, other_private))

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert answers[3].json()["errorCode"] == "RATE_LIMITED"
    assert answers[3]["Retry-After"] == "60"
    assert other.status_code == 200  # each key has its own rate


def test_a_key_past_its_rate_is_served_again_when_its_window_ends(settings, key):
    settings.API_THROTTLE_RATES = {"api_key": "2/minute", "session": "1000/minute"}
    api_key, private_key = key
    client = caller()

    def status():
        return client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key)).status_code

    with time_machine.travel(START + timedelta(seconds=20), tick=False):
        early = [status() for _ in range(3)]
        late = client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key))
    with time_machine.travel(START + timedelta(seconds=60), tick=False):
        next_window = [status() for _ in range(3)]
    assert early == [200, 200, 429]
    assert late["Retry-After"] == "40"  # until the end of its minute, not a minute from now
    assert next_window == [200, 200, 429]


def test_a_session_over_its_request_rate_gets_429(settings, owner, organization):
    settings.API_THROTTLE_RATES = {"api_key": "1000/minute", "session": "2/minute"}
    client = APIClient()
    with time_machine.travel(START, tick=False):
        client.force_login(owner)
        answers = [client.get(f"{ROOT}/orgs/{organization.public_id}").status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_refused_authentications_are_counted_under_the_portal_s_cache_key_prefix(settings, key):
    """Two portals (or a portal and a bench or contract run) sharing one Redis keep apart with their own
    CACHE_KEY_PREFIX: an address one of them has stopped is still served by the other."""
    settings.API_AUTH_FAILURE_LIMIT_PER_ADDRESS = 3
    api_key, private_key = key
    client = caller()
    shared = settings.CACHES["shared"]
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        settings.CACHES = {**settings.CACHES, "shared": {**shared, "KEY_PREFIX": f"a-{secrets.token_hex(4)}"}}
        for i in range(3):
            assert client.get(ROOT, HTTP_AUTHORIZATION=digest(f"guess{i:04d}", "x")).status_code == 401
        assert client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key)).status_code == 429
        settings.CACHES = {**settings.CACHES, "shared": {**shared, "KEY_PREFIX": f"b-{secrets.token_hex(4)}"}}
        assert client.get(ROOT, HTTP_AUTHORIZATION=digest(api_key.public_key, private_key)).status_code == 200
