"""Two copies of the beat job "Re-queue stalled emails" at once (PostgreSQL row locks): every stalled email is
queued again exactly once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts import tasks
from accounts.models import OutboundEmail
from accounts.services.emails import emails_requeue_stalled

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_copies_of_the_job_queue_each_stalled_email_once(monkeypatch):
    past = timezone.now() - timedelta(minutes=1)
    OutboundEmail.objects.bulk_create(
        OutboundEmail(to=f"p{i}@example.com", subject="s", template="t", lease_expires_at=past) for i in range(60)
    )
    published, lock = [], threading.Lock()

    def record(email_id):
        with lock:
            published.append(email_id)

    def record_batch(email_ids):
        with lock:
            published.extend(email_ids)

    monkeypatch.setattr(tasks.send_email, "delay", record)
    monkeypatch.setattr(tasks.send_emails, "delay", record_batch)  # what each copy claimed, in batches
    barrier = threading.Barrier(2)
    claimed = [None, None]

    def run(index):
        try:
            barrier.wait()
            claimed[index] = emails_requeue_stalled()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    ids = set(OutboundEmail.objects.values_list("pk", flat=True))
    assert sorted(published) == sorted(ids)  # each once
    assert sorted(claimed[0] + claimed[1]) == sorted(ids)
    assert not OutboundEmail.objects.filter(lease_expires_at__lte=timezone.now()).exists()
