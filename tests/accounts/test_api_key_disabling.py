"""Staff disable an API key and enable it again (accounts.services.staff.api_key_disable / api_key_enable): only
staff who may change API keys (Portal administrators, superusers), each change audited in the key's
organization, atomic, a second disable or enable a no-op; a disabled key's pending invitations are revoked; the
organization's pages show the key disabled by provider staff, with the reason, at the same query cost."""

from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import ApiKey, AuditEvent, Invitation
from accounts.services import staff as staff_services
from accounts.services.invitations import organization_invitations_create
from staff.roles import AUDITORS, PORTAL_ADMINISTRATORS, SUPPORT_ENGINEERS
from tests.accounts.test_pages_api_keys import _queries, key_url, keys_url, make_key, project_keys_url
from tests.factories import UserFactory
from tests.staff.test_roles import staff_in

pytestmark = pytest.mark.django_db
Event = AuditEvent.Type


@pytest.fixture
def api_key(organization, owner):
    return make_key(organization, owner, "Deploy bot", [roles.ORG_OWNER])


@pytest.fixture
def administrator(db):
    return staff_in(PORTAL_ADMINISTRATORS, email="admin@provider.example")


def _stored(api_key) -> ApiKey:
    return ApiKey.objects.get(pk=api_key.pk)


# ---- who may ----------------------------------------------------------------------------------------------------


def test_a_portal_administrator_disables_a_key_and_it_is_audited_in_its_organization(
    api_key, administrator, organization
):
    staff_services.api_key_disable(api_key=api_key, actor=administrator, reason="  leaked in a public repo ")

    stored = _stored(api_key)
    assert stored.is_disabled and stored.disabled_by == administrator
    assert stored.disabled_reason == "leaked in a public repo"
    event = AuditEvent.objects.get(event_type=Event.API_KEY_DISABLED)
    assert event.organization == organization and event.actor == administrator
    assert event.actor_email == "admin@provider.example"
    assert event.target_type == "api_key" and event.target_id == api_key.public_id
    assert event.details == {
        "publicKey": api_key.public_key,
        "reason": "leaked in a public repo",
        "invitationsRevoked": [],
    }


@pytest.mark.parametrize(
    "who",
    ["organization owner", AUDITORS, SUPPORT_ENGINEERS, "staff without a role", "inactive administrator"],
)
def test_only_staff_who_may_change_api_keys_disable_or_enable_one(api_key, owner, organization, who):
    actor = {
        "organization owner": lambda: owner,
        AUDITORS: lambda: staff_in(AUDITORS),
        SUPPORT_ENGINEERS: lambda: staff_in(SUPPORT_ENGINEERS),
        "staff without a role": lambda: UserFactory(is_staff=True),
        "inactive administrator": lambda: staff_in(PORTAL_ADMINISTRATORS, is_active=False),
    }[who]()

    with pytest.raises(ServiceError) as refused:
        staff_services.api_key_disable(api_key=api_key, actor=actor, reason="abuse")
    assert refused.value.code == "USER_UNAUTHORIZED" and refused.value.status == 403
    assert not _stored(api_key).is_disabled

    staff_services.api_key_disable(api_key=api_key, actor=None, reason="abuse")  # the system may
    with pytest.raises(ServiceError) as refused:
        staff_services.api_key_enable(api_key=api_key, actor=actor)
    assert refused.value.code == "USER_UNAUTHORIZED"
    assert _stored(api_key).is_disabled
    assert not AuditEvent.objects.filter(event_type=Event.API_KEY_ENABLED).exists()


def test_an_organization_owner_who_is_staff_without_the_permission_is_still_refused(api_key, owner):
    owner.is_staff = True
    owner.save()
    with pytest.raises(ServiceError):
        staff_services.api_key_disable(api_key=api_key, actor=owner, reason="mine")


def test_a_superuser_may(api_key, admin_user):
    staff_services.api_key_disable(api_key=api_key, actor=admin_user, reason="abuse")
    staff_services.api_key_enable(api_key=api_key, actor=admin_user)
    assert not _stored(api_key).is_disabled


# ---- what it does -----------------------------------------------------------------------------------------------


def test_a_reason_is_needed_and_must_be_plain_text(api_key, administrator):
    for reason, says in (
        ("", "Say why"),
        ("   ", "Say why"),
        ("x" * 501, "at most 500"),
        ("a\u202eb", "bidi"),
    ):
        with pytest.raises(ServiceError) as refused:
            staff_services.api_key_disable(api_key=api_key, actor=administrator, reason=reason)
        assert refused.value.code == "VALIDATION_ERROR", reason
        assert refused.value.parameters["field"] == "reason"
        assert says in refused.value.message
    assert not _stored(api_key).is_disabled
    assert not AuditEvent.objects.filter(event_type=Event.API_KEY_DISABLED).exists()


def test_disabling_twice_keeps_the_first_reason_and_records_once(api_key, administrator):
    staff_services.api_key_disable(api_key=api_key, actor=administrator, reason="first")
    again = staff_services.api_key_disable(api_key=api_key, actor=administrator, reason="second")

    assert again.disabled_reason == "first"
    assert _stored(api_key).disabled_reason == "first"
    assert AuditEvent.objects.filter(event_type=Event.API_KEY_DISABLED).count() == 1


def test_enabling_a_key_that_is_not_disabled_changes_and_records_nothing(api_key, administrator):
    staff_services.api_key_enable(api_key=api_key, actor=administrator)
    assert not AuditEvent.objects.filter(event_type=Event.API_KEY_ENABLED).exists()


def test_enabling_gives_back_what_the_key_held_and_records_the_disablement_it_ends(
    api_key, administrator, organization, project, owner
):
    from accounts.services.api_keys import api_key_access_list_add, api_key_project_assign

    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    api_key_access_list_add(api_key=api_key, entries=["203.0.113.0/24"], actor=owner)
    staff_services.api_key_disable(api_key=api_key, actor=administrator, reason="investigating")
    disabled_at = _stored(api_key).disabled_at

    staff_services.api_key_enable(api_key=api_key, actor=administrator, reason="customer rotated it")

    stored = _stored(api_key)
    assert (stored.disabled_at, stored.disabled_by, stored.disabled_reason) == (None, None, "")
    assert stored.user.organization_memberships.get().role_names == [roles.ORG_OWNER]
    assert stored.user.project_memberships.get().project == project
    assert list(stored.access_list.values_list("cidr_block", flat=True)) == ["203.0.113.0/24"]
    event = AuditEvent.objects.get(event_type=Event.API_KEY_ENABLED)
    assert event.organization == organization and event.actor == administrator
    assert event.details == {
        "publicKey": api_key.public_key,
        "disabledAt": disabled_at.isoformat(),
        "disabledReason": "investigating",
        "reason": "customer rotated it",
    }


def test_a_disabled_keys_pending_invitations_are_revoked_and_stay_revoked(
    api_key, administrator, organization
):
    by_key = organization_invitations_create(
        organization=organization, emails=["friend@example.com"], actor=api_key.user
    )[0]

    staff_services.api_key_disable(api_key=api_key, actor=administrator, reason="abuse")
    by_key.refresh_from_db()
    assert by_key.status == Invitation.Status.REVOKED
    event = AuditEvent.objects.get(event_type=Event.API_KEY_DISABLED)
    assert event.details["invitationsRevoked"] == ["friend@example.com"]
    revoked = AuditEvent.objects.get(event_type=Event.ORG_INVITATION_DELETED)
    assert revoked.actor == administrator and "disabled" in revoked.details["reason"]

    staff_services.api_key_enable(api_key=api_key, actor=administrator)
    by_key.refresh_from_db()
    assert by_key.status == Invitation.Status.REVOKED


def test_disabling_is_atomic(api_key, administrator, organization):
    """A failure while recording leaves the key usable and its invitations pending."""
    pending = organization_invitations_create(
        organization=organization, emails=["friend@example.com"], actor=api_key.user
    )[0]

    failing = mock.patch.object(staff_services, "audit_event_record", side_effect=RuntimeError("audit down"))
    with failing, pytest.raises(RuntimeError):
        staff_services.api_key_disable(api_key=api_key, actor=administrator, reason="abuse")

    assert not _stored(api_key).is_disabled
    pending.refresh_from_db()
    assert pending.status == Invitation.Status.PENDING
    assert not AuditEvent.objects.filter(event_type=Event.ORG_INVITATION_DELETED).exists()


def test_the_database_refuses_a_disabled_key_without_a_reason(api_key):
    from django.utils import timezone

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.filter(pk=api_key.pk).update(disabled_at=timezone.now())


# ---- what the organization sees ---------------------------------------------------------------------------------


def test_the_customer_pages_show_a_key_disabled_by_provider_staff(
    client, api_key, administrator, organization, owner, project
):
    from accounts.services.api_keys import api_key_project_assign

    api_key_project_assign(api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner)
    other = make_key(organization, owner, "Still fine")
    client.force_login(owner)
    assert "Disabled by provider staff" not in client.get(keys_url(organization)).content.decode()

    staff_services.api_key_disable(api_key=api_key, actor=administrator, reason="leaked in a public repo")

    listed = client.get(keys_url(organization)).content.decode()
    assert listed.count("Disabled by provider staff") == 1
    row = listed.split(api_key.public_key)[0].rsplit("<tr>", 1)[1]
    assert "Disabled by provider staff" in row and other.description not in row
    detail = client.get(key_url(api_key)).content.decode()
    assert "Disabled by provider staff" in detail and "leaked in a public repo" in detail
    assert 'role="status"' in detail
    assert 'value="enable"' not in detail and "Enable" not in detail  # customers cannot enable it
    assert "Disabled by provider staff" in client.get(project_keys_url(project)).content.decode()
    activity = client.get(f"/orgs/{organization.public_id}/activity/").content.decode()
    assert "API key disabled by provider staff" in activity


def test_the_lists_cost_the_same_queries_with_a_disabled_key(
    client, api_key, administrator, organization, owner
):
    client.force_login(owner)
    before = _queries(client, keys_url(organization))
    staff_services.api_key_disable(api_key=api_key, actor=administrator, reason="abuse")
    assert _queries(client, keys_url(organization)) == before


def test_an_organization_owner_cannot_enable_their_key_from_their_pages(
    client, api_key, administrator, owner
):
    staff_services.api_key_disable(api_key=api_key, actor=administrator, reason="abuse")
    client.force_login(owner)
    # every form of the key's page leaves it disabled
    for action in ("edit", "assign", "access", "enable"):
        client.post(
            key_url(api_key), {"action": action, "edit-description": "renamed", "edit-roles": ["ORG_OWNER"]}
        )
    assert _stored(api_key).is_disabled


def test_the_activity_names_the_new_events_in_words():
    from accounts.views.activity import event_label

    assert event_label(Event.API_KEY_DISABLED) == "API key disabled by provider staff"
    assert event_label(Event.API_KEY_ENABLED) == "API key enabled again by provider staff"
