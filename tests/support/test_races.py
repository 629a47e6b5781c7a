"""Grants and expiry under concurrency (PostgreSQL row locks): two grants on one cluster at once leave exactly
one active, the other recorded as replaced; two expiry runs at once expire each grant once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, OutboundEmail
from accounts.services import cluster_create, organization_create, project_create
from support.models import SupportAccessGrant
from support.services import support_access_restrict_set, support_grant_create, support_grants_expire_due
from tests.factories import UserFactory
from tests.integration.test_last_owner_race import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

GrantType = SupportAccessGrant.GrantType


@pytest.fixture
def setup():
    owner = UserFactory()
    organization = organization_create(name="Raced", actor=owner)
    support_access_restrict_set(organization=organization, restrict=True, actor=owner)
    project = project_create(organization=organization, name="Prod", actor=owner)
    return owner, project


def test_two_grants_at_once_leave_one_active_and_record_both(setup):
    owner, project = setup
    cluster = cluster_create(project=project, name="Cluster0", actor=None)

    def grant(grant_type):
        return lambda: support_grant_create(cluster=cluster, grant_type=grant_type, actor=owner)

    outcomes = race(grant(GrantType.CLUSTER_INFRASTRUCTURE), grant(GrantType.CLUSTER_DATABASE_LOGS))

    assert outcomes == ["ok", "ok"]
    statuses = sorted(SupportAccessGrant.objects.values_list("status", flat=True))
    assert statuses == ["ACTIVE", "REPLACED"]
    assert AuditEvent.objects.filter(event_type="EMPLOYEE_ACCESS_GRANTED").count() == 2
    assert AuditEvent.objects.filter(event_type="EMPLOYEE_ACCESS_REPLACED").count() == 1


def test_two_expiry_runs_at_once_expire_each_grant_once(setup):
    owner, project = setup
    for i in range(20):
        cluster = cluster_create(project=project, name=f"c{i:02}", actor=None)
        support_grant_create(
            cluster=cluster,
            grant_type=GrantType.CLUSTER_INFRASTRUCTURE,
            expires_at=timezone.now() + timedelta(minutes=1),
            actor=owner,
        )
    emails_before = OutboundEmail.objects.count()
    later = timezone.now() + timedelta(minutes=2)

    runs = {}
    outcomes = race(
        lambda: runs.setdefault("first", support_grants_expire_due(now=later)),
        lambda: runs.setdefault("second", support_grants_expire_due(now=later)),
    )
    assert outcomes == ["ok", "ok"]
    first, second = runs["first"], runs["second"]

    assert sorted(first + second) == sorted(SupportAccessGrant.objects.values_list("pk", flat=True))
    assert set(first).isdisjoint(second)
    assert AuditEvent.objects.filter(event_type="EMPLOYEE_ACCESS_EXPIRED").count() == 20
    # One owner, told once by each run that expired anything.
    assert OutboundEmail.objects.count() - emails_before == len([run for run in (first, second) if run])
