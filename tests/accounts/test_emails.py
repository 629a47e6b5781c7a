"""Email: one task a message or a batch of them, after commit; retries on temporary ESP errors, gives up on
permanent ones; bounces reported by the ESP's webhook show on the invitation. Expiry: bulk, idempotent, audited,
each inviter told once."""

import base64
import json
import re
from datetime import timedelta

import pytest
from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from accounts.models import AuditEvent, Invitation, OutboundEmail
from accounts.services.emails import EMAIL_BATCH, TemporaryEmailError, email_send, emails_queue_bulk
from accounts.services.invitations import (
    invitation_accept,
    invitation_resend,
    invitations_expire_due,
    organization_invitations_create,
)
from accounts.services.invitations.sending import EXPIRY_NOTICE_LISTS
from accounts.services.members import organization_member_add
from accounts.tasks import expire_invitations, send_email, send_emails
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _anymail_test_backend(settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "esp:webhook-secret"}


@pytest.fixture
def invite(committed):
    """``invite(organization, owner, email)``: the invitation, its email queued as after a real commit."""

    def run(organization, owner, email="new@example.com"):
        return committed(
            organization_invitations_create, organization=organization, emails=[email], actor=owner
        )[0]

    return run


def test_invitation_email_has_the_recipient_subject_and_link(organization, owner, invite):
    invitation = invite(organization, owner)

    message = mail.outbox[-1]
    assert message.to == ["new@example.com"]
    assert message.subject == f"{owner.email} invited you to {organization.name}"
    link = re.search(r"https://portal\.example\.com/invitations/([^/\s]+)/", message.body)
    assert link is not None
    assert link.group(0) in message.alternatives[0][0]  # the HTML part carries the same link
    email = OutboundEmail.objects.get(invitation=invitation)
    assert email.status == OutboundEmail.Status.SENT
    assert email.esp_message_id != ""
    assert link.group(1) not in json.dumps(email.context)  # the token never reaches the database


def test_nothing_is_sent_when_the_change_rolls_back(organization, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        organization_invitations_create(organization=organization, emails=["x@example.com"], actor=owner)
    # Callbacks are registered for after commit (the email's task, and the "invitations sent" counter), and were
    # not run inside the transaction.
    assert len(callbacks) == 2
    assert mail.outbox == []


def test_a_broker_that_cannot_take_the_task_after_commit_is_logged_not_raised(
    monkeypatch, django_capture_on_commit_callbacks
):
    import accessportal.celery

    warnings = []
    monkeypatch.setattr(accessportal.celery.logger, "warning", lambda *args, **kwargs: warnings.append(args))

    def broker_down(*args, **kwargs):
        raise ConnectionError("the broker does not answer")

    monkeypatch.setattr(send_email, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        send_email.delay_on_commit(123)

    assert len(callbacks) == 1  # queued for after commit, not published inside the transaction
    assert warnings and "beat will pick it up again" in warnings[0][0]  # the committed change stands


def test_inviter_is_told_when_the_invitation_is_accepted(
    organization, owner, django_capture_on_commit_callbacks, invite
):
    invite(organization, owner)
    token = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_accept(token=token, user=UserFactory(email="new@example.com"))
    notice = mail.outbox[-1]
    assert notice.to == [owner.email]
    assert notice.subject == f"new@example.com accepted your invitation to {organization.name}"


def test_a_resend_makes_the_earlier_queued_email_stale(
    organization, owner, django_capture_on_commit_callbacks, invite
):
    invitation = invite(organization, owner)
    first_token = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(invitation=invitation, actor=owner)
    stale = OutboundEmail.objects.create(
        to="new@example.com", subject="s", template="accounts/email/invitation", invitation=invitation
    )
    sent_before = len(mail.outbox)
    email_send(email_id=stale.pk, secret_context={"token": first_token, "accept_path": "/x/"})
    stale.refresh_from_db()
    assert stale.status == OutboundEmail.Status.SKIPPED
    assert len(mail.outbox) == sent_before


def test_sending_twice_sends_once(organization, owner, invite):
    invite(organization, owner)
    email = OutboundEmail.objects.get()
    sent = len(mail.outbox)
    send_email.apply(args=[email.pk, {}])
    assert len(mail.outbox) == sent


def _queued(to="a@example.com"):
    return OutboundEmail.objects.create(to=to, subject="Hello", template="accounts/email/invitation_expired")


def _failing_send(monkeypatch, error):
    from django.core.mail import EmailMultiAlternatives

    def send(self, fail_silently=False):
        raise error

    monkeypatch.setattr(EmailMultiAlternatives, "send", send)


def test_temporary_esp_errors_are_retried(monkeypatch):
    email = _queued()
    _failing_send(monkeypatch, AnymailAPIError("ESP unavailable", status_code=503))
    with pytest.raises(TemporaryEmailError):
        email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.QUEUED
    assert email.attempts == 1


def test_the_task_retries_temporary_errors_then_gives_up(monkeypatch):
    email = _queued()
    _failing_send(monkeypatch, AnymailAPIError("ESP unavailable", status_code=503))
    monkeypatch.setattr(send_email, "max_retries", 2)
    from accessportal.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)  # let eager retries run, as a worker would

    send_email.apply(args=[email.pk, {}])  # eager: each retry runs at once

    email.refresh_from_db()
    assert email.attempts == 3  # the first try and two retries
    assert email.status == OutboundEmail.Status.FAILED
    assert "ESP unavailable" in email.error


def test_permanent_esp_errors_are_recorded_and_not_retried(monkeypatch):
    email = _queued("bad@example.com")
    _failing_send(monkeypatch, AnymailRecipientsRefused("Recipient refused"))
    result = send_email.apply(args=[email.pk, {}])
    assert result.state == "SUCCESS"
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert "refused" in email.error


def test_after_the_last_retry_the_message_is_given_up(monkeypatch):
    email = _queued()
    _failing_send(monkeypatch, AnymailAPIError("rate limited", status_code=429))
    task = send_email
    monkeypatch.setattr(task, "max_retries", 0)
    from accessportal.celery import app

    # Eager tasks do not propagate their error here: the task's on_failure runs, as in a worker.
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    result = task.apply(args=[email.pk, {}])
    assert result.state == "FAILURE"  # after the last retry the task fails, and its on_failure gives up
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED
    assert "rate limited" in email.error


def test_one_bad_address_blocks_nobody(organization, owner, monkeypatch, django_capture_on_commit_callbacks):
    from django.core.mail import EmailMultiAlternatives

    real_send = EmailMultiAlternatives.send

    def send(self, fail_silently=False):
        if self.to == ["bad@example.com"]:
            raise AnymailRecipientsRefused("refused")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send)
    with django_capture_on_commit_callbacks(execute=True):
        organization_invitations_create(
            organization=organization, emails=["bad@example.com", "good@example.com"], actor=owner
        )
    statuses = dict(OutboundEmail.objects.values_list("to", "status"))
    assert statuses == {"bad@example.com": "FAILED", "good@example.com": "SENT"}


def test_a_bounce_reported_by_the_esp_marks_the_invitation(client, organization, owner, settings, invite):
    invitation = invite(organization, owner)
    email = OutboundEmail.objects.get(invitation=invitation)
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"  # the ESP whose webhook is mounted
    payload = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "MessageID": email.esp_message_id,
        "Email": "new@example.com",
        "Description": "The server was unable to deliver your message",
        "Metadata": {"outbound_email_id": email.tracking_id},
        "BouncedAt": "2026-11-25T10:00:00Z",
    }
    auth = base64.b64encode(b"esp:webhook-secret").decode()
    response = client.post(
        "/anymail/postmark/tracking/",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )
    assert response.status_code == 200
    invitation.refresh_from_db()
    email.refresh_from_db()
    assert invitation.bounced_at is not None
    assert email.status == OutboundEmail.Status.BOUNCED
    assert AuditEvent.objects.filter(
        event_type="INVITATION_EMAIL_BOUNCED", organization=organization
    ).exists()


def test_webhook_without_the_secret_is_refused(client, settings):
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    response = client.post("/anymail/postmark/tracking/", "{}", content_type="application/json")
    assert response.status_code == 401


@pytest.fixture
def expire_all(committed):
    """``expire_all(organization, owner, n)``: ``n`` invitations, their emails sent, then past their expiry."""

    def run(organization, owner, n):
        invitations = committed(
            organization_invitations_create,
            organization=organization,
            emails=[f"p{i}@example.com" for i in range(n)],
            actor=owner,
        )
        Invitation.objects.filter(pk__in=[i.pk for i in invitations]).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
        return invitations

    return run


def test_expiry_marks_audits_and_tells_each_inviter_once(
    organization, owner, django_capture_on_commit_callbacks, expire_all
):
    expire_all(organization, owner, 3)
    Invitation.objects.create(
        organization=organization,
        email="later@example.com",
        token_hash="f" * 64,
        expires_at=timezone.now() + timedelta(days=1),
    )
    sent = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        assert expire_invitations.apply().result == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_invitations.apply().result == 0  # a second run changes nothing

    assert Invitation.objects.filter(status="EXPIRED").count() == 3
    assert Invitation.objects.get(email="later@example.com").status == "PENDING"
    assert AuditEvent.objects.filter(event_type="ORG_INVITATION_EXPIRED").count() == 3
    notices = mail.outbox[sent:]
    assert len(notices) == 1  # one notice for the inviter's three invitations
    assert notices[0].to == [owner.email]
    assert notices[0].subject == "3 of your invitations expired"
    assert all(f"p{i}@example.com" in notices[0].body for i in range(3))


def test_expiry_tells_each_inviter_once_listing_theirs(
    organization, owner, settings, django_capture_on_commit_callbacks, expire_all
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    other = UserFactory(email="other-inviter@example.com")
    organization_member_add(organization=organization, user=other, roles=[roles.ORG_OWNER], actor=owner)
    expire_all(organization, owner, EXPIRY_NOTICE_LISTS + 5)
    with django_capture_on_commit_callbacks(execute=True):
        theirs = organization_invitations_create(
            organization=organization, emails=["solo@example.com"], actor=other
        )
    Invitation.objects.filter(pk=theirs[0].pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    sent = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        invitations_expire_due()

    notices = {m.to[0]: m for m in mail.outbox[sent:]}
    assert sorted(notices) == sorted([owner.email, other.email])
    mine = notices[owner.email]
    assert mine.subject == f"{EXPIRY_NOTICE_LISTS + 5} of your invitations expired"
    assert "and 5 more" in mine.body
    assert notices[other.email].subject == "Your invitation of solo@example.com to Acme expired"
    # One invitation's notice is tied to it, as every inviter notice is (the outbox shows it with its row).
    solo = OutboundEmail.objects.get(to=other.email, template="accounts/email/invitation_expired")
    assert solo.invitation_id == theirs[0].pk
    listing = OutboundEmail.objects.get(to=owner.email, template="accounts/email/invitations_expired")
    assert listing.invitation_id is None


def test_expiry_uses_bulk_sql_whatever_the_number(organization, owner, expire_all):
    def queries(n):
        Invitation.objects.all().delete()
        expire_all(organization, owner, n)
        with CaptureQueriesContext(connection) as captured:
            invitations_expire_due()
        return len(captured)

    assert queries(5) == queries(50)


# ---- batches: bulk work publishes one task per EMAIL_BATCH messages, sent over one ESP connection ------------------

OPENED = []


class CountingBackend(locmem.EmailBackend):
    """The test backend, counting the connections opened (anymail's and SMTP's backends open one per batch)."""

    def open(self):
        OPENED.append(self)
        return True


def test_queueing_many_publishes_one_task_per_batch_of_emails(
    monkeypatch, django_capture_on_commit_callbacks
):
    singles, batches = [], []
    monkeypatch.setattr(send_email, "delay", lambda *args: singles.append(args))
    monkeypatch.setattr(send_emails, "delay", lambda *args: batches.append(args))
    messages = [
        (
            OutboundEmail(to=f"p{i}@example.com", subject="s", template="accounts/email/invitation_expired"),
            None,
        )
        for i in range(EMAIL_BATCH * 2 + 1)
    ]

    with django_capture_on_commit_callbacks(execute=True):
        emails_queue_bulk(messages)

    assert singles == [(OutboundEmail.objects.order_by("pk").last().pk,)]  # the remainder of one goes alone
    assert [len(ids) for (ids,) in batches] == [EMAIL_BATCH, EMAIL_BATCH]
    published = [*(i for (ids,) in batches for i in ids), *(i for (i,) in singles)]
    assert sorted(published) == sorted(OutboundEmail.objects.values_list("pk", flat=True))


def test_a_batch_is_sent_over_one_connection(settings):
    settings.EMAIL_BACKEND = "tests.accounts.test_emails.CountingBackend"
    OPENED.clear()
    emails = [_queued(f"p{i}@example.com") for i in range(5)]
    sent = len(mail.outbox)

    result = send_emails.apply(args=[[e.pk for e in emails]])

    assert result.result == {e.pk: OutboundEmail.Status.SENT for e in emails}
    assert len(OPENED) == 1
    assert sorted(m.to[0] for m in mail.outbox[sent:]) == sorted(e.to for e in emails)


def test_a_batch_tries_again_only_what_met_a_temporary_error_then_gives_up(monkeypatch):
    from django.core.mail import EmailMultiAlternatives

    emails = [_queued("ok@example.com"), _queued("busy@example.com"), _queued("refused@example.com")]
    real_send = EmailMultiAlternatives.send

    def send(self, fail_silently=False):
        if self.to == ["busy@example.com"]:
            raise AnymailAPIError("ESP busy", status_code=503)
        if self.to == ["refused@example.com"]:
            raise AnymailRecipientsRefused("Recipient refused")
        return real_send(self, fail_silently)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send)
    monkeypatch.setattr(send_emails, "max_retries", 2)
    from accessportal.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)  # let eager retries run, as a worker would

    send_emails.apply(args=[[e.pk for e in emails]])

    ok, busy, refused = (OutboundEmail.objects.get(pk=e.pk) for e in emails)
    assert (ok.status, ok.attempts) == (OutboundEmail.Status.SENT, 1)
    assert (refused.status, refused.attempts) == (OutboundEmail.Status.FAILED, 1)  # permanent: never again
    assert (busy.status, busy.attempts) == (OutboundEmail.Status.FAILED, 3)  # the first try and two retries
    assert "ESP busy" in busy.error  # the row keeps the last error it met


def test_a_batch_whose_connection_cannot_open_is_tried_again_whole(monkeypatch, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    emails = [_queued("a@example.com"), _queued("b@example.com")]

    def refuse(self):
        raise ConnectionRefusedError("ESP down")

    monkeypatch.setattr(locmem.EmailBackend, "open", refuse, raising=False)
    retried = []
    monkeypatch.setattr(send_emails, "retry", lambda **kwargs: retried.append(kwargs) or Retry())

    with pytest.raises(Retry):
        send_emails.run([e.pk for e in emails])

    assert retried[0]["args"] == [[e.pk for e in emails]]
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {OutboundEmail.Status.QUEUED}


def test_expiry_events_are_written_in_sql_as_the_other_invitation_events_read(organization, owner, project):
    from accounts.services.invitations import project_invitations_create

    whole = organization_invitations_create(organization=organization, emails=["a@example.com"], actor=owner)[
        0
    ]
    to_project = project_invitations_create(project=project, emails=["b@example.com"], actor=owner)[0]
    at = {
        whole.pk: timezone.now().replace(microsecond=0) - timedelta(minutes=1),
        to_project.pk: timezone.now().replace(microsecond=123456) - timedelta(minutes=2),
    }
    for pk, expires_at in at.items():
        Invitation.objects.filter(pk=pk).update(expires_at=expires_at)

    invitations_expire_due()

    for invitation, event_type in (
        (whole, "ORG_INVITATION_EXPIRED"),
        (to_project, "GROUP_INVITATION_EXPIRED"),
    ):
        invitation.refresh_from_db()
        event = AuditEvent.objects.get(event_type=event_type, target_id=invitation.public_id)
        assert event.details == {"email": invitation.email, "expiresAt": at[invitation.pk].isoformat()}
        assert (event.organization_id, event.project_id) == (organization.pk, invitation.project_id)
        assert (event.target_type, event.target_name, event.actor_id) == ("invitation", str(invitation), None)
        assert len(event.public_id) == 24 and event.public_id != invitation.public_id
