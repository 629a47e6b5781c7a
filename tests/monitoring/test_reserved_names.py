"""Nobody but the system creates, or joins, a group whose name starts with ``mongolab_``; a project's own groups
take any other name, and their members are managed by hand (MANAGE_MONITORING)."""

import pytest
from django.db import IntegrityError, transaction

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEvent
from accounts.services import organization_member_add, project_member_add
from monitoring.audit import Event as MonitoringEvent
from monitoring.models import MonitoringGroup, MonitoringGroupMembership, MonitoringUser
from monitoring.services import (
    monitoring_group_create,
    monitoring_group_delete,
    monitoring_group_member_add,
    monitoring_group_member_remove,
    monitoring_user_attach,
)
from tests.factories import UserFactory

from .conftest import dedicated

pytestmark = pytest.mark.django_db


@pytest.fixture
def monitoring_admin(organization, owner, project):
    user = UserFactory(email="monitor@example.com")
    organization_member_add(organization=organization, user=user, actor=owner)
    project_member_add(project=project, user=user, roles=[roles.GROUP_MONITORING_ADMIN], actor=owner)
    return user


@pytest.mark.parametrize("name", ["mongolab_mine", "MongoLab_mine", "  MONGOLAB_x", "mongolab_"])
def test_nobody_creates_a_group_with_the_reserved_prefix(project, owner, name):
    with pytest.raises(ServiceError) as error:
        monitoring_group_create(project=project, name=name, actor=owner)
    assert error.value.code == "RESERVED_GROUP_NAME"
    assert "mongolab_" in error.value.message
    assert error.value.status == 403
    assert not MonitoringGroup.objects.exists()


def test_not_even_staff_or_the_system_create_a_custom_group_with_it(project):
    staff = UserFactory(is_staff=True, is_superuser=True)
    for actor in (staff, None):
        with pytest.raises(ServiceError) as error:
            monitoring_group_create(project=project, name="mongolab_custom", actor=actor)
        assert error.value.code == "RESERVED_GROUP_NAME"


def test_the_database_refuses_a_reserved_name_without_a_cluster_and_a_system_group_without_it(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        MonitoringGroup.objects.create(project=project, name="MONGOLAB_sneaky")
    cluster = dedicated(project)
    cluster.monitoring_group.delete()
    with pytest.raises(IntegrityError), transaction.atomic():
        MonitoringGroup.objects.create(project=project, cluster=cluster, name="prod")


def test_a_project_monitoring_admin_creates_a_group_of_any_other_name(project, monitoring_admin):
    group = monitoring_group_create(project=project, name="  lab-ops ", actor=monitoring_admin)
    assert group.name == "lab-ops"
    assert not group.is_system
    assert AuditEvent.objects.filter(
        event_type=MonitoringEvent.MONITORING_GROUP_CREATED, target_name="lab-ops"
    )
    with pytest.raises(ServiceError) as error:
        monitoring_group_create(project=project, name="LAB-OPS", actor=monitoring_admin)
    assert error.value.code == "MONITORING_GROUP_NAME_TAKEN"


def test_a_read_only_member_cannot_create_groups_or_manage_members(organization, owner, project):
    reader = UserFactory()
    project_member_add(project=project, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    with pytest.raises(ServiceError) as error:
        monitoring_group_create(project=project, name="ops", actor=reader)
    assert error.value.code == "USER_UNAUTHORIZED"
    group = monitoring_group_create(project=project, name="ops", actor=owner)
    with pytest.raises(ServiceError) as error:
        monitoring_group_member_add(group=group, username="ann@example.com", actor=reader)
    assert error.value.code == "USER_UNAUTHORIZED"


@pytest.mark.parametrize("who", ["owner", "monitoring_admin"])
def test_customers_cannot_join_a_system_group_by_hand(project, owner, monitoring_admin, who):
    actor = {"owner": owner, "monitoring_admin": monitoring_admin}[who]
    cluster = dedicated(project)
    with pytest.raises(ServiceError) as error:
        monitoring_group_member_add(group=cluster.monitoring_group, username="ann@example.com", actor=actor)
    assert error.value.code == "RESERVED_GROUP_NAME"
    assert "Attach the user to the organization" in error.value.message
    assert not MonitoringGroupMembership.objects.exists()
    assert not MonitoringUser.objects.exists()


def test_staff_and_the_system_may_add_to_a_system_group_by_hand(project):
    cluster = dedicated(project)
    staff = UserFactory(is_staff=True, is_superuser=True)
    membership = monitoring_group_member_add(
        group=cluster.monitoring_group, username="support@example.com", actor=staff
    )
    assert membership.source == MonitoringGroupMembership.Source.MANUAL
    monitoring_group_member_add(group=cluster.monitoring_group, username="bot@example.com", actor=None)
    assert cluster.monitoring_group.memberships.count() == 2


def test_members_of_a_custom_group_are_added_and_removed_by_hand(project, monitoring_admin):
    group = monitoring_group_create(project=project, name="ops", actor=monitoring_admin)
    membership = monitoring_group_member_add(
        group=group, username="ann", email="ann@example.com", role="ADMIN", actor=monitoring_admin
    )
    assert (membership.role, membership.source, membership.attachment) == ("ADMIN", "MANUAL", None)
    with pytest.raises(ServiceError) as error:
        monitoring_group_member_add(group=group, username="ANN", actor=monitoring_admin)
    assert error.value.code == "MONITORING_USER_ALREADY_IN_GROUP"

    removal = monitoring_group_member_remove(
        group=group, monitoring_user=membership.monitoring_user, actor=monitoring_admin
    )
    assert removal.still_attached is False
    assert not group.memberships.exists()
    with pytest.raises(ServiceError) as error:
        monitoring_group_member_remove(
            group=group, monitoring_user=membership.monitoring_user, actor=monitoring_admin
        )
    assert error.value.code == "MONITORING_USER_NOT_IN_GROUP"


def test_customers_may_remove_a_member_of_a_system_group_by_hand(
    organization, owner, project, monitoring_admin
):
    cluster = dedicated(project)
    attachment = monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    removal = monitoring_group_member_remove(
        group=cluster.monitoring_group, monitoring_user=attachment.monitoring_user, actor=monitoring_admin
    )
    assert removal.source == "ATTACHMENT"
    assert removal.still_attached is True
    event = AuditEvent.objects.get(event_type=MonitoringEvent.MONITORING_GROUP_MEMBER_REMOVED)
    assert event.details == {
        "group": cluster.monitoring_group.name,
        "source": "ATTACHMENT",
        "stillAttached": True,
    }


def test_a_system_group_is_deleted_only_with_its_cluster(project, owner):
    cluster = dedicated(project)
    with pytest.raises(ServiceError) as error:
        monitoring_group_delete(group=cluster.monitoring_group, actor=owner)
    assert error.value.code == "RESERVED_GROUP_NAME"
    custom = monitoring_group_create(project=project, name="ops", actor=owner)
    monitoring_group_delete(group=custom, actor=owner)
    assert list(MonitoringGroup.objects.all()) == [cluster.monitoring_group]
