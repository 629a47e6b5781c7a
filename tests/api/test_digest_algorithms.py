"""Only the algorithm challenged is answered: with a SHA-256 challenge, an MD5 answer is refused (no downgrade),
and the other way round."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from requests.auth import HTTPDigestAuth
from requests.utils import parse_dict_header
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import AuditEvent
from accounts.services.api_keys import api_key_create
from accounts.services.signin import authentication_failures_flush

pytestmark = pytest.mark.django_db

ROOT = "/api/atlas/v2"


def answer(client, api_key, private_key, algorithm):
    """The client's answer to our challenge, computed with ``algorithm`` whatever the challenge said."""
    challenge = parse_dict_header(re.sub(r"(?i)^digest ", "", client.get(ROOT)["WWW-Authenticate"]))
    challenge["algorithm"] = algorithm
    auth = HTTPDigestAuth(api_key.public_key, private_key)
    auth.init_per_thread_state()
    auth._thread_local.chal = challenge
    return auth.build_digest_header("GET", f"http://testserver{ROOT}")


@pytest.fixture
def key(organization, owner):
    return api_key_create(organization=organization, description="k", roles=[roles.ORG_OWNER], actor=owner)


@pytest.mark.parametrize(
    ("challenged", "answered", "status"),
    [("SHA-256", "MD5", 401), ("SHA-256", "SHA-256", 200), ("MD5", "SHA-256", 401), ("MD5", "MD5", 200)],
)
def test_only_the_challenged_algorithm_is_accepted(key, settings, challenged, answered, status):
    settings.DIGEST_CHALLENGE_ALGORITHM = challenged
    client = APIClient(REMOTE_ADDR="127.0.0.1")

    response = client.get(ROOT, HTTP_AUTHORIZATION=answer(client, *key, answered))

    assert response.status_code == status, response.content
    if status == 401:
        assert f"algorithm={challenged}" in response["WWW-Authenticate"]
        # Refusals are audited once per key and minute (accounts.services.signin): flush the minute.
        authentication_failures_flush(now=timezone.now() + timedelta(minutes=1))
        event = AuditEvent.objects.get(event_type="API_KEY_AUTHENTICATION_FAILED")
        assert "not challenged" in event.details["reason"]
