"""Limits of the API. Refused HTTP Digest answers are counted per public key and per client address in fixed
windows; past either limit the key or the address gets 429 RATE_LIMITED with Retry-After until its window ends,
whatever it sends. DRF throttles share the API fairly per API key and per signed-in session. Every counter lives
in the shared cache (Redis, or the database table without it): all web processes count together."""

import hashlib
import math
import time

from django.conf import settings
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from accessportal import shared_cache
from accounts.metrics import lockout_record
from accounts.models import ApiKey

from .errors import atlas_error_body

_PREFIX = "accessportal:api-auth-failures"
_ALIAS = "shared"


class AuthenticationRateLimited(exceptions.Throttled):
    """429 with Atlas's body; the exception handler adds Retry-After from ``wait``."""

    def __init__(self, wait: int, detail: str, parameters=()):
        super().__init__(wait=wait)
        self.detail = atlas_error_body(429, "RATE_LIMITED", detail, parameters)


def _window(now: float) -> tuple[int, int]:
    """The current window's number and the whole seconds until it ends (at least 1)."""
    size = settings.API_AUTH_FAILURE_WINDOW_SECONDS
    number = int(now // size)
    return number, max(1, math.ceil((number + 1) * size - now))


def _counters(public_key: str, address: str):
    """(what is counted, its cache key stem, its limit) for the key and the address of a request."""
    if public_key:
        digest = hashlib.sha256(public_key.encode()).hexdigest()[:32]
        yield "API key", f"key:{digest}", settings.API_AUTH_FAILURE_LIMIT_PER_KEY
    if address:
        yield "address", f"ip:{address}", settings.API_AUTH_FAILURE_LIMIT_PER_ADDRESS


def authentication_failures_check(*, public_key: str, address: str, now: float | None = None) -> None:
    """Raise AuthenticationRateLimited when the key or the address has had its limit of refused answers in
    the current window: checked before the secret is, so that a right guess past the limit is refused too."""
    number, wait = _window(time.time() if now is None else now)
    keys = {
        f"{_PREFIX}:{stem}:{number}": (what, limit) for what, stem, limit in _counters(public_key, address)
    }
    if not keys:
        return
    counts = shared_cache.counters_read(_ALIAS, list(keys))
    for key, (what, limit) in keys.items():
        if counts[key] >= limit:
            raise AuthenticationRateLimited(
                wait,
                f"Too many failed authentications from this {what}: retry in {wait} seconds.",
                [public_key] if what == "API key" else [address],
            )


def authentication_failure_count(*, public_key: str, address: str, now: float | None = None) -> None:
    """Count one refused answer for the key and for the address; the one that reaches a limit starts a lock
    (counted as a lockout in the metrics)."""
    number, wait = _window(time.time() if now is None else now)
    for what, stem, limit in _counters(public_key, address):
        count = shared_cache.counter_increment(_ALIAS, f"{_PREFIX}:{stem}:{number}", timeout=wait + 60)
        if count == limit:
            lockout_record(kind="api", address=address, username=public_key if what == "API key" else "")


class _SharedRateThrottle(SimpleRateThrottle):
    """A DRF throttle counted in the shared cache in fixed windows of the rate's period: one counter per client
    and window, one round trip a request (DRF's own sliding window reads and writes the list of every request
    time of the period, up to 600 of them, on every request). A client may send up to twice its rate across the
    boundary of two windows; past its rate it gets 429 with Retry-After until its window ends. The rate is read
    from ``API_THROTTLE_RATES`` when the throttle is used."""

    def get_rate(self):
        return settings.API_THROTTLE_RATES[self.scope]

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = self.timer()
        number = int(now // self.duration)
        self._wait = (number + 1) * self.duration - now
        count = shared_cache.counter_increment(_ALIAS, f"{ident}:{number}", timeout=self.duration + 60)
        return count <= self.num_requests

    def wait(self):
        return self._wait


class ApiKeyRateThrottle(_SharedRateThrottle):
    """Requests of one API key (HTTP Digest)."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiKey):
            return self.cache_format % {"scope": self.scope, "ident": request.auth.public_id}
        return None


class SessionRateThrottle(_SharedRateThrottle):
    """Requests of one signed-in person (the portal's session)."""

    scope = "session"

    def get_cache_key(self, request, view):
        if request.auth is None and request.user.is_authenticated:
            return self.cache_format % {"scope": self.scope, "ident": request.user.public_id}
        return None
