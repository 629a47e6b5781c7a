"""Celery tasks of the accounts app: each takes ids, loads, calls one service; safe to run twice."""

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval

from accessportal.celery import Task

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

# Temporary ESP errors: back-off 2, 4, 8 ... 256 s (full jitter, at most RETRY_BACKOFF_MAX_SECONDS), eight
# retries, about eight and a half minutes in all.
EMAIL_RETRY_POLICY = {
    "max_retries": 8,
    "retry_backoff": 2,
    "retry_backoff_max": RETRY_BACKOFF_MAX_SECONDS,
    "retry_jitter": True,
}


class SendEmailTask(Task):
    """``send_email``'s retries and giving up, recorded where Celery calls them: each retry is counted and
    logged, and after the last one the message is recorded as failed so that nothing else waits on it."""

    def on_retry(self, exc, task_id, args, kwargs, einfo):
        retry = getattr(einfo.exception, "exc", einfo.exception)  # Celery's Retry, which billiard may wrap
        email_outcome_record(
            outcome="retried",
            email_id=args[0],
            attempt=self.request.retries + 1,
            countdown=retry.when,
            error=str(exc),
        )

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if not isinstance(exc, TemporaryEmailError):
            return  # a bug, not the ESP: the row stays QUEUED and the beat job tries it again
        email_give_up(email_id=args[0], error=exc)
        email_outcome_record(
            outcome="failed",
            email_id=args[0],
            reason="gave up",
            attempts=self.request.retries + 1,
            error=str(exc),
        )


@shared_task(base=SendEmailTask, autoretry_for=(TemporaryEmailError,), acks_late=True, **EMAIL_RETRY_POLICY)
def send_email(email_id: int, secret_context: dict | None = None) -> str | None:
    """Send one OutboundEmail. A temporary ESP error is retried with exponential back-off and jitter; after the
    last retry, or on a permanent error, the message is recorded as failed and nothing else waits on it.

    The message carries the id only (what the email needs is on the row, its secret encrypted);
    ``secret_context`` is read only from messages queued by an earlier version."""
    email = email_send(email_id=email_id, secret_context=secret_context)
    return email.status if email else None


@shared_task(bind=True, acks_late=True, **EMAIL_RETRY_POLICY)
def send_emails(self, email_ids: list[int]) -> dict:
    """Send up to ``EMAIL_BATCH`` OutboundEmails over one ESP connection (what bulk work queues: one task per
    batch, not per message). The messages that meet a temporary error are tried again together, as this task
    with only their ids, with ``send_email``'s retry policy; after the last retry they are recorded as failed.
    Returns {id: status} of the messages this try finished.

    Celery's ``autoretry_for`` retries a task with the arguments it was given, so it would send the messages
    of the batch that went out again: the retry here is spelled with ``self.retry(args=[again])``, its
    countdown computed from the same ``retry_backoff`` options."""
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
    countdown = get_exponential_backoff_interval(
        factor=self.retry_backoff,
        retries=self.request.retries,
        maximum=self.retry_backoff_max,
        full_jitter=self.retry_jitter,
    )
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
