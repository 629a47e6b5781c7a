"""Settings come from the environment; production secrets have no default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_check(**env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"SECRET_KEY", "ALLOWED_HOSTS", "DEBUG", "API_KEY_ENCRYPTION_KEYS", "ANYMAIL_WEBHOOK_SECRET"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_without_debug_a_missing_secret_key_stops_start_up():
    result = run_check(DEBUG="false", ALLOWED_HOSTS="portal.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_without_debug_the_environment_configures_the_portal():
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    result = run_check(
        DEBUG="false",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="portal.example.com",
        API_KEY_ENCRYPTION_KEYS=key,
        ANYMAIL_WEBHOOK_SECRET="esp:secret",
    )
    assert result.returncode == 0, result.stderr


def test_without_debug_a_missing_webhook_secret_stops_start_up():
    """Else the ESP's tracking webhook would take anyone's word for a bounce."""
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    result = run_check(
        DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="portal.example.com", API_KEY_ENCRYPTION_KEYS=key
    )
    assert result.returncode != 0
    assert "ANYMAIL_WEBHOOK_SECRET" in result.stderr


def test_without_debug_api_keys_need_an_encryption_key_from_the_environment():
    result = run_check(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="portal.example.com")
    assert result.returncode != 0
    assert "API_KEY_ENCRYPTION_KEYS" in result.stderr


def test_check_deploy_with_production_settings_reports_nothing():
    """``manage.py check --deploy`` with DEBUG off and the required secrets: no warning at all (any would fail
    the command with --fail-level WARNING), with the defaults and with the README's year of HSTS."""
    import secrets

    from cryptography.fernet import Fernet

    production = {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.com",
        "API_KEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ANYMAIL_WEBHOOK_SECRET": "esp:" + secrets.token_urlsafe(16),
    }
    for extra in ({}, {"SECURE_HSTS_SECONDS": "31536000", "BEHIND_TLS_PROXY": "true"}):
        environment = {
            k: v
            for k, v in os.environ.items()
            if k not in {*production, "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT", "BEHIND_TLS_PROXY"}
        }
        environment.update(production, **extra)
        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout


def _printed(expression: str, *, unset: set, **env) -> str:
    """What ``expression`` (over ``settings``) prints in a new process started with this environment, the
    variables ``unset`` removed first from this one's."""
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    environment.update(DJANGO_SETTINGS_MODULE="accessportal.settings", **env)
    result = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print({expression})"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def _database_setting(**env):
    database = "settings.DATABASES['default']"
    expression = f"{database}['CONN_MAX_AGE'], {database}['CONN_HEALTH_CHECKS']"
    return _printed(expression, unset={"DEBUG", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS"}, **env).split()


def test_production_keeps_database_connections_with_health_checks_and_the_environment_tunes_them():
    production = {"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "portal.example.com"}
    production["API_KEY_ENCRYPTION_KEYS"] = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
    production["ANYMAIL_WEBHOOK_SECRET"] = "esp:webhook-secret-for-this-test"
    assert _database_setting(**production) == ["60", "True"]
    assert _database_setting(**production, CONN_MAX_AGE="300", CONN_HEALTH_CHECKS="false") == ["300", "False"]
    # runserver's thread per request could not reuse a connection: none kept with DEBUG on.
    assert _database_setting(DEBUG="true") == ["0", "True"]


def _database_options(**env):
    expression = "settings.DATABASES['default'].get('OPTIONS', {})"
    return _printed(expression, unset={"DATABASE_URL", "DATABASE_JIT"}, **env)


def test_postgresql_connections_start_with_jit_off_unless_the_environment_says_on():
    url = "postgres://portal@db.example:5432/portal"
    assert "'options': '-c jit=off'" in _database_options(DATABASE_URL=url)
    assert "-c statement_timeout=5000 -c jit=off" in _database_options(
        DATABASE_URL=url + "?options=-c%20statement_timeout%3D5000"
    )
    assert "jit" not in _database_options(DATABASE_URL=url, DATABASE_JIT="on")
    assert "jit" not in _database_options(DATABASE_URL="sqlite:////tmp/portal.sqlite3")


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_portal_s_postgresql_connections_run_without_jit():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def _cache_prefixes(**env):
    expression = "*(repr(settings.CACHES[alias].get('KEY_PREFIX', '')) for alias in ('default', 'shared'))"
    return _printed(expression, unset={"REDIS_URL", "CACHE_KEY_PREFIX"}, **env).split()


def test_cache_key_prefix_names_every_key_the_portal_writes_in_both_caches():
    """Two portals (or a portal and a bench or contract run) sharing one Redis keep apart with their own
    prefix: the refused-authentication counters and nonce counts live in "shared", allauth's limits in
    "default"."""
    redis = "redis://127.0.0.1:6379/0"
    assert _cache_prefixes(REDIS_URL=redis) == ["''", "''"]
    assert _cache_prefixes(REDIS_URL=redis, CACHE_KEY_PREFIX="portal-b") == ["'portal-b'", "'portal-b'"]
    assert _cache_prefixes(CACHE_KEY_PREFIX="portal-b") == ["'portal-b'", "'portal-b'"]
