"""The ESP's tracking webhook cannot be forged: credentials required (401 without), only the configured ESP's
webhook exists, and an event must name its message by our random tracking id and by the ESP's message id."""

import base64
import json

import pytest

from accounts.models import AuditEvent, Invitation, OutboundEmail
from accounts.services.invitations import organization_invitations_create

pytestmark = pytest.mark.django_db

SECRET = "esp:webhook-secret"


@pytest.fixture(autouse=True)
def _postmark(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"  # sends nothing, records a message id
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


@pytest.fixture
def sent(organization, owner, settings, django_capture_on_commit_callbacks):
    """An invitation email as sent, then the Postmark backend configured (its webhook is the one mounted)."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation = organization_invitations_create(
            organization=organization, emails=["victim@example.com"], actor=owner
        )[0]
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    return OutboundEmail.objects.get(invitation=invitation)


def bounce(client, *, metadata_id, message_id, credentials=SECRET, esp="postmark"):
    payload = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "MessageID": message_id,
        "Email": "victim@example.com",
        "Description": "forged",
        "Metadata": {"outbound_email_id": metadata_id},
        "BouncedAt": "2026-11-25T10:00:00Z",
    }
    headers = {}
    if credentials is not None:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(credentials.encode()).decode()
    return client.post(
        f"/anymail/{esp}/tracking/", json.dumps(payload), content_type="application/json", **headers
    )


def bounced(email) -> bool:
    email.refresh_from_db()
    return (
        email.status == OutboundEmail.Status.BOUNCED
        or Invitation.objects.get(pk=email.invitation_id).bounced_at is not None
    )


def test_a_webhook_call_without_credentials_is_401_with_a_basic_challenge(client, sent):
    response = bounce(client, metadata_id=sent.tracking_id, message_id=sent.esp_message_id, credentials=None)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert not bounced(sent)


def test_wrong_credentials_are_401(client, sent):
    response = bounce(
        client, metadata_id=sent.tracking_id, message_id=sent.esp_message_id, credentials="esp:guess"
    )
    assert response.status_code == 401
    assert not bounced(sent)


def test_without_a_configured_secret_every_call_is_refused(client, sent, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    response = bounce(client, metadata_id=sent.tracking_id, message_id=sent.esp_message_id, credentials=":")
    assert response.status_code == 401
    assert not bounced(sent)


def test_the_sequential_id_of_a_message_matches_nothing(client, sent):
    """The attack: another tenant's message by its database id (and even with its ESP message id)."""
    response = bounce(client, metadata_id=str(sent.pk), message_id=sent.esp_message_id)

    assert response.status_code == 200  # the ESP is told we took it; nothing changed
    assert not bounced(sent)
    assert not AuditEvent.objects.filter(event_type="INVITATION_EMAIL_BOUNCED").exists()


def test_the_tracking_id_without_the_esp_message_id_matches_nothing(client, sent):
    assert bounce(client, metadata_id=sent.tracking_id, message_id="another-message").status_code == 200
    assert not bounced(sent)


def test_both_ids_together_mark_the_bounce(client, sent):
    assert bounce(client, metadata_id=sent.tracking_id, message_id=sent.esp_message_id).status_code == 200
    assert bounced(sent)
    assert AuditEvent.objects.filter(event_type="INVITATION_EMAIL_BOUNCED").count() == 1


def test_tracking_ids_are_random_not_the_row_id(sent):
    other = OutboundEmail.objects.create(to="x@example.com", subject="s", template="t")
    assert len(sent.tracking_id) == 32 and len(other.tracking_id) == 32
    assert sent.tracking_id != other.tracking_id
    assert str(sent.pk) not in (sent.tracking_id, other.tracking_id)


def test_only_the_configured_esp_webhook_is_mounted(client, sent):
    response = bounce(client, esp="sendgrid", metadata_id=sent.tracking_id, message_id=sent.esp_message_id)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "backend",
    ["django.core.mail.backends.console.EmailBackend", "django.core.mail.backends.smtp.EmailBackend"],
)
def test_no_webhook_is_mounted_for_a_backend_that_is_not_an_esp(client, sent, settings, backend):
    settings.EMAIL_BACKEND = backend
    response = bounce(client, metadata_id=sent.tracking_id, message_id=sent.esp_message_id)
    assert response.status_code == 404
    assert not bounced(sent)
