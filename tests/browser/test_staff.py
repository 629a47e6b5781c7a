"""The staff console in a real browser, signed in as each staff group: the dashboard, a cluster's "who can reach
it, and why", a filtered list exported as CSV. The admin is Django's own (its phone layout is Django's), so the
pages are held to axe-core at 1280 px, no inline code (CSP) and no console error."""

import csv
import io
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from accounts.models import AuditEvent, Cluster, Invitation, User
from staff.roles import AUDITORS, PORTAL_ADMINISTRATORS, SUPPORT_ENGINEERS, staff_roles_sync
from tests.browser.conftest import _INLINE_CODE, PHONE, SCREENSHOTS, _violations
from tests.factories import give_totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff(email, group_name):
    """A staff member of ``group_name``, with two-factor. The groups are made again first: a browser test's
    database is emptied after each test, migrations' rows included."""
    staff_roles_sync(permission_model=Permission, group_model=Group)
    user = User.objects.create_user(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    give_totp(user)
    return user


def check_admin_page(page, screenshot):
    page.wait_for_load_state("load")
    problems = list(page.problems)
    inline = page.evaluate(_INLINE_CODE)
    if inline:
        problems.append(f"inline code or style (the CSP forbids it): {sorted(set(inline))}")
    problems += [f"axe: {line}" for line in _violations(page)]
    page.problems.clear()  # what axe-core itself sets off is not the next page's problem
    if os.environ.get("SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{screenshot}-1280.png", full_page=True)
        original = page.viewport_size
        page.set_viewport_size(PHONE)  # Django's own responsive layout: looked at, not held to the portal's rules
        page.screenshot(path=SCREENSHOTS / f"{screenshot}-390.png", full_page=True)
        page.set_viewport_size(original)
    assert not problems, page.url + "\n" + "\n".join(problems)


def test_a_portal_administrator_sees_the_dashboard_and_explains_a_cluster(signed_in, demo):
    page = signed_in(staff("pa@provider.example", PORTAL_ADMINISTRATORS))

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Needs attention", exact=True)).to_be_visible()
    expect(page.locator("#site-name")).to_contain_text("accessportal staff")
    expect(page.get_by_role("link", name="1 pending, email bounced")).to_be_visible()
    check_admin_page(page, "staff-dashboard")

    cluster = Cluster.objects.get(name="prod-main")
    page.goto(f"/admin/accounts/cluster/{cluster.pk}/change/")
    explained = page.locator(".staff-explain")
    expect(explained).to_contain_text("via team Platform")
    expect(explained).to_contain_text("from Organization Owner")
    expect(explained).to_contain_text("ops-monitor@acme.example")
    expect(explained).to_contain_text("tse@provider.example")
    check_admin_page(page, "staff-cluster-explained")

    page.goto(f"/admin/accounts/user/{demo['dave'].pk}/change/")
    expect(page.locator(".staff-explain")).to_contain_text("direct: Project Monitoring Admin")
    check_admin_page(page, "staff-user-explained")

    page.goto(f"/admin/accounts/organization/{demo['acme'].pk}/change/")
    expect(page.locator(".staff-overview")).to_contain_text("Organization owners (1)")
    check_admin_page(page, "staff-organization")


def test_an_action_asks_first_and_then_goes_through(signed_in, demo):
    page = signed_in(staff("pa2@provider.example", PORTAL_ADMINISTRATORS))
    invitation = Invitation.objects.get(email="grace@partner.example")

    page.goto("/admin/accounts/invitation/?q=grace")
    page.locator(f'input[name="_selected_action"][value="{invitation.pk}"]').check()
    page.locator('select[name="action"]').select_option("revoke")
    page.locator("button[name=index]").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Revoke selected invitations?")
    check_admin_page(page, "staff-confirm-action")
    page.get_by_role("button", name="Yes, go ahead").click()

    expect(page.locator(".messagelist")).to_contain_text("Revoked 1 invitation(s).")
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED


def test_an_auditor_exports_a_filtered_list(signed_in, demo):
    page = signed_in(staff("auditor@provider.example", AUDITORS))

    page.goto("/admin/accounts/auditevent/?event_type__exact=TEAM_CREATED")
    check_admin_page(page, "staff-audit-events")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")

    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and {row["event_type"] for row in rows} == {"TEAM_CREATED"}
    assert AuditEvent.objects.filter(event_type="RECORDS_EXPORTED", actor_email="auditor@provider.example").exists()


def test_a_support_engineer_sees_only_their_reach_and_decisions(signed_in, demo):
    page = signed_in(staff("tse2@provider.example", SUPPORT_ENGINEERS))

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Needs attention", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Clusters I may reach")).to_be_visible()
    expect(page.get_by_role("link", name="Organizations")).to_have_count(0)
    check_admin_page(page, "staff-support-home")
