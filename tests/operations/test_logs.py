"""Structured logs: a request id on every line of a request (made here, or taken from a trusted proxy) and of
the tasks it queued, returned as X-Request-ID; the actor, organization and API key on the lines where they
apply; refusals at INFO; JSON in production, readable lines otherwise; task failures logged."""

import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import shared_task
from cryptography.fernet import Fernet
from django_structlog.celery.receivers import CeleryReceiver
from django_structlog.celery.steps import DjangoStructLogInitStep
from gunicorn.glogging import SafeAtoms
from rest_framework.test import APIClient

from accessportal.celery import app
from accessportal.operations import logs
from accounts import roles
from accounts.services import organization_create, organization_member_add
from tests.api.conftest import DigestClient
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
V2 = "/api/atlas/v2"


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError):
        return False
    return True


def test_without_a_trusted_proxy_each_request_gets_a_new_id_whatever_the_client_sends(client):
    response = client.get("/health/", HTTP_X_REQUEST_ID="client-chosen-id")
    assert _is_uuid(response["X-Request-ID"])
    assert client.get("/health/")["X-Request-ID"] != response["X-Request-ID"]


def test_behind_a_trusted_proxy_its_request_id_is_used_and_returned(client, settings, log_lines):
    settings.DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True
    response = client.get("/health/ready/", HTTP_X_REQUEST_ID="lb-7f3a:0001")
    assert response["X-Request-ID"] == "lb-7f3a:0001"
    # A header that does not look like an id (too long, spaces, control characters) is replaced.
    for forged in ("x" * 500, "two words", "line\nbreak"):
        answered = client.get("/health/", HTTP_X_REQUEST_ID=forged)["X-Request-ID"]
        assert _is_uuid(answered)


@pytest.fixture
def organization_and_member(db):
    owner = UserFactory(email="owner@example.com")
    organization = organization_create(name="Acme", actor=owner)
    member = UserFactory(email="member@example.com")
    organization_member_add(organization=organization, user=member, roles=[roles.ORG_MEMBER], actor=owner)
    return organization, owner, member


def test_every_line_of_a_refused_request_carries_its_id_actor_and_organization(
    organization_and_member, log_lines
):
    organization, _, member = organization_and_member
    client = APIClient()
    client.force_login(member)
    log_lines.clear()  # signing in (outside any request) logs lines of its own
    response = client.post(
        f"{V2}/orgs/{organization.public_id}/invites",
        {"username": "x@example.com", "roles": [roles.ORG_MEMBER]},
        format="json",
    )
    assert response.status_code == 403
    request_id = response["X-Request-ID"]
    lines = [line for line in log_lines if line.get("request_id") == request_id]
    assert len(lines) == len(log_lines)  # every line written during the request carries its id
    by_event = {line["event"]: line for line in lines}
    refused = by_event["permission_refused"]
    assert (refused["level"], refused["code"], refused["actor_id"]) == (
        "info",
        "USER_UNAUTHORIZED",
        member.public_id,
    )
    assert refused["object_id"] == organization.public_id
    api = by_event["api_request_refused"]
    assert (api["level"], api["status"], api["error_code"]) == ("info", 403, "USER_UNAUTHORIZED")
    finished = by_event["request_finished"]
    assert finished["level"] == "info"  # refusals are routine: INFO, not WARNING
    assert finished["user_id"] == member.public_id
    assert finished["org_id"] == organization.public_id
    assert finished["code"] == 403


def test_a_foreign_organization_is_a_refusal_logged_like_a_missing_one_is_answered(
    organization_and_member, log_lines
):
    organization, _, _ = organization_and_member
    stranger = UserFactory(email="stranger@example.com")
    client = APIClient()
    client.force_login(stranger)
    assert client.get(f"{V2}/orgs/{organization.public_id}").status_code == 404
    refused = [line for line in log_lines if line["event"] == "permission_refused"]
    assert [(r["code"], r["actor_id"], r["object_id"]) for r in refused] == [
        ("RESOURCE_NOT_FOUND", stranger.public_id, organization.public_id)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_request_id_is_on_the_lines_of_the_task_it_queued(log_lines):
    """Tasks run eagerly here, inside the request; the worker test (tests/integration/test_worker_logs.py)
    proves the same through the broker, where django-structlog carries the id in the message headers."""
    owner = UserFactory(email="owner@example.com")
    organization = organization_create(name="Acme", actor=owner)
    client = APIClient()
    client.force_login(owner)
    response = client.post(
        f"{V2}/orgs/{organization.public_id}/invites",
        {"username": "new@example.com", "roles": [roles.ORG_MEMBER]},
        format="json",
    )
    assert response.status_code == 200, response.content
    sent = [line for line in log_lines if line["event"] == "email_sent"]
    assert len(sent) == 1
    assert sent[0]["request_id"] == response["X-Request-ID"]
    assert sent[0]["template"] == "accounts/email/invitation"
    invited = next(line for line in log_lines if line["event"] == "invitation_sent")
    assert invited["org_id"] == organization.public_id
    assert invited["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db(transaction=True)
def test_lines_of_an_api_key_request_name_the_key_and_its_service_account(live_server, log_lines):
    from accounts.services.api_keys import api_key_create

    owner = UserFactory(email="owner@example.com")
    organization = organization_create(name="Acme", actor=owner)
    api_key, private_key = api_key_create(
        organization=organization, description="ci", roles=[roles.ORG_OWNER], actor=owner
    )
    response = DigestClient(live_server.url, api_key.public_key, private_key).get(
        f"orgs/{organization.public_id}"
    )
    assert response.status_code == 200
    finished = [
        line
        for line in log_lines
        if line["event"] == "request_finished" and line.get("request_id") == response.headers["X-Request-ID"]
    ]
    assert len(finished) == 1
    assert finished[0]["api_key"] == api_key.public_key
    assert finished[0]["user_id"] == api_key.user.public_id
    assert finished[0]["api_key_org_id"] == organization.public_id


def test_successful_probes_are_not_logged_but_failed_ones_are(client, log_lines, db):
    assert client.get("/health/").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert [line for line in log_lines if line["event"].startswith("request_")] == []
    failed = {"event": "request_finished", "request": "GET /health/ready/", "code": 503}
    assert logs.drop_quiet_requests(None, "error", dict(failed)) == failed
    client.get("/")  # any other request is logged
    assert [line["event"] for line in log_lines if line["event"].startswith("request_")] == [
        "request_started",
        "request_finished",
    ]


@shared_task(name="tests.operations.always_fails")
def always_fails(email_id):
    raise RuntimeError(f"could not process {email_id}")


def test_workers_log_task_failures_with_the_task_named(log_lines, monkeypatch):
    assert DjangoStructLogInitStep in app.steps["worker"]  # what a worker runs at start
    receiver = CeleryReceiver()
    receiver.connect_worker_signals()  # as the boot step does in a worker
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    try:
        result = always_fails.apply(args=[42])
    finally:
        from celery import signals

        for signal, handler in [
            (signals.before_task_publish, receiver.receiver_before_task_publish),
            (signals.after_task_publish, receiver.receiver_after_task_publish),
            (signals.task_prerun, receiver.receiver_task_prerun),
            (signals.task_retry, receiver.receiver_task_retry),
            (signals.task_success, receiver.receiver_task_success),
            (signals.task_failure, receiver.receiver_task_failure),
            (signals.task_revoked, receiver.receiver_task_revoked),
            (signals.task_unknown, receiver.receiver_task_unknown),
            (signals.task_rejected, receiver.receiver_task_rejected),
        ]:
            signal.disconnect(handler)
    assert result.state == "FAILURE"
    failed = [line for line in log_lines if line["event"] == "task_failed"]
    assert len(failed) == 1
    assert failed[0]["level"] == "error"
    assert failed[0]["task_id"] == result.id
    assert "could not process 42" in failed[0]["error"]
    assert "RuntimeError" in failed[0]["exception"]  # with its traceback


def _atoms(path, query="", status="200 OK", request_id="req-1"):
    return SafeAtoms(
        {
            "h": "10.0.0.7",
            "m": "GET",
            "U": path,
            "q": query,
            "s": status.split()[0],
            "B": 512,
            "D": 12345,
            "a": "probe/1.0",
            "r": f"GET {path}{'?' + query if query else ''} HTTP/1.1",
            "{x-request-id}o": request_id,
        }
    )


def test_gunicorns_access_line_becomes_fields_with_secrets_redacted():
    import json

    spec = logs.formatter("json")
    formatter = spec.pop("()")(**spec)
    record = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        '%(h)s "%(r)s" %(s)s',
        (_atoms("/invitations/SECRETTOKENSECRETTOKEN/", "token=SECRETTOKENSECRETTOKEN&page=2"),),
        None,
    )
    line = json.loads(formatter.format(record))
    assert line["event"] == "http_access"
    assert (line["method"], line["code"], line["duration_ms"], line["ip"]) == ("GET", 200, 12.3, "10.0.0.7")
    assert line["request_id"] == "req-1"
    assert line["path"] == "/invitations/[redacted]/"
    assert line["query"] == "token=[redacted]&page=2"
    assert "SECRETTOKEN" not in json.dumps(line)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /invitations/abcDEF123_-x/ 404", "GET /invitations/[redacted]/ 404"),
        (
            "https://h/accounts/password/reset/key/3-abc-def/",
            "https://h/accounts/password/reset/key/[redacted]/",
        ),
        ("/accounts/confirm-email/MTQ:1ab:xyz/", "/accounts/confirm-email/[redacted]/"),
        ("/oauth?code=abc&state=1", "/oauth?code=[redacted]&state=1"),
        ('Authorization: Digest username="k", response="0123"', "Authorization: [redacted]"),
        ("header Bearer eyJhbGciOi.x.y end", "header Bearer [redacted] end"),
        (
            "args:(1, {'token': 'abc', 'accept_path': '/x/'})",
            "args:(1, {'token': [redacted], 'accept_path': [redacted]})",
        ),
    ],
)
def test_secrets_inside_text_are_redacted(text, expected):
    assert logs.scrub_text(text) == expected


def test_values_of_secret_keys_are_redacted_at_any_depth():
    event = {
        "event": "x",
        "password": "p",
        "nested": {"Authorization": "Digest abc", "list": [{"token": "t"}]},
    }
    assert logs.redact_secrets(None, "info", event) == {
        "event": "x",
        "password": "[redacted]",
        "nested": {"Authorization": "[redacted]", "list": [{"token": "[redacted]"}]},
    }


def _manage(code, **env):
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "LOG_FORMAT", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    environment.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


LOG_ONE_LINE = (
    "import structlog; structlog.get_logger('accessportal.demo').warning('hello_operator', count=3)"
)


def test_production_writes_json_lines():
    import json

    result = _manage(
        LOG_ONE_LINE,
        DEBUG="false",
        SECRET_KEY="s" * 50,
        ALLOWED_HOSTS="portal.example.com",
        API_KEY_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ANYMAIL_WEBHOOK_SECRET="hooks:webhook-secret-for-tests",
    )
    assert result.returncode == 0, result.stderr
    line = next(json.loads(text) for text in result.stderr.splitlines() if "hello_operator" in text)
    assert (line["event"], line["count"], line["level"], line["logger"]) == (
        "hello_operator",
        3,
        "warning",
        "accessportal.demo",
    )
    assert line["timestamp"].endswith("Z")


def test_a_newcomers_machine_gets_readable_lines():
    result = _manage(LOG_ONE_LINE)
    assert result.returncode == 0, result.stderr
    line = next(text for text in result.stderr.splitlines() if "hello_operator" in text)
    assert not line.startswith("{")
    assert "warning" in line and "count=3" in line
