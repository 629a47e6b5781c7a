"""The Teams and API Keys pages in a real browser: a team is created with a member picked from the type-ahead,
given to a project, and the member removed from it loses that project; an API key is created and its private key
is shown once (a reload does not show it again); every page passes check_page at 1280 and 390 pixels."""

import re

import pytest
from playwright.sync_api import expect

from accounts import roles
from accounts.models import ApiKey, Team
from accounts.services import team_project_assign
from tests.browser.conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def test_a_team_is_created_given_to_a_project_and_a_member_removed_from_it_loses_that_project(
    signed_in, demo
):
    acme, alice = demo["acme"], demo["alice"]
    staging = acme.projects.get(name="Staging")
    carol = acme.memberships.get(user__email="carol@acme.example").user
    page = signed_in(alice)
    page.goto(f"/orgs/{acme.public_id}/")
    page.get_by_role("navigation", name="Acme Corp (organization)").get_by_role("link", name="Teams").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Teams")
    expect(page.get_by_role("link", name="Platform")).to_be_visible()
    check_page(page, screenshot="organization-teams")

    page.get_by_label("Team name").fill("Reporting")
    members = page.get_by_label("Members")
    members.press_sequentially("caro")
    # The type-ahead: htmx refills the datalist with the members matching what is typed.
    expect(page.locator("#team-member-options option")).to_have_count(1)
    expect(page.locator("#team-member-options option")).to_have_attribute("value", "carol@acme.example")
    members.fill("carol@acme.example")
    expect(page.locator("#team-member-options option")).to_have_attribute("value", "carol@acme.example")
    # The type-ahead has answered: no request of it is in flight when the form is sent.
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reporting")
    expect(page.get_by_role("status")).to_have_text("The team Reporting was created with 1 member(s).")
    check_page(page, screenshot="team")

    team = Team.objects.get(organization=acme, name="Reporting")
    team_project_assign(team=team, project=staging, roles=[roles.GROUP_READ_ONLY], actor=alice)
    page.reload()
    expect(page.get_by_role("row", name=re.compile("Staging"))).to_contain_text("Project Read Only")

    as_carol = signed_in(carol)
    as_carol.goto(f"/projects/{staging.public_id}/")
    expect(as_carol.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Staging")

    page.get_by_role("row", name=re.compile("carol@acme.example")).get_by_role(
        "link", name=re.compile("Remove")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Remove carol@acme.example from the team Reporting?"
    )
    expect(page.get_by_role("listitem").filter(has_text="Staging: Project Read Only")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Remove from team").click()
    expect(page.get_by_role("status")).to_have_text("carol@acme.example left the team Reporting.")

    as_carol.goto(f"/projects/{staging.public_id}/")
    expect(as_carol.get_by_role("heading", level=1)).to_have_text("Page not found")

    page.get_by_role("link", name="Delete team…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete the team Reporting?")
    check_page(page)
    page.get_by_role("button", name="Delete team").click()
    expect(page.get_by_role("status")).to_contain_text("The team Reporting was deleted")


def test_an_api_key_is_created_and_its_private_key_shown_once(signed_in, demo):
    acme, production = demo["acme"], demo["production"]
    page = signed_in(demo["alice"])
    page.goto(f"/orgs/{acme.public_id}/")
    page.get_by_role("navigation", name="Acme Corp (organization)").get_by_role(
        "link", name="API Keys"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API Keys")
    check_page(page, screenshot="organization-api-keys")

    page.get_by_role("textbox", name="Description").fill("Nightly export")
    page.get_by_label("Organization Read Only").check()
    page.get_by_role("button", name="Create API key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API key created")
    expect(page.get_by_role("alert")).to_contain_text("only time it is shown")
    private_key = page.locator("#private-key").inner_text()
    assert UUID.match(private_key)
    copy = page.get_by_role("button", name="Copy")
    expect(copy).to_be_visible()  # our script shows it
    copy.click()
    expect(page.locator("[data-copy-status]")).to_have_text(re.compile("Copied|Selected"))
    check_page(page, screenshot="api-key-created")

    page.reload()  # the browser sends the form again: refused, nothing created, nothing shown
    expect(page.get_by_role("alert")).to_contain_text("That form was sent already")
    assert private_key not in page.content()
    assert ApiKey.objects.filter(description="Nightly export").count() == 1

    page.goto(f"/orgs/{acme.public_id}/api-keys/")
    row = page.get_by_role("row", name=re.compile("Nightly export"))
    expect(row.get_by_role("cell").nth(2)).to_have_text("Organization Read Only")  # not the default as well
    row.get_by_role("link", name="Nightly export").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nightly export")
    assert private_key not in page.content()

    page.get_by_label("IP address or CIDR block").fill("10.0.0.1/8")
    page.get_by_role("button", name="Add to access list").click()
    expect(page.locator(".field-invalid .errorlist")).to_contain_text("did you mean 10.0.0.0/8")
    check_page(page)
    page.get_by_label("IP address or CIDR block").fill("10.0.0.0/8")
    page.get_by_role("button", name="Add to access list").click()
    expect(page.get_by_role("cell", name="10.0.0.0/8", exact=True)).to_be_visible()

    page.get_by_role("combobox", name="Project").select_option(label="Production")
    page.get_by_label("Project Data Access Read Only").check()
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("row", name=re.compile("Production"))).to_contain_text(
        "Project Data Access Read Only"
    )
    check_page(page, screenshot="api-key")

    page.get_by_role("link", name="Delete API key…").click()
    expect(page.get_by_role("listitem").filter(has_text="Production:")).to_be_visible()
    check_page(page)

    page.goto(f"/projects/{production.public_id}/api-keys/")
    expect(page.get_by_role("heading", level=1)).to_have_text("API keys")
    expect(page.get_by_role("row", name=re.compile("Nightly export"))).to_be_visible()
    check_page(page, screenshot="project-api-keys")


def test_without_javascript_teams_and_keys_still_work(signed_in, demo):
    acme = demo["acme"]
    page = signed_in(demo["alice"], java_script_enabled=False)
    page.goto(f"/orgs/{acme.public_id}/teams/")
    page.get_by_label("Team name").fill("Night shift")
    page.get_by_label("Members").fill("dave@acme.example, erin@acme.example")  # typed, no suggestions needed
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Night shift")
    expect(page.get_by_role("cell", name="erin@acme.example", exact=True)).to_be_visible()
    page.get_by_role("link", name="Delete team…").click()
    page.get_by_role("button", name="Delete team").click()
    expect(page.get_by_role("status")).to_contain_text("The team Night shift was deleted")

    page.goto(f"/orgs/{acme.public_id}/api-keys/")
    page.get_by_role("textbox", name="Description").fill("No script")
    page.get_by_role("button", name="Create API key").click()
    expect(page.locator("#private-key")).to_have_text(UUID)
    expect(page.get_by_role("button", name="Copy")).to_be_hidden()  # it needs our script


def test_a_key_disabled_by_staff_says_so_on_the_customer_pages(signed_in, demo):
    from accounts.models import User
    from accounts.services.api_keys import api_key_create
    from accounts.services.staff import api_key_disable

    acme, alice = demo["acme"], demo["alice"]
    api_key, _ = api_key_create(
        organization=acme, description="Old exporter", roles=[roles.ORG_READ_ONLY], actor=alice
    )
    staff = User.objects.create_superuser("portal-admin@provider.example", "unused-password")
    api_key_disable(api_key=api_key, actor=staff, reason="Leaked in a public repository")

    page = signed_in(alice)
    page.goto(f"/orgs/{acme.public_id}/api-keys/")
    row = page.get_by_role("row", name=re.compile("Old exporter"))
    expect(row).to_contain_text("Disabled by provider staff")
    check_page(page, screenshot="organization-api-keys-disabled")
    row.get_by_role("link", name="Old exporter").click()
    expect(page.get_by_role("status")).to_contain_text("Leaked in a public repository")
    expect(page.get_by_role("button", name=re.compile("Enable", re.IGNORECASE))).to_have_count(0)
    check_page(page, screenshot="api-key-disabled")
