"""Requests to join a project: who is asked (emailed with the message), the decision emailed to the requester,
and a refusal with its reason for someone who already reaches the project."""

import pytest
from django.core import mail

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEvent
from accounts.services import organization_member_add, project_member_add, team_create, team_project_assign
from accounts.services.join_requests import join_request_approve, join_request_create, join_request_deny
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_projects_owners_are_emailed_the_request_and_its_message(organization, owner, project, committed):
    team_owner = UserFactory(email="lead@example.com")
    organization_member_add(organization=organization, user=team_owner, actor=owner)
    team = team_create(organization=organization, name="Leads", members=[team_owner], actor=owner)
    team_project_assign(team=team, project=project, roles=[roles.GROUP_OWNER], actor=owner)
    reader = UserFactory(email="reader@example.com")
    project_member_add(project=project, user=reader, actor=owner)
    asker = UserFactory(email="asker@example.com")

    committed(join_request_create, project=project, user=asker, message="I run the nightly reports.")

    asked = {message.to[0]: message for message in mail.outbox}
    assert set(asked) == {owner.email, "lead@example.com"}  # owners, own role or a team's; not readers
    assert "I run the nightly reports." in asked[owner.email].body
    assert "asker@example.com" in asked[owner.email].subject
    event = AuditEvent.objects.get(event_type=AuditEvent.Type.REQUESTED_TO_JOIN_GROUP)
    assert event.details == {"message": "I run the nightly reports."}


def test_the_requester_is_emailed_the_decision(organization, owner, project, committed):
    approved_asker, denied_asker = UserFactory(email="yes@example.com"), UserFactory(email="no@example.com")
    approved = join_request_create(project=project, user=approved_asker)
    denied = join_request_create(project=project, user=denied_asker)
    mail.outbox.clear()

    committed(join_request_approve, join_request=approved, actor=owner)
    committed(join_request_deny, join_request=denied, actor=owner)

    to = {message.to[0]: message for message in mail.outbox}
    assert "approved" in to["yes@example.com"].subject and project.name in to["yes@example.com"].body
    assert "denied" in to["no@example.com"].subject
    # Asked from outside the organization: the denial names the project only by the id they gave.
    assert project.name not in to["no@example.com"].body + to["no@example.com"].subject
    assert project.public_id in to["no@example.com"].body + to["no@example.com"].subject


def test_someone_who_already_reaches_the_project_is_told_how(organization, owner, project):
    reader = UserFactory()
    organization_member_add(organization=organization, user=reader, roles=[roles.ORG_READ_ONLY], actor=owner)
    with pytest.raises(ServiceError) as error:
        join_request_create(project=project, user=reader)
    assert error.value.code == "USER_ALREADY_IN_GROUP"
    assert "organization role or a team" in error.value.message


def test_asking_by_id_costs_the_same_whatever_the_id_names_and_the_beat_job_asks_the_owners(
    organization, owner, project, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Asking by id is one recorded ask, the same work for a real project and for an id that names nothing;
    within a minute the beat job makes a join request of the real one, and its owners are emailed."""
    from accounts.models import JoinAsk, JoinRequest
    from accounts.services.join_requests import join_ask_record, join_asks_process

    asker = UserFactory(email="asker@example.com")
    with django_assert_num_queries(2):
        join_ask_record(user=asker, project_id=project.public_id, message="nightly reports")
    with django_assert_num_queries(2):
        join_ask_record(user=asker, project_id="0123456789abcdef01234567")
    assert not JoinRequest.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert join_asks_process() == 2
    request = JoinRequest.objects.get()
    assert (request.project, request.user, request.message) == (project, asker, "nightly reports")
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert not JoinAsk.objects.filter(processed_at__isnull=True).exists()
    assert join_asks_process() == 0  # each ask is processed once


def test_asks_a_day_are_capped_alike_for_every_id(organization, owner, project):
    from accounts.models import JoinAsk
    from accounts.services.join_requests import join_ask_record

    asker = UserFactory()
    for i in range(JoinAsk.MAX_PER_DAY):
        join_ask_record(user=asker, project_id=f"{i:024x}")
    with pytest.raises(ServiceError) as error:
        join_ask_record(user=asker, project_id=project.public_id)
    assert error.value.code == "VALIDATION_ERROR"
    assert str(JoinAsk.MAX_PER_DAY) in error.value.message
