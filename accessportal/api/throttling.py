"""Limits of the API. Refused HTTP Digest answers are counted per public key and per client address
(``accounts.signin.limits``); past either limit the key or the address gets 429 RATE_LIMITED with Retry-After
until its window ends, whatever it sends. DRF throttles share the API fairly per API key and per signed-in session.
Every counter lives in the shared cache (Redis, or the database table without it): all web processes count
together."""

from django.conf import settings
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from accessportal import shared_cache
from accounts.models import ApiKey
from accounts.signin import limits

from .errors import atlas_error_body

_ALIAS = "shared"


class AuthenticationRateLimited(exceptions.Throttled):
    """429 with Atlas's body; the exception handler adds Retry-After from ``wait``."""

    def __init__(self, wait: int, detail: str, parameters=()):
        super().__init__(wait=wait)
        self.detail = atlas_error_body(429, "RATE_LIMITED", detail, parameters)


def authentication_failures_check(*, public_key: str, address: str, now: float | None = None) -> None:
    """The sign-in limits of ``accounts.signin.limits``, checked before the secret is; past one, the API's 429
    RATE_LIMITED with Retry-After."""
    try:
        limits.authentication_failures_check(public_key=public_key, address=address, now=now)
    except limits.AuthenticationLimitReached as limit:
        raise AuthenticationRateLimited(limit.wait, limit.message, limit.parameters) from None


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
