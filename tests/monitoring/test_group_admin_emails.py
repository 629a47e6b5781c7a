"""Every group admin of each group a monitoring user joins gets one email naming the user and the group (the
group's ADMIN members and the project's GROUP_OWNER and GROUP_MONITORING_ADMIN people, directly or through a
team), never the user just added; sent as tasks after commit, from an outbox that is safe to run twice."""

import pytest
from django.core import mail

from accounts import roles
from accounts.models import OutboundEmail
from accounts.services import (
    project_create,
    project_member_add,
    team_create,
    team_project_assign,
)
from monitoring.models import GroupRole, MonitoringGroupMembership
from monitoring.services import (
    monitoring_group_admins_notify,
    monitoring_group_create,
    monitoring_group_member_add,
    monitoring_user_attach,
)
from monitoring.tasks import notify_group_admins
from tests.factories import MemberFactory

from .conftest import dedicated

pytestmark = pytest.mark.django_db


def recipients_by_group():
    """{group name: sorted recipients} of the emails sent."""
    sent = {}
    for message in mail.outbox:
        group = message.subject.rsplit(" ", 1)[-1]
        sent.setdefault(group, []).extend(message.to)
    return {group: sorted(to) for group, to in sent.items()}


@pytest.fixture
def admins(organization, owner, project):
    """The project's admins: its owner (the project's creator), a monitoring admin, a monitoring admin through a
    team, and people who are not admins."""
    project_member_add(
        project=project,
        user=MemberFactory(organization=organization, actor=owner, email="monitor@example.com"),
        roles=[roles.GROUP_MONITORING_ADMIN],
        actor=owner,
    )
    team = team_create(
        organization=organization,
        name="SRE",
        members=[MemberFactory(organization=organization, actor=owner, email="sre@example.com")],
        actor=owner,
    )
    team_project_assign(team=team, project=project, roles=[roles.GROUP_MONITORING_ADMIN], actor=owner)
    project_member_add(
        project=project,
        user=MemberFactory(organization=organization, actor=owner, email="reader@example.com"),
        roles=[roles.GROUP_READ_ONLY, roles.GROUP_CLUSTER_MANAGER],
        actor=owner,
    )
    MemberFactory(
        organization=organization, actor=owner, email="orgowner2@example.com", roles=[roles.ORG_OWNER]
    )  # owner power, not a group admin
    return ["monitor@example.com", "owner@example.com", "sre@example.com"]


def test_attach_emails_every_group_admin_of_each_group_once(
    organization, owner, project, admins, django_capture_on_commit_callbacks
):
    staging = project_create(organization=organization, name="Staging", actor=owner)  # owner@ is its owner
    a, b = dedicated(project, "A"), dedicated(staging, "B")

    with django_capture_on_commit_callbacks(execute=True):
        monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)

    assert recipients_by_group() == {
        a.monitoring_group.name: admins,
        b.monitoring_group.name: ["owner@example.com"],
    }
    message = next(m for m in mail.outbox if m.to == ["sre@example.com"])
    assert message.subject == f"ann@example.com was added to the monitoring group {a.monitoring_group.name}"
    assert "ann@example.com" in message.body
    assert a.monitoring_group.name in message.body
    assert a.monitoring_group.name in message.alternatives[0][0]
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENT).count() == 4


def test_admin_members_of_the_group_are_emailed_but_never_the_user_just_added(
    organization, owner, project, django_capture_on_commit_callbacks
):
    cluster = dedicated(project)
    with django_capture_on_commit_callbacks(execute=True):
        monitoring_user_attach(
            organization=organization, username="boss@example.com", group_role=GroupRole.ADMIN, actor=owner
        )
    assert recipients_by_group() == {cluster.monitoring_group.name: ["owner@example.com"]}  # not boss@
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)

    assert recipients_by_group() == {cluster.monitoring_group.name: ["boss@example.com", "owner@example.com"]}


def test_a_person_who_is_an_admin_twice_gets_one_email_per_group(
    organization, owner, project, django_capture_on_commit_callbacks
):
    team = team_create(organization=organization, name="Owners", members=[owner], actor=owner)
    team_project_assign(team=team, project=project, roles=[roles.GROUP_OWNER], actor=owner)
    cluster = dedicated(project)
    with django_capture_on_commit_callbacks(execute=True):
        monitoring_user_attach(
            organization=organization,
            username="owner-mms",
            email="OWNER@example.com",
            group_role=GroupRole.ADMIN,
            actor=owner,
        )
        monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    # owner@ is a monitoring admin of the group (added in the same run: it is not told about itself) and its
    # GROUP_OWNER directly and through a team: one email, about ann.
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]
    assert (
        mail.outbox[0].subject
        == f"ann@example.com was added to the monitoring group {cluster.monitoring_group.name}"
    )
    assert "owner-mms" not in mail.outbox[0].body


def test_inactive_people_and_api_keys_are_not_emailed(
    organization, owner, project, django_capture_on_commit_callbacks
):
    from accounts.services.api_keys import api_key_create, api_key_project_assign

    gone = MemberFactory(organization=organization, actor=owner, email="gone@example.com")
    project_member_add(project=project, user=gone, roles=[roles.GROUP_OWNER], actor=owner)
    gone.is_active = False
    gone.save()
    api_key, _ = api_key_create(
        organization=organization, description="ci", roles=[roles.ORG_MEMBER], actor=owner
    )
    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_OWNER], actor=owner)
    dedicated(project)
    with django_capture_on_commit_callbacks(execute=True):
        monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]


def test_a_new_cluster_emails_its_admins_about_every_attached_user(
    organization, owner, project, admins, django_capture_on_commit_callbacks
):
    monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    monitoring_user_attach(organization=organization, username="bob@example.com", actor=owner)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cluster = dedicated(project, "Later")

    assert recipients_by_group() == {cluster.monitoring_group.name: admins}
    assert "ann@example.com" in mail.outbox[0].body and "bob@example.com" in mail.outbox[0].body


def test_adding_by_hand_emails_the_groups_admins(
    organization, owner, project, admins, django_capture_on_commit_callbacks
):
    group = monitoring_group_create(project=project, name="Ops", actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        monitoring_group_member_add(group=group, username="ann@example.com", actor=owner)
    assert recipients_by_group() == {"Ops": admins}


def test_nothing_is_sent_before_commit_nor_when_the_change_rolls_back(
    organization, owner, project, django_capture_on_commit_callbacks
):
    dedicated(project)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    assert len(callbacks) == 1  # one outbox task, queued for after commit
    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


def test_the_outbox_is_safe_to_run_twice_and_the_beat_sweep_catches_a_lost_task(
    organization, owner, project, django_capture_on_commit_callbacks
):
    dedicated(project)
    with django_capture_on_commit_callbacks(execute=False):  # the task is lost: never queued
        monitoring_user_attach(organization=organization, username="ann@example.com", actor=owner)
    assert MonitoringGroupMembership.objects.filter(admins_notified_at__isnull=True).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        assert notify_group_admins.apply().get() == 1  # beat's sweep: every organization
    assert monitoring_group_admins_notify(organization_id=organization.pk) == 0
    assert notify_group_admins.apply(args=[organization.pk]).get() == 0
    assert [m.to for m in mail.outbox] == [["owner@example.com"]]
    assert not MonitoringGroupMembership.objects.filter(admins_notified_at__isnull=True).exists()


def test_the_sweep_is_scheduled_in_beat():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="monitoring.tasks.notify_group_admins")
    assert task.enabled
    assert task.interval.every == 1 and task.interval.period == "minutes"
