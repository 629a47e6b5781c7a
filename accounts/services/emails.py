"""Email: queue messages (after commit, one task per ``EMAIL_BATCH`` of them), send them over one ESP connection a
batch, give up on them, queue again what was lost, record what the ESP reports."""

import json
from datetime import timedelta

from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.audit import audit_event_record
from accounts.metrics import email_outcome_record
from accounts.models import AuditEvent, Invitation, OutboundEmail, invitation_token_hash

from .api_keys import decrypt_secret, encrypt_secret

# A QUEUED message whose lease ran out is queued again by the beat job (its message was lost, its worker killed,
# or the broker was down when it was published); one still QUEUED a day after it was made is given up.
RETRY_BACKOFF_MAX_SECONDS = 600  # the longest wait between two tries of one message (the task's back-off)
GIVE_UP_AFTER = timedelta(days=1)
REQUEUE_BATCH = 1000
# Messages queued together travel as one task of at most this many ids, sent over one ESP connection (a single
# message as the one-message task).
EMAIL_BATCH = 100


def _lease() -> timedelta:
    return timedelta(seconds=settings.EMAIL_LEASE_SECONDS)


class TemporaryEmailError(Exception):
    """The ESP could not take the message now (network, 5xx, rate limit): try again later."""


def email_queue(*, to, subject, template, context, secret_context=None, invitation=None) -> OutboundEmail:
    """Record one message and queue its sending for after the surrounding transaction commits (a rolled-back
    change sends nothing). ``secret_context`` (an accept link's token) is stored only encrypted, and never
    travels through the broker."""
    email = OutboundEmail(
        to=to, subject=subject[:255], template=template, context=context, invitation=invitation
    )
    return emails_queue_bulk([(email, secret_context)])[0]


def emails_queue_bulk(messages) -> list[OutboundEmail]:
    """Queue many messages ([(unsaved OutboundEmail, secret_context or None)]) in one INSERT; still one task
    each, published after commit with the row's id only."""
    lease_ends = timezone.now() + _lease()
    for email, secret_context in messages:
        email.lease_expires_at = lease_ends
        if secret_context:
            email.secret_context_encrypted = encrypt_secret(json.dumps(secret_context))
    emails = OutboundEmail.objects.bulk_create([email for email, _ in messages])
    publish_sending([email.pk for email in emails])
    return emails


def publish_sending(email_ids) -> None:
    """After commit, publish the sending of these messages: one ``send_emails`` task per ``EMAIL_BATCH`` ids (a
    lone message as ``send_email``), each message carrying ids only."""
    from accounts.tasks import send_email, send_emails

    email_ids = list(email_ids)
    for start in range(0, len(email_ids), EMAIL_BATCH):
        batch = email_ids[start : start + EMAIL_BATCH]
        if len(batch) == 1:
            send_email.delay_on_commit(batch[0])
        else:
            send_emails.delay_on_commit(batch)


def _secret_context(email) -> dict:
    if not email.secret_context_encrypted:
        return {}
    try:
        return json.loads(decrypt_secret(email.secret_context_encrypted))
    except InvalidToken:  # encrypted with a key no longer configured: the link cannot be rebuilt
        return {"undecryptable": True}


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


def email_send(*, email_id, secret_context=None, connection=None) -> OutboundEmail | None:
    """Send one queued message. Safe to run twice: only a QUEUED row is sent (the row is locked while sending,
    so a worker lost mid-send leaves it QUEUED for the beat job). A temporary ESP error is recorded on the row
    and raised as TemporaryEmailError (the task retries with back-off); anything else marks the message FAILED
    and is not retried. ``connection``: an open ESP connection to send on (``emails_send``); ``secret_context``
    is only for task messages queued before secrets moved to the row."""
    email, temporary_error = _send_locked(email_id, secret_context or {}, connection)
    if temporary_error is not None:
        raise TemporaryEmailError(temporary_error)
    return email


def emails_send(*, email_ids) -> tuple[dict, list[int]]:
    """Send these queued messages over one ESP connection (anymail's backends, like SMTP, keep it open across
    the batch). Each message is sent and recorded on its own, as ``email_send`` does, so one failure touches no
    other. Returns ({id: status or None}, the ids that met a temporary error, to try again); when the
    connection cannot even open, every id is to try again."""
    results, again = {}, []
    try:
        connection = get_connection()
        connection.open()
    except Exception as error:  # the ESP or the network is down: nothing was sent, all of it later
        if not _is_temporary(error):
            raise
        return results, list(email_ids)
    try:
        for email_id in email_ids:
            try:
                email = email_send(email_id=email_id, connection=connection)
            except TemporaryEmailError:
                again.append(email_id)
                continue
            results[email_id] = email.status if email else None
    finally:
        connection.close()
    return results, again


def _finish(email, status, fields=()):
    """The message is done with: its secret is dropped (not even kept encrypted)."""
    email.status = status
    email.secret_context_encrypted = ""
    email.save(update_fields=["status", "secret_context_encrypted", *fields])


@transaction.atomic
def _send_locked(email_id, legacy_secret_context, connection=None):
    email = (
        OutboundEmail.objects.select_for_update(of=("self",))
        .select_related("invitation")
        .filter(pk=email_id)
        .first()
    )
    if email is None or email.status != OutboundEmail.Status.QUEUED:
        return email, None
    secret_context = _secret_context(email) or legacy_secret_context
    if secret_context.get("undecryptable"):
        email.error = "Its secret was encrypted with a key that is no longer in API_KEY_ENCRYPTION_KEYS."
        _finish(email, OutboundEmail.Status.FAILED, ["error"])
        email_outcome_record(
            outcome="failed",
            email_id=email.pk,
            template=email.template,
            reason="undecryptable",
            error=email.error,
        )
        return email, None
    if not _still_relevant(email, secret_context):
        _finish(email, OutboundEmail.Status.SKIPPED)
        email_outcome_record(outcome="skipped", email_id=email.pk, template=email.template)
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
            connection=connection,
        )
        message.attach_alternative(render_to_string(f"{email.template}.html", context), "text/html")
        message.metadata = {"outbound_email_id": email.tracking_id}  # anymail: comes back on tracking events
        message.send()
    except Exception as error:  # whatever it is, the row says what happened; never left QUEUED
        email.error = _describe(error)
        if not _is_temporary(error):
            _finish(email, OutboundEmail.Status.FAILED, ["error", "attempts"])
            email_outcome_record(
                outcome="failed",
                email_id=email.pk,
                template=email.template,
                reason="refused",
                error=email.error,
            )
            return email, None
        # The task retries within RETRY_BACKOFF_MAX_SECONDS: the beat job leaves it that long, and a lease more.
        email.lease_expires_at = timezone.now() + timedelta(seconds=RETRY_BACKOFF_MAX_SECONDS) + _lease()
        email.save(update_fields=["error", "attempts", "lease_expires_at"])
        return email, email.error
    status = getattr(message, "anymail_status", None)
    message_id = getattr(status, "message_id", None) if status else None
    email.esp_message_id = "" if message_id is None else str(message_id)[:255]
    email.sent_at = timezone.now()
    email.error = ""
    _finish(email, OutboundEmail.Status.SENT, ["sent_at", "esp_message_id", "attempts", "error"])
    email_outcome_record(
        outcome="sent",
        email_id=email.pk,
        template=email.template,
        attempts=email.attempts,
        esp_message_id=email.esp_message_id,
    )
    return email, None


def email_give_up(*, email_id, error=None) -> None:
    """After the last retry: record the failure (``error``, or else the last one the row recorded); the message
    is not tried again."""
    fields = {"status": OutboundEmail.Status.FAILED, "secret_context_encrypted": ""}
    if error is not None:
        fields["error"] = str(error)[:2000]
    OutboundEmail.objects.filter(pk=email_id, status=OutboundEmail.Status.QUEUED).update(**fields)


@transaction.atomic
def emails_requeue_stalled(*, now=None) -> list[int]:
    """Beat, every minute: queue again every QUEUED message whose lease ran out (its broker message was lost,
    its worker killed, or the broker down when it was published), with a new lease; give up (FAILED, with the
    reason) on those still QUEUED a day after they were made. Returns the ids queued again.

    Safe with two copies at once: rows are claimed with FOR UPDATE SKIP LOCKED (on PostgreSQL; SQLite's
    IMMEDIATE transactions run one at a time), and a row that is being sent is locked, so it is skipped too.
    Each claimed row is published once, after commit, with its id only, in batches (``publish_sending``)."""
    now = now or timezone.now()
    stalled = OutboundEmail.objects.filter(
        Q(lease_expires_at__lte=now) | Q(lease_expires_at__isnull=True), status=OutboundEmail.Status.QUEUED
    )
    ids = list(stalled.select_for_update(skip_locked=True).values_list("pk", flat=True)[:REQUEUE_BATCH])
    if not ids:
        return []
    claimed = OutboundEmail.objects.filter(pk__in=ids, status=OutboundEmail.Status.QUEUED)
    claimed.filter(created_at__lte=now - GIVE_UP_AFTER).update(
        status=OutboundEmail.Status.FAILED,
        secret_context_encrypted="",
        error=f"Not sent within {GIVE_UP_AFTER.days} day(s) of being queued: given up.",
    )
    requeued = list(claimed.values_list("pk", flat=True))
    OutboundEmail.objects.filter(pk__in=requeued).update(lease_expires_at=now + _lease())
    publish_sending(requeued)
    return requeued


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
        email_outcome_record(outcome="bounced", email_id=email.pk, template=email.template, error=email.error)
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
