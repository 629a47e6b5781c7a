"""Admin actions that change something ask first (a page that works without JavaScript), then go through the
services and are audited: among them rebuilding one organization's permissions and unlocking an account."""

import pytest
from axes.models import AccessAttempt

from accounts.models import AuditEvent, Invitation, Organization, OrganizationUserObjectPermission
from accounts.services.invitations import organization_invitations_create
from tests.accounts.test_admin import admin_url

pytestmark = pytest.mark.django_db


def test_revoking_asks_first_and_changes_nothing_until_yes(admin_client, organization, owner):
    invitation = organization_invitations_create(organization=organization, emails=["x@example.com"], actor=owner)[0]
    chosen = {"action": "revoke", "_selected_action": [str(invitation.pk)]}

    asked = admin_client.post(admin_url(Invitation), chosen)

    assert asked.status_code == 200
    assert asked.templates[0].name == "admin/staff/confirm_action.html"
    page = asked.content.decode()
    assert "x@example.com" in page and 'name="confirmed" value="yes"' in page
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING

    admin_client.post(admin_url(Invitation), {**chosen, "confirmed": "yes"})

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED


def test_rebuilding_an_organizations_permissions_restores_them_and_is_audited(admin_client, organization, owner):
    OrganizationUserObjectPermission.objects.filter(user=owner).delete()  # a hand edit lost them
    chosen = {"action": "rebuild_permissions", "_selected_action": [str(organization.pk)], "confirmed": "yes"}

    admin_client.post(admin_url(Organization), chosen)

    assert OrganizationUserObjectPermission.objects.filter(user=owner, content_object=organization).exists()
    event = AuditEvent.objects.get(event_type=AuditEvent.Type.PERMISSIONS_REBUILT)
    assert event.organization == organization and event.details["added"] > 0


def test_unlocking_an_account_forgets_its_failures_and_is_audited(admin_client):
    attempt = AccessAttempt.objects.create(
        username="locked@example.com",
        ip_address="192.0.2.9",
        user_agent="x",
        failures_since_start=9,
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
    )

    admin_client.post(
        admin_url(AccessAttempt), {"action": "unlock", "_selected_action": [str(attempt.pk)], "confirmed": "yes"}
    )

    assert not AccessAttempt.objects.exists()
    event = AuditEvent.objects.get(event_type=AuditEvent.Type.SIGN_IN_UNLOCKED)
    assert event.details == {"username": "locked@example.com", "address": "192.0.2.9", "failures": 9}
