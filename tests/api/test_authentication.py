"""API keys over real HTTP: Digest authentication (RFC 7616) of the API root against a live server, replays,
expired nonces, SHA-256, the key's access list, audited refusals, and a second server process."""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
import requests
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from requests.auth import HTTPDigestAuth
from requests.utils import parse_dict_header

from accessportal.api.digest import make_nonce
from accounts import roles
from accounts.models import ApiKey, ApiKeyAccessListEntry, AuditEvent
from accounts.services.api_keys import api_key_access_list_add, api_key_create
from accounts.services.signin import authentication_failures_flush

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = "/api/atlas/v2"
LEGACY_ROOT = "/api/atlas/v1.0"
TIMEOUT = 30  # seconds, for every HTTP call
Event = AuditEvent.Type


@pytest.fixture
def base_url(live_server):
    """The live server by IPv4 address, so that requests come from 127.0.0.1 (not ::1 through "localhost")."""
    return live_server.url.replace("localhost", "127.0.0.1")


@pytest.fixture
def key_pair(organization, owner):
    api_key, private_key = api_key_create(
        organization=organization, description="over HTTP", roles=[roles.ORG_OWNER], actor=owner
    )
    return api_key, private_key


def challenge_of(response) -> dict:
    header = response.headers["WWW-Authenticate"]
    assert re.match(r"Digest ", header), header
    return parse_dict_header(re.sub(r"(?i)^digest ", "", header))


def authorization(challenge: dict, auth: HTTPDigestAuth, url, method="GET") -> str:
    """The Authorization value the requests client computes for ``challenge`` (what it would send). The same
    ``auth`` used again under the same challenge counts up (nc=00000002, ...), as the client does."""
    if getattr(auth._thread_local, "chal", None) != challenge:
        auth.init_per_thread_state()
        auth._thread_local.chal = challenge
    return auth.build_digest_header(method, url)


def get(url, **kwargs):
    return requests.get(url, timeout=TIMEOUT, **kwargs)


def failures(**details):
    """The audited refusals: each key's (or address's) minute becomes one event when the minute has ended."""
    authentication_failures_flush(now=timezone.now() + timedelta(minutes=1))
    events = AuditEvent.objects.filter(event_type=Event.API_KEY_AUTHENTICATION_FAILED)
    return [e for e in events if all(e.details.get(k) == v for k, v in details.items())]


# --- Good keys -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ROOT, LEGACY_ROOT])
def test_a_key_authenticates_with_http_digest_on_both_api_prefixes(base_url, key_pair, path):
    api_key, private_key = key_pair

    response = get(base_url + path, auth=HTTPDigestAuth(api_key.public_key, private_key))

    assert response.status_code == 200, response.text
    assert response.json()["appName"] == "accessportal"
    assert [r.status_code for r in response.history] == [401]
    assert 'algorithm="MD5"' in response.request.headers["Authorization"]
    assert not AuditEvent.objects.filter(event_type=Event.API_KEY_AUTHENTICATION_FAILED).exists()


def test_a_session_reuses_the_nonce_with_increasing_nonce_counts(base_url, key_pair):
    api_key, private_key = key_pair
    session = requests.Session()
    session.auth = HTTPDigestAuth(api_key.public_key, private_key)

    responses = [session.get(base_url + ROOT, timeout=TIMEOUT) for _ in range(5)]

    assert [r.status_code for r in responses] == [200] * 5
    assert sum(len(r.history) for r in responses) == 1  # one challenge, then the nonce is reused
    sent = [parse_dict_header(r.request.headers["Authorization"][len("Digest ") :]) for r in responses]
    assert len({params["nonce"] for params in sent}) == 1
    assert [params["nc"] for params in sent] == [f"{n:08x}" for n in range(1, 6)]


def test_sha256_challenge_makes_the_client_authenticate_with_sha256(base_url, key_pair, settings):
    settings.DIGEST_CHALLENGE_ALGORITHM = "SHA-256"
    api_key, private_key = key_pair

    response = get(base_url + ROOT, auth=HTTPDigestAuth(api_key.public_key, private_key))

    assert response.status_code == 200, response.text
    assert challenge_of(response.history[0])["algorithm"] == "SHA-256"
    sent = parse_dict_header(response.request.headers["Authorization"][len("Digest ") :])
    assert sent["algorithm"] == "SHA-256"
    assert len(sent["response"]) == 64


def test_a_successful_request_notes_when_and_from_where_the_key_was_used(base_url, key_pair):
    api_key, private_key = key_pair

    assert get(base_url + ROOT, auth=HTTPDigestAuth(api_key.public_key, private_key)).status_code == 200

    api_key.refresh_from_db()
    assert api_key.last_used_at is not None
    assert api_key.last_used_address == "127.0.0.1"


def test_a_signed_in_person_can_call_the_root_with_a_session(client, owner):
    client.force_login(owner)

    response = client.get(ROOT)

    assert response.status_code == 200
    assert response.json()["appName"] == "accessportal"


# --- Refused credentials ---------------------------------------------------------------------------------


def test_no_credentials_get_401_with_a_digest_challenge(base_url):
    response = get(base_url + ROOT)

    assert response.status_code == 401
    challenge = challenge_of(response)
    assert challenge["realm"] == "accessportal"
    assert challenge["qop"] == "auth"
    assert challenge["nonce"]
    assert "stale" not in challenge


def test_a_wrong_private_key_gets_401_with_a_fresh_challenge_and_is_audited(base_url, key_pair, organization):
    api_key, private_key = key_pair
    wrong = private_key[:-1] + ("0" if private_key[-1] != "0" else "1")

    response = get(base_url + ROOT, auth=HTTPDigestAuth(api_key.public_key, wrong))

    assert response.status_code == 401
    assert response.json()["errorCode"] == "UNAUTHORIZED"
    used = parse_dict_header(response.request.headers["Authorization"][len("Digest ") :])["nonce"]
    assert challenge_of(response)["nonce"] != used
    [event] = failures(publicKey=api_key.public_key)
    assert event.organization == organization
    assert event.target_id == api_key.public_id
    assert event.actor is None
    assert event.details["remoteAddress"] == "127.0.0.1"
    assert event.client_ip == "127.0.0.1"
    api_key.refresh_from_db()
    assert api_key.last_used_at is None


def test_an_unknown_public_key_gets_401_and_is_audited(base_url, key_pair):
    response = get(base_url + ROOT, auth=HTTPDigestAuth("zzzzzzzz", key_pair[1]))

    assert response.status_code == 401
    assert challenge_of(response)["nonce"]
    [event] = failures(publicKey="zzzzzzzz")
    assert event.organization is None
    assert event.target_id == ""


@pytest.mark.parametrize(
    "header",
    [
        "Digest ,",
        "Digest garbage",
        'Digest username="abcdefgh"',
        'Digest username="abcdefgh", realm="accessportal", nonce="x", uri="/api/atlas/v2", response="00", '
        'qop=auth, nc=00000001, cnonce="c"',
        'Digest username="abcdefgh", realm="accessportal", nonce="x", uri="/api/atlas/v2", '
        'response="0123456789abcdef0123456789abcdef", qop=auth, nc=zz, cnonce="c"',
        'Digest username="abcdefgh", realm="accessportal", nonce="x", uri="/api/atlas/v2", '
        'response="0123456789abcdef0123456789abcdef", qop=auth-int, nc=00000001, cnonce="c"',
        'Digest username="abcdefgh", realm="accessportal", nonce="x", uri="/api/atlas/v2", '
        'response="0123456789abcdef0123456789abcdef", qop=auth, nc=00000001, cnonce="c", algorithm=SHA-512',
        'Digest username="abc\xe9", realm="accessportal", nonce="x", uri="/", response="00", qop=auth',
        'Digest username="abcdefgh", realm="accessportal", nonce="x" uri="/"',
        "Digest " + "a=b, " * 2000,
        'Digest username="abcdefgh", username="abcdefgh"',
        'Digest realm="\\',
    ],
)
def test_a_malformed_digest_header_gets_401_never_500_and_is_audited(base_url, header):
    response = get(base_url + ROOT, headers={"Authorization": header})

    assert response.status_code == 401, response.text
    assert challenge_of(response)["nonce"]
    assert response.json()["errorCode"] == "UNAUTHORIZED"
    [event] = failures()
    assert event.details["count"] == 1


def test_a_digest_header_signed_for_another_realm_or_path_gets_401(base_url, key_pair):
    api_key, private_key = key_pair
    challenge = challenge_of(get(base_url + ROOT))

    other_realm = authorization(
        {**challenge, "realm": "elsewhere"}, HTTPDigestAuth(api_key.public_key, private_key), base_url + ROOT
    )
    other_path = authorization(
        challenge, HTTPDigestAuth(api_key.public_key, private_key), base_url + LEGACY_ROOT
    )

    assert get(base_url + ROOT, headers={"Authorization": other_realm}).status_code == 401
    assert get(base_url + ROOT, headers={"Authorization": other_path}).status_code == 401
    [event] = failures(publicKey=api_key.public_key)
    assert event.details["count"] == 2


# --- Nonces: replays and expiry --------------------------------------------------------------------------


def test_a_replayed_request_is_refused(base_url, key_pair):
    api_key, private_key = key_pair
    challenge = challenge_of(get(base_url + ROOT))
    header = authorization(challenge, HTTPDigestAuth(api_key.public_key, private_key), base_url + ROOT)

    first = get(base_url + ROOT, headers={"Authorization": header})
    replay = get(base_url + ROOT, headers={"Authorization": header})

    assert first.status_code == 200, first.text
    assert replay.status_code == 401
    assert challenge_of(replay)["nonce"] != challenge["nonce"]
    [event] = failures(publicKey=api_key.public_key)
    assert "replay" in event.details["reason"]


def test_a_new_nonce_count_under_the_same_nonce_is_not_a_replay(base_url, key_pair):
    api_key, private_key = key_pair
    challenge = challenge_of(get(base_url + ROOT))
    auth = HTTPDigestAuth(api_key.public_key, private_key)
    first = authorization(challenge, auth, base_url + ROOT)
    second = authorization(challenge, auth, base_url + ROOT)

    assert get(base_url + ROOT, headers={"Authorization": first}).status_code == 200
    assert get(base_url + ROOT, headers={"Authorization": second}).status_code == 200
    assert get(base_url + ROOT, headers={"Authorization": second}).status_code == 401


def test_a_failed_attempt_does_not_use_up_the_nonce_count_of_the_real_client(base_url, key_pair):
    api_key, private_key = key_pair
    challenge = challenge_of(get(base_url + ROOT))
    forged = authorization(
        challenge, HTTPDigestAuth(api_key.public_key, "not-the-private-key"), base_url + ROOT
    )
    genuine = authorization(challenge, HTTPDigestAuth(api_key.public_key, private_key), base_url + ROOT)

    assert get(base_url + ROOT, headers={"Authorization": forged}).status_code == 401
    assert get(base_url + ROOT, headers={"Authorization": genuine}).status_code == 200


def test_an_expired_nonce_gets_401_with_stale_true(base_url, key_pair):
    api_key, private_key = key_pair
    challenge = challenge_of(get(base_url + ROOT))
    old = {**challenge, "nonce": make_nonce(now=time.time() - django_settings.DIGEST_NONCE_TTL_SECONDS - 5)}
    header = authorization(old, HTTPDigestAuth(api_key.public_key, private_key), base_url + ROOT)

    response = get(base_url + ROOT, headers={"Authorization": header})

    assert response.status_code == 401
    fresh = challenge_of(response)
    assert fresh["stale"] == "true"
    assert fresh["nonce"] != old["nonce"]


def test_the_client_retries_transparently_when_its_nonce_has_expired(base_url, key_pair):
    api_key, private_key = key_pair
    session = requests.Session()
    session.auth = HTTPDigestAuth(api_key.public_key, private_key)
    assert session.get(base_url + ROOT, timeout=TIMEOUT).status_code == 200

    with time_machine.travel(time.time() + django_settings.DIGEST_NONCE_TTL_SECONDS + 60, tick=True):
        response = session.get(base_url + ROOT, timeout=TIMEOUT)

    assert response.status_code == 200, response.text
    [expired] = response.history
    assert expired.status_code == 401
    assert challenge_of(expired)["stale"] == "true"


def test_the_nonce_lifetime_setting_is_honoured_over_http(base_url, key_pair, settings):
    settings.DIGEST_NONCE_TTL_SECONDS = 60
    api_key, private_key = key_pair
    challenge = challenge_of(get(base_url + ROOT))
    header = authorization(challenge, HTTPDigestAuth(api_key.public_key, private_key), base_url + ROOT)

    with time_machine.travel(time.time() + 120, tick=True):
        response = get(base_url + ROOT, headers={"Authorization": header})

    assert response.status_code == 401
    assert challenge_of(response)["stale"] == "true"


# --- The access list -------------------------------------------------------------------------------------


# --- Keys the provider's staff disabled ------------------------------------------------------------------


def test_a_session_of_a_key_staff_disable_is_refused_on_its_next_request_and_accepted_once_enabled(
    base_url, key_pair, admin_user
):
    """Nothing about the key outlives a request (no process keeps it): the same client, the same nonce."""
    from accounts.services.staff import api_key_disable, api_key_enable

    api_key, private_key = key_pair
    session = requests.Session()
    session.auth = HTTPDigestAuth(api_key.public_key, private_key)
    assert session.get(base_url + ROOT, timeout=TIMEOUT).status_code == 200

    api_key_disable(api_key=api_key, actor=admin_user, reason="leaked")
    refused = session.get(base_url + ROOT, timeout=TIMEOUT)
    api_key_enable(api_key=api_key, actor=admin_user)
    accepted = session.get(base_url + ROOT, timeout=TIMEOUT)

    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "API_KEY_DISABLED"
    assert challenge_of(refused)["nonce"]
    assert accepted.status_code == 200, accepted.text


def test_a_key_used_from_outside_its_access_list_gets_403_naming_the_address(base_url, key_pair, owner):
    api_key, private_key = key_pair
    api_key_access_list_add(api_key=api_key, entries=["203.0.113.0/24"], actor=owner)

    response = get(base_url + ROOT, auth=HTTPDigestAuth(api_key.public_key, private_key))

    assert response.status_code == 403
    body = response.json()
    assert body["errorCode"] == "IP_ADDRESS_NOT_ON_ACCESS_LIST"
    assert body["error"] == 403
    assert "127.0.0.1" in body["detail"]
    event = AuditEvent.objects.get(event_type=Event.API_KEY_ACCESS_LIST_REFUSED)
    assert event.details["publicKey"] == api_key.public_key
    assert event.details["remoteAddress"] == "127.0.0.1"
    assert event.target_id == api_key.public_id
    api_key.refresh_from_db()
    assert api_key.last_used_at is None
    assert ApiKeyAccessListEntry.objects.get(api_key=api_key).access_count == 0


def test_a_wrong_secret_from_outside_the_access_list_gets_401_not_403(base_url, key_pair, owner):
    """Only a caller who proved they hold the key learns that it has an access list."""
    api_key, _ = key_pair
    api_key_access_list_add(api_key=api_key, entries=["203.0.113.0/24"], actor=owner)

    response = get(base_url + ROOT, auth=HTTPDigestAuth(api_key.public_key, "wrong"))

    assert response.status_code == 401
    assert not AuditEvent.objects.filter(event_type=Event.API_KEY_ACCESS_LIST_REFUSED).exists()


def test_adding_the_callers_address_lets_it_in_and_counts_the_use(base_url, key_pair, owner):
    api_key, private_key = key_pair
    api_key_access_list_add(api_key=api_key, entries=["203.0.113.0/24"], actor=owner)
    auth = HTTPDigestAuth(api_key.public_key, private_key)
    assert get(base_url + ROOT, auth=auth).status_code == 403

    api_key_access_list_add(api_key=api_key, entries=["127.0.0.1"], actor=owner)
    response = get(base_url + ROOT, auth=auth)

    assert response.status_code == 200, response.text
    entry = ApiKeyAccessListEntry.objects.get(api_key=api_key, cidr_block="127.0.0.1/32")
    assert entry.access_count == 1
    assert entry.last_used_at is not None
    assert entry.last_used_address == "127.0.0.1"
    untouched = ApiKeyAccessListEntry.objects.get(api_key=api_key, cidr_block="203.0.113.0/24")
    assert (untouched.access_count, untouched.last_used_at) == (0, None)
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at is not None

    assert get(base_url + ROOT, auth=auth).status_code == 200
    assert ApiKeyAccessListEntry.objects.get(pk=entry.pk).access_count == 2


def test_a_cidr_block_containing_the_caller_lets_it_in(base_url, key_pair, owner):
    api_key, private_key = key_pair
    api_key_access_list_add(api_key=api_key, entries=["127.0.0.0/8"], actor=owner)

    assert get(base_url + ROOT, auth=HTTPDigestAuth(api_key.public_key, private_key)).status_code == 200
    assert ApiKeyAccessListEntry.objects.get(api_key=api_key).access_count == 1


def test_an_ipv6_block_does_not_let_in_an_ipv4_client(base_url, key_pair, owner):
    api_key, private_key = key_pair
    api_key_access_list_add(api_key=api_key, entries=["::/0", "::ffff:127.0.0.1"], actor=owner)

    response = get(base_url + ROOT, auth=HTTPDigestAuth(api_key.public_key, private_key))

    assert response.status_code == 403
    assert response.json()["errorCode"] == "IP_ADDRESS_NOT_ON_ACCESS_LIST"


# --- Several server processes ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    """The test database this process uses, as a DATABASE_URL another process can open."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


def _wait_until_serving(process, port, log, deadline):
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"the second server exited with {process.returncode}:\n{log.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    log.seek(0)
    pytest.fail(f"the second server did not answer on port {port} in time:\n{log.read()}")


@pytest.mark.postgres
def test_a_second_server_process_verifies_a_nonce_issued_by_the_first_and_sees_its_nonce_counts(
    base_url, key_pair
):
    """Two processes share only PostgreSQL, the shared cache (Redis, or the database cache table) and the
    settings: a nonce one issues, the other accepts; a nonce count one claimed, the other refuses."""
    api_key, private_key = key_pair
    port = _free_port()
    other_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "accessportal.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": django_settings.REDIS_URL,
        "SECRET_KEY": django_settings.SECRET_KEY,
        "API_KEY_ENCRYPTION_KEYS": ",".join(django_settings.API_KEY_ENCRYPTION_KEYS),
        "DIGEST_REALM": django_settings.DIGEST_REALM,
        "PYTHONUNBUFFERED": "1",
        # The failure limits count in the shared Redis, where tests running beside this one (pytest-xdist)
        # leave failures from 127.0.0.1: as roomy as the in-process server's (tests/conftest.py).
        "API_AUTH_FAILURE_LIMIT_PER_KEY": str(django_settings.API_AUTH_FAILURE_LIMIT_PER_KEY),
        "API_AUTH_FAILURE_LIMIT_PER_ADDRESS": str(django_settings.API_AUTH_FAILURE_LIMIT_PER_ADDRESS),
        "API_THROTTLE_RATE_API_KEY": django_settings.API_THROTTLE_RATES["api_key"],
    }
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
            cwd=django_settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_serving(process, port, log, deadline=time.monotonic() + 60)
            auth = HTTPDigestAuth(api_key.public_key, private_key)

            # Issued by the first process, used at the second, replayed at the first.
            challenge = challenge_of(get(base_url + ROOT))
            header = authorization(challenge, auth, other_url + ROOT)
            at_second = get(other_url + ROOT, headers={"Authorization": header})
            assert at_second.status_code == 200, at_second.text
            assert get(base_url + ROOT, headers={"Authorization": header}).status_code == 401

            # And the other way round, under the same nonce with the next count.
            header = authorization(challenge, auth, base_url + ROOT)
            assert parse_dict_header(header[len("Digest ") :])["nc"] == "00000002"
            assert get(base_url + ROOT, headers={"Authorization": header}).status_code == 200
            assert get(other_url + ROOT, headers={"Authorization": header}).status_code == 401

            # A nonce issued by the second process is good at the first.
            challenge = challenge_of(get(other_url + ROOT))
            header = authorization(
                challenge, HTTPDigestAuth(api_key.public_key, private_key), base_url + ROOT
            )
            assert get(base_url + ROOT, headers={"Authorization": header}).status_code == 200
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)
