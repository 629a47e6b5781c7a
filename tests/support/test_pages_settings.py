"""The organization's Settings tab: blocking support access and requiring two-factor authentication, for the
organization's owners only; everyone else reads them."""

import pytest

from accounts import roles
from accounts.models import AuditEvent
from accounts.services import organization_create, organization_member_add
from support.audit import Event as SupportEvent
from support.selectors import support_access_restricted
from tests.factories import UserFactory, give_totp

pytestmark = pytest.mark.django_db


def settings_page(organization):
    return f"/orgs/{organization.public_id}/settings/"


def test_the_owner_blocks_and_unblocks_support_access_and_it_is_audited(client, organization, owner):
    client.force_login(owner)
    client.post(settings_page(organization), {"restrict_employee_access": "on"})
    assert support_access_restricted(organization)
    client.post(settings_page(organization), {})
    assert not support_access_restricted(organization)
    types = set(AuditEvent.objects.filter(organization=organization).values_list("event_type", flat=True))
    assert {
        SupportEvent.ORG_EMPLOYEE_ACCESS_RESTRICTED,
        SupportEvent.ORG_EMPLOYEE_ACCESS_UNRESTRICTED,
    } <= types


def test_the_owner_requires_two_factor_authentication(client, organization, owner):
    give_totp(owner)
    client.force_login(owner)

    response = client.post(settings_page(organization), {"multi_factor_auth_required": "on"}, follow=True)

    organization.refresh_from_db()
    assert organization.multi_factor_auth_required is True
    assert "<strong>Required.</strong>" in response.content.decode()
    assert AuditEvent.objects.filter(
        organization=organization, event_type=AuditEvent.Type.ORG_TWO_FACTOR_AUTH_REQUIRED
    ).exists()


def test_requiring_two_factor_without_it_oneself_is_refused_next_to_the_setting(client, organization, owner):
    client.force_login(owner)

    response = client.post(settings_page(organization), {"multi_factor_auth_required": "on"})

    assert response.status_code >= 400
    page = response.content.decode()
    assert page.count("Nothing was changed.") == 1
    field = page.index('id="id_multi_factor_auth_required"')
    assert page.rfind('class="field field-checkbox field-invalid', 0, field) != -1
    organization.refresh_from_db()
    assert organization.multi_factor_auth_required is False


@pytest.mark.parametrize("role", [roles.ORG_MEMBER, roles.ORG_READ_ONLY, roles.ORG_GROUP_CREATOR])
def test_others_read_the_settings_and_cannot_change_them(client, organization, owner, role):
    person = UserFactory()
    organization_member_add(organization=organization, user=person, roles=[role], actor=owner)
    client.force_login(person)

    page = client.get(settings_page(organization)).content.decode()
    assert "Block support access to infrastructure" in page
    assert "Two-factor authentication" in page
    assert "Only an Organization Owner can change these settings." in page
    assert 'name="restrict_employee_access"' not in page

    client.post(
        settings_page(organization), {"restrict_employee_access": "on", "multi_factor_auth_required": "on"}
    )
    organization.refresh_from_db()
    assert not support_access_restricted(organization)
    assert organization.multi_factor_auth_required is False


def test_another_tenants_settings_are_a_404(client, organization, owner):
    stranger = UserFactory()
    other = organization_create(name="Other", actor=stranger)
    client.force_login(owner)
    assert client.get(settings_page(other)).status_code == 404
    assert client.post(settings_page(other), {"restrict_employee_access": "on"}).status_code == 404
    assert not support_access_restricted(other)
