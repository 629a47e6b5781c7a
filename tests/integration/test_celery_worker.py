"""A real Celery worker process on the machine's Redis and PostgreSQL: expiry through the broker, a worker
process killed mid-task, duplicate deliveries. Run by CI's PostgreSQL + Redis pass."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accessportal.celery import app
from accounts.models import Invitation, OutboundEmail
from accounts.services import organization_create
from accounts.services.emails import email_queue
from accounts.tasks import expire_invitations, send_email
from tests.factories import UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue():
    """A queue of this test's own on the shared Redis, so no other worker or run takes our tasks."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = previous


@pytest.fixture
def worker(queue, tmp_path):
    """Start ``celery worker`` (prefork, one child) against the test database; yields a handle with the
    directory its email lands in; stops it afterwards, whatever happened."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "accessportal.settings",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "EMAIL_BACKEND": "tests.integration.slow_email.SlowFirstEmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SLOW_EMAIL_MARKER": str(tmp_path / "stalled-pid"),
        "PYTHONPATH": str(ROOT),
        "CELERY_QUEUE": queue,  # what the worker's own tasks queue further work on, too
    }
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
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    class Handle:
        mail = mail_dir
        marker = tmp_path / "stalled-pid"

        @staticmethod
        def messages():
            return [p.read_text() for p in sorted(mail_dir.iterdir())]

    try:
        yield Handle
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output[-4000:])  # shown when a test fails


def wait_for(condition, timeout=45, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_expired_invitation_is_marked_through_the_broker_and_its_inviter_emailed_once(worker, settings):
    settings.SLOW_EMAIL_MARKER = str(worker.marker)
    worker.marker.write_text("no stall in this test")
    owner = UserFactory()
    organization = organization_create(name="Brokered", actor=owner)
    invitation = Invitation.objects.create(
        organization=organization,
        email="late@example.com",
        token_hash="a" * 64,
        inviter=owner,
        inviter_email=owner.email,
        expires_at=timezone.now() - timedelta(minutes=1),
    )

    expire_invitations.delay()  # what beat sends every minute
    wait_for(lambda: Invitation.objects.get(pk=invitation.pk).status == "EXPIRED", what="the expiry")
    wait_for(lambda: len(worker.messages()) == 1, what="the inviter's notice")

    expire_invitations.delay()  # a duplicate delivery, or the next minute's run
    expire_invitations.delay()
    wait_for(lambda: OutboundEmail.objects.filter(status="QUEUED").count() == 0, what="the queue to drain")
    time.sleep(2)
    messages = worker.messages()
    assert len(messages) == 1
    assert owner.email in messages[0]
    assert "late@example.com" in messages[0]


def test_a_task_whose_worker_process_is_killed_runs_again_and_completes(worker):
    email = OutboundEmail.objects.create(
        to="someone@example.com",
        subject="Survives a crash",
        template="accounts/email/invitation_expired",
        context={"email": "x@example.com", "target": "Acme", "kind": "organization"},
    )
    send_email.delay(email.pk, {})

    wait_for(worker.marker.exists, what="the task to start and stall")
    wait_for(lambda: worker.marker.read_text().strip().isdigit(), what="the stalled pid")
    os.kill(int(worker.marker.read_text()), signal.SIGKILL)  # the pool process dies mid-task

    wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "SENT", timeout=60, what="the re-run")
    email.refresh_from_db()
    assert email.attempts == 1  # the killed run's transaction never committed
    assert len(worker.messages()) == 1


def test_a_duplicate_delivery_of_one_message_sends_it_once(worker):
    worker.marker.write_text("no stall in this test")
    email = email_queue_committed()
    send_email.delay(email.pk, {})
    send_email.delay(email.pk, {})
    send_email.delay(email.pk, {})

    wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "SENT", what="the send")
    time.sleep(2)
    assert len(worker.messages()) == 1


def email_queue_committed():
    """Queue through the service (its own on-commit delivery included): autocommit commits at once."""
    return email_queue(
        to="dup@example.com",
        subject="Once",
        template="accounts/email/invitation_expired",
        context={"email": "x@example.com", "target": "Acme", "kind": "organization"},
    )


def test_settings_make_workers_lose_nothing():
    assert settings.CELERY_TASK_ACKS_LATE is True
    assert settings.CELERY_TASK_REJECT_ON_WORKER_LOST is True
    assert app.conf.worker_prefetch_multiplier == 1
