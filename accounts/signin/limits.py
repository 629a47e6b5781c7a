"""Refused API authentications (HTTP Digest answers, OAuth client credentials, Bearer tokens), counted per public
key or client id and per client address in fixed windows of the shared cache, so that all web processes count
together. Past either limit the key or the address is refused until its window ends, whatever it sends; the
HTTP side answers 429 (``accessportal.api.throttling``, ``serviceaccounts.oauth``)."""

import hashlib
import math
import time

from django.conf import settings

from accessportal import shared_cache
from accounts.metrics import lockout_record


class AuthenticationLimitReached(Exception):
    """The key or the address has had its limit of refusals in this window: ``wait`` seconds until it ends,
    ``message`` for the client, ``parameters`` what reached the limit."""

    def __init__(self, wait: int, message: str, parameters=()):
        super().__init__(message)
        self.wait, self.message, self.parameters = wait, message, list(parameters)


_PREFIX = "accessportal:api-auth-failures"
_ALIAS = "shared"


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
    """Raise AuthenticationLimitReached when the key or the address has had its limit of refused answers in
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
            raise AuthenticationLimitReached(
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
