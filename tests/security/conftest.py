"""The security matrices' shared world: two tenants, each with every kind of object (``world.py``).

The world is built once per test module inside a transaction that is rolled back when the module ends; each
test runs in a savepoint of it (pytest-django's ``db``), and ``isolated`` rolls back a single request, so every
request sees the world as built. Modules that need committed data (a live server) build their own."""

import re
from urllib.parse import quote, quote_plus

import pytest
from django.db import transaction
from django.test import override_settings

from .world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """The matrices ask the same thing several times in a row (another tenant's object, a missing one, the
    caller's own): a rate limit or a sign-in lockout would answer a later one otherwise. Those limits have tests
    of their own. (DRF's throttles; allauth's rate limits and django-axes, where installed.)"""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    settings.ACCOUNT_RATE_LIMITS = False
    settings.AXES_ENABLED = False


class isolated:  # noqa: N801 (a context manager, read as a phrase: ``with isolated():``)
    """Whatever runs inside is rolled back at the end (a savepoint): each request meets the world as built."""

    def __enter__(self):
        self.atomic = transaction.atomic()
        self.atomic.__enter__()

    def __exit__(self, *exc):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        return False


_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")
_HEX24 = re.compile(r"(?<![0-9a-f])[0-9a-f]{24}(?![0-9a-f])")


def normalized(text: str, given: dict, known_ids: set[str]) -> str:
    """An answer with what may differ between two equally good answers masked: each value the caller gave
    (``given`` maps a placeholder to a value, or to the values of both requests compared, so that both answers
    are masked alike), times, and ids made by the request itself."""
    pairs = [(p, v) for p, values in given.items() for v in ([values] if isinstance(values, str) else values)]
    for placeholder, value in sorted(pairs, key=lambda pair: -len(pair[1])):
        for form in {value, quote(value, safe=""), quote_plus(value)}:
            # the whole value only (a short one, such as a row id, also occurs inside other words and numbers)
            text = re.sub(rf"(?<![0-9A-Za-z]){re.escape(form)}(?![0-9A-Za-z])", placeholder, text)
    text = _TIME.sub("<TIME>", text)
    return _HEX24.sub(lambda m: m.group(0) if m.group(0) in known_ids else "<NEW>", text)


def both(*givens: dict) -> dict:
    """{placeholder: [value of each request]}: masks for two answers compared with each other."""
    merged = {}
    for given in givens:
        for placeholder, value in given.items():
            merged.setdefault(placeholder, []).append(value)
    return merged


def leaked(text: str, secrets: set[str], given: set[str]) -> list[str]:
    """The foreign tenant's identifying strings found in ``text``, apart from the values the caller gave."""
    for value in sorted(given, key=len, reverse=True):
        text = text.replace(value, "")
    return sorted(secret for secret in secrets if secret and secret not in given and secret in text)
