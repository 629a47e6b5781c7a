"""Two-factor authentication (allauth.mfa: an authenticator app with recovery codes): setting it up, signing in
with it and with a recovery code, its audit events; organizations that require it; staff and the Django admin."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client
from django.urls import reverse

from accounts import roles
from accounts.errors import ServiceError
from accounts.models import AuditEvent, Organization
from accounts.selectors import two_factor_required_by, two_factor_user_ids
from accounts.services import organization_settings_update
from tests.factories import MemberFactory, UserFactory, give_totp, totp_code
from tests.signin import PASSWORD, reauthenticate, sign_in, verified

pytestmark = pytest.mark.django_db
Event = AuditEvent.Type
SETUP = reverse("mfa_activate_totp")


def events(event_type, user=None):
    found = AuditEvent.objects.filter(event_type=event_type)
    return list(found.filter(actor=user) if user else found)


# ---- one's own two-factor -----------------------------------------------------------------------------------------


def test_setting_up_an_authenticator_app_gives_recovery_codes_and_is_audited(client, committed):
    user = verified(UserFactory(email="careful@example.com"))
    sign_in(client, user.email)
    assert client.get(SETUP)["Location"].startswith("/accounts/reauthenticate/")  # the password again, first
    reauthenticate(client)
    page = client.get(SETUP)
    assert page.status_code == 200
    secret = page.context["form"].secret
    html = page.content.decode()
    assert "<svg" in html and "data:image" not in html  # inline QR code: shown under a CSP of 'self'
    assert secret in html

    wrong = committed(client.post, SETUP, {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=user).exists()

    response = committed(client.post, SETUP, {"code": totp_code(secret)})

    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert set(Authenticator.objects.filter(user=user).values_list("type", flat=True)) == {
        "totp",
        "recovery_codes",
    }
    [event] = events(Event.TWO_FACTOR_AUTH_ENABLED, user)
    assert event.details == {"method": "totp"}
    assert len(client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]) == 10


def test_signing_in_with_two_factor_needs_the_code_after_the_password(client):
    user = verified(UserFactory(email="careful@example.com", totp=True))

    response = sign_in(client, user.email)

    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # the password alone signs nobody in
    assert client.get("/accounts/profile/").status_code == 302
    assert client.post(reverse("mfa_authenticate"), {"code": "12345"}).status_code == 200
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(user.totp_secret)})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_recovery_code_signs_in_once_and_is_audited(client, committed):
    user = verified(UserFactory(email="careful@example.com", totp=True))
    code = RecoveryCodes.activate(user).get_unused_codes()[0]

    sign_in(client, user.email)
    committed(client.post, reverse("mfa_authenticate"), {"code": code})

    assert client.session["_auth_user_id"] == str(user.pk)
    [event] = events(Event.TWO_FACTOR_RECOVERY_CODE_USED, user)
    assert event.details == {"codesLeft": 9}
    again = Client()
    sign_in(again, user.email)
    again.post(reverse("mfa_authenticate"), {"code": code})
    assert "_auth_user_id" not in again.session  # used up


def test_turning_two_factor_off_is_audited(client, committed):
    user = verified(UserFactory(email="careful@example.com", totp=True))
    sign_in(client, user.email)
    client.post(reverse("mfa_authenticate"), {"code": totp_code(user.totp_secret)})
    reauthenticate(client)

    response = committed(client.post, reverse("mfa_deactivate_totp"), {})

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=user, type="totp").exists()
    [event] = events(Event.TWO_FACTOR_AUTH_DISABLED, user)
    assert event.details == {"method": "totp"}


def test_who_has_two_factor_is_one_query_for_any_number_of_users(django_assert_num_queries):
    users = [UserFactory() for _ in range(6)]
    for user in users[::2]:
        give_totp(user)
    RecoveryCodes.activate(users[1])  # recovery codes alone are no second factor

    with django_assert_num_queries(1):
        having = two_factor_user_ids(u.pk for u in users)

    assert having == {u.pk for u in users[::2]}


# ---- organizations that require it --------------------------------------------------------------------------------


@pytest.fixture
def member(organization, owner, project):
    return MemberFactory(
        organization=organization,
        actor=owner,
        email="member@example.com",
        project=project,
        project_roles=[roles.GROUP_READ_ONLY],
    )


@pytest.fixture
def requiring(organization, owner):
    give_totp(owner)
    return organization_settings_update(
        organization=organization, actor=owner, multi_factor_auth_required=True
    )


def test_requiring_two_factor_is_audited_and_needs_it_oneself(organization, owner):
    with pytest.raises(ServiceError) as refused:
        organization_settings_update(organization=organization, actor=owner, multi_factor_auth_required=True)
    assert refused.value.code == "TWO_FACTOR_AUTH_NOT_ENABLED"
    assert not Organization.objects.get(pk=organization.pk).multi_factor_auth_required

    give_totp(owner)
    organization_settings_update(organization=organization, actor=owner, multi_factor_auth_required=True)
    organization_settings_update(organization=organization, actor=owner, multi_factor_auth_required=False)

    assert [e.event_type for e in AuditEvent.objects.filter(organization=organization).order_by("id")][
        -2:
    ] == [
        Event.ORG_TWO_FACTOR_AUTH_REQUIRED,
        Event.ORG_TWO_FACTOR_AUTH_OPTIONAL,
    ]


def test_only_an_organization_owner_may_require_two_factor(organization, member):
    give_totp(member)
    with pytest.raises(ServiceError) as refused:
        organization_settings_update(organization=organization, actor=member, multi_factor_auth_required=True)
    assert refused.value.status == 403


def test_a_member_without_two_factor_is_sent_to_set_it_up_before_any_page_of_the_organization(
    client, requiring, member, project
):
    client.force_login(member)

    pages = [f"/orgs/{requiring.public_id}/", f"/orgs/{requiring.public_id}/settings/"]
    pages += [f"/projects/{project.public_id}/", f"/projects/{project.public_id}/clusters/"]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == f"{SETUP}?next={path}"
    assert client.get("/").status_code == 200  # the rest of the portal stays open

    give_totp(member)
    assert client.get(f"/orgs/{requiring.public_id}/").status_code == 200


def test_a_stranger_is_not_told_that_an_organization_requires_two_factor(client, requiring, project):
    client.force_login(UserFactory(email="stranger@example.com"))

    assert client.get(f"/orgs/{requiring.public_id}/").status_code == 404
    assert client.get(f"/projects/{project.public_id}/").status_code == 404
    assert two_factor_required_by(user=UserFactory(), organization_id=requiring.public_id) is None


def test_an_organization_that_does_not_require_it_lets_members_in(client, organization, member):
    client.force_login(member)
    assert client.get(f"/orgs/{organization.public_id}/").status_code == 200


def test_the_settings_page_and_the_api_show_and_change_the_requirement(client, organization, owner):
    give_totp(owner)
    client.force_login(owner)
    page = client.get(f"/orgs/{organization.public_id}/settings/").content.decode()
    assert "Require two-factor authentication" in page

    client.post(
        f"/orgs/{organization.public_id}/settings/",
        {"multi_factor_auth_required": "on", "restrict_employee_access": "", "api_access_list_required": ""},
    )
    assert Organization.objects.get(pk=organization.pk).multi_factor_auth_required

    api = client.get(f"/api/atlas/v2/orgs/{organization.public_id}/settings").json()
    assert api["multiFactorAuthRequired"] is True
    client.patch(
        f"/api/atlas/v2/orgs/{organization.public_id}/settings",
        data={"multiFactorAuthRequired": False},
        content_type="application/json",
    )
    assert not Organization.objects.get(pk=organization.pk).multi_factor_auth_required


def test_an_owner_without_two_factor_gets_a_clear_refusal_from_the_api(client, organization, owner):
    client.force_login(owner)
    response = client.patch(
        f"/api/atlas/v2/orgs/{organization.public_id}/settings",
        data={"multiFactorAuthRequired": True},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["errorCode"] == "TWO_FACTOR_AUTH_NOT_ENABLED"


# ---- staff and the Django admin ---------------------------------------------------------------------------------


def test_staff_without_two_factor_cannot_open_the_admin(client):
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    client.force_login(staff)

    for path in ("/admin/", "/admin/accounts/organization/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"{SETUP}?next={path}"

    give_totp(staff)
    assert client.get("/admin/").status_code == 200


def test_the_admin_signs_in_through_the_portals_sign_in_page(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_staff_sign_in_to_the_admin_with_their_code(client):
    staff = verified(UserFactory(email="staff@example.com", is_staff=True, is_superuser=True, totp=True))

    response = client.post("/accounts/login/?next=/admin/", {"login": staff.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(staff.totp_secret)})

    assert response["Location"] == "/admin/"
    assert re.search(r"accessportal staff", client.get("/admin/").content.decode())
