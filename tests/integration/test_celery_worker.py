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
def start_worker(queue, tmp_path):
    """Start ``celery worker`` (prefork, one child) against the test database, as often as a test needs; each
    call returns a handle with its process and the directory its email lands in (shared by the workers of one
    test); every worker is stopped afterwards, whatever happened."""
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
    processes = []

    class Handle:
        mail = mail_dir
        marker = tmp_path / "stalled-pid"

        def __init__(self, process):
            self.process = process

        @staticmethod
        def messages():
            """Every message sent, in file order: Django's file backend writes the messages of one connection
            (a batch of them, ``send_emails``) to one file, each followed by a line of 79 dashes."""
            separator = "\n" + "-" * 79 + "\n"
            return [
                message
                for p in sorted(mail_dir.iterdir())
                for message in p.read_text().split(separator)
                if message.strip()
            ]

    def start():
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
        processes.append(process)
        return Handle(process)

    try:
        yield start
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                output, _ = process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                output, _ = process.communicate()
            print(output[-4000:])  # shown when a test fails


@pytest.fixture
def worker(start_worker):
    return start_worker()


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


@pytest.fixture
def forget_unacked(queue):
    """Drop what a killed worker left unacknowledged on our queue (Redis would restore it hours later)."""
    yield
    import json

    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for tag, payload in client.hgetall("unacked").items():
        try:
            routing = json.loads(payload)[-1]
        except (ValueError, IndexError):
            continue
        if queue in json.dumps(routing):
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


def test_a_whole_worker_lost_mid_task_is_replaced_by_the_beat_job_within_the_lease(start_worker, forget_unacked):
    """Not only a pool process: the whole worker dies (main process and child, killed), so nothing rejects the
    message back to the queue and Redis keeps it unacknowledged for its visibility timeout (hours). Once the
    email's lease runs out (minutes), the beat job queues it again and another worker sends it, once."""
    from accounts.tasks import requeue_stalled_emails

    first = start_worker()
    email = email_queue_committed()  # published to the broker after commit, with the row's id only

    wait_for(first.marker.exists, what="the task to start and stall")
    wait_for(lambda: first.marker.read_text().strip().isdigit(), what="the stalled pid")
    first.process.kill()  # the main process first: nobody is left to notice the child's death
    os.kill(int(first.marker.read_text()), signal.SIGKILL)
    first.process.wait(timeout=20)

    second = start_worker()
    time.sleep(5)
    email.refresh_from_db()
    assert email.status == "QUEUED"  # the lost message is not handed to the new worker
    assert second.messages() == []

    OutboundEmail.objects.filter(pk=email.pk).update(lease_expires_at=timezone.now())  # the lease ran out
    requeue_stalled_emails.delay()  # what beat sends every minute

    wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "SENT", timeout=60, what="the re-delivery")
    time.sleep(2)
    assert len(second.messages()) == 1


def test_the_broker_message_of_an_invitation_carries_no_token(worker):
    """What goes through Redis: the task's arguments are the row's id, never the accept link's token."""
    import json
    import re

    from celery.signals import before_task_publish

    from accounts.services.invitations import organization_invitations_create

    worker.marker.write_text("no stall in this test")
    bodies = []

    def capture(body=None, **kwargs):
        bodies.append(json.dumps(body))

    before_task_publish.connect(capture, weak=False)
    try:
        owner = UserFactory()
        organization = organization_create(name="Tokens", actor=owner)
        invitation = organization_invitations_create(
            organization=organization, emails=["tok@example.com"], actor=owner
        )[0]
        wait_for(lambda: OutboundEmail.objects.get(invitation=invitation).status == "SENT", what="the send")
    finally:
        before_task_publish.disconnect(capture)

    token = re.search(r"/invitations/([^/\s]+)/", worker.messages()[0]).group(1)
    assert bodies and all(token not in body for body in bodies)
    assert len(token) >= 40
