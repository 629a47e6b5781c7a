"""No secret in any log line: the flows that make and use secrets (invitation links, sign-up passwords, API
private keys, HTTP Digest), logged at DEBUG and rendered as production renders them, leave none in a line.

conftest.py runs the same check over the whole test run; the last tests here prove that the check finds a
leaked secret, so that a green run means something."""

import logging
import re

import pytest
import structlog
from anymail.exceptions import AnymailAPIError
from django.core import mail
from requests.auth import HTTPDigestAuth

from accounts import roles
from accounts.models import Invitation, OutboundEmail
from accounts.services import organization_create
from accounts.services.invitations import invitation_resend
from accounts.tasks import send_email
from tests.api.conftest import DigestClient
from tests.factories import UserFactory
from tests.log_secrets import scanning

pytestmark = pytest.mark.django_db(transaction=True)

V2 = "/api/atlas/v2"
SIGNUP_PASSWORD = "Quartz-Meadow-Lantern-2026-Orbit"


def _link_token(message) -> str:
    return re.search(r"/invitations/([^/\s\"]+)/", message.body).group(1)


def test_invitation_api_key_and_digest_flows_log_no_secret(client, live_server, secret_registry, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    secret_registry.add(SIGNUP_PASSWORD)
    owner = UserFactory(email="owner@example.com")
    organization = organization_create(name="Acme", actor=owner)
    client.force_login(owner)
    with scanning(logging.DEBUG) as scan:
        # An invitation through the API: the link goes out by email (after commit, in the request).
        response = client.post(
            f"{V2}/orgs/{organization.public_id}/invites",
            {"username": "new@example.com", "roles": [roles.ORG_MEMBER]},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        first_token = _link_token(mail.outbox[-1])
        invitation_id = response.json()["id"]

        # Resent: a new link; the old one is now refused (a 404 that Django logs with its path).
        invitation_resend(invitation=Invitation.objects.get(public_id=invitation_id), actor=owner)
        token = _link_token(mail.outbox[-1])
        assert token != first_token
        client.logout()
        assert client.get(f"/invitations/{first_token}/").status_code == 404
        assert client.get(f"/invitations/{token}/?token={token}").status_code == 200

        # Signing up from the link with a password, then the used link again (410, logged with its path).
        response = client.post(
            f"/invitations/{token}/",
            {"first_name": "New", "last_name": "Person", "password": SIGNUP_PASSWORD},
        )
        assert response.status_code == 302, response.content
        client.logout()
        assert client.get(f"/invitations/{token}/").status_code == 409

        # An API key: its private key is in the creation answer only; then Digest, right and wrong.
        client.force_login(owner)
        response = client.post(
            f"{V2}/orgs/{organization.public_id}/apiKeys",
            {"desc": "ci", "roles": [roles.ORG_OWNER]},
            content_type="application/json",
        )
        assert response.status_code in (200, 201), response.content
        key = response.json()
        digest = DigestClient(live_server.url, key["publicKey"], key["privateKey"])
        assert digest.get(f"orgs/{organization.public_id}").status_code == 200
        digest.session.auth = HTTPDigestAuth(key["publicKey"], key["privateKey"][::-1])
        assert digest.get(f"orgs/{organization.public_id}").status_code == 401

        # Email that fails: retried, then given up; the task's arguments carry a token.
        failing = OutboundEmail.objects.create(
            to="x@example.com", subject="s", template="accounts/email/invitation_expired"
        )

        def refuse(self, fail_silently=False):
            raise AnymailAPIError("ESP unavailable", status_code=503)

        from django.core.mail import EmailMultiAlternatives

        original_send = EmailMultiAlternatives.send
        EmailMultiAlternatives.send = refuse
        from accessportal.celery import app

        propagates = app.conf.task_eager_propagates
        app.conf.task_eager_propagates = False
        try:
            send_email.apply(args=[failing.pk, {"token": token, "accept_path": f"/invitations/{token}/"}])
        finally:
            EmailMultiAlternatives.send = original_send
            app.conf.task_eager_propagates = propagates

    # The flows made secrets, and the scan saw the lines that speak of them.
    assert {first_token, token, key["privateKey"], SIGNUP_PASSWORD} <= secret_registry.secrets
    names = [line["event"] for line in scan.kept]
    for expected in ("invitation_sent", "email_sent", "invitation_accepted", "api_authentication_refused"):
        assert expected in names, names
    assert "email_retried" in names and "email_failed" in names
    assert any("/invitations/[redacted]/" in line for line in scan.words.values())
    # ... and no secret is in any line.
    assert scan.leaks(secret_registry.secrets) == {}


def test_the_scan_finds_a_secret_that_was_logged(secret_registry):
    """The check is real: a token written into a line is found (a stand-in for a careless log call)."""
    from accounts.services.invitations._common import new_token

    token = new_token()
    assert token in secret_registry.secrets
    try:
        with scanning() as scan:
            logging.getLogger("accessportal.careless").info("made token %s for the invitee", token)
        leaks = scan.leaks(secret_registry.secrets)
        assert token in leaks
        assert "careless" in leaks[token]
    finally:
        secret_registry.secrets.discard(token)  # logged on purpose: the run's own check must not count it


def test_an_invitation_link_in_a_line_is_redacted_before_it_is_written(secret_registry):
    from accounts.services.invitations._common import new_token

    token = new_token()
    with scanning() as scan:
        structlog.get_logger("accessportal.careless").info(
            "link", link=f"https://portal.example/invitations/{token}/"
        )
        logging.getLogger("django.request").warning("Gone: /invitations/%s/", token)
    assert scan.lines == 2
    assert scan.leaks(secret_registry.secrets) == {}
