"""Sign-in pages (django-allauth in our layout): registration with a verified address, sign-in by email,
password reset from the emailed link, password and email changes, the profile and its time zone, the sessions
list, the welcome page; every email through the outbox."""

import re
from datetime import UTC, datetime

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accounts import roles
from accounts.models import Invitation, JoinRequest, OrganizationMembership, OutboundEmail, User
from accounts.services.invitations import organization_invitations_create
from accounts.services.join_requests import join_asks_process
from accounts.views.home import join_asked_message
from tests.factories import UserFactory
from tests.signin import PASSWORD, link_in, sign_in, verified

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Tr1cky-Passphrase-42"


@pytest.fixture(autouse=True)
def _portal(settings):
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    settings.SIGNUP_OPEN = True


def register(client, committed, email="newcomer@example.com"):
    return committed(
        client.post,
        "/accounts/signup/",
        {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def test_registration_confirms_the_address_by_an_emailed_link_then_signs_in(client, committed):
    response = register(client, committed)

    assert response.status_code == 302
    user = User.objects.get(email="newcomer@example.com")
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in client.session  # nobody is signed in before the address is confirmed
    [message] = mail.outbox
    assert message.to == ["newcomer@example.com"]
    assert message.subject == "accessportal: Confirm your email address"
    row = OutboundEmail.objects.get(to="newcomer@example.com")
    assert row.template == "accounts/email/signin/email_confirmation"
    assert row.status == OutboundEmail.Status.SENT
    assert "link_path" not in row.context  # the link is a secret: never stored on the row
    link = link_in(message)
    assert link.startswith("/accounts/confirm-email/")

    assert client.get(link).status_code == 200  # a page with a button: no change on GET
    assert not EmailAddress.objects.get(user=user).verified
    response = client.post(link)

    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)
    assert response["Location"] == "/welcome/"  # no organization yet


def test_a_registered_address_can_sign_in_with_its_password_once_verified(client, committed):
    register(client, committed)
    client.post(link_in(mail.outbox[0]))
    client.post("/accounts/logout/")

    other = Client()
    response = sign_in(other, "newcomer@example.com", NEW_PASSWORD)

    assert response.status_code == 302
    assert "_auth_user_id" in other.session


def test_signing_in_before_confirming_gives_no_session(client, committed):
    register(client, committed)
    other = Client()

    response = committed(sign_in, other, "newcomer@example.com", NEW_PASSWORD)

    assert response["Location"] == "/accounts/confirm-email/"  # "we sent you a link"
    assert "_auth_user_id" not in other.session


def test_registration_is_closed_by_signup_open_false(client, settings, committed):
    settings.SIGNUP_OPEN = False

    page = client.get("/accounts/signup/")
    register(client, committed)

    assert "closed" in page.content.decode().lower()
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_an_invitation_link_still_signs_up_its_invitee_with_signup_closed(
    settings, organization, owner, committed
):
    """The link proves the address: the new account signs in later without a confirmation email."""
    settings.SIGNUP_OPEN = False
    committed(
        organization_invitations_create,
        organization=organization,
        emails=["invitee@example.com"],
        actor=owner,
    )
    link = link_in(mail.outbox[-1])

    response = Client().post(link, {"first_name": "Ada", "last_name": "L", "password": NEW_PASSWORD})

    assert response.status_code == 302
    user = User.objects.get(email="invitee@example.com")
    assert EmailAddress.objects.filter(user=user, verified=True, primary=True).exists()
    later = Client()
    assert sign_in(later, "invitee@example.com", NEW_PASSWORD)["Location"] == "/"
    assert "_auth_user_id" in later.session


def test_sign_in_pages_use_the_portal_layout(client):
    page = client.get("/accounts/login/").content.decode()

    assert re.search(r"<title>\s*Sign In\s*· accessportal</title>", page)
    assert 'name="login"' in page and 'name="password"' in page


def test_the_old_addresses_of_the_password_pages_lead_to_the_new_ones(client):
    assert client.get("/accounts/password_reset/")["Location"] == "/accounts/password/reset/"
    assert client.get("/accounts/password_change/")["Location"] == "/accounts/password/change/"


def test_a_forgotten_password_is_reset_from_the_emailed_link(client, committed):
    user = verified(UserFactory(email="forgetful@example.com"))

    committed(client.post, "/accounts/password/reset/", {"email": "Forgetful@example.com"})

    [message] = mail.outbox
    assert message.subject == "accessportal: Reset your password"
    row = OutboundEmail.objects.get(to="forgetful@example.com")
    assert "link_path" not in row.context
    key_page = client.get(link_in(message))
    assert key_page.status_code == 302  # allauth keeps the key in the session, off the address bar
    form_page = client.get(key_page["Location"])
    assert form_page.status_code == 200
    response = committed(
        client.post, key_page["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302

    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert sign_in(Client(), "forgetful@example.com", NEW_PASSWORD).status_code == 302
    assert sign_in(Client(), "forgetful@example.com", PASSWORD).status_code == 200  # the old one: refused
    assert mail.outbox[-1].subject == "accessportal: Security notice for your account"


def test_a_signed_in_person_changes_their_password(client, committed):
    user = verified(UserFactory(email="changer@example.com"))
    sign_in(client, user.email)

    response = committed(
        client.post,
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert "_auth_user_id" in client.session  # still signed in here
    [notice] = mail.outbox
    assert "The password of your account was changed." in notice.body


def test_a_wrong_current_password_changes_nothing(client):
    user = verified(UserFactory(email="changer@example.com"))
    sign_in(client, user.email)

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "not it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_new_email_address_replaces_the_old_one_only_once_verified(client, committed):
    user = verified(UserFactory(email="old@example.com"))
    sign_in(client, user.email)

    committed(client.post, "/accounts/email/", {"action_add": "", "email": "new@example.com"})

    user.refresh_from_db()
    assert user.email == "old@example.com"
    confirmation = next(m for m in mail.outbox if m.to == ["new@example.com"])
    client.post(link_in(confirmation))
    user.refresh_from_db()
    assert user.email == "new@example.com"
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified", "primary")) == [
        ("new@example.com", True, True)
    ]


def test_the_profile_sets_names_and_the_time_zone_pages_show_times_in(client, organization, owner, committed):
    committed(
        organization_invitations_create, organization=organization, emails=["x@example.com"], actor=owner
    )
    link = link_in(mail.outbox[-1])
    Invitation.objects.update(expires_at=datetime(2030, 1, 2, 3, 4, tzinfo=UTC))
    person = verified(UserFactory(email="traveller@example.com"))
    client.force_login(person)
    assert "2030-01-02 03:04 UTC" in client.get(link).content.decode()

    response = client.post(
        "/accounts/profile/", {"first_name": "Tove", "last_name": "Jansson", "time_zone": "Asia/Tokyo"}
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.first_name, person.last_name, person.time_zone) == ("Tove", "Jansson", "Asia/Tokyo")
    assert "2030-01-02 12:04 JST" in client.get(link).content.decode()
    assert "2030-01-02 03:04 UTC" in Client().get(link).content.decode()  # the anonymous visitor: UTC


def test_an_unknown_time_zone_is_a_form_error(client):
    person = verified(UserFactory(email="traveller@example.com"))
    client.force_login(person)

    response = client.post(
        "/accounts/profile/", {"first_name": "", "last_name": "", "time_zone": "Mars/Olympus"}
    )

    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    person.refresh_from_db()
    assert person.time_zone == "UTC"


def test_sessions_are_listed_and_the_others_can_be_signed_out(client):
    user = verified(UserFactory(email="roamer@example.com"))
    laptop, phone = client, Client()
    sign_in(laptop, user.email)
    sign_in(phone, user.email)

    page = laptop.get("/accounts/sessions/")
    assert page.status_code == 200
    assert len(page.context["sessions"]) == 2

    laptop.post("/accounts/sessions/", {})

    assert laptop.get("/accounts/profile/").status_code == 200
    assert phone.get("/accounts/profile/").status_code == 302  # signed out there


def test_a_newcomer_creates_an_organization_and_owns_it(client):
    person = verified(UserFactory(email="founder@example.com"))
    client.force_login(person)

    response = client.post("/welcome/", {"action": "create", "create-name": "Initech"})

    membership = OrganizationMembership.objects.get(user=person)
    assert membership.organization.name == "Initech"
    assert membership.role_names == [roles.ORG_OWNER]
    assert response["Location"] == f"/orgs/{membership.organization.public_id}/"


def test_a_newcomer_asks_to_join_a_project_by_its_id(client, project):
    person = verified(UserFactory(email="joiner@example.com"))
    client.force_login(person)

    known = client.post(
        "/welcome/",
        {"action": "join", "join-project_id": project.public_id, "join-message": "hi"},
        follow=True,
    )
    unknown = client.post("/welcome/", {"action": "join", "join-project_id": "0" * 24}, follow=True)
    join_asks_process()

    request = JoinRequest.objects.get(user=person)
    assert (request.project, request.message) == (project, "hi")
    # The answer is the same for a project and for an id that names nothing (issue 11: no existence oracle).
    assert join_asked_message(project.public_id) in known.content.decode()
    assert join_asked_message("0" * 24) in unknown.content.decode()


def test_signing_in_without_an_organization_leads_to_the_welcome_page(client, owner, organization):
    newcomer = verified(UserFactory(email="solo@example.com"))
    verified(owner)

    assert sign_in(client, newcomer.email)["Location"] == "/welcome/"
    assert sign_in(Client(), owner.email)["Location"] == "/"
