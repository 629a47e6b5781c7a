"""OAuth 2.0 client credentials (RFC 6749 section 4.4): authenticating a client, issuing, finding and revoking
access tokens. Tokens and secrets are kept as their SHA-256 in the database, so every web process sees a new or
revoked token at once; refused client authentications are counted and throttled like refused Digest answers."""

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.audit import audit_event_record
from accounts.metrics import api_authentication_failure_record
from accounts.services.signin import authentication_failure_count as audit_failure_count
from accounts.signin.limits import (
    AuthenticationLimitReached,
    authentication_failure_count,
    authentication_failures_check,
)
from serviceaccounts.models import (
    AccessToken,
    ServiceAccount,
    ServiceAccountAccessListEntry,
    ServiceAccountSecret,
    secret_hash,
)

from ..audit import Event


@dataclass(frozen=True)
class _Counted:
    """What a refusal window records of a service account (``signin.authentication_failure_count`` takes an API
    key's shape): the client id as the key, and no 24-hex id (a client id is longer)."""

    public_key: str
    organization_id: int
    public_id: str = ""


class InvalidClient(Exception):
    """The client could not be authenticated: unknown, wrong or expired secret, or a disabled account.
    ``reason`` is a short fixed word for the metrics and the audit trail; the client is told nothing more."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def token_lifetime() -> timedelta:
    return timedelta(seconds=settings.OAUTH_ACCESS_TOKEN_LIFETIME_SECONDS)


def _find_secret(
    client_id: str, client_secret: str
) -> tuple[ServiceAccount | None, ServiceAccountSecret | None]:
    """The account named and its secret that matches (one query each); the secret is compared by hash with
    ``hmac.compare_digest`` and must belong to that very account."""
    service_account = (
        ServiceAccount.objects.select_related("user", "organization").filter(client_id=client_id).first()
    )
    if service_account is None:
        return None, None
    wanted = secret_hash(client_secret)
    for secret in service_account.secrets.all():
        if hmac.compare_digest(secret.secret_hash, wanted):
            return service_account, secret
    return service_account, None


def _counted(service_account):
    return _Counted(service_account.client_id, service_account.organization_id) if service_account else None


def client_authenticate(*, client_id: str, client_secret: str, address: str):
    """(service account, secret) for good client credentials. Raises AuthenticationLimitReached once the client
    id or the address has had too many refusals in the current window (before the secret is looked at), and
    InvalidClient otherwise; each refusal is counted, aggregated in the audit trail and in the metrics."""
    try:
        authentication_failures_check(public_key=client_id, address=address)
    except AuthenticationLimitReached:
        service_account = ServiceAccount.objects.filter(client_id=client_id).first()
        audit_failure_count(
            public_key=client_id,
            address=address,
            reason="rate limited",
            api_key=_counted(service_account),
            event_type=Event.SERVICE_ACCOUNT_AUTHENTICATION_FAILED,
        )
        raise
    service_account, secret = _find_secret(client_id, client_secret)
    if secret is None:
        _refuse(client_id, address, service_account, "credentials")
    if secret.is_expired():
        _refuse(client_id, address, service_account, "expired_secret")
    if not service_account.user.is_active:
        _refuse(client_id, address, service_account, "disabled")
    return service_account, secret


def _refuse(client_id, address, service_account, reason):
    client_refusal_count(client_id=client_id, address=address, service_account=service_account, reason=reason)
    raise InvalidClient(reason)


def client_refusal_count(*, client_id, address, service_account=None, reason, limit_client=True) -> None:
    """Count one refused client authentication (or Bearer token): toward the limits of the address and, with
    ``limit_client``, of the client id; in the minute's audit window (one row per client or address and minute);
    in the metrics (``scheme="oauth"``). A refused token does not count against its client: a client retrying
    with an expired token must still be able to get a new one."""
    authentication_failure_count(public_key=client_id if limit_client else "", address=address)
    audit_failure_count(
        public_key=client_id,
        address=address,
        reason=reason,
        api_key=_counted(service_account),
        event_type=Event.SERVICE_ACCOUNT_AUTHENTICATION_FAILED,
    )
    api_authentication_failure_record(scheme="oauth", reason=reason, public_key=client_id, address=address)


@transaction.atomic
def access_token_issue(*, service_account, secret, address) -> tuple[AccessToken, str]:
    """A new Bearer token for ``token_lifetime()`` (256 random bits; only its hash is kept). Audited."""
    value = secrets.token_urlsafe(32)
    now = timezone.now()
    token = AccessToken.objects.create(
        token_hash=secret_hash(value),
        service_account=service_account,
        secret=secret,
        issued_at=now,
        expires_at=now + token_lifetime(),
        issued_to_address=address or None,
    )
    ServiceAccountSecret.objects.filter(pk=secret.pk).update(last_used_at=now)
    audit_event_record(
        event_type=Event.SERVICE_ACCOUNT_TOKEN_ISSUED,
        actor=service_account.user,
        organization=service_account.organization,
        target=service_account,
        target_type="service_account",
        details={
            "clientId": service_account.client_id,
            "secretId": secret.public_id,
            "expiresAt": token.expires_at.isoformat(),
        },
    )
    return token, value


@transaction.atomic
def access_token_revoke(*, service_account, token: str) -> bool:
    """RFC 7009: revoke ``token`` if it is one of this client's live tokens; anything else is silently ignored
    (the caller answers 200 either way). True when a token was revoked."""
    revoked = AccessToken.objects.filter(
        token_hash=secret_hash(token or ""),
        service_account=service_account,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).update(revoked_at=timezone.now())
    if revoked:
        audit_event_record(
            event_type=Event.SERVICE_ACCOUNT_TOKEN_REVOKED,
            actor=service_account.user,
            organization=service_account.organization,
            target=service_account,
            target_type="service_account",
            details={"clientId": service_account.client_id},
        )
    return bool(revoked)


# A dead token's row is kept this long (what was issued to whom shows in the audit trail for good).
DEAD_TOKENS_KEPT = timedelta(days=1)


def access_tokens_purge(*, now=None) -> int:
    """Delete the tokens that expired, or were revoked, more than DEAD_TOKENS_KEPT ago: one DELETE, so the table
    holds about a day of tokens however long clients run. Returns how many went."""
    cutoff = (now or timezone.now()) - DEAD_TOKENS_KEPT
    deleted, _ = AccessToken.objects.filter(Q(expires_at__lt=cutoff) | Q(revoked_at__lt=cutoff)).delete()
    return deleted


def access_token_for(value: str) -> AccessToken | None:
    """The token row for a Bearer value with its account, user and organization (one query), live or not."""
    if not value or len(value) > 512:
        return None
    return (
        AccessToken.objects.select_related("service_account__user", "service_account__organization")
        .filter(token_hash=secret_hash(value))
        .first()
    )


# A service account's last use is kept to the minute, as an API key's.
LAST_USE_PRECISION = timedelta(seconds=60)


def service_account_record_use(*, service_account, address, entry=None) -> None:
    """When and from where the account was last used (at most one conditional UPDATE a minute per account and
    address), and one more use of the access-list entry the request came through."""
    now = timezone.now()
    stale = now - LAST_USE_PRECISION
    if (
        service_account.last_used_at is None
        or service_account.last_used_at <= stale
        or service_account.last_used_address != address
    ):
        ServiceAccount.objects.filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale) | ~Q(last_used_address=address),
            pk=service_account.pk,
        ).update(last_used_at=now, last_used_address=address)
    if isinstance(entry, ServiceAccountAccessListEntry):
        ServiceAccountAccessListEntry.objects.filter(pk=entry.pk).update(
            last_used_at=now, last_used_address=address, access_count=F("access_count") + 1
        )


def service_account_refusal_record(*, service_account, reason, address, event_type) -> None:
    """Audit a refused Bearer request of a known account (outside its access list)."""
    audit_event_record(
        event_type=event_type,
        actor=None,
        organization=service_account.organization,
        target=service_account,
        target_type="service_account",
        details={"clientId": service_account.client_id, "reason": reason, "remoteAddress": address},
    )
