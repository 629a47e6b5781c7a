"""Invitations: invite, edit, resend, revoke, accept; join requests; the project's people list."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import (
    AuditEvent,
    Invitation,
    JoinRequest,
    OrganizationMembership,
    OutboundEmail,
    ProjectMembership,
)
from accounts.selectors import INVITE_SENT_ROLE, PENDING_USER_NAME, pending_invitations, project_people
from accounts.services import organization_member_add, project_member_add, team_create
from accounts.services.invitations import (
    invitation_accept,
    invitation_resend,
    invitation_revoke,
    invitation_signup_accept,
    invitation_update,
    organization_invitations_create,
    project_invitations_create,
    token_hash,
)
from accounts.services.join_requests import join_request_approve, join_request_create, join_request_deny
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=False)


def sent_token(email):
    """The token from the accept link in the last message sent to ``email``."""
    message = [m for m in mail.outbox if email in m.to][-1]
    return re.search(r"/invitations/([^/\s]+)/", message.body).group(1)


@pytest.fixture
def invite(committed):
    """``invite(organization, owner, email, **kwargs)``: the invitation, its email sent."""

    def run(organization, owner, email="new@example.com", **kwargs):
        invitations = committed(
            organization_invitations_create, organization=organization, emails=[email], actor=owner, **kwargs
        )
        return invitations[0]

    return run


def test_invitation_email_carries_the_accept_link_and_only_a_hash_is_stored(organization, owner, invite):
    invitation = invite(organization, owner, roles=[roles.ORG_READ_ONLY])

    token = sent_token("new@example.com")
    assert invitation.token_hash == token_hash(token)
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    message = mail.outbox[-1]
    assert message.subject == f"{owner.email} invited you to {organization.name}"
    assert message.alternatives[0][1] == "text/html"
    assert invitation.expires_at - invitation.created_at == timedelta(days=30)
    assert AuditEvent.objects.filter(event_type="INVITED_TO_ORG", details__email="new@example.com").exists()


def test_invite_several_addresses_at_once(organization, owner, committed):
    invitations = committed(
        organization_invitations_create,
        organization=organization,
        emails=["a@example.com", "B@Example.com", "a@example.com"],
        actor=owner,
    )
    assert sorted(i.email for i in invitations) == ["a@example.com", "b@example.com"]
    assert len(mail.outbox) == 2


def test_inviting_many_addresses_costs_the_same_queries_as_inviting_two(organization, owner, invite):
    """The invitations, their teams, audit events and email rows are written for the whole batch at once (one
    message row each, in one INSERT; one task per batch of messages after commit)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    team = team_create(organization=organization, name="SRE", actor=owner)
    renewed = invite(organization, owner, email="again@example.com")

    def queries(count, prefix):
        emails = [f"{prefix}{i}@example.com" for i in range(count)] + ["again@example.com"]
        with CaptureQueriesContext(connection) as captured:
            organization_invitations_create(
                organization=organization, emails=emails, teams=[team], actor=owner
            )
        return len(captured)

    assert queries(30, "many") == queries(2, "few")
    assert OutboundEmail.objects.filter(to__startswith="many").count() == 30
    assert Invitation.objects.filter(email__startswith="many", teams=team).count() == 30
    assert Invitation.objects.get(pk=renewed.pk).status == Invitation.Status.PENDING
    assert AuditEvent.objects.filter(event_type="INVITED_TO_ORG", details__renewed=True).count() == 2
    assert AuditEvent.objects.filter(event_type="INVITED_TO_ORG", target_name="many7@example.com").exists()


def test_inviting_again_updates_the_pending_invitation(organization, owner, invite):
    first = invite(organization, owner, roles=[roles.ORG_MEMBER])
    old_token = sent_token("new@example.com")
    second = invite(organization, owner, email="NEW@example.com", roles=[roles.ORG_READ_ONLY])

    assert second.pk == first.pk
    assert Invitation.objects.filter(organization=organization).count() == 1
    second.refresh_from_db()
    assert second.roles == [roles.ORG_READ_ONLY]
    assert second.token_hash != token_hash(old_token)


def test_one_pending_invitation_per_address_is_enforced_by_the_database(organization, owner, invite):
    invitation = invite(organization, owner)
    duplicate = Invitation(
        organization=organization,
        email="NEW@example.com",
        token_hash="x" * 64,
        expires_at=invitation.expires_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_bad_addresses_are_refused_naming_them(organization, owner, committed):
    with pytest.raises(ServiceError) as error:
        committed(
            organization_invitations_create,
            organization=organization,
            emails=["ok@example.com", "nope"],
            actor=owner,
        )
    assert error.value.code == "VALIDATION_ERROR"
    assert "nope" in error.value.message
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_only_owners_invite_to_an_organization(organization, owner, invite):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    with pytest.raises(ServiceError) as error:
        invite(organization, member)
    assert error.value.code == "USER_UNAUTHORIZED"


def test_accepting_grants_roles_and_teams_in_one_step(organization, owner, invite):
    team = team_create(organization=organization, name="Platform", actor=owner)
    invite(organization, owner, roles=[roles.ORG_READ_ONLY], teams=[team])
    user = UserFactory(email="new@example.com")

    invitation = invitation_accept(token=sent_token(user.email), user=user)

    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_by == user
    membership = OrganizationMembership.objects.get(organization=organization, user=user)
    assert membership.role_names == [roles.ORG_READ_ONLY]
    assert team.memberships.filter(user=user).exists()
    assert user.groups.filter(pk=team.group_id).exists()
    event = AuditEvent.objects.get(event_type="JOINED_ORG", target_id=user.public_id)
    assert event.details["invitationId"] == invitation.public_id


def test_project_invitation_adds_an_outsider_to_the_organization(organization, project, owner, committed):
    committed(
        project_invitations_create,
        project=project,
        emails=["dev@example.com"],
        roles=[roles.GROUP_CLUSTER_MANAGER],
        actor=owner,
    )
    user = UserFactory(email="dev@example.com")

    invitation_accept(token=sent_token(user.email), user=user)

    assert OrganizationMembership.objects.get(organization=organization, user=user).role_names == [
        roles.ORG_MEMBER
    ]
    assert ProjectMembership.objects.get(project=project, user=user).role_names == [
        roles.GROUP_CLUSTER_MANAGER
    ]
    assert AuditEvent.objects.filter(event_type="JOINED_GROUP", target_id=user.public_id).exists()


def test_project_user_admin_may_invite_but_not_escalate(project, owner, committed):
    user_admin = UserFactory()
    project_member_add(project=project, user=user_admin, roles=[roles.GROUP_USER_ADMIN], actor=owner)

    committed(project_invitations_create, project=project, emails=["x@example.com"], actor=user_admin)
    with pytest.raises(ServiceError) as error:
        committed(
            project_invitations_create,
            project=project,
            emails=["y@example.com"],
            roles=[roles.GROUP_OWNER],
            actor=user_admin,
        )
    assert error.value.code == "ROLE_ESCALATION"


@pytest.mark.parametrize(
    "prepare, code",
    [
        ("wrong_user", "INVITATION_WRONG_USER"),
        ("expired", "INVITATION_EXPIRED"),
        ("revoked", "INVITATION_REVOKED"),
        ("used", "INVITATION_ALREADY_USED"),
        ("unknown", "INVITATION_NOT_FOUND"),
    ],
)
def test_each_refusal_has_its_own_code_and_changes_nothing(organization, owner, prepare, code, invite):
    invitation = invite(organization, owner)
    token = sent_token("new@example.com")
    invitee = UserFactory(email="new@example.com")
    user = invitee
    if prepare == "wrong_user":
        user = UserFactory(email="someone-else@example.com")
    elif prepare == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif prepare == "revoked":
        invitation_revoke(invitation=invitation, actor=owner)
    elif prepare == "used":
        invitation_accept(token=token, user=invitee)
    elif prepare == "unknown":
        token = "not-a-token"
    members_before = OrganizationMembership.objects.count()

    with pytest.raises(ServiceError) as error:
        invitation_accept(token=token, user=user)

    assert error.value.code == code
    assert OrganizationMembership.objects.count() == members_before


def test_invitation_expires_after_30_days_at_read_time(organization, owner, invite):
    invitation = invite(organization, owner)
    token = sent_token("new@example.com")
    user = UserFactory(email="new@example.com")

    with time_machine.travel(timezone.now() + timedelta(days=29, hours=23)):
        assert invitation.effective_status == Invitation.Status.PENDING
    with time_machine.travel(timezone.now() + timedelta(days=30, seconds=1)):
        invitation.refresh_from_db()
        # No task has run: the row still says PENDING, yet it is dead.
        assert invitation.status == Invitation.Status.PENDING
        assert invitation.effective_status == Invitation.Status.EXPIRED
        assert not pending_invitations(organization=organization).exists()
        with pytest.raises(ServiceError) as error:
            invitation_accept(token=token, user=user)
        assert error.value.code == "INVITATION_EXPIRED"


def test_resend_issues_a_new_token_and_restarts_the_30_days(organization, owner, committed, invite):
    invitation = invite(organization, owner)
    old_token = sent_token("new@example.com")
    with time_machine.travel(timezone.now() + timedelta(days=20)):
        committed(invitation_resend, invitation=invitation, actor=owner)
        new_token = sent_token("new@example.com")
        invitation.refresh_from_db()
        assert invitation.expires_at > timezone.now() + timedelta(days=29)
    assert new_token != old_token
    user = UserFactory(email="new@example.com")
    with pytest.raises(ServiceError) as error:
        invitation_accept(token=old_token, user=user)
    assert error.value.code == "INVITATION_NOT_FOUND"
    with time_machine.travel(timezone.now() + timedelta(days=45)):
        invitation_accept(token=new_token, user=user)
    assert AuditEvent.objects.filter(event_type="ORG_INVITATION_RESENT").exists()


def test_pending_invitation_can_be_edited(organization, owner, invite):
    team = team_create(organization=organization, name="Ops", actor=owner)
    invitation = invite(organization, owner)
    invitation_update(invitation=invitation, roles=[roles.ORG_GROUP_CREATOR], teams=[team], actor=owner)

    user = UserFactory(email="new@example.com")
    invitation_accept(token=sent_token(user.email), user=user)
    assert OrganizationMembership.objects.get(user=user).role_names == [roles.ORG_GROUP_CREATOR]
    assert team.memberships.filter(user=user).exists()
    assert AuditEvent.objects.filter(event_type="ORG_INVITATION_UPDATED").exists()


def test_revoked_invitation_is_audited_and_cannot_be_edited(organization, owner, invite):
    invitation = invite(organization, owner)
    invitation_revoke(invitation=invitation, actor=owner)
    assert AuditEvent.objects.filter(event_type="ORG_INVITATION_DELETED").exists()
    with pytest.raises(ServiceError) as error:
        invitation_update(invitation=invitation, roles=[roles.ORG_MEMBER], actor=owner)
    assert error.value.code == "INVITATION_NOT_PENDING"


def test_sign_up_from_the_link_creates_the_account_and_accepts(organization, owner, invite):
    invite(organization, owner)
    user = invitation_signup_accept(
        token=sent_token("new@example.com"), email="new@example.com", password="a long enough secret 42"
    )
    assert user.check_password("a long enough secret 42")
    assert OrganizationMembership.objects.filter(organization=organization, user=user).exists()


def test_sign_up_with_another_address_is_refused(organization, owner, invite):
    invite(organization, owner)
    with pytest.raises(ServiceError) as error:
        invitation_signup_accept(
            token=sent_token("new@example.com"), email="other@example.com", password="pw-123456789"
        )
    assert error.value.code == "INVITATION_WRONG_USER"


def test_join_request_approved_joins_read_only(organization, project, owner):
    requester = UserFactory()
    join_request = join_request_create(project=project, user=requester)
    with pytest.raises(ServiceError) as error:
        join_request_create(project=project, user=requester)
    assert error.value.code == "JOIN_REQUEST_PENDING"

    join_request_approve(join_request=join_request, actor=owner)

    assert ProjectMembership.objects.get(project=project, user=requester).role_names == [
        roles.GROUP_READ_ONLY
    ]
    assert OrganizationMembership.objects.get(organization=organization, user=requester).role_names == [
        roles.ORG_MEMBER
    ]
    types = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {"REQUESTED_TO_JOIN_GROUP", "JOIN_GROUP_REQUEST_APPROVED_AUDIT"} <= types
    with pytest.raises(ServiceError) as error:
        join_request_deny(join_request=join_request, actor=owner)
    assert error.value.code == "JOIN_REQUEST_DECIDED"


def test_join_request_denied_grants_nothing_and_needs_a_user_admin(project, owner):
    requester, reader = UserFactory(), UserFactory()
    project_member_add(project=project, user=reader, actor=owner)
    join_request = join_request_create(project=project, user=requester)
    with pytest.raises(ServiceError):
        join_request_deny(join_request=join_request, actor=reader)

    join_request_deny(join_request=join_request, actor=owner)
    assert JoinRequest.objects.get(pk=join_request.pk).status == JoinRequest.Status.DENIED
    assert not ProjectMembership.objects.filter(user=requester).exists()


def test_project_people_lists_members_then_invitations_then_requests(
    project, owner, django_assert_num_queries, committed
):
    project_member_add(project=project, user=UserFactory(email="zed@example.com"), actor=owner)
    committed(project_invitations_create, project=project, emails=["aaa@example.com"], actor=owner)
    join_request_create(project=project, user=UserFactory(email="bob@example.com"))

    people = project_people(project)

    assert [p.kind for p in people] == ["member", "member", "invitation", "request"]
    assert [p.email for p in people][:2] == sorted([owner.email, "zed@example.com"])
    assert people[2].name == PENDING_USER_NAME
    assert people[2].roles == [INVITE_SENT_ROLE]


def test_project_people_costs_constant_queries(project, owner, committed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as queries:
            list(project_people(project))
        return len(queries)

    project_member_add(project=project, user=UserFactory(), actor=owner)
    committed(project_invitations_create, project=project, emails=["i0@example.com"], actor=owner)
    join_request_create(project=project, user=UserFactory())
    few = count()
    for _ in range(10):
        project_member_add(project=project, user=UserFactory(), actor=owner)
        join_request_create(project=project, user=UserFactory())
    committed(
        project_invitations_create,
        project=project,
        emails=[f"i{i}@example.com" for i in range(1, 11)],
        actor=owner,
    )
    assert count() == few == 4
