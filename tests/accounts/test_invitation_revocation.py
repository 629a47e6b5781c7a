"""An invitation is only as good as its inviter: removing or demoting a member revokes the pending invitations
they sent and could no longer send (the no-escalation rule decides), the removal report says so, and each
revocation is audited."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Invitation, OrganizationMembership
from accounts.services import (
    organization_member_add,
    organization_member_remove,
    organization_member_roles_set,
    project_member_add,
    project_member_roles_set,
    team_create,
    team_member_remove,
    team_project_assign,
)
from accounts.services.api_keys import api_key_create, api_key_delete
from accounts.services.invitations import (
    invitation_accept,
    organization_invitations_create,
    project_invitations_create,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def status(invitation):
    return Invitation.objects.get(pk=invitation.pk).status


@pytest.fixture
def temporary_owner(organization, owner):
    bob = UserFactory(email="bob@example.com")
    organization_member_add(organization=organization, user=bob, roles=[roles.ORG_OWNER], actor=owner)
    return fresh(bob)


def test_a_removed_owners_invitation_as_owner_is_revoked_and_cannot_be_accepted(
    organization, owner, temporary_owner, django_capture_on_commit_callbacks
):
    """The attack: a temporary owner invites an outsider as Organization Owner and is then removed."""
    with django_capture_on_commit_callbacks(execute=True):
        invitation = organization_invitations_create(
            organization=organization,
            emails=["mallory@example.com"],
            roles=[roles.ORG_OWNER],
            actor=temporary_owner,
        )[0]
    token = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)

    report = organization_member_remove(organization=organization, user=temporary_owner, actor=owner)

    assert report["invitations"] == ["mallory@example.com"]
    assert status(invitation) == Invitation.Status.REVOKED
    event = AuditEvent.objects.get(event_type="ORG_INVITATION_DELETED", target_id=invitation.public_id)
    assert event.actor == owner
    assert event.details["inviter"] == "bob@example.com"
    assert "removed" in event.details["reason"]
    removal = AuditEvent.objects.get(event_type="REMOVED_FROM_ORG", target_id=temporary_owner.public_id)
    assert removal.details["invitations"] == ["mallory@example.com"]

    mallory = UserFactory(email="mallory@example.com")
    with pytest.raises(ServiceError) as refused:
        invitation_accept(token=token, user=mallory)
    assert refused.value.code == "INVITATION_REVOKED"
    assert not OrganizationMembership.objects.filter(organization=organization, user=mallory).exists()


def test_a_demoted_owner_loses_the_invitations_they_could_no_longer_send(
    organization, owner, temporary_owner
):
    invitation = organization_invitations_create(
        organization=organization, emails=["x@example.com"], actor=temporary_owner
    )[0]
    mine = organization_invitations_create(organization=organization, emails=["y@example.com"], actor=owner)[
        0
    ]

    organization_member_roles_set(
        organization=organization, user=temporary_owner, roles=[roles.ORG_MEMBER], actor=owner
    )

    assert status(invitation) == Invitation.Status.REVOKED
    assert status(mine) == Invitation.Status.PENDING  # another inviter's invitation is not touched


def test_losing_a_role_that_gave_no_power_keeps_the_invitations(organization, owner, temporary_owner):
    organization_member_roles_set(
        organization=organization,
        user=temporary_owner,
        roles=[roles.ORG_OWNER, roles.ORG_READ_ONLY],
        actor=owner,
    )
    invitation = organization_invitations_create(
        organization=organization,
        emails=["x@example.com"],
        roles=[roles.ORG_OWNER],
        actor=fresh(temporary_owner),
    )[0]

    organization_member_roles_set(
        organization=organization, user=temporary_owner, roles=[roles.ORG_OWNER], actor=owner
    )

    assert status(invitation) == Invitation.Status.PENDING


def test_the_no_escalation_rule_decides_which_project_invitations_go(organization, project, owner):
    """A Project Owner made Project User Admin may still invite read-only users, not owners."""
    carol = UserFactory()
    project_member_add(project=project, user=carol, roles=[roles.GROUP_OWNER], actor=owner)
    carol = fresh(carol)
    as_owner = project_invitations_create(
        project=project, emails=["o@example.com"], roles=[roles.GROUP_OWNER], actor=carol
    )[0]
    as_reader = project_invitations_create(
        project=project, emails=["r@example.com"], roles=[roles.GROUP_READ_ONLY], actor=carol
    )[0]

    project_member_roles_set(project=project, user=carol, roles=[roles.GROUP_USER_ADMIN], actor=owner)

    assert status(as_owner) == Invitation.Status.REVOKED
    assert status(as_reader) == Invitation.Status.PENDING
    assert AuditEvent.objects.filter(
        event_type="GROUP_INVITATION_DELETED", target_id=as_owner.public_id
    ).exists()


def test_power_lost_with_a_team_revokes_too(organization, project, owner):
    dave = UserFactory()
    organization_member_add(organization=organization, user=dave, actor=owner)
    team = team_create(organization=organization, name="Admins", actor=owner, members=[dave])
    team_project_assign(team=team, project=project, roles=[roles.GROUP_USER_ADMIN], actor=owner)
    invitation = project_invitations_create(project=project, emails=["t@example.com"], actor=fresh(dave))[0]

    team_member_remove(team=team, user=dave, actor=owner)

    assert status(invitation) == Invitation.Status.REVOKED


def test_a_deleted_api_keys_invitations_are_revoked(organization, owner):
    api_key, _ = api_key_create(
        organization=organization, description="ci", roles=[roles.ORG_OWNER], actor=owner
    )
    invitation = organization_invitations_create(
        organization=organization, emails=["k@example.com"], actor=fresh(api_key.user)
    )[0]

    api_key_delete(api_key=api_key, actor=owner)

    assert status(invitation) == Invitation.Status.REVOKED


def test_the_offboarding_report_lists_the_revoked_invitations(organization, owner, temporary_owner):
    from monitoring.services import person_offboard

    organization_invitations_create(
        organization=organization, emails=["z@example.com"], actor=temporary_owner
    )

    report = person_offboard(organization=organization, user=temporary_owner, actor=owner)

    assert report["invitationsRevoked"] == ["z@example.com"]
