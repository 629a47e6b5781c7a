"""support_access_decide: the one function that rules on each attempt of a support engineer to reach a cluster,
by scope, and records every decision, allowed or refused, in an append-only log."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, InternalError, OperationalError, ProgrammingError, transaction
from django.utils import timezone

from accounts.errors import ServiceError
from accounts.services import cluster_delete, cluster_update
from support.models import SupportAccessDecision, SupportAccessGrant
from support.services import support_access_decide, support_grant_create, support_grant_revoke
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Scope = SupportAccessDecision.Scope
Reason = SupportAccessDecision.Reason
GrantType = SupportAccessGrant.GrantType
LOGS_AND_INFRASTRUCTURE = [Scope.INFRASTRUCTURE, Scope.CLUSTER_LOGS, Scope.DATABASE_LOGS, Scope.AUDIT_LOGS]
DATABASE_REFUSALS = (IntegrityError, InternalError, OperationalError, ProgrammingError)


def decide(engineer, cluster, scope, **kwargs):
    return support_access_decide(engineer=engineer, cluster=cluster, scope=scope, **kwargs)


def grant(cluster, owner, grant_type, **kwargs):
    return support_grant_create(cluster=cluster, grant_type=grant_type, actor=owner, **kwargs)


# ---- who may ask at all ------------------------------------------------------------------------------------------


def test_a_user_who_is_not_staff_is_refused_even_in_the_support_group(cluster, support_group):
    customer = UserFactory()
    customer.groups.add(support_group)

    decision = decide(customer, cluster, Scope.INFRASTRUCTURE)

    assert not decision.allowed
    assert decision.reason == Reason.NOT_SUPPORT_STAFF
    assert decision.record.engineer == customer


def test_staff_outside_the_support_group_are_refused_even_superusers(cluster, support_group):
    for staff in (UserFactory(is_staff=True), UserFactory(is_staff=True, is_superuser=True)):
        decision = decide(staff, cluster, Scope.CLUSTER_LOGS)
        assert (decision.allowed, decision.reason) == (False, Reason.NOT_SUPPORT_STAFF)


def test_a_deactivated_engineer_is_refused(cluster, engineer):
    engineer.is_active = False
    engineer.save()
    assert decide(engineer, cluster, Scope.INFRASTRUCTURE).reason == Reason.NOT_SUPPORT_STAFF


# ---- block off ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", LOGS_AND_INFRASTRUCTURE)
def test_without_the_block_support_reaches_infrastructure_and_logs(cluster, engineer, scope):
    decision = decide(engineer, cluster, scope)
    assert (decision.allowed, decision.reason) == (True, Reason.NOT_BLOCKED)
    assert decision.grant is None


def test_sync_data_needs_a_sync_grant_even_without_the_block(sync_cluster, engineer, owner):
    assert decide(engineer, sync_cluster, Scope.SYNC_DATA).reason == Reason.SYNC_NEEDS_GRANT

    made = grant(sync_cluster, owner, GrantType.CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA)

    decision = decide(engineer, sync_cluster, Scope.SYNC_DATA)
    assert (decision.allowed, decision.reason, decision.grant) == (True, Reason.GRANTED, made)


@pytest.mark.parametrize("restrict", [False, True])
def test_database_data_is_never_reachable_whatever_the_grant(
    organization, owner, sync_cluster, engineer, restrict
):
    from support.services import support_access_restrict_set

    support_access_restrict_set(organization=organization, restrict=restrict, actor=owner)
    grant(sync_cluster, owner, GrantType.CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA)

    decision = decide(engineer, sync_cluster, Scope.DATABASE_DATA)

    assert (decision.allowed, decision.reason) == (False, Reason.DATABASE_DATA_NEVER)


# ---- block on ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", [*LOGS_AND_INFRASTRUCTURE, Scope.SYNC_DATA])
def test_with_the_block_and_no_grant_everything_is_refused(blocked, sync_cluster, engineer, scope):
    decision = decide(engineer, sync_cluster, scope)
    assert not decision.allowed
    assert decision.reason == (Reason.SYNC_NEEDS_GRANT if scope == Scope.SYNC_DATA else Reason.BLOCKED)


def test_an_infrastructure_grant_opens_infrastructure_and_all_logs_but_not_sync_data(
    blocked, owner, sync_cluster, engineer
):
    made = grant(sync_cluster, owner, GrantType.CLUSTER_INFRASTRUCTURE)

    for scope in LOGS_AND_INFRASTRUCTURE:
        decision = decide(engineer, sync_cluster, scope)
        assert (decision.allowed, decision.reason, decision.grant) == (True, Reason.GRANTED, made)
    refused = decide(engineer, sync_cluster, Scope.SYNC_DATA)
    assert (refused.allowed, refused.reason) == (False, Reason.GRANT_DOES_NOT_COVER)


def test_a_database_logs_grant_opens_database_logs_only_never_audit_logs(blocked, owner, cluster, engineer):
    grant(cluster, owner, GrantType.CLUSTER_DATABASE_LOGS)

    assert decide(engineer, cluster, Scope.DATABASE_LOGS).allowed
    for scope in (Scope.AUDIT_LOGS, Scope.INFRASTRUCTURE, Scope.CLUSTER_LOGS):
        decision = decide(engineer, cluster, scope)
        assert (decision.allowed, decision.reason) == (False, Reason.GRANT_DOES_NOT_COVER)


def test_a_sync_grant_opens_infrastructure_logs_and_sync_data(blocked, owner, sync_cluster, engineer):
    grant(sync_cluster, owner, GrantType.CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA)

    for scope in [*LOGS_AND_INFRASTRUCTURE, Scope.SYNC_DATA]:
        assert decide(engineer, sync_cluster, scope).allowed


def test_sync_data_is_refused_once_sync_is_turned_off_on_the_cluster(owner, sync_cluster, engineer):
    grant(sync_cluster, owner, GrantType.CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA)
    cluster_update(cluster=sync_cluster, sync_enabled=False, actor=None)

    decision = decide(engineer, sync_cluster, Scope.SYNC_DATA)

    assert (decision.allowed, decision.reason) == (False, Reason.SYNC_NOT_ENABLED)


def test_a_grant_on_one_cluster_opens_no_other(blocked, owner, project, cluster, engineer):
    from accounts.services import cluster_create

    other = cluster_create(project=project, name="Other", actor=None)
    grant(cluster, owner, GrantType.CLUSTER_INFRASTRUCTURE)

    assert decide(engineer, other, Scope.INFRASTRUCTURE).reason == Reason.BLOCKED


# ---- expiry and revocation take effect at once ----------------------------------------------------------------


def test_a_grant_is_dead_at_the_very_instant_of_its_expiry_whatever_the_tasks_did(
    blocked, owner, cluster, engineer
):
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        made = grant(cluster, owner, GrantType.CLUSTER_INFRASTRUCTURE)
    assert made.expires_at == start + timedelta(hours=24)

    with time_machine.travel(made.expires_at - timedelta(seconds=1), tick=False):
        assert decide(engineer, cluster, Scope.INFRASTRUCTURE).allowed
    with time_machine.travel(made.expires_at, tick=False):
        decision = decide(engineer, cluster, Scope.INFRASTRUCTURE)
    assert (decision.allowed, decision.reason) == (False, Reason.GRANT_EXPIRED)
    made.refresh_from_db()
    assert made.status == SupportAccessGrant.Status.ACTIVE  # no task ran: the row still says ACTIVE


def test_a_revoked_grant_opens_nothing_from_the_next_attempt(blocked, owner, cluster, engineer):
    grant(cluster, owner, GrantType.CLUSTER_INFRASTRUCTURE)
    assert decide(engineer, cluster, Scope.INFRASTRUCTURE).allowed

    support_grant_revoke(cluster=cluster, actor=owner)

    assert decide(engineer, cluster, Scope.INFRASTRUCTURE).reason == Reason.BLOCKED


# ---- the log -------------------------------------------------------------------------------------------------------


def test_every_decision_allowed_or_refused_is_recorded_with_who_what_where_and_when(
    blocked, owner, project, cluster, engineer
):
    made = grant(cluster, owner, GrantType.CLUSTER_DATABASE_LOGS)

    allowed = decide(engineer, cluster, Scope.DATABASE_LOGS, client_ip="192.0.2.4")
    refused = decide(engineer, cluster, Scope.AUDIT_LOGS)

    assert SupportAccessDecision.objects.count() == 2
    record = SupportAccessDecision.objects.get(pk=allowed.record.pk)
    assert record.engineer == engineer
    assert record.engineer_email == engineer.email
    assert record.organization == blocked
    assert record.project == project
    assert record.cluster == cluster
    assert record.cluster_name == "Cluster0"
    assert (record.scope, record.allowed, record.reason) == (Scope.DATABASE_LOGS, True, Reason.GRANTED)
    assert record.restricted is True
    assert record.grant == made
    assert record.grant_type == GrantType.CLUSTER_DATABASE_LOGS
    assert record.client_ip == "192.0.2.4"
    assert record.decided_at.tzinfo is not None
    assert (refused.record.allowed, refused.record.reason) == (False, Reason.GRANT_DOES_NOT_COVER)


def test_an_unknown_scope_is_refused_and_nothing_is_recorded(cluster, engineer):
    with pytest.raises(ServiceError) as error:
        decide(engineer, cluster, "EVERYTHING")
    assert error.value.code == "INVALID_SCOPE"
    assert not SupportAccessDecision.objects.exists()


def test_decisions_cannot_be_updated(cluster, engineer):
    record = decide(engineer, cluster, Scope.INFRASTRUCTURE).record

    with pytest.raises(DATABASE_REFUSALS), transaction.atomic():
        SupportAccessDecision.objects.filter(pk=record.pk).update(allowed=False)

    record.refresh_from_db()
    assert record.allowed is True


@pytest.mark.postgres
def test_decisions_cannot_be_deleted_on_postgres(cluster, engineer):
    record = decide(engineer, cluster, Scope.INFRASTRUCTURE).record
    with pytest.raises(DATABASE_REFUSALS), transaction.atomic():
        SupportAccessDecision.objects.filter(pk=record.pk).delete()
    assert SupportAccessDecision.objects.filter(pk=record.pk).exists()


def test_the_log_outlives_the_cluster(owner, cluster, engineer):
    decide(engineer, cluster, Scope.INFRASTRUCTURE)

    cluster_delete(cluster=cluster, actor=owner)

    record = SupportAccessDecision.objects.get()
    assert record.cluster_name == "Cluster0"
    assert record.engineer_email == engineer.email
