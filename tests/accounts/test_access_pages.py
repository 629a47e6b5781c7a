"""The Access Manager pages: who is listed and how, invite / resend / revoke / approve through the services,
a stranger learns nothing, constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from accounts.models import AuditEvent, Invitation, JoinRequest, ProjectMembership
from accounts.services import organization_member_add, project_member_add
from accounts.services.invitations import organization_invitations_create, project_invitations_create
from accounts.services.join_requests import join_request_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def org_page(organization):
    return f"/orgs/{organization.public_id}/"


def test_owner_sees_members_and_pending_invitations_with_bounces(client, organization, owner):
    invitation = organization_invitations_create(
        organization=organization, emails=["gone@example.com"], actor=owner
    )[0]
    Invitation.objects.filter(pk=invitation.pk).update(bounced_at=timezone.now())
    client.force_login(owner)

    page = client.get(org_page(organization)).content.decode()

    assert owner.email in page
    assert "gone@example.com" in page
    assert "email bounced" in page
    assert "Send invitations" in page


def test_owner_invites_through_the_form(client, organization, owner, django_capture_on_commit_callbacks):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            org_page(organization),
            {"invite-emails": "a@example.com, b@example.com", "invite-roles": [roles.ORG_READ_ONLY]},
        )
    assert response.status_code == 302
    assert set(Invitation.objects.values_list("email", flat=True)) == {"a@example.com", "b@example.com"}


def test_a_bad_address_comes_back_as_a_form_error(client, organization, owner):
    client.force_login(owner)
    response = client.post(
        org_page(organization), {"invite-emails": "nope", "invite-roles": [roles.ORG_MEMBER]}
    )
    assert response.status_code == 200
    assert "Not an email address: nope" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_member_cannot_invite(client, organization, owner):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    client.force_login(member)
    page = client.get(org_page(organization)).content.decode()
    assert "Send invitations" not in page
    client.post(
        org_page(organization), {"invite-emails": "x@example.com", "invite-roles": [roles.ORG_MEMBER]}
    )
    assert not Invitation.objects.exists()


def test_a_stranger_gets_404(client, organization):
    client.force_login(UserFactory())
    assert client.get(org_page(organization)).status_code == 404


def test_resend_and_revoke(client, organization, owner):
    invitation = organization_invitations_create(
        organization=organization, emails=["x@example.com"], actor=owner
    )[0]
    client.force_login(owner)
    client.post(f"/pending-invitations/{invitation.public_id}/resend/")
    assert AuditEvent.objects.filter(event_type="ORG_INVITATION_RESENT").exists()
    client.post(f"/pending-invitations/{invitation.public_id}/revoke/")
    invitation.refresh_from_db()
    assert invitation.status == "REVOKED"


def test_a_stranger_cannot_revoke(client, organization, owner):
    invitation = organization_invitations_create(
        organization=organization, emails=["x@example.com"], actor=owner
    )[0]
    client.force_login(UserFactory())
    assert client.post(f"/pending-invitations/{invitation.public_id}/revoke/").status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == "PENDING"


def test_project_page_lists_members_then_pending_then_requests_and_approves(client, project, owner):
    project_invitations_create(project=project, emails=["aaa@example.com"], actor=owner)
    asker = UserFactory(email="asker@example.com")
    join_request = join_request_create(project=project, user=asker)
    client.force_login(owner)

    page = client.get(f"/projects/{project.public_id}/").content.decode()
    assert page.index(owner.email) < page.index("Pending User") < page.index("asker@example.com")
    assert "--invite sent--" in page

    client.post(f"/join-requests/{join_request.public_id}/approve/")
    assert JoinRequest.objects.get(pk=join_request.pk).status == "APPROVED"
    assert ProjectMembership.objects.get(project=project, user=asker).role_names == [roles.GROUP_READ_ONLY]


def test_pages_cost_the_same_queries_for_5_and_50_people(client, organization, project, owner):
    client.force_login(owner)

    def count(url):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def grow(n, start):
        for _ in range(n):
            user = UserFactory()
            organization_member_add(organization=organization, user=user, actor=owner)
            project_member_add(project=project, user=user, actor=owner)
            join_request_create(project=project, user=UserFactory())
        organization_invitations_create(
            organization=organization,
            emails=[f"o{i}@example.com" for i in range(start, start + n)],
            actor=owner,
        )
        project_invitations_create(
            project=project, emails=[f"p{i}@example.com" for i in range(start, start + n)], actor=owner
        )

    grow(5, 0)
    few = count(org_page(organization)), count(f"/projects/{project.public_id}/")
    grow(45, 5)
    assert (count(org_page(organization)), count(f"/projects/{project.public_id}/")) == few
