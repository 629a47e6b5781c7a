"""The Projects tab and a project's Access tab in a real browser (demo data): a person asks to join a project,
its owner approves, the person opens it; a project is created and its creator lands in it; a member's access says
which team gives it; people and teams are added, changed and removed with confirmations; axe-core, the 390-pixel
width and the CSP checked on every page (``check_page``)."""

import pytest
from playwright.sync_api import expect

from accounts.models import JoinRequest, Project, ProjectMembership
from tests.browser.conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def projects_tab(page, organization):
    page.goto(f"/orgs/{organization.public_id}/projects/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Projects")


def test_a_person_asks_to_join_the_owner_approves_and_the_person_opens_the_project(signed_in, demo):
    acme = demo["acme"]
    lake = Project.objects.get(organization=acme, name="Data Lake")
    dave = signed_in(demo["dave"])

    projects_tab(dave, acme)
    lake_row = dave.get_by_role("row").filter(has_text="Data Lake")
    expect(lake_row).to_contain_text("No access")
    expect(dave.get_by_role("row").filter(has_text="Staging")).to_contain_text("via team Platform")
    check_page(dave, screenshot="organization-projects")
    lake_row.get_by_role("link", name="Request to join").click()
    expect(dave.get_by_role("heading", level=1)).to_have_text("Request to join Data Lake")
    check_page(dave)
    dave.get_by_label("Message to the project's owners").fill("I need the lake for the quarterly report.")
    dave.get_by_role("button", name="Send request").click()
    expect(dave.get_by_role("status")).to_contain_text("was sent to its owners")
    expect(dave.get_by_role("row").filter(has_text="Data Lake")).to_contain_text("request sent")

    alice = signed_in(demo["alice"])
    alice.goto(f"/projects/{lake.public_id}/")
    requests = alice.locator("#requests")
    expect(requests).to_contain_text("I need the lake for the quarterly report.")
    check_page(alice, screenshot="project-access-requests")
    requests.get_by_role("button", name="Approve").click()
    expect(alice.get_by_role("status")).to_contain_text(
        "dave@acme.example joined Data Lake as Project Read Only"
    )
    assert JoinRequest.objects.get(project=lake, user=demo["dave"]).status == JoinRequest.Status.APPROVED
    # In place (htmx): the requests and users lists are swapped, the page is not reloaded.
    expect(alice.locator(f"#user-{demo['dave'].public_id}")).to_contain_text("Project Read Only")
    expect(requests).to_contain_text("No requests to join.")
    assert alice.url.endswith(f"/projects/{lake.public_id}/")

    projects_tab(dave, acme)
    dave.get_by_role("link", name="Data Lake", exact=True).click()
    expect(dave.get_by_role("heading", level=1)).to_have_text("Access Manager")
    expect(dave.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Data Lake")
    expect(dave.locator(f"#user-{demo['dave'].public_id}")).to_contain_text("Project Read Only")


def test_a_denial_asks_first(signed_in, demo):
    production = demo["production"]
    page = signed_in(demo["bob"])
    page.goto(f"/projects/{production.public_id}/")
    page.locator("#requests").get_by_role("link", name="Deny").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Deny ivy@acme.example's request")
    expect(page.get_by_text("I run the nightly reports.")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Deny request").click()
    expect(page.get_by_role("status")).to_contain_text("request was denied")
    assert JoinRequest.objects.get(user=demo["newcomer"]).status == JoinRequest.Status.DENIED


def test_a_project_is_created_and_its_creator_lands_in_it(signed_in, demo):
    acme = demo["acme"]
    page = signed_in(demo["bob"])  # Organization Project Creator
    projects_tab(page, acme)
    page.get_by_role("link", name="Create project").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a project")
    check_page(page)

    page.get_by_label("Project name").fill("Production")  # taken: said on the field
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_text("A project named Production already exists in Acme Corp.")).to_be_visible()
    page.get_by_label("Project name").fill("Analytics Sandbox")
    page.get_by_role("button", name="Create project").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Access Manager")
    expect(page.get_by_role("status")).to_contain_text("The project Analytics Sandbox was created")
    created = Project.objects.get(organization=acme, name="Analytics Sandbox")
    assert page.url.endswith(f"/projects/{created.public_id}/")
    expect(page.locator(f"#user-{demo['bob'].public_id}")).to_contain_text("Project Owner")


def test_a_members_access_says_which_team_gives_it_and_the_access_tab_manages_it(signed_in, demo):
    production, dave = demo["production"], demo["dave"]
    page = signed_in(demo["bob"])  # Project Owner of Production
    page.goto(f"/projects/{production.public_id}/")
    row = page.locator(f"#user-{dave.public_id}")
    expect(row).to_contain_text("via team Platform")
    expect(row).to_contain_text("Project Cluster Manager")
    expect(row).to_contain_text("Project Monitoring Admin")
    expect(page.locator(f"#user-{demo['alice'].public_id}")).to_contain_text("from Organization Owner")
    check_page(page)

    # Change dave's direct roles in place.
    row.get_by_text("Change roles").click()
    row.get_by_label("Project Backup Manager").check()
    row.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("status")).to_contain_text("dave@acme.example now holds")
    assert ProjectMembership.objects.get(project=production, user=dave).role_names == [
        "GROUP_BACKUP_ADMIN",
        "GROUP_MONITORING_ADMIN",
    ]

    # Remove his direct membership: asked first; what the team gives stays.
    page.locator(f"#user-{dave.public_id}").get_by_role("link", name="Remove").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove dave@acme.example from Production?")
    expect(page.get_by_text("They keep what other grants give them")).to_be_visible()
    check_page(page)
    page.get_by_role("button", name="Remove from project").click()
    row = page.locator(f"#user-{dave.public_id}")
    expect(row).to_contain_text("via team Platform")
    expect(row).not_to_contain_text("Project Monitoring Admin")

    # Add carol (a member of Acme) at once and invite an outsider.
    page.get_by_label("Email addresses").fill("carol@acme.example, zoe@partner.example")
    page.locator("#add-people").get_by_label("Project Data Access Read Only").check()
    page.get_by_role("button", name="Add people").click()
    expect(page.get_by_role("status").first).to_contain_text("Added to Production: carol@acme.example.")
    expect(page.locator("#invitations")).to_contain_text("zoe@partner.example")

    # The Analytics team: roles changed, then removed after a confirmation.
    team_row = page.locator("#teams").get_by_role("row").filter(has_text="Analytics")
    team_row.get_by_text("Change roles").click()
    team_row.get_by_label("Project Read Only").uncheck()
    team_row.get_by_label("Project Data Access Read Only").check()
    team_row.get_by_role("button", name="Save roles").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Team Analytics now gives Project Data Access Read Only"
    )
    page.locator("#teams").get_by_role("row").filter(has_text="Analytics").get_by_role(
        "link", name="Remove"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove team Analytics from Production?")
    page.get_by_role("button", name="Remove team").click()
    expect(page.get_by_role("status")).to_contain_text("Team Analytics was removed from Production.")
    check_page(page)


def test_the_access_tab_of_a_reader_at_a_phones_width(signed_in, demo):
    erin = demo["acme"].memberships.get(user__email="erin@acme.example").user  # Organization Read Only
    page = signed_in(erin, width=390)
    page.goto(f"/projects/{demo['production'].public_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Access Manager")
    expect(page.get_by_role("button", name="Add people")).to_have_count(0)
    check_page(page)
