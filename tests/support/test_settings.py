"""The organization's "Block support access to infrastructure" setting: only its owners change it; every change
is audited; the settings that /orgs/{orgId}/settings changes together change all or none."""

import pytest

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEvent
from accounts.services import organization_member_add
from support.audit import Event as SupportEvent
from support.selectors import organization_settings, support_access_restricted
from support.services import organization_settings_set, support_access_restrict_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Event = AuditEvent.Type


def test_an_organization_does_not_block_support_until_its_owner_says_so(organization):
    assert support_access_restricted(organization) is False


def test_the_owner_blocks_and_unblocks_and_each_change_is_audited(organization, owner):
    setting = support_access_restrict_set(organization=organization, restrict=True, actor=owner)

    assert support_access_restricted(organization) is True
    assert (setting.changed_by, setting.changed_by_email) == (owner, owner.email)
    restricted = AuditEvent.objects.get(event_type=SupportEvent.ORG_EMPLOYEE_ACCESS_RESTRICTED)
    assert (restricted.actor, restricted.organization) == (owner, organization)
    assert restricted.details == {"restrictEmployeeAccess": {"from": False, "to": True}}

    support_access_restrict_set(organization=organization, restrict=False, actor=owner)

    assert support_access_restricted(organization) is False
    assert AuditEvent.objects.filter(event_type=SupportEvent.ORG_EMPLOYEE_ACCESS_UNRESTRICTED).count() == 1


def test_setting_the_same_value_again_records_nothing(organization, owner):
    support_access_restrict_set(organization=organization, restrict=True, actor=owner)
    support_access_restrict_set(organization=organization, restrict=True, actor=owner)
    assert AuditEvent.objects.filter(event_type=SupportEvent.ORG_EMPLOYEE_ACCESS_RESTRICTED).count() == 1


@pytest.mark.parametrize(
    "role", [roles.ORG_MEMBER, roles.ORG_READ_ONLY, roles.ORG_GROUP_CREATOR, roles.ORG_BILLING_ADMIN]
)
def test_only_an_organization_owner_may_change_it(organization, owner, role):
    person = UserFactory()
    organization_member_add(organization=organization, user=person, roles=[role], actor=owner)

    with pytest.raises(ServiceError) as error:
        support_access_restrict_set(organization=organization, restrict=True, actor=person)

    assert error.value.code == "USER_UNAUTHORIZED"
    assert support_access_restricted(organization) is False
    assert not AuditEvent.objects.filter(event_type=SupportEvent.ORG_EMPLOYEE_ACCESS_RESTRICTED).exists()


def test_a_project_owner_may_not_change_it(organization, group_owner):
    with pytest.raises(ServiceError) as error:
        support_access_restrict_set(organization=organization, restrict=True, actor=group_owner)
    assert error.value.code == "USER_UNAUTHORIZED"


def test_a_stranger_learns_nothing(organization):
    with pytest.raises(ServiceError) as error:
        support_access_restrict_set(organization=organization, restrict=True, actor=UserFactory())
    assert error.value.code == "RESOURCE_NOT_FOUND"


def test_both_settings_change_in_one_call(organization, owner):
    settings = organization_settings_set(
        organization=organization, actor=owner, restrict_employee_access=True, api_access_list_required=True
    )

    assert (settings.restrict_employee_access, settings.api_access_list_required) == (True, True)
    organization.refresh_from_db()
    assert organization.api_access_list_required is True
    assert AuditEvent.objects.filter(event_type=Event.ORG_SETTINGS_CHANGED).count() == 1
    assert AuditEvent.objects.filter(event_type=SupportEvent.ORG_EMPLOYEE_ACCESS_RESTRICTED).count() == 1


def test_a_bad_value_changes_neither_setting(organization, owner):
    with pytest.raises(ServiceError) as error:
        organization_settings_set(
            organization=organization,
            actor=owner,
            api_access_list_required=True,
            restrict_employee_access="yes",
        )
    assert error.value.code == "VALIDATION_ERROR"
    organization.refresh_from_db()
    assert organization.api_access_list_required is False
    assert organization_settings(organization).restrict_employee_access is False
    assert not AuditEvent.objects.filter(event_type=Event.ORG_SETTINGS_CHANGED).exists()


def test_changing_nothing_still_needs_the_owner(organization, owner):
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    with pytest.raises(ServiceError) as error:
        organization_settings_set(organization=organization, actor=member)
    assert error.value.code == "USER_UNAUTHORIZED"


def test_an_organization_that_blocked_support_can_still_be_deleted(organization, owner):
    from accounts.models import Organization
    from accounts.services import organization_delete

    support_access_restrict_set(organization=organization, restrict=True, actor=owner)
    organization_delete(organization=organization, actor=owner)
    assert not Organization.objects.filter(pk=organization.pk).exists()
