"""Through the real broker: a request's id reaches the log lines of the task it queued, in a Celery worker
process (django-structlog sends it in the message headers); the worker logs the email it sent, as JSON, and no
secret. Run by CI's PostgreSQL + Redis pass."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accessportal.celery import app
from accounts import roles
from accounts.services import organization_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker(tmp_path):
    """A ``celery worker`` on a queue of this test's own, logging JSON lines to a file the test reads."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log = tmp_path / "worker.log"
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "accessportal.settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
        "CELERY_QUEUE": queue,
    }
    with open(log, "w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "accessportal",
                "worker",
                "-Q",
                queue,
                "--concurrency=1",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

    class Handle:
        mail = mail_dir

        @staticmethod
        def lines():
            return [json.loads(text) for text in log.read_text().splitlines() if text.startswith("{")]

        @staticmethod
        def text():
            return log.read_text()

    try:
        yield Handle
    finally:
        app.conf.task_default_queue = previous
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        print(log.read_text()[-4000:])  # shown when a test fails


def wait_for(condition, timeout=45, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_the_request_id_reaches_the_worker_lines_of_the_task_it_queued(worker, secret_registry):
    owner = UserFactory(email="owner@example.com")
    organization = organization_create(name="Brokered", actor=owner)
    client = APIClient()
    client.force_login(owner)
    response = client.post(
        f"/api/atlas/v2/orgs/{organization.public_id}/invites",
        {"username": "new@example.com", "roles": [roles.ORG_MEMBER]},
        format="json",
    )
    assert response.status_code == 200, response.content
    request_id = response["X-Request-ID"]

    def sent():
        return [line for line in worker.lines() if line.get("event") == "email_sent"]

    wait_for(lambda: sent(), what="the worker to send the invitation")
    assert sent()[0]["request_id"] == request_id
    assert sent()[0]["template"] == "accounts/email/invitation"
    started = [line for line in worker.lines() if line.get("event") == "task_started"]
    assert started and started[0]["request_id"] == request_id
    assert started[0]["task"] == "accounts.tasks.send_email"

    # The link went out by email, and is in none of the worker's lines.
    message = next(worker.mail.iterdir()).read_text()
    token = re.search(r"/invitations/([^/\s]+)/", message).group(1)
    assert token in secret_registry.secrets
    assert token not in worker.text()
