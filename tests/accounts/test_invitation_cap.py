"""One invitation request invites at most 100 addresses (pages and API), with an error naming the cap."""

import pytest
from django.urls import reverse

from accounts.errors import ServiceError
from accounts.models import Invitation
from accounts.services.invitations import (
    INVITATIONS_PER_REQUEST_MAX,
    organization_invitations_create,
    project_invitations_create,
)

pytestmark = pytest.mark.django_db


def addresses(n):
    return [f"p{i}@example.com" for i in range(n)]


def test_the_cap_is_100():
    assert INVITATIONS_PER_REQUEST_MAX == 100


def test_101_addresses_are_refused_naming_the_cap(organization, project, owner):
    for call in (
        lambda: organization_invitations_create(
            organization=organization, emails=addresses(101), actor=owner
        ),
        lambda: project_invitations_create(project=project, emails=addresses(101), actor=owner),
    ):
        with pytest.raises(ServiceError) as refused:
            call()
        assert refused.value.code == "VALIDATION_ERROR" and refused.value.status == 400
        assert "At most 100" in refused.value.message
    assert not Invitation.objects.exists()


def test_100_addresses_are_invited(organization, owner):
    assert (
        len(organization_invitations_create(organization=organization, emails=addresses(100), actor=owner))
        == 100
    )


def test_the_invite_form_says_the_cap_and_invites_nobody(client, organization, owner):
    client.force_login(owner)
    response = client.post(
        reverse("accounts:organization_access", args=[organization.public_id]),
        {"invite-emails": "\n".join(addresses(200)), "invite-roles": ["ORG_MEMBER"]},
    )

    assert response.status_code == 200  # the page again, with the form's error
    assert "At most 100 addresses" in response.content.decode()
    assert not Invitation.objects.exists()
