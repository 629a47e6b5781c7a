"""Celery tasks of the accounts app: each takes ids, loads, calls one service; safe to run twice."""

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from .metrics import email_outcome_record
from .services.emails import (
    RETRY_BACKOFF_MAX_SECONDS,
    TemporaryEmailError,
    email_give_up,
    email_send,
    emails_requeue_stalled,
    emails_send,
)
from .services.invitations import invitations_expire_due

EMAIL_MAX_RETRIES = 8  # back-off 2, 4, 8 ... 256 s (with jitter): about eight and a half minutes in all


@shared_task(bind=True, max_retries=EMAIL_MAX_RETRIES, acks_late=True)
def send_email(self, email_id: int, secret_context: dict | None = None) -> str | None:
    """Send one OutboundEmail. Temporary ESP errors retry with exponential back-off and jitter; after the last
    retry, or on a permanent error, the message is recorded as failed and nothing else waits on it.

    The message carries the id only (what the email needs is on the row, its secret encrypted);
    ``secret_context`` is read only from messages queued by an earlier version."""
    try:
        email = email_send(email_id=email_id, secret_context=secret_context)
    except TemporaryEmailError as error:
        if self.request.retries >= self.max_retries:
            email_give_up(email_id=email_id, error=error)
            email_outcome_record(
                outcome="failed",
                email_id=email_id,
                reason="gave up",
                attempts=self.request.retries + 1,
                error=str(error),
            )
            return "FAILED"
        countdown = _backoff(self.request.retries)
        email_outcome_record(
            outcome="retried",
            email_id=email_id,
            attempt=self.request.retries + 1,
            countdown=countdown,
            error=str(error),
        )
        raise self.retry(exc=error, countdown=countdown) from error
    return email.status if email else None


def _backoff(retries: int) -> int:
    return get_exponential_backoff_interval(
        factor=2, retries=retries, maximum=RETRY_BACKOFF_MAX_SECONDS, full_jitter=True
    )


@shared_task(bind=True, max_retries=EMAIL_MAX_RETRIES, acks_late=True)
def send_emails(self, email_ids: list[int]) -> dict:
    """Send up to ``EMAIL_BATCH`` OutboundEmails over one ESP connection (what bulk work queues: one task per
    batch, not per message). The messages that meet a temporary error are tried again together, as this task
    with only their ids, with the same back-off as ``send_email``; after the last retry they are recorded as
    failed. Returns {id: status} of the messages this try finished."""
    results, again = emails_send(email_ids=email_ids)
    if not again:
        return results
    if self.request.retries >= self.max_retries:
        for email_id in again:
            email_give_up(email_id=email_id)  # its row keeps the last error it met
            email_outcome_record(
                outcome="failed", email_id=email_id, reason="gave up", attempts=self.request.retries + 1
            )
            results[email_id] = "FAILED"
        return results
    countdown = _backoff(self.request.retries)
    for email_id in again:
        email_outcome_record(
            outcome="retried", email_id=email_id, attempt=self.request.retries + 1, countdown=countdown
        )
    raise self.retry(args=[again], countdown=countdown)


@shared_task(acks_late=True)
def expire_invitations() -> int:
    """Beat, every minute: pending invitations past their expiry become EXPIRED; inviters are told."""
    return len(invitations_expire_due())


@shared_task(acks_late=True)
def flush_authentication_failures() -> int:
    """Beat, every minute: each closed minute of refused API authentications becomes one audit event."""
    from .services.signin import authentication_failures_flush

    return len(authentication_failures_flush())


@shared_task(acks_late=True)
def requeue_stalled_emails() -> int:
    """Beat, every minute: QUEUED emails past their lease are queued again (safe if two copies run)."""
    return len(emails_requeue_stalled())


@shared_task(acks_late=True)
def process_join_asks() -> int:
    """Beat, every minute: asks to join a project by its id become join requests when the id names one."""
    from .services.join_requests import join_asks_process

    return join_asks_process()
