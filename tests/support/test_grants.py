"""support_grant_create / support_grant_revoke: who may grant, which types, for how long (at most 24 hours),
one active grant per cluster (a new one replaces it, both recorded), revocation at any time."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEvent
from accounts.services import cluster_delete, project_member_add
from support.audit import Event as SupportEvent
from support.models import SupportAccessGrant
from support.services import support_grant_create, support_grant_revoke
from support.templatetags.support_grants import time_left
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GrantType = SupportAccessGrant.GrantType
Status = SupportAccessGrant.Status
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def grant(cluster, actor, grant_type=GrantType.CLUSTER_INFRASTRUCTURE, **kwargs):
    return support_grant_create(cluster=cluster, grant_type=grant_type, actor=actor, **kwargs)


def refusal(call, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as error:
        call(**kwargs)
    return error.value


# ---- making a grant ----------------------------------------------------------------------------------------------


def test_a_project_owner_grants_a_cluster_while_the_block_is_on(blocked, group_owner, project, cluster):
    with time_machine.travel(NOW, tick=False):
        made = grant(
            cluster, group_owner, GrantType.CLUSTER_DATABASE_LOGS, expires_at=NOW + timedelta(hours=6)
        )

    made.refresh_from_db()
    assert made.cluster == cluster
    assert made.grant_type == GrantType.CLUSTER_DATABASE_LOGS
    assert made.status == Status.ACTIVE
    assert (made.granted_by, made.granted_by_email) == (group_owner, group_owner.email)
    assert made.granted_at == NOW
    assert made.expires_at == NOW + timedelta(hours=6)
    event = AuditEvent.objects.get(event_type=SupportEvent.EMPLOYEE_ACCESS_GRANTED)
    assert event.actor == group_owner
    assert event.project == project
    assert event.organization == blocked
    assert (event.target_type, event.target_name) == ("cluster", "Cluster0")
    assert event.details == {
        "grantId": made.public_id,
        "grantType": "CLUSTER_DATABASE_LOGS",
        "expirationTime": "2026-03-02T15:30:00Z",
    }


def test_an_organization_owner_may_grant_through_inherited_project_power(blocked, owner, cluster):
    assert grant(cluster, owner).granted_by == owner


@pytest.mark.parametrize("role", [roles.GROUP_READ_ONLY, roles.GROUP_CLUSTER_MANAGER, roles.GROUP_USER_ADMIN])
def test_project_roles_below_project_owner_may_not_grant(blocked, owner, project, cluster, role):
    person = UserFactory()
    project_member_add(project=project, user=person, roles=[role], actor=owner)

    error = refusal(grant, cluster=cluster, actor=person)

    assert error.code == "USER_UNAUTHORIZED"
    assert not SupportAccessGrant.objects.exists()


def test_someone_outside_the_project_learns_nothing(blocked, cluster):
    assert refusal(grant, cluster=cluster, actor=UserFactory()).code == "RESOURCE_NOT_FOUND"


def test_without_an_expiry_a_grant_lasts_24_hours(blocked, owner, cluster):
    with time_machine.travel(NOW, tick=False):
        made = grant(cluster, owner)
    assert made.expires_at == NOW + timedelta(hours=24)


def test_a_grant_lasts_at_most_24_hours(blocked, owner, cluster):
    with time_machine.travel(NOW, tick=False):
        too_far = refusal(
            grant, cluster=cluster, actor=owner, expires_at=NOW + timedelta(hours=24, seconds=1)
        )
        assert too_far.code == "EXPIRATION_TOO_FAR"
        assert "24 hours" in too_far.message
        assert not SupportAccessGrant.objects.exists()
        assert grant(cluster, owner, expires_at=NOW + timedelta(hours=24)).expires_at == NOW + timedelta(
            hours=24
        )


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(seconds=-1), timedelta(days=-3)])
def test_the_expiry_must_be_in_the_future(blocked, owner, cluster, offset):
    with time_machine.travel(NOW, tick=False):
        error = refusal(grant, cluster=cluster, actor=owner, expires_at=NOW + offset)
    assert error.code == "INVALID_EXPIRATION_TIME"
    assert not SupportAccessGrant.objects.exists()


def test_an_expiry_without_a_time_zone_is_refused(blocked, owner, cluster):
    naive = datetime.now() + timedelta(hours=1)  # noqa: DTZ005
    assert refusal(grant, cluster=cluster, actor=owner, expires_at=naive).code == "INVALID_EXPIRATION_TIME"


def test_the_database_refuses_a_grant_longer_than_24_hours(cluster):
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportAccessGrant.objects.create(
            cluster=cluster,
            grant_type=GrantType.CLUSTER_INFRASTRUCTURE,
            granted_at=NOW,
            expires_at=NOW + timedelta(hours=24, seconds=1),
        )


@pytest.mark.parametrize("grant_type", [GrantType.CLUSTER_INFRASTRUCTURE, GrantType.CLUSTER_DATABASE_LOGS])
def test_with_the_block_off_infrastructure_grants_are_not_needed(owner, cluster, grant_type):
    error = refusal(grant, cluster=cluster, actor=owner, grant_type=grant_type)
    assert error.code == "GRANT_NOT_NEEDED"
    assert not SupportAccessGrant.objects.exists()


def test_with_the_block_off_sync_data_is_the_one_thing_a_grant_adds(owner, sync_cluster):
    made = grant(sync_cluster, owner, GrantType.CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA)
    assert made.status == Status.ACTIVE


@pytest.mark.parametrize("block", [False, True])
def test_the_sync_data_type_needs_sync_enabled_on_the_cluster(organization, owner, cluster, block):
    from support.services import support_access_restrict_set

    support_access_restrict_set(organization=organization, restrict=block, actor=owner)
    error = refusal(
        grant,
        cluster=cluster,
        actor=owner,
        grant_type=GrantType.CLUSTER_INFRASTRUCTURE_AND_APP_SERVICES_SYNC_DATA,
    )
    assert error.code == "SYNC_NOT_ENABLED"


def test_an_unknown_grant_type_is_refused(blocked, owner, cluster):
    assert refusal(grant, cluster=cluster, actor=owner, grant_type="EVERYTHING").code == "INVALID_GRANT_TYPE"


# ---- one active grant per cluster ------------------------------------------------------------------------------


def test_a_new_grant_replaces_the_active_one_and_both_are_recorded(blocked, owner, group_owner, cluster):
    first = grant(cluster, owner, GrantType.CLUSTER_DATABASE_LOGS)
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        second = grant(cluster, group_owner, GrantType.CLUSTER_INFRASTRUCTURE)
        replaced_at = timezone.now()

    first.refresh_from_db()
    assert first.status == Status.REPLACED
    assert (first.revoked_by, first.revoked_by_email, first.revoked_at) == (
        group_owner,
        group_owner.email,
        replaced_at,
    )
    assert first.replaced_by == second
    assert second.status == Status.ACTIVE
    assert list(SupportAccessGrant.objects.filter(status=Status.ACTIVE)) == [second]
    replaced = AuditEvent.objects.get(event_type=SupportEvent.EMPLOYEE_ACCESS_REPLACED)
    assert replaced.details["grantId"] == first.public_id
    assert replaced.details["replacedBy"] == second.public_id
    granted = AuditEvent.objects.filter(event_type=SupportEvent.EMPLOYEE_ACCESS_GRANTED).order_by(
        "created_at", "id"
    )
    assert [e.details["grantId"] for e in granted] == [first.public_id, second.public_id]
    assert granted.last().details["replaces"] == first.public_id


def test_the_database_allows_one_active_grant_per_cluster(blocked, owner, cluster):
    grant(cluster, owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportAccessGrant.objects.create(
            cluster=cluster,
            grant_type=GrantType.CLUSTER_DATABASE_LOGS,
            expires_at=timezone.now() + timedelta(hours=1),
        )


def test_granting_over_a_dead_but_unmarked_grant_expires_it_rather_than_replacing_it(blocked, owner, cluster):
    first = grant(cluster, owner)
    with time_machine.travel(first.expires_at + timedelta(minutes=5), tick=False):
        second = grant(cluster, owner)

    first.refresh_from_db()
    assert first.status == Status.EXPIRED
    assert first.replaced_by is None
    assert second.status == Status.ACTIVE
    assert AuditEvent.objects.filter(event_type=SupportEvent.EMPLOYEE_ACCESS_EXPIRED).count() == 1
    assert not AuditEvent.objects.filter(event_type=SupportEvent.EMPLOYEE_ACCESS_REPLACED).exists()


# ---- revoking ----------------------------------------------------------------------------------------------------


def test_a_grant_can_be_revoked_at_any_time_and_who_and_when_are_kept(blocked, owner, group_owner, cluster):
    made = grant(cluster, owner)
    later = timezone.now() + timedelta(hours=23, minutes=59)
    with time_machine.travel(later, tick=False):
        revoked = support_grant_revoke(cluster=cluster, actor=group_owner)

    assert revoked == made
    made.refresh_from_db()
    assert made.status == Status.REVOKED
    assert (made.revoked_by, made.revoked_by_email, made.revoked_at) == (
        group_owner,
        group_owner.email,
        later,
    )
    event = AuditEvent.objects.get(event_type=SupportEvent.EMPLOYEE_ACCESS_REVOKED)
    assert event.actor == group_owner
    assert event.details["grantId"] == made.public_id


def test_revoking_without_a_grant_in_force_changes_nothing(blocked, owner, cluster):
    assert support_grant_revoke(cluster=cluster, actor=owner) is None
    made = grant(cluster, owner)
    with time_machine.travel(made.expires_at, tick=False):
        assert support_grant_revoke(cluster=cluster, actor=owner) is None
    made.refresh_from_db()
    assert made.status == Status.ACTIVE  # dead already: the expiry task records it as EXPIRED
    assert not AuditEvent.objects.filter(event_type=SupportEvent.EMPLOYEE_ACCESS_REVOKED).exists()


def test_revoking_a_replaced_grant_never_ends_the_newer_one(blocked, owner, cluster):
    first = grant(cluster, owner)
    second = grant(cluster, owner)

    error = refusal(support_grant_revoke, cluster=cluster, actor=owner, grant=first)

    assert error.code == "GRANT_NOT_ACTIVE"
    second.refresh_from_db()
    assert second.status == Status.ACTIVE


def test_only_those_who_may_grant_may_revoke(blocked, owner, reader, cluster):
    grant(cluster, owner)
    assert refusal(support_grant_revoke, cluster=cluster, actor=reader).code == "USER_UNAUTHORIZED"
    assert SupportAccessGrant.objects.get().status == Status.ACTIVE


def test_deleting_a_cluster_ends_its_grant_on_the_record(blocked, owner, cluster):
    made = grant(cluster, owner)

    cluster_delete(cluster=cluster, actor=owner)

    assert not SupportAccessGrant.objects.exists()
    event = AuditEvent.objects.get(event_type=SupportEvent.EMPLOYEE_ACCESS_REVOKED)
    assert event.details["grantId"] == made.public_id
    assert event.details["reason"] == "CLUSTER_DELETED"


# ---- time left -----------------------------------------------------------------------------------------------------


def test_time_left_counts_down_to_the_expiry(blocked, owner, cluster):
    with time_machine.travel(NOW, tick=False):
        made = grant(cluster, owner)
        assert time_left(made) == "24 h"
    assert time_left(made, NOW + timedelta(minutes=47, seconds=30)) == "23 h 13 min"
    assert time_left(made, NOW + timedelta(hours=23, minutes=30)) == "30 min"
    assert time_left(made, NOW + timedelta(hours=23, minutes=59, seconds=30)) == "less than a minute"
    assert time_left(made, made.expires_at) == "none"
