"""Sign-in and account security: verified addresses, the profile, two-factor and lockout audit events, and the
per-minute aggregation of refused API authentications."""

import ipaddress
import zoneinfo
from datetime import timedelta
from functools import cache

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_event_record, audit_events_record_bulk
from accounts.errors import ServiceError
from accounts.models import AuditEvent, AuthenticationFailureWindow

Event = AuditEvent.Type

SAMPLES_KEPT = 20  # addresses (or public keys) named in one aggregated failure event; the count covers all


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def clean_time_zone(value) -> str:
    name = str(value or "").strip()
    if name not in time_zone_names():
        raise ServiceError(
            "VALIDATION_ERROR", f"{name or 'An empty name'} is not a known IANA time zone.", field="time_zone"
        )
    return name


@transaction.atomic
def user_email_verified_set(*, user) -> EmailAddress:
    """Record the user's address as verified and primary: for accounts whose address someone vouched for (an
    invitation link that reached it, an operator's ``createsuperuser`` or ``bootstrap``, the demo data)."""
    email = user.email.lower()
    EmailAddress.objects.filter(user=user, primary=True).exclude(email__iexact=email).update(primary=False)
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        return EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if not (address.verified and address.primary):
        address.verified = address.primary = True
        address.save(update_fields=["verified", "primary"])
    return address


@transaction.atomic
def user_profile_update(*, user, first_name, last_name, time_zone):
    """A person's own names and the time zone their pages show times in."""
    user.first_name = str(first_name or "").strip()[:150]
    user.last_name = str(last_name or "").strip()[:150]
    user.time_zone = clean_time_zone(time_zone)
    user.save(update_fields=["first_name", "last_name", "time_zone"])
    return user


def two_factor_event_record(*, user, event_type, details=None) -> AuditEvent:
    """Two-factor turned on or off for an account, a recovery code used, recovery codes regenerated."""
    return audit_event_record(event_type=event_type, actor=user, target=user, details=details or {})


def sign_in_lockout_record(*, email, client_ip, until, failures) -> AuditEvent:
    """A sign-in lock starts (django-axes): once per lock, not per refused attempt."""
    return audit_event_record(
        event_type=Event.SIGN_IN_LOCKED_OUT,
        actor=None,
        target_type="user",
        details={
            "email": email or "",
            "remoteAddress": client_ip or "",
            "failures": failures,
            "lockedUntil": until.isoformat() if until else None,
        },
    )


def _bump(counter: dict, key: str) -> dict:
    counter = dict(counter or {})
    if key in counter or len(counter) < SAMPLES_KEPT:
        counter[key] = counter.get(key, 0) + 1
    return counter


def authentication_failure_count(*, public_key, address, reason, api_key=None, event_type=None, now=None):
    """Count one refused API authentication in its minute's window: the key's window when ``api_key`` exists,
    else the client address's. One locked UPDATE (or the window's INSERT); no audit row yet."""
    event_type = event_type or Event.API_KEY_AUTHENTICATION_FAILED
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    if api_key is not None:
        lookup = {"public_key": api_key.public_key, "client_ip": ""}
        sample = address or "unknown"
        defaults = {"organization_id": api_key.organization_id, "api_key_public_id": api_key.public_id}
    else:
        lookup = {"public_key": "", "client_ip": address or ""}
        sample = (public_key or "(none)")[:64]
        defaults = {}
    lookup.update(event_type=event_type, minute=minute)
    for _ in range(2):  # a racing first INSERT of the same window: take the row it made
        try:
            with transaction.atomic():
                window = AuthenticationFailureWindow.objects.select_for_update().filter(**lookup).first()
                if window is None:
                    window = AuthenticationFailureWindow(**lookup, **defaults, first_at=now)
                window.count += 1
                window.last_at = now
                window.reasons = _bump(window.reasons, reason)
                window.samples = _bump(window.samples, sample)
                window.save()
                return window
        except IntegrityError:
            continue
    raise RuntimeError("could not count the authentication failure")  # pragma: no cover


def _ip_or_none(value):
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _target_type(window) -> str:
    """What a window's key names: an API key's public key, or a service account's client id."""
    if not window.public_key:
        return ""
    return "service_account" if window.event_type.startswith("SERVICE_ACCOUNT_") else "api_key"


@transaction.atomic
def authentication_failures_flush(*, now=None) -> list[AuditEvent]:
    """Beat, every minute: each window of a minute that has ended becomes one AuditEvent with its count, dated
    at its first refusal; the windows are deleted in the same transaction (safe to run twice)."""
    now = now or timezone.now()
    current = now.replace(second=0, microsecond=0)
    windows = list(
        AuthenticationFailureWindow.objects.select_for_update(skip_locked=True)
        .filter(minute__lt=current)
        .order_by("minute", "id")
    )
    if not windows:
        return []
    events = []
    for window in windows:
        details = {
            "count": window.count,
            "reason": max(window.reasons, key=window.reasons.get, default=""),
            "reasons": window.reasons,
            "windowStart": window.minute.isoformat(),
            "windowEnd": (window.minute + timedelta(minutes=1)).isoformat(),
        }
        if window.public_key:  # one key, maybe several addresses: the first one stands for the row
            address = next(iter(window.samples), "")
            details.update(publicKey=window.public_key, remoteAddress=address, remoteAddresses=window.samples)
        else:
            address = window.client_ip
            details.update(publicKey=next(iter(window.samples), ""), publicKeysTried=window.samples)
            details["remoteAddress"] = address
        events.append(
            AuditEvent(
                event_type=window.event_type,
                organization_id=window.organization_id,
                target_type=_target_type(window),
                target_id=window.api_key_public_id,
                target_name=window.public_key,
                details=details,
                client_ip=_ip_or_none(address),
                created_at=window.first_at,
            )
        )
    AuthenticationFailureWindow.objects.filter(pk__in=[w.pk for w in windows]).delete()
    return audit_events_record_bulk(events)
