"""Every existing page in a real browser, at 1280 and 390 pixels: axe-core finds no critical, serious or moderate
violation, no page is wider than the window, nothing inline (CSP), no error in the console; the layout's
navigation, messages, confirmation and error pages; htmx swaps a list's page and the page works without it."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Invitation, Organization
from tests.browser.conftest import check_page
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_home_page(signed_in, demo):
    page = signed_in(demo["alice"])
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organizations")
    expect(page.get_by_role("link", name="Acme Corp", exact=True)).to_be_visible()
    check_page(page, screenshot="home")


def test_the_organization_pages(signed_in, demo):
    acme = demo["acme"]
    page = signed_in(demo["alice"])

    page.goto(f"/orgs/{acme.public_id}/")
    tabs = page.get_by_role("navigation", name="Acme Corp (organization)")
    expect(tabs.get_by_role("link")).to_have_text(
        ["Users", "Teams", "Projects", "API Keys", "Monitoring", "Activity", "Settings"]
    )
    expect(tabs.get_by_role("link", name="Users")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Acme Corp")
    expect(page.get_by_text("email bounced")).to_be_visible()
    expect(page.get_by_role("cell", name="Organization Owner", exact=True)).to_be_visible()  # not ORG_OWNER
    check_page(page, screenshot="organization-users")

    tabs.get_by_role("link", name="Monitoring").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring")
    expect(page.get_by_role("cell", name="ops-monitor@acme.example").first).to_be_visible()
    check_page(page)

    page.get_by_role("navigation", name="Acme Corp (organization)").get_by_role(
        "link", name="Settings"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    check_page(page)

    page.get_by_role("link", name="Support staff's access log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support access log")
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    expect(crumbs.get_by_role("listitem")).to_have_text(["Acme Corp", "Settings", "Support access log"])
    check_page(page)


def test_the_project_pages(signed_in, demo):
    production = demo["production"]
    page = signed_in(demo["bob"])

    page.goto(f"/projects/{production.public_id}/")
    tabs = page.get_by_role("navigation", name="Production (project)")
    expect(tabs.get_by_role("link")).to_have_text(["Access", "Clusters", "Monitoring", "Activity"])
    expect(page.get_by_role("navigation", name="Breadcrumb").get_by_role("listitem")).to_have_text(
        ["Acme Corp", "Production", "Access"]
    )
    expect(page.get_by_text("requests to join", exact=True)).to_be_visible()
    check_page(page, screenshot="project-access")

    tabs.get_by_role("link", name="Clusters").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clusters")
    expect(page.get_by_text(re.compile(r"expires in \d+ h"))).to_be_visible()
    check_page(page, screenshot="project-clusters")
    page.get_by_role("link", name="Grant access to prod-reporting").click()  # the cluster's grant page
    expect(page.get_by_role("heading", level=1)).to_have_text("Grant support access to prod-reporting")
    check_page(page)

    page.get_by_role("navigation", name="Production (project)").get_by_role("link", name="Monitoring").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring groups")
    check_page(page)

    page.get_by_role("link", name=re.compile("^mongolab_")).first.click()
    expect(page.get_by_role("heading", level=2, name="Members")).to_be_visible()
    check_page(page)


def test_a_cluster_without_monitoring(signed_in, demo):
    data_lake = demo["acme"].projects.get(name="Data Lake")
    page = signed_in(demo["alice"])
    page.goto(f"/projects/{data_lake.public_id}/clusters/scratch/monitoring/")
    expect(page.get_by_role("status")).to_contain_text("Not available for Sandbox")
    check_page(page)


def test_a_form_refusal_shows_once_next_to_what_it_refers_to(signed_in, demo):
    page = signed_in(demo["alice"])
    page.goto(f"/orgs/{demo['acme'].public_id}/monitoring/")
    page.get_by_label("Monitoring user name").fill("newcomer")  # not an address, and no email given
    page.get_by_role("button", name="Attach").click()
    email = page.get_by_label("Email address")
    expect(page.locator(".field", has=email).locator(".errorlist")).to_contain_text("give its email address")
    expect(page.get_by_text(re.compile("give its email address"))).to_have_count(1)
    expect(email).to_have_attribute("aria-invalid", "true")
    check_page(page)

    page.get_by_label("Monitoring user name").fill("ops-monitor@acme.example")  # refused as a whole
    page.get_by_role("button", name="Attach").click()
    expect(page.locator(".form-errors")).to_have_attribute("role", "alert")
    expect(page.locator(".form-errors")).to_contain_text("is already attached to Acme Corp")
    expect(page.get_by_text(re.compile("already attached"))).to_have_count(1)
    check_page(page)


def test_the_offboarding_confirmation_asks_first_and_cancel_leads_back(signed_in, demo):
    acme, dave = demo["acme"], demo["dave"]
    page = signed_in(demo["alice"])
    page.goto(f"/orgs/{acme.public_id}/monitoring/")
    page.get_by_role("row", name=re.compile(dave.email)).get_by_role(
        "link", name=re.compile("^Offboard")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Offboard {dave.email}")
    expect(page.get_by_role("button", name="Offboard")).to_have_class(re.compile("button-danger"))
    check_page(page, screenshot="confirm-offboard")

    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(re.compile(f"/orgs/{acme.public_id}/monitoring/$"))
    assert acme.memberships.filter(user=dave).exists()


def test_messages_are_styled_by_kind_with_their_role(signed_in, demo):
    acme = demo["acme"]
    invitation = Invitation.objects.get(organization=acme, email="frank@acme.example")
    page = signed_in(demo["alice"])
    page.goto(f"/orgs/{acme.public_id}/")
    page.get_by_role("row", name=re.compile("frank@acme.example")).get_by_role(
        "button", name="Resend"
    ).click()
    expect(page.get_by_role("status")).to_have_text(f"The invitation to {invitation.email} was sent again.")
    expect(page.get_by_role("status")).to_have_class(re.compile("message-success"))
    check_page(page)

    page.goto(f"/projects/{demo['production'].public_id}/clusters/")
    page.get_by_role("row", name=re.compile("prod-main")).get_by_role("link", name="Revoke access").click()
    page.get_by_role("button", name="Revoke access").click()  # the confirmation page
    expect(page.get_by_role("status")).to_contain_text("was revoked")
    check_page(page)


def test_the_organization_switcher_and_the_person_menu_work_without_javascript(signed_in, demo):
    globex = Organization.objects.get(name="Globex")
    hank = globex.memberships.get(user__email="hank@globex.example").user
    from accounts.services import organization_member_add

    organization_member_add(organization=demo["acme"], user=hank, actor=demo["alice"])
    page = signed_in(hank, java_script_enabled=False)
    page.goto(f"/orgs/{globex.public_id}/")
    switcher = page.get_by_role("navigation", name="Organizations and account")
    switcher.get_by_text("Organization: Globex").click()  # a <details> menu: opens without JavaScript
    switcher.get_by_role("link", name="Acme Corp").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access Manager")
    expect(page.locator(".subtitle")).to_have_text(
        "Acme Corp"
    )  # (check_page needs JavaScript: axe runs in it)

    page.get_by_text(f"Account: {hank.email}").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/accounts/login/"))


def test_the_login_page_and_signing_in(page, demo):
    page.goto("/")
    expect(page).to_have_url(re.compile("/accounts/login/"))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("sign in", re.I))
    check_page(page, screenshot="login")
    page.get_by_label("Email").fill("alice@acme.example")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_text("are not correct")).to_be_visible()
    check_page(page)
    page.get_by_label("Password").fill("accessportal-demo")
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organizations")


def test_the_invitation_pages(page, signed_in, demo):
    from accounts.services.invitations import organization_invitations_create

    organization_invitations_create(
        organization=demo["acme"], emails=["kim@acme.example"], actor=demo["alice"]
    )
    link = re.search(r"https?://[^/]+(/invitations/[^/\s]+/)", mail.outbox[-1].body).group(1)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Acme Corp")
    check_page(page, screenshot="invitation")
    page.get_by_label("First name").fill("Kim")
    page.get_by_label("Last name").fill("Kang")
    page.get_by_label("Password").fill("12345678")  # long enough, too common
    page.get_by_role("button", name="Sign up and accept").click()
    expect(page.locator(".field-invalid")).to_have_count(1)
    check_page(page)

    other = signed_in(demo["dave"])  # someone else, signed in: told so
    other.goto(link)
    expect(other.get_by_role("alert")).to_contain_text("but you are signed in as dave@acme.example")
    check_page(other)

    page.goto("/invitations/not-a-real-token/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation cannot be used")
    check_page(page)


def test_error_pages_in_the_layout_with_a_way_back(page, signed_in, demo):
    response = page.goto("/no/such/page/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    check_page(page, screenshot="not-found")

    stranger = signed_in(UserFactory(email="stranger@example.com"))
    response = stranger.goto(f"/orgs/{demo['acme'].public_id}/")
    assert response.status == 404  # a foreign organization answers like a missing one
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Page not found")
    check_page(stranger)
    stranger.get_by_role("link", name="Go to your organizations").click()
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Your organizations")

    reader = signed_in(demo["dave"])  # a member, not an owner: the support log is the owners'
    response = reader.goto(f"/orgs/{demo['acme'].public_id}/support-access/log/")
    assert response.status == 403
    expect(reader.get_by_role("heading", level=1)).to_have_text("You may not do this")
    check_page(reader)


def test_a_list_swaps_its_page_in_place_with_htmx_and_loads_whole_without_javascript(signed_in, demo):
    from accounts.models import User
    from support.services import support_access_decide
    from support.views import DECISIONS_PER_PAGE

    engineer = User.objects.get(email="tse@provider.example")
    cluster = demo["production"].clusters.get(name="prod-reporting")
    for _ in range(DECISIONS_PER_PAGE):  # with the demo's two: two pages
        support_access_decide(engineer=engineer, cluster=cluster, scope="CLUSTER_LOGS")
    log = f"/orgs/{demo['acme'].public_id}/support-access/log/"

    page = signed_in(demo["alice"])
    page.goto(log)
    page.evaluate("() => { document.querySelector('.site-header').dataset.loaded = 'once'; }")
    pages = page.get_by_role("navigation", name="Support access log: pages")
    expect(pages).to_contain_text(f"1–{DECISIONS_PER_PAGE} of {DECISIONS_PER_PAGE + 2}")
    pages.get_by_role("link", name="Next").click()
    expect(pages).to_contain_text("Page 2 of 2")
    expect(page).to_have_url(re.compile(r"\?page=2$"))  # pushed: reloading or sharing shows page 2
    assert page.evaluate("() => document.querySelector('.site-header').dataset.loaded") == "once"  # in place
    check_page(page)

    plain = signed_in(demo["alice"], java_script_enabled=False)
    plain.goto(log)
    plain.get_by_role("navigation", name="Support access log: pages").get_by_role("link", name="Next").click()
    expect(plain).to_have_url(re.compile(r"\?page=2$"))
    expect(plain.get_by_role("navigation", name="Support access log: pages")).to_contain_text("Page 2 of 2")


def test_the_header_menus_open_within_a_phones_width(signed_in, demo):
    page = signed_in(demo["alice"], width=390)
    page.goto("/")
    page.get_by_text("Organization: Organizations").click()
    expect(page.get_by_role("link", name="All organizations")).to_be_visible()
    page.get_by_text("Account: alice@acme.example").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    check_page(page, screenshot="menus")
