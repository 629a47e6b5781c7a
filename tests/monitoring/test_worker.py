"""The group admins' emails through a real Celery worker on Redis and PostgreSQL: the outbox task runs after the
attach commits, each email is its own task, and duplicate or swept runs send nothing twice."""

import time

import pytest

from accounts.models import OutboundEmail
from accounts.services import cluster_create, organization_create, project_create
from monitoring.services import monitoring_user_attach
from monitoring.tasks import notify_group_admins
from tests.factories import UserFactory
from tests.integration.test_celery_worker import queue, start_worker, wait_for, worker  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_attach_emails_the_group_admins_through_the_worker_once(worker):  # noqa: F811
    worker.marker.write_text("no stall in this test")
    owner = UserFactory(email="boss@example.com")
    organization = organization_create(name="Brokered", actor=owner)
    project = project_create(organization=organization, name="P", actor=owner)
    clusters = [cluster_create(project=project, name=f"c{i}", actor=None) for i in range(3)]

    monitoring_user_attach(
        organization=organization, username="ann@example.com", actor=owner
    )  # commits at once
    wait_for(lambda: len(worker.messages()) == 3, what="one email per group")

    notify_group_admins.delay()  # beat's sweep, and a duplicate delivery
    notify_group_admins.delay(organization.pk)
    wait_for(lambda: not OutboundEmail.objects.filter(status="QUEUED").exists(), what="the queue to drain")
    time.sleep(2)
    messages = worker.messages()
    assert len(messages) == 3
    for cluster in clusters:
        cluster.refresh_from_db()
        assert sum(cluster.monitoring_group.name in m and "ann@example.com" in m for m in messages) == 1
    assert all("boss@example.com" in m for m in messages)
