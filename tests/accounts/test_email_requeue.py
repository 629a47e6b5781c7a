"""A lost task loses no email for long: QUEUED rows past their lease are queued again by a beat job (each once,
whoever runs it); the broker's message carries the row's id only, never an invitation's token."""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts import tasks
from accounts.models import Invitation, OutboundEmail, invitation_token_hash
from accounts.services.api_keys import decrypt_secret
from accounts.services.emails import GIVE_UP_AFTER, email_send, emails_requeue_stalled
from accounts.services.invitations import invitation_accept, organization_invitations_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """What would reach the broker: the arguments of every send_email published, and nothing sent. A batch
    (send_emails) is recorded as its list of ids."""
    messages = []
    monkeypatch.setattr(tasks.send_email, "delay", lambda *args, **kwargs: messages.append((args, kwargs)))
    monkeypatch.setattr(tasks.send_emails, "delay", lambda *args, **kwargs: messages.append((args, kwargs)))
    return messages


@pytest.fixture
def invite(committed):
    """``invite(organization, owner, email)``: the invitation, its email queued as after a real commit."""

    def run(organization, owner, email="new@example.com"):
        return committed(
            organization_invitations_create, organization=organization, emails=[email], actor=owner
        )[0]

    return run


def test_the_task_message_carries_the_row_id_only_and_the_token_is_only_encrypted(
    organization, owner, published, invite
):
    invitation = invite(organization, owner)
    email = OutboundEmail.objects.get(invitation=invitation)

    assert published == [((email.pk,), {})]
    token = json.loads(decrypt_secret(email.secret_context_encrypted))["token"]
    assert Invitation.objects.get(pk=invitation.pk).token_hash == invitation_token_hash(token)
    row = OutboundEmail.objects.filter(pk=email.pk).values().get()
    assert not any(token in str(value) for value in row.values())  # not in plain text anywhere on the row


def test_once_sent_the_secret_is_dropped_from_the_row(organization, owner, settings, invite):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    invitation = invite(organization, owner)

    email = OutboundEmail.objects.get(invitation=invitation)
    assert email.status == OutboundEmail.Status.SENT
    assert email.secret_context_encrypted == ""
    assert re.search(r"/invitations/[^/\s]+/", mail.outbox[-1].body)


def test_a_lost_message_is_queued_again_after_its_lease_and_its_link_works(
    organization, owner, published, django_capture_on_commit_callbacks, invite
):
    """The broker lost the task (or the worker died with it): the beat job queues it again once the lease
    ran out; the email then goes out with a working accept link."""
    invitation = invite(organization, owner)
    email = OutboundEmail.objects.get(invitation=invitation)
    assert email.status == OutboundEmail.Status.QUEUED and mail.outbox == []
    published.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert emails_requeue_stalled() == []  # within the lease: trusted to be in the broker
    assert published == []

    later = email.lease_expires_at + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert emails_requeue_stalled(now=later) == [email.pk]
    assert published == [((email.pk,), {})]
    with django_capture_on_commit_callbacks(execute=True):
        assert emails_requeue_stalled(now=later) == []  # a second copy of the job, or the next minute
    assert len(published) == 1

    email_send(email_id=email.pk)  # what the worker does with the re-queued message
    token = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_accept(token=token, user=UserFactory(email="new@example.com"))
    assert Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.ACCEPTED


def test_the_beat_task_requeues_only_queued_rows_past_their_lease(
    published, django_capture_on_commit_callbacks
):
    now = timezone.now()
    past = now - timedelta(seconds=1)
    stalled = OutboundEmail.objects.create(
        to="a@example.com", subject="s", template="t", lease_expires_at=past
    )
    legacy = OutboundEmail.objects.create(
        to="b@example.com", subject="s", template="t", lease_expires_at=None
    )
    OutboundEmail.objects.create(
        to="c@example.com", subject="s", template="t", lease_expires_at=now + timedelta(1)
    )
    for status in ("SENT", "FAILED", "BOUNCED", "SKIPPED"):
        OutboundEmail.objects.create(
            to="d@example.com", subject="s", template="t", status=status, lease_expires_at=past
        )

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.requeue_stalled_emails.apply().result == 2

    [((batch,), kwargs)] = published  # one task for the batch
    assert (sorted(batch), kwargs) == (sorted([stalled.pk, legacy.pk]), {})
    stalled.refresh_from_db()
    assert stalled.lease_expires_at > now


def test_a_message_still_queued_a_day_later_is_given_up_with_the_reason(
    published, django_capture_on_commit_callbacks
):
    old = OutboundEmail.objects.create(
        to="a@example.com",
        subject="s",
        template="t",
        secret_context_encrypted="x",
        created_at=timezone.now() - GIVE_UP_AFTER - timedelta(minutes=1),
        lease_expires_at=timezone.now() - timedelta(minutes=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert emails_requeue_stalled() == []

    old.refresh_from_db()
    assert old.status == OutboundEmail.Status.FAILED
    assert "given up" in old.error
    assert old.secret_context_encrypted == ""
    assert published == []


def test_a_temporary_failure_holds_the_row_for_the_retry_back_off(monkeypatch):
    """The task retries by itself within the back-off: the beat job must not queue a second copy meanwhile."""
    from anymail.exceptions import AnymailAPIError
    from django.core.mail import EmailMultiAlternatives

    from accounts.services.emails import RETRY_BACKOFF_MAX_SECONDS, TemporaryEmailError

    def fail(self, fail_silently=False):
        raise AnymailAPIError("ESP unavailable", status_code=503)

    monkeypatch.setattr(EmailMultiAlternatives, "send", fail)
    email = OutboundEmail.objects.create(
        to="a@example.com",
        subject="s",
        template="accounts/email/invitation_expired",
        lease_expires_at=timezone.now(),
    )
    with pytest.raises(TemporaryEmailError):
        email_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.lease_expires_at >= timezone.now() + timedelta(seconds=RETRY_BACKOFF_MAX_SECONDS)


def test_the_admin_does_not_show_the_encrypted_secret(admin_client, organization, owner, published, invite):
    invitation = invite(organization, owner)
    email = OutboundEmail.objects.get(invitation=invitation)
    assert email.secret_context_encrypted

    page = admin_client.get(f"/admin/accounts/outboundemail/{email.pk}/change/")

    assert page.status_code == 200
    assert email.secret_context_encrypted not in page.content.decode()
