"""Attaching to an organization with 1,000 eligible clusters is bulk SQL: the same, small number of queries as
with 10 (pinned), and the group admins' emails go out as tasks."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Cluster, OutboundEmail
from accounts.services import organization_create, project_create
from accounts.services.emails import EMAIL_BATCH
from monitoring.models import MonitoringGroup, MonitoringGroupMembership, system_group_name
from monitoring.services import monitoring_group_admins_notify, monitoring_user_attach
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The organization's lock 1, permission 1 (the actor's object permissions, own and teams', in one query), the
# monitoring user 3 (find, email check, create), attached
# already? 1, the attachment 1, the one INSERT ... SELECT of every membership 1, the groups it joined (for the
# audit row) 1, the audit row 1; savepoints 4.
ATTACH_QUERIES = 14


def organization_with_clusters(count):
    """An organization whose one project has ``count`` eligible clusters, each with its group (bulk_create:
    only the set-up goes around the services, for speed)."""
    owner = UserFactory()
    organization = organization_create(name=f"Org {count}", actor=owner)
    project = project_create(organization=organization, name="P", actor=owner)
    clusters = Cluster.objects.bulk_create(
        Cluster(project=project, name=f"c{i}", tier=Cluster.Tier.DEDICATED) for i in range(count)
    )
    MonitoringGroup.objects.bulk_create(
        MonitoringGroup(project=project, cluster=cluster, name=system_group_name(cluster))
        for cluster in clusters
    )
    return organization, owner


def attach_queries(organization, owner, username):
    actor = get_user_model().objects.get(pk=owner.pk)  # no permission cache carried over
    with CaptureQueriesContext(connection) as queries:
        monitoring_user_attach(organization=organization, username=username, actor=actor)
    return len(queries)


def test_attach_costs_the_same_queries_for_10_and_1000_clusters():
    warm = organization_with_clusters(2)
    attach_queries(*warm, "warm@example.com")  # Django's per-process caches (content types)
    ten = organization_with_clusters(10)
    thousand = organization_with_clusters(1000)

    assert attach_queries(*ten, "ann@example.com") == ATTACH_QUERIES
    assert attach_queries(*thousand, "bob@example.com") == ATTACH_QUERIES

    assert MonitoringGroupMembership.objects.filter(group__project__organization=thousand[0]).count() == 1000
    assert MonitoringGroupMembership.objects.filter(group__project__organization=ten[0]).count() == 10


def test_the_1000_group_admin_emails_are_one_outbox_run_and_one_task_a_hundred(
    django_capture_on_commit_callbacks,
):
    organization, owner = organization_with_clusters(1000)
    with django_capture_on_commit_callbacks(execute=False) as attach_callbacks:
        monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    assert len(attach_callbacks) == 1  # the outbox run, not 1,000 emails inside the attach

    with django_capture_on_commit_callbacks(execute=False) as send_callbacks:
        assert (
            monitoring_group_admins_notify(organization_id=organization.pk) == 1000
        )  # owner@ owns the project
    assert len(send_callbacks) == 1000 // EMAIL_BATCH  # one send task a batch of messages
    assert OutboundEmail.objects.filter(to=owner.email, status=OutboundEmail.Status.QUEUED).count() == 1000


@pytest.mark.postgres
def test_the_outbox_run_costs_the_same_queries_for_10_and_1000_groups():
    def notify_queries(count, username):
        organization, owner = organization_with_clusters(count)
        monitoring_user_attach(organization=organization, username=username, actor=owner)
        with CaptureQueriesContext(connection) as queries:
            monitoring_group_admins_notify(organization_id=organization.pk)
        return len(queries)

    notify_queries(2, "warm@example.com")
    assert notify_queries(10, "ann@example.com") == notify_queries(1000, "bob@example.com")
