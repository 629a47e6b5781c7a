"""With Redis unreachable (cache and broker pointed at a closed port): Digest requests, which need the shared
nonce cache, answer 503 with Atlas's body and Retry-After, never 500; a committed change answers as usual and
its email stays QUEUED for the beat job, which sends it once the broker is back."""

import re

import pytest
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError
from requests.auth import HTTPDigestAuth
from requests.utils import parse_dict_header
from rest_framework.test import APIClient

from accessportal.celery import app
from accessportal.unavailable import ServiceUnavailableMiddleware
from accounts import roles
from accounts.models import Invitation, OutboundEmail
from accounts.services.api_keys import api_key_create
from accounts.services.emails import emails_requeue_stalled

pytestmark = pytest.mark.django_db

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1
ROOT = "/api/atlas/v2"


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED},
        "shared": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED},
    }


def _forget_connections():
    """The app keeps its broker connection pool: drop it, so that the next publish connects to broker_url."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Tasks are published for real, to a broker that does not answer (the autouse fixture restores eager)."""
    previous = app.conf.broker_url
    _forget_connections()
    app.conf.broker_url = CLOSED
    app.conf.task_always_eager = False
    yield
    _forget_connections()
    app.conf.broker_url = previous


def digest_header(client, api_key, private_key, path=ROOT):
    challenge = client.get(path)["WWW-Authenticate"]
    auth = HTTPDigestAuth(api_key.public_key, private_key)
    auth.init_per_thread_state()
    auth._thread_local.chal = parse_dict_header(re.sub(r"(?i)^digest ", "", challenge))
    return auth.build_digest_header("GET", f"http://testserver{path}")


def test_a_digest_request_with_the_nonce_cache_down_is_a_503_with_atlas_body(organization, owner, settings):
    api_key, private_key = api_key_create(
        organization=organization, description="k", roles=[roles.ORG_OWNER], actor=owner
    )
    client = APIClient(REMOTE_ADDR="127.0.0.1")
    header = digest_header(client, api_key, private_key)
    assert client.get(ROOT, HTTP_AUTHORIZATION=header).status_code == 200  # the cache answers: fine

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED},
        "shared": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED},
    }
    response = client.get(ROOT, HTTP_AUTHORIZATION=digest_header(client, api_key, private_key))

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.json()
    assert body["error"] == 503 and body["errorCode"] == "SERVICE_UNAVAILABLE"
    assert set(body) >= {"detail", "error", "errorCode", "parameters", "reason"}


def test_an_invitation_committed_while_the_broker_is_down_answers_and_is_sent_later(
    client, organization, owner, broker_down, cache_down, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:organization_access", args=[organization.public_id]),
            {"invite-emails": "new@example.com", "invite-roles": [roles.ORG_MEMBER]},
        )

    assert response.status_code == 302  # committed: never a 5xx
    invitation = Invitation.objects.get(email="new@example.com")
    email = OutboundEmail.objects.get(invitation=invitation)
    assert email.status == OutboundEmail.Status.QUEUED and mail.outbox == []

    app.conf.task_always_eager = True  # the broker is back (eager stands for it)
    with django_capture_on_commit_callbacks(execute=True):
        emails_requeue_stalled(now=email.lease_expires_at)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert re.search(r"/invitations/[^/\s]+/", mail.outbox[-1].body)


def test_an_api_invitation_committed_while_the_broker_is_down_answers_200(
    organization, owner, broker_down, django_capture_on_commit_callbacks
):
    client = APIClient()
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{ROOT}/orgs/{organization.public_id}/invites",
            {"username": "api@example.com", "roles": [roles.ORG_MEMBER]},
            format="json",
        )

    assert response.status_code == 200, response.content  # as Atlas answers an invitation
    assert OutboundEmail.objects.get(to="api@example.com").status == OutboundEmail.Status.QUEUED


@pytest.mark.parametrize(("path", "json_body"), [("/api/atlas/v2/orgs", True), ("/orgs/x/", False)])
def test_any_view_hitting_an_unreachable_redis_answers_503_not_500(path, json_body):
    request = RequestFactory().get(path)
    response = ServiceUnavailableMiddleware(lambda r: None).process_exception(
        request, RedisConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert ("application/json" in response["Content-Type"]) is json_body
    assert ServiceUnavailableMiddleware(lambda r: None).process_exception(request, ValueError()) is None
