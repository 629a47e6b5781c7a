"""The accept link's page: accept signed in, sign up from it, and a clear page for each refusal."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, OrganizationMembership
from accounts.services.invitations import organization_invitations_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(organization, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        organization_invitations_create(organization=organization, emails=["new@example.com"], actor=owner)
    return re.search(r"https?://[^/]+(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)


def test_invitee_signed_in_accepts(client, link, organization):
    invitee = UserFactory(email="new@example.com")
    client.force_login(invitee)
    assert "Accept the invitation" in client.get(link).content.decode()

    response = client.post(link)

    assert response.status_code == 302
    assert OrganizationMembership.objects.filter(organization=organization, user=invitee).exists()


def test_wrong_user_is_told_and_nothing_changes(client, link, organization):
    client.force_login(UserFactory(email="other@example.com"))
    page = client.get(link).content.decode()
    assert "signed in as other@example.com" in page

    response = client.post(link)

    assert response.status_code == 403
    assert "new@example.com" in response.content.decode()
    assert not OrganizationMembership.objects.filter(user__email="other@example.com").exists()
    assert AuditEvent.objects.filter(
        event_type="INVITATION_ACCEPT_REFUSED", details__code="INVITATION_WRONG_USER"
    )


def test_sign_up_from_the_link(client, link, organization):
    response = client.post(
        link, {"first_name": "Ada", "last_name": "L", "password": "a long enough secret 42"}
    )

    assert response.status_code == 302
    membership = OrganizationMembership.objects.get(organization=organization, user__email="new@example.com")
    assert membership.user.first_name == "Ada"
    assert client.get("/").status_code == 200  # signed in


def test_sign_up_with_a_weak_password_shows_the_form_again(client, link):
    response = client.post(link, {"first_name": "Ada", "last_name": "L", "password": "12345678"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not OrganizationMembership.objects.filter(user__email="new@example.com").exists()


@pytest.mark.parametrize(
    "state, status, text",
    [("expired", 410, "expired"), ("revoked", 410, "withdrawn"), ("accepted", 409, "already been accepted")],
)
def test_dead_links_get_their_own_page(client, link, state, status, text):
    invitation = Invitation.objects.get()
    if state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    else:
        Invitation.objects.filter(pk=invitation.pk).update(status=state.upper())
    response = client.get(link)
    assert response.status_code == status
    assert text in response.content.decode()


def test_unknown_token(client, db):
    response = client.get("/invitations/not-a-real-token/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()
