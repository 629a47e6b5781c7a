"""In a real browser, at 1280 and 390 pixels: support access is granted on the Clusters tab, its countdown
ticks, it is revoked after confirming; a monitoring user is attached and detached after confirming; the Activity
tabs show each of these; the Settings tab for an owner and for a member. check_page on every page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _row(page, cluster):
    return page.get_by_role("row", name=re.compile(cluster))


def test_support_access_is_granted_ticks_and_is_revoked_after_confirming(signed_in, demo):
    production = demo["production"]
    demo["bob"].time_zone = "Europe/Paris"
    demo["bob"].save(update_fields=["time_zone"])
    page = signed_in(demo["bob"])
    page.goto(f"/projects/{production.public_id}/clusters/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Clusters")
    check_page(page, screenshot="project-clusters")

    _row(page, "prod-reporting").get_by_role("link", name="Grant access to prod-reporting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Grant support access to prod-reporting")
    check_page(page, screenshot="support-grant")
    page.get_by_label("Only database logs (never audit logs)").check()
    page.get_by_label("For").select_option("4")
    page.get_by_role("button", name="Grant access").click()

    expect(page.get_by_role("status")).to_contain_text("access to prod-reporting until")
    expect(page.get_by_role("status")).to_contain_text("CET")
    left = _row(page, "prod-reporting").locator(".time-left")
    expect(left).to_have_text(re.compile(r"expires in 3 h 59 min \d+ s"))  # ticking: JavaScript took over
    expect(left).not_to_have_text(left.inner_text())  # the countdown moves (a tick a second)
    expect(_row(page, "prod-reporting")).to_contain_text("CET")  # the absolute expiry, in Bob's zone
    check_page(page)

    _row(page, "prod-reporting").get_by_role("link", name="Revoke access").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke support access to prod-reporting?")
    check_page(page, screenshot="support-revoke-confirm")
    page.get_by_role("button", name="Revoke access").click()
    expect(page.get_by_role("status")).to_contain_text("was revoked")
    expect(_row(page, "prod-reporting")).to_contain_text("No temporary access granted.")

    page.goto(f"/projects/{production.public_id}/activity/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Activity")
    events = page.get_by_role("region", name="Events")
    expect(events.get_by_role("cell", name="Support access granted", exact=True).first).to_be_visible()
    expect(events.get_by_role("cell", name="Support access revoked", exact=True).first).to_be_visible()
    expect(page.get_by_text("Europe/Paris").first).to_be_visible()
    check_page(page, screenshot="project-activity")

    page.get_by_role("combobox", name="Event type").select_option(label="Support access revoked")
    page.get_by_role("button", name="Filter").click()
    expect(events.get_by_role("row")).to_have_count(2)  # the header and the one revocation
    check_page(page)


def test_the_countdown_degrades_to_the_servers_text_without_javascript(signed_in, demo):
    page = signed_in(demo["bob"], java_script_enabled=False)
    page.goto(f"/projects/{demo['production'].public_id}/clusters/")
    expect(_row(page, "prod-main").locator(".time-left")).to_have_text(
        re.compile(r"^expires in \d+ h( \d+ min)?$")
    )


def test_a_monitoring_user_is_attached_and_detached_after_confirming(signed_in, demo):
    acme = demo["acme"]
    page = signed_in(demo["alice"])
    page.goto(f"/orgs/{acme.public_id}/monitoring/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring")
    check_page(page, screenshot="organization-monitoring")

    page.get_by_label("Monitoring user name").fill("night-shift@acme.example")
    page.get_by_role("button", name="Attach").click()
    expect(page.get_by_role("status")).to_contain_text("night-shift@acme.example is attached")
    attached = page.get_by_role("region", name="Attached monitoring users")
    expect(attached.get_by_role("cell", name="night-shift@acme.example", exact=True).first).to_be_visible()

    page.get_by_role("link", name="Detach night-shift@acme.example").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Detach night-shift@acme.example from Acme Corp?"
    )
    check_page(page, screenshot="monitoring-detach-confirm")
    page.get_by_role("button", name="Detach").click()
    expect(page.get_by_role("status")).to_contain_text("night-shift@acme.example is detached")
    expect(page.get_by_role("region", name="Attached monitoring users")).not_to_contain_text("night-shift")

    page.goto(f"/orgs/{acme.public_id}/activity/")
    events = page.get_by_role("region", name="Events")
    expect(events.get_by_role("cell", name="Monitoring user attached", exact=True).first).to_be_visible()
    expect(events.get_by_role("cell", name="Monitoring user detached", exact=True).first).to_be_visible()
    check_page(page, screenshot="organization-activity")

    page.goto(f"/orgs/{acme.public_id}/activity/?date_from=yesterday")
    expect(page.locator(".errorlist")).to_be_visible()
    check_page(page)


def test_the_project_monitoring_pages_and_a_groups_confirmations(signed_in, demo):
    production = demo["production"]
    page = signed_in(demo["bob"])
    page.goto(f"/projects/{production.public_id}/monitoring/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitoring groups")
    check_page(page)
    page.get_by_role("link", name=re.compile("^mongolab_")).first.click()
    check_page(page)
    removal = page.get_by_role("link", name=re.compile("Remove from this group"))
    if removal.count():
        removal.first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Remove .* from mongolab_"))
        check_page(page)


def test_the_settings_tab_for_an_owner_and_for_a_member(signed_in, demo):
    acme = demo["acme"]
    page = signed_in(demo["alice"])
    page.goto(f"/orgs/{acme.public_id}/settings/")
    expect(page.get_by_label("Block support access to infrastructure")).to_be_checked()
    check_page(page, screenshot="organization-settings")
    page.get_by_label("Block support access to infrastructure").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("settings were saved")
    expect(page.get_by_text("Off.", exact=False).first).to_be_visible()

    member = signed_in(demo["dave"])
    member.goto(f"/orgs/{acme.public_id}/settings/")
    expect(member.get_by_text("Only an Organization Owner can change these settings.")).to_be_visible()
    expect(member.get_by_role("button", name="Save")).to_have_count(0)
    check_page(member)
