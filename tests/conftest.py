"""Fixtures shared by the whole suite."""

import copy
import logging
import uuid
from pathlib import Path

import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

from tests import factories
from tests.log_secrets import LogScan, SecretRegistry
from tests.schema_cache import SchemaCache


@pytest.fixture(scope="session", autouse=True)
def secret_registry():
    """For the whole run: every secret the suite makes is recorded, every log line rendered as in production is
    scanned, and the run fails (an error at its last teardown) if any of those secrets is in any line."""
    registry = SecretRegistry()
    registry.install()
    scan = LogScan()
    root = logging.getLogger()
    root.addHandler(scan)
    try:
        yield registry
    finally:
        root.removeHandler(scan)
        registry.uninstall()
    leaks = scan.leaks(registry.secrets)
    if leaks:
        report = "\n".join(f"- {secret[:6]}... in: {line}" for secret, line in leaks.items())
        pytest.fail(
            f"{len(leaks)} secret(s) made during this run appear in log lines:\n{report}", pytrace=False
        )


# Hypothesis (tests/security): CI and `make test` run a fixed, derandomized set of examples, so that a run is
# repeatable; `pytest --hypothesis-profile=thorough` explores many more, at random, on a developer's machine.
settings.register_profile(
    "ci",
    max_examples=10,
    stateful_step_count=50,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=300,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci")


@pytest.fixture(scope="session")
def schema_cache(request):
    """The migrated test database kept between runs (tests/schema_cache.py); None with ``--create-db``."""
    if request.config.getvalue("create_db"):
        return None
    return SchemaCache(connection, request.config.rootpath / ".pytest_cache" / "schema")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, django_db_blocker, schema_cache):
    """pytest-django's (the pytest-xdist suffix), then: start from the kept schema, if there is one."""
    if schema_cache:
        with django_db_blocker.unblock():
            schema_cache.prepare()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, schema_cache):
    """pytest-django's, then: keep the migrated schema for the next run."""
    if schema_cache:
        with django_db_blocker.unblock():
            schema_cache.keep()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashers cost ~100 ms a user by design; tests make hundreds of users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_tasks(request):
    """Tasks run in the test's own process, also when REDIS_URL points at a real broker; tests marked
    ``worker`` send them through the broker to a real worker process instead."""
    from accessportal.celery import app

    if request.node.get_closest_marker("worker"):
        yield
        return
    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _roomy_api_limits(settings):
    """The API's failure limits and throttles count in the shared cache, which outlives a test (Redis, or the
    cache table behind live-server tests): other tests must not trip over counts left by earlier ones. The tests
    of the limits (tests/api/test_limits.py) set their own small limits."""
    settings.API_AUTH_FAILURE_LIMIT_PER_KEY = settings.API_AUTH_FAILURE_LIMIT_PER_ADDRESS = 1_000_000
    settings.API_THROTTLE_RATES = {
        "api_key": "1000000/minute",
        "session": "1000000/minute",
        "service_account": "1000000/minute",
    }


@pytest.fixture(autouse=True)
def _own_default_cache(settings):
    """allauth keeps its rate limits (sign-ups, resets, confirmation emails per address) and used two-factor
    codes in the default cache, which outlives a test on Redis: each test gets a key prefix of its own there, as
    each portal sharing one Redis would."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = uuid.uuid4().hex
    settings.CACHES = caches


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``committed(call, *args, **kwargs)``: the call, then what it queued for after commit (the outbox's
    tasks, the emails), as a real commit would; the test itself runs in a transaction that is rolled back.
    Returns what the call returned. pytest-django's capture of on-commit callbacks, run at the block's end."""

    def run(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    return run


@pytest.fixture
def admin_user(db, django_user_model):
    """pytest-django's staff superuser (behind ``admin_client``), with two-factor authentication: staff need it
    for the Django admin (tests/accounts/test_two_factor.py shows that staff without it are sent to set it up)."""
    user = django_user_model.objects.create_superuser("admin@example.com", "password")
    factories.give_totp(user)
    return user


@pytest.fixture
def owner(db):
    return factories.UserFactory(email="owner@example.com")


@pytest.fixture
def organization(owner):
    from accounts.services import organization_create

    return organization_create(name="Acme", actor=owner)


@pytest.fixture
def project(organization, owner):
    from accounts.services import project_create

    return project_create(organization=organization, name="Production", actor=owner)


def pytest_collection_modifyitems(config, items):
    """Tests marked ``postgres`` need row locks and concurrent transactions: they run in CI's PostgreSQL pass
    and are skipped, saying so, on SQLite. Browser tests (tests/browser, marked ``browser``) run last: the
    Playwright session that they start lasts until the end, and with it Django's async-safety check is off
    (tests/browser/conftest.py)."""
    from django.conf import settings

    browser_dir = Path(__file__).parent / "browser"
    for item in items:
        if browser_dir in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)  # stable sort

    on_postgres = connection.vendor == "postgresql"  # the ENGINE may be django-prometheus's wrapper
    with_worker = on_postgres and bool(settings.REDIS_URL)
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); runs in CI's PostgreSQL pass")
    skip_worker = pytest.mark.skip(
        reason="needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL) for a real worker; runs in CI's second pass"
    )
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        elif "worker" in item.keywords and not with_worker:
            item.add_marker(skip_worker)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"
