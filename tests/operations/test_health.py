"""/health/ (liveness) and /health/ready/ (database, caches, Celery broker, migrations): 200 when all pass, 503
naming what failed, nothing about tenants; ``manage.py health`` for worker and beat containers."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.core.management import call_command
from django.db.migrations.recorder import MigrationRecorder

from accessportal.celery import app
from accessportal.operations.health import MigrationsApplied, ProbeView, readiness_checks
from accounts.services import organization_create
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
CLOSED_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _json(response):
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_liveness_answers_without_touching_anything(client):
    # No django_db mark: any query would raise. Liveness says only that the process answers.
    response = client.get("/health/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert _json(response) == {}


@pytest.mark.django_db
def test_readiness_is_200_when_database_caches_broker_and_migrations_are_fine(client, settings):
    response = client.get("/health/ready/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    body = _json(response)
    assert set(body.values()) == {"OK"}
    names = " ".join(body)
    for check in ("Database", "Cache", "CeleryBroker", "MigrationsApplied"):
        assert check in names
    for alias in settings.HEALTH_CACHE_ALIASES:
        assert f"Cache(alias='{alias}')" in body
    assert response["Cache-Control"].startswith("max-age=0")  # never cached by a proxy


@pytest.mark.django_db
def test_readiness_answers_no_tenant_data(client):
    owner = UserFactory(email="secret-owner@example.com")
    organization_create(name="Very Private Tenant", actor=owner)
    for accept in ("application/json", "text/plain", "text/html"):
        body = client.get("/health/ready/", HTTP_ACCEPT=accept).content.decode()
        assert "Very Private Tenant" not in body
        assert "secret-owner" not in body


@pytest.fixture
def redis_unreachable(settings):
    """The cache the probe uses and the Celery broker both point at a closed port."""
    settings.CACHES = {
        **settings.CACHES,
        "health_probe": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
    }
    previous = app.conf.broker_url
    app.conf.broker_url = CLOSED_REDIS
    yield
    app.conf.broker_url = previous


@pytest.mark.django_db
def test_readiness_is_503_naming_the_broker_and_the_cache_when_redis_is_unreachable(rf, redis_unreachable):
    view = ProbeView.as_view(checks=readiness_checks(["health_probe"]))
    response = async_to_sync(view)(rf.get("/health/ready/", HTTP_ACCEPT="application/json"))
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["CeleryBroker"].startswith("Unavailable: Celery broker (redis) unreachable")
    assert body["Cache(alias='health_probe')"] != "OK"
    assert body["Database(alias='default')"] == "OK"
    assert body["MigrationsApplied(alias='default')"] == "OK"


def _run(args, **env):
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


PROBE = """
from django.test import Client
response = Client().get("/health/ready/", HTTP_ACCEPT="application/json")
print(response.status_code)
print(response.content.decode())
"""


def test_with_redis_url_at_a_closed_port_readiness_is_503_naming_broker_and_cache(tmp_path):
    """The set-up of the issue: REDIS_URL points at a closed port (database: an empty SQLite file)."""
    result = _run(
        ["shell", "-c", PROBE], REDIS_URL=CLOSED_REDIS, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )
    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    assert status == "503"
    answers = json.loads(body)
    assert "unreachable" in answers["CeleryBroker"]
    assert answers["Cache(alias='health_probe')"] != "OK"
    assert answers["Database(alias='default')"] == "OK"


@pytest.mark.django_db
def test_a_migration_not_applied_makes_the_process_not_ready():
    MigrationsApplied().run()  # all applied: no exception
    latest = MigrationRecorder.Migration.objects.filter(app="accounts").order_by("-id").first()
    MigrationRecorder.Migration.objects.filter(pk=latest.pk).delete()
    with pytest.raises(Exception) as refused:
        MigrationsApplied().run()
    assert "1 migration(s) not applied (accounts)" in str(refused.value)


@pytest.mark.django_db
def test_health_command_passes_when_database_and_broker_answer(capsys):
    call_command("health")
    out = capsys.readouterr().out
    assert "Database(alias='default'): OK" in out
    assert "CeleryBroker: OK" in out


def test_health_command_fails_when_the_broker_is_unreachable(tmp_path):
    result = _run(["health"], REDIS_URL=CLOSED_REDIS, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assert result.returncode == 1
    assert "CeleryBroker: Unavailable" in result.stderr
    assert "Database(alias='default'): OK" in result.stdout


def test_health_command_fails_when_the_database_is_unreachable():
    result = _run(["health"], DATABASE_URL="postgres://postgres@127.0.0.1:1/nothing", REDIS_URL="")
    assert result.returncode == 1
    assert "Database(alias='default'): Unavailable" in result.stderr
    assert "CeleryBroker: OK" in result.stdout
