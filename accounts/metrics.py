"""What the accounts app counts for Prometheus (exported at /metrics), and the log line each event gets.

Counters move only for what happened: a change's counter is incremented after its transaction commits, so a
rolled-back invitation is not counted as sent."""

import structlog
from django.db import transaction
from prometheus_client import Counter

log = structlog.get_logger("accessportal.accounts")

EMAILS = Counter(
    "accessportal_emails_total",
    "Emails by outcome: sent, retried (a temporary ESP error), failed (refused, or given up after the last "
    "retry), skipped (no longer relevant), bounced (reported by the ESP).",
    ["outcome"],
)
INVITATIONS = Counter(
    "accessportal_invitations_total",
    "Invitations by event: sent (new, renewed or resent), accepted, expired.",
    ["event"],
)
API_AUTHENTICATION_FAILURES = Counter(
    "accessportal_api_authentication_failures_total",
    "Refused API authentications, by scheme (digest, oauth) and reason.",
    ["scheme", "reason"],
)
LOCKOUTS = Counter(
    "accessportal_lockouts_total",
    "Lockouts after repeated failures, by what was locked (sign_in, admin, password_reset, invitation, api).",
    ["kind"],
)


_EMAIL_LOG_LEVELS = {"sent": "info", "skipped": "info", "retried": "warning", "bounced": "warning"}


def email_outcome_record(*, outcome: str, email_id, template: str = "", **fields) -> None:
    """One email's outcome: counted, and logged (``email_sent``, ``email_retried``, ``email_failed``, ...) with
    the OutboundEmail id and template; never the recipient's link or token. A failure is logged at ERROR."""
    EMAILS.labels(outcome=outcome).inc()
    level = _EMAIL_LOG_LEVELS.get(outcome, "error")
    getattr(log, level)(f"email_{outcome}", email_id=email_id, template=template, **fields)


def invitation_event_record(*, event: str, invitation) -> None:
    """An invitation ``sent`` (new, renewed or resent) or ``accepted``: logged with its id, organization and
    project (never its token or link), and counted once the current transaction commits."""
    log.info(
        f"invitation_{event}",
        invitation_id=invitation.public_id,
        org_id=invitation.organization.public_id,
        project_id=invitation.project.public_id if invitation.project_id else None,
    )
    transaction.on_commit(lambda: INVITATIONS.labels(event=event).inc())


def invitations_expired_record(*, number: int) -> None:
    """The beat job marked ``number`` invitations expired: logged and counted once its transaction commits."""
    if number:
        log.info("invitations_expired", count=number)
        transaction.on_commit(lambda: INVITATIONS.labels(event="expired").inc(number))


def api_authentication_failure_record(
    *, scheme: str, reason: str, public_key: str = "", address: str = ""
) -> None:
    """A refused API authentication (Digest today; OAuth client credentials will call it with
    ``scheme="oauth"``): counted, and logged with the key or client id named, never its secret.
    ``reason`` is a short fixed word (``credentials``, ``replay``, ``malformed``, ...): it is a metric label."""
    API_AUTHENTICATION_FAILURES.labels(scheme=scheme, reason=reason).inc()
    log.info("api_authentication_refused", scheme=scheme, reason=reason, public_key=public_key[:64], ip=address)


def lockout_record(*, kind: str, address: str = "", username: str = "") -> None:
    """A lockout (too many failures from an address or on an account): counted and logged at WARNING. Called when
    django-axes starts a lock (sign-in, admin, password reset, invitation links: ``sign_in``) and when failed
    API authentications pass their limit (``api``)."""
    LOCKOUTS.labels(kind=kind).inc()
    log.warning("lockout", kind=kind, ip=address, username=username)
