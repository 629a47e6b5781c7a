"""The organization's Users tab and the home page in a real browser: an owner invites a person who accepts in a
second browser and appears; a member's roles are changed and a member removed; the last owner is refused in
place; the pages pass axe-core and fit the window at 1280 and 390 pixels."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts import roles
from accounts.models import OrganizationMembership
from accounts.services.invitations import organization_invitations_create
from tests.browser.conftest import check_page
from tests.factories import UserFactory
from tests.signin import verified

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def users_tab(organization):
    return f"/orgs/{organization.public_id}/"


def roles_of(organization, email):
    return OrganizationMembership.objects.get(organization=organization, user__email=email).role_names


def test_an_owner_invites_a_person_who_accepts_in_another_browser_and_appears(page, signed_in, demo):
    acme = demo["acme"]
    owner = signed_in(demo["alice"])
    owner.goto(users_tab(acme))
    check_page(owner)

    owner.get_by_text("Invite users").click()
    invite = owner.locator("form", has=owner.get_by_role("button", name="Send invitations"))
    invite.get_by_label("Email addresses").fill("not an address")
    invite.get_by_role("button", name="Send invitations").click()
    expect(owner.locator(".field-invalid")).to_contain_text("Not an email address")  # once, by the field
    expect(owner.get_by_text("Not an email address")).to_have_count(1)
    check_page(owner, screenshot="users-invite")
    invite.get_by_label("Email addresses").fill("kim@acme.example, lee@acme.example")
    invite.get_by_label("Organization Read Only").check()
    invite.get_by_label("Platform").check()
    invite.get_by_role("button", name="Send invitations").click()
    expect(owner.get_by_role("status")).to_have_text("Invitation sent to kim@acme.example, lee@acme.example.")
    expect(owner.get_by_role("row", name=re.compile("kim@acme.example"))).to_contain_text(
        "Organization Read Only"
    )

    body = next(message.body for message in reversed(mail.outbox) if "kim@acme.example" in message.to)
    link = re.search(r"https?://[^/]+(/invitations/[^/\s]+/)", body).group(1)
    page.goto(link)  # the invitee, in a browser of their own
    page.get_by_label("First name").fill("Kim")
    page.get_by_label("Last name").fill("Kang")
    page.get_by_label("Password").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Sign up and accept").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome to Acme Corp")

    owner.get_by_label("Search users by name or email").fill("kim")
    owner.get_by_role("button", name="Search").click()
    members = owner.get_by_role("region", name="Members")
    row = members.get_by_role("row", name=re.compile("kim@acme.example"))
    expect(row).to_contain_text("Kim Kang")
    expect(row).to_contain_text("Organization Read Only")
    expect(row).to_contain_text("Platform")
    expect(owner.get_by_role("region", name="Pending")).not_to_contain_text("kim@acme.example")
    check_page(owner)


def test_a_role_is_changed_a_member_removed_and_the_last_owner_refused_in_place(signed_in, demo):
    acme = demo["acme"]
    page = signed_in(demo["alice"])
    page.goto(users_tab(acme))

    row = page.get_by_role("row", name=re.compile("dave@acme.example"))
    row.get_by_text("Change roles").click()
    row.get_by_label("Organization Member").uncheck()
    row.get_by_label("Organization Read Only").check()
    check_page(page)  # with a roles form open
    row.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("status")).to_have_text("dave@acme.example's roles were changed.")
    expect(
        page.get_by_role("row", name=re.compile("dave@acme.example")).get_by_role("cell").nth(1)
    ).to_have_text("Organization Read Only")
    assert roles_of(acme, "dave@acme.example") == [roles.ORG_READ_ONLY]

    page.get_by_role("row", name=re.compile("ivy@acme.example")).get_by_role("link", name="Remove").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove Ivy Ito from Acme Corp?")
    expect(page.get_by_role("listitem").filter(has_text="Organization roles")).to_have_text(
        "Organization roles: Organization Member"
    )
    check_page(page, screenshot="confirm-remove-member")
    page.get_by_role("button", name="Remove member").click()
    expect(page.get_by_role("status")).to_have_text("ivy@acme.example was removed from Acme Corp.")
    expect(page.get_by_role("region", name="Members")).not_to_contain_text("ivy@acme.example")
    assert not OrganizationMembership.objects.filter(
        organization=acme, user__email="ivy@acme.example"
    ).exists()

    row = page.get_by_role("row", name=re.compile("alice@acme.example"))  # the only owner
    row.get_by_text("Change roles").click()
    row.get_by_label("Organization Owner").uncheck()
    row.get_by_label("Organization Member").check()
    row.get_by_role("button", name="Save roles").click()
    # In place: the row's form, still open, says why (htmx swapped only the row).
    expect(row.get_by_role("group", name="Organization roles")).to_contain_text(
        "is the last Organization Owner of Acme Corp"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Access Manager")
    check_page(page, screenshot="member-last-owner")

    row.get_by_role("link", name="Remove").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leave Acme Corp?")
    page.get_by_role("button", name="Leave organization").click()
    expect(page.get_by_role("alert")).to_contain_text("is the last Organization Owner of Acme Corp")
    expect(page.get_by_role("button", name="Leave organization")).to_be_visible()  # the same page, still
    check_page(page)
    assert roles_of(acme, "alice@acme.example") == [roles.ORG_OWNER]


def test_revoking_an_invitation_asks_first(signed_in, demo):
    acme = demo["acme"]
    page = signed_in(demo["alice"])
    page.goto(users_tab(acme))
    page.get_by_role("row", name=re.compile("frank@acme.example")).get_by_role("link", name="Revoke").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke the invitation to frank@acme.example?")
    check_page(page)
    page.get_by_role("button", name="Revoke invitation").click()
    expect(page.get_by_role("status")).to_have_text("The invitation to frank@acme.example was revoked.")
    expect(page.get_by_role("region", name="Pending")).not_to_contain_text("frank@acme.example")


def test_the_home_page_lists_invitations_with_accept(signed_in, demo):
    person = verified(UserFactory(email="judy@partner.example", first_name="Judy", last_name="Jones"))
    organization_invitations_create(organization=demo["acme"], emails=[person.email], actor=demo["alice"])
    page = signed_in(person)
    page.goto("/")
    invitations = page.get_by_role("region", name="Invitations for you")
    expect(invitations).to_contain_text("Acme Corp")
    check_page(page, screenshot="home-invitations")
    invitations.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_have_text("Welcome to Acme Corp.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Access Manager")

    page.goto("/")
    expect(page.get_by_role("link", name="Acme Corp", exact=True).first).to_be_visible()
    check_page(page)


def test_the_users_tab_works_without_javascript(signed_in, demo):
    acme = demo["acme"]
    page = signed_in(demo["alice"], java_script_enabled=False)
    page.goto(users_tab(acme))
    row = page.get_by_role("row", name=re.compile("carol@acme.example"))
    row.get_by_text("Change roles").click()
    row.get_by_label("Organization Project Creator").check()
    row.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("status")).to_have_text("carol@acme.example's roles were changed.")
    assert roles.ORG_GROUP_CREATOR in roles_of(acme, "carol@acme.example")

    row = page.get_by_role(
        "row", name=re.compile("alice@acme.example")
    )  # the last owner: the member page says
    row.get_by_text("Change roles").click()
    row.get_by_label("Organization Owner").uncheck()
    row.get_by_label("Organization Member").check()
    row.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alice Anderson")
    expect(page.get_by_role("group", name="Organization roles")).to_contain_text("last Organization Owner")
