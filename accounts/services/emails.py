"""Email: queue a message (after commit, one task each), send it, give up on it, record what the ESP reports."""

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.audit import audit_event_record
from accounts.models import AuditEvent, Invitation, OutboundEmail, invitation_token_hash


class TemporaryEmailError(Exception):
    """The ESP could not take the message now (network, 5xx, rate limit): try again later."""


def email_queue(*, to, subject, template, context, secret_context=None, invitation=None) -> OutboundEmail:
    """Record one message and queue its sending for after the surrounding transaction commits (a rolled-back
    change sends nothing). ``secret_context`` never touches the database: it travels in the task's arguments."""
    email = OutboundEmail(
        to=to, subject=subject[:255], template=template, context=context, invitation=invitation
    )
    return emails_queue_bulk([(email, secret_context)])[0]


def emails_queue_bulk(messages) -> list[OutboundEmail]:
    """Queue many messages ([(unsaved OutboundEmail, secret_context or None)]) in one INSERT; still one task
    each, sent after commit."""
    from accounts.tasks import send_email

    emails = OutboundEmail.objects.bulk_create([email for email, _ in messages])
    for email, (_, secret_context) in zip(emails, messages, strict=True):
        secret = dict(secret_context or {})
        transaction.on_commit(lambda pk=email.pk, secret=secret: send_email.delay(pk, secret))
    return emails


def _describe(error) -> str:
    try:
        return str(error)[:2000]
    except Exception:  # anymail's __str__ reads the ESP's response, which a low-level failure may lack
        return f"{type(error).__name__}: {error.args[0] if error.args else ''}"[:2000]


def _still_relevant(email, secret_context) -> bool:
    """An invitation email whose invitation is no longer pending, or whose token was replaced by a resend, would
    send a dead link: it is skipped."""
    invitation = email.invitation
    if invitation is None:
        return True
    if invitation.status != Invitation.Status.PENDING and email.template.endswith("/invitation"):
        return False
    token = secret_context.get("token")
    if token is not None:
        return invitation.token_hash == invitation_token_hash(token)
    return True


def _is_temporary(error: Exception) -> bool:
    """Worth another try: the ESP or the network could not take the message now (network, 5xx, 429). A refused
    recipient, a bad header, a failing template or anything else fails the same way every time."""
    if isinstance(error, AnymailRecipientsRefused):
        return False
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        return status is None or status == 429 or status >= 500
    return isinstance(error, OSError)  # ConnectionError, TimeoutError, SMTP errors


def email_send(*, email_id, secret_context=None) -> OutboundEmail | None:
    """Send one queued message. Safe to run twice: only a QUEUED row is sent (the row is locked while sending).
    A temporary ESP error is recorded on the row and raised as TemporaryEmailError (the task retries with
    back-off); a permanent one marks the message FAILED and is not retried."""
    email, temporary_error = _send_locked(email_id, secret_context or {})
    if temporary_error is not None:
        raise TemporaryEmailError(temporary_error)
    return email


@transaction.atomic
def _send_locked(email_id, secret_context):
    email = (
        OutboundEmail.objects.select_for_update(of=("self",))
        .select_related("invitation")
        .filter(pk=email_id)
        .first()
    )
    if email is None or email.status != OutboundEmail.Status.QUEUED:
        return email, None
    if not _still_relevant(email, secret_context):
        email.status = OutboundEmail.Status.SKIPPED
        email.save(update_fields=["status"])
        return email, None
    context = {**email.context, **secret_context, "portal_url": settings.PORTAL_BASE_URL}
    email.attempts += 1
    try:
        # Rendering counts as sending: a template that fails, or a header the message cannot carry (a name
        # with a line break: BadHeaderError), fails the same way on every try.
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=render_to_string(f"{email.template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
        )
        message.attach_alternative(render_to_string(f"{email.template}.html", context), "text/html")
        message.metadata = {"outbound_email_id": email.tracking_id}  # anymail: comes back on tracking events
        message.send()
    except Exception as error:  # whatever it is, the row says what happened; never left QUEUED
        temporary = _is_temporary(error)
        email.error = _describe(error)
        if not temporary:
            email.status = OutboundEmail.Status.FAILED
        email.save(update_fields=["status", "error", "attempts"])
        return email, (email.error if temporary else None)
    status = getattr(message, "anymail_status", None)
    message_id = getattr(status, "message_id", None) if status else None
    email.esp_message_id = "" if message_id is None else str(message_id)[:255]
    email.status = OutboundEmail.Status.SENT
    email.sent_at = timezone.now()
    email.error = ""
    email.save(update_fields=["status", "sent_at", "esp_message_id", "attempts", "error"])
    return email, None


def email_give_up(*, email_id, error) -> None:
    """After the last retry: record the failure; the message is not tried again."""
    OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.QUEUED).update(
        status=OutboundEmail.Status.FAILED, error=str(error)[:2000]
    )


_BOUNCES = {"bounced", "rejected", "failed"}


@transaction.atomic
def email_tracking_event_record(*, event) -> OutboundEmail | None:
    """An anymail tracking event (delivered, bounced, ...) for one of our messages. A bounce marks the message
    BOUNCED and, for an invitation email, the pending invitation as bounced.

    The event must name the message twice: our random ``tracking_id`` (sent as metadata) and the message id the
    ESP gave when it took the message. Anything else (a guessed or a sequential id) matches nothing."""
    metadata = getattr(event, "metadata", None) or {}
    tracking_id, message_id = metadata.get("outbound_email_id"), event.message_id
    if not isinstance(tracking_id, str) or not tracking_id or not message_id:
        return None
    email = (
        OutboundEmail.objects.select_for_update(of=("self",))
        .select_related("invitation")
        .filter(tracking_id=tracking_id, esp_message_id=str(message_id))
        .exclude(esp_message_id="")
        .first()
    )
    if email is None:
        return None
    email.last_event = str(event.event_type)[:32]
    fields = ["last_event"]
    if event.event_type in _BOUNCES and email.bounced_at is None:
        email.status = OutboundEmail.Status.BOUNCED
        email.bounced_at = timezone.now()
        email.error = str(event.description or event.mta_response or event.reject_reason or "")[:2000]
        fields += ["status", "bounced_at", "error"]
        invitation = email.invitation
        if invitation is not None and invitation.bounced_at is None:
            Invitation.objects.filter(pk=invitation.pk).update(bounced_at=email.bounced_at)
            audit_event_record(
                event_type=AuditEvent.Type.INVITATION_EMAIL_BOUNCED,
                actor=None,
                organization=invitation.organization,
                project=invitation.project,
                target=invitation,
                target_type="invitation",
                details={"email": invitation.email, "reason": email.error[:200]},
            )
    email.save(update_fields=fields)
    return email
