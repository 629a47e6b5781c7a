"""Expiry: in force at read time; the beat task marks due grants EXPIRED in one bulk UPDATE, records the
events, tells the owners, and is safe to run twice."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts import roles
from accounts.models import AuditEvent, OutboundEmail
from accounts.services import cluster_create, organization_member_add
from support.audit import Event as SupportEvent
from support.models import SupportAccessGrant
from support.selectors import cluster_active_grant
from support.services import support_grant_create, support_grants_expire_due
from support.tasks import expire_support_grants
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Status = SupportAccessGrant.Status


def make_grants(project, owner, count, start=0, hours=1):
    grants = []
    for i in range(start, start + count):
        cluster = cluster_create(project=project, name=f"c{i:03}", actor=None)
        grants.append(
            support_grant_create(
                cluster=cluster,
                grant_type=SupportAccessGrant.GrantType.CLUSTER_INFRASTRUCTURE,
                expires_at=timezone.now() + timedelta(hours=hours),
                actor=owner,
            )
        )
    return grants


@pytest.fixture
def expire(committed):
    """``expire(**kwargs)``: support_grants_expire_due, then the emails it queued, as after a real commit."""
    return lambda **kwargs: committed(support_grants_expire_due, **kwargs)


def test_the_task_marks_due_grants_expired_records_them_and_tells_the_owners(
    blocked, owner, organization, project, expire
):
    second_owner = UserFactory(email="second.owner@example.com")
    organization_member_add(
        organization=organization, user=second_owner, roles=[roles.ORG_OWNER], actor=owner
    )
    due = make_grants(project, owner, 2, hours=1)
    later = make_grants(project, owner, 1, start=2, hours=3)
    mail.outbox.clear()

    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        expired_ids = expire()
        now = timezone.now()

    assert sorted(expired_ids) == sorted(g.pk for g in due)
    for made in due:
        made.refresh_from_db()
        assert (made.status, made.expired_at) == (Status.EXPIRED, now)
    later[0].refresh_from_db()
    assert later[0].status == Status.ACTIVE
    events = AuditEvent.objects.filter(event_type=SupportEvent.EMPLOYEE_ACCESS_EXPIRED)
    assert sorted(e.details["grantId"] for e in events) == sorted(g.public_id for g in due)
    assert {e.organization_id for e in events} == {organization.pk}
    assert all(e.actor_id is None for e in events)  # the system acted
    # Each owner is told once a run, the notice listing every grant that expired in it.
    assert sorted(tuple(m.to) for m in mail.outbox) == sorted([(owner.email,), (second_owner.email,)])
    assert all(m.subject == "Support access to 2 clusters expired" for m in mail.outbox)
    for message in mail.outbox:
        assert "cluster c000 in project" in message.body and "cluster c001 in project" in message.body
        assert "c002" not in message.body  # not yet due
        assert f"/projects/{project.public_id}/clusters/" in message.body


def test_the_expiry_events_written_in_sql_say_what_describe_says(
    blocked, owner, organization, project, expire
):
    """The audit rows are an INSERT ... SELECT: their details must read exactly as the Python ones (ISO 8601 in
    UTC with "Z", microseconds only when there are some), with a fresh random public id each."""
    from support.services.grants import _describe

    grants = make_grants(project, owner, 2)
    whole_second = timezone.now().replace(microsecond=0) + timedelta(minutes=30)
    SupportAccessGrant.objects.filter(pk=grants[0].pk).update(expires_at=whole_second)
    SupportAccessGrant.objects.filter(pk=grants[1].pk).update(
        expires_at=whole_second.replace(microsecond=120034)
    )

    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        expire()

    events = AuditEvent.objects.filter(event_type=SupportEvent.EMPLOYEE_ACCESS_EXPIRED).order_by("id")
    assert len(events) == 2
    for event, grant in zip(events, grants, strict=True):
        grant.refresh_from_db()
        assert event.details == _describe(grant)
        cluster = grant.cluster
        assert (event.target_type, event.target_id, event.target_name) == (
            "cluster",
            cluster.public_id,
            cluster.name,
        )
        assert (event.organization_id, event.project_id) == (organization.pk, project.pk)
        assert event.created_at == grant.expired_at
        assert len(event.public_id) == 24 and int(event.public_id, 16) >= 0
    assert "." not in events[0].details["expirationTime"]
    assert events[0].details["expirationTime"].endswith("Z")
    assert events[1].details["expirationTime"].endswith(".120034Z")
    assert events[0].public_id != events[1].public_id


def test_running_the_task_twice_changes_nothing_more(blocked, owner, project, expire):
    make_grants(project, owner, 2)
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert len(expire()) == 2
        emails = OutboundEmail.objects.count()
        assert expire() == []
    assert AuditEvent.objects.filter(event_type=SupportEvent.EMPLOYEE_ACCESS_EXPIRED).count() == 2
    assert OutboundEmail.objects.count() == emails


def test_the_task_costs_the_same_queries_for_3_and_30_grants(
    blocked, owner, project, django_capture_on_commit_callbacks
):
    """The claim, the UPDATE, the events' INSERT, the notices' values (one statement on PostgreSQL), the owners
    and one INSERT of emails, whatever the number of grants."""

    def count(now):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=False):
            expired = support_grants_expire_due(now=now)
        assert expired
        return len(queries), len(expired)

    make_grants(project, owner, 3)
    three, expired = count(timezone.now() + timedelta(hours=2))
    assert expired == 3
    make_grants(project, owner, 30, start=3)
    thirty, expired = count(timezone.now() + timedelta(hours=2))
    assert expired == 30
    assert thirty == three


def test_expiry_is_in_force_before_any_task_runs(blocked, owner, project):
    made = make_grants(project, owner, 1)[0]
    with time_machine.travel(made.expires_at, tick=False):
        assert cluster_active_grant(made.cluster) is None
        assert made.effective_status() == Status.EXPIRED
    made.refresh_from_db()
    assert made.status == Status.ACTIVE


def test_the_task_is_in_the_beat_schedule_every_minute():
    task = PeriodicTask.objects.get(name="Expire support access grants")
    assert task.task == "support.tasks.expire_support_grants"
    assert (task.interval.every, task.interval.period) == (1, "minutes")
    assert task.enabled


def test_the_task_calls_the_service(blocked, owner, project, django_capture_on_commit_callbacks):
    make_grants(project, owner, 2)
    with (
        time_machine.travel(timezone.now() + timedelta(hours=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert expire_support_grants.delay().get() == 2
        assert expire_support_grants.delay().get() == 0


def test_an_owner_of_many_expired_grants_gets_one_notice_naming_the_first_fifty(
    blocked, owner, project, expire
):
    """Sixty grants due at once: one notice to the owner, listing fifty and counting the other ten."""
    from support.services._notices import EXPIRY_NOTICE_LISTS

    make_grants(project, owner, 60)
    mail.outbox.clear()
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert len(expire()) == 60

    (notice,) = mail.outbox
    assert notice.to == [owner.email]
    assert notice.subject == "Support access to 60 clusters expired"
    listed = [line for line in notice.body.splitlines() if line.startswith("- cluster ")]
    assert len(listed) == EXPIRY_NOTICE_LISTS == 50
    assert "- and 10 more" in notice.body
    assert AuditEvent.objects.filter(event_type=SupportEvent.EMPLOYEE_ACCESS_EXPIRED).count() == 60

