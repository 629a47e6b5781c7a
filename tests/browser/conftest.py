"""Browser tests: Playwright (pytest-playwright) drives Debian's Chromium (/usr/bin/chromium; never a browser that
Playwright downloads) against pytest-django's ``live_server``. Every test here is marked ``browser`` and runs
after the rest of the suite (tests/conftest.py), in both CI passes.

Fixtures and helpers for the page helpers' tests:
- ``page``: a fresh anonymous page (its own browser context) at 1280 × 900.
- ``signed_in(user, width=1280, java_script_enabled=True)``: a new browser context signed in as ``user`` (the
  session cookie of ``Client.force_login``, so it does not depend on the login page) and its page. Without
  JavaScript, pages must still work (forms post, <details> menus open), but ``check_page`` cannot run there
  (axe-core runs inside the page: Playwright's evaluate then never returns).
- ``check_page(page, screenshot="name")``: runs axe-core at 1280 and at 390 px and fails on any critical,
  serious or moderate violation (printing them), fails when the page is wider than the window at either width,
  when the page logged an error (a JavaScript error, a refused resource, a missing file) or when its DOM has an
  inline style or script (the Content-Security-Policy allows 'self' only). With SCREENSHOTS=1 in the
  environment it saves docs/screenshots/<name>-1280.png and <name>-390.png.
- ``demo``: the demo data (``manage.py load_demo``) plus a pending invitation, a request to join, an attached
  monitoring user, the support block with a grant and decisions: what the README's screenshots show.
"""

import io
import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling home, which this machine's closed network
# refuses; the others keep a headless run lean and free of first-run work.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = ("critical", "serious", "moderate")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        # CI installs it and insists (BROWSER_TESTS_REQUIRED=1, .ci/run); a newcomer's `make test` goes on
        # without the browser tests, saying why, rather than failing on a machine without Chromium.
        message = f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it when needed)"
        if os.environ.get("BROWSER_TESTS_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def playwright(playwright):
    """Playwright's synchronous API keeps an event loop running in this thread, so Django would refuse every
    ORM call of the tests as "from an async context". The tests are synchronous code all the same: allow it for
    as long as Playwright runs (the browser tests run last, so no other test runs without the check)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield playwright
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def base_url(live_server):
    """``page.goto("/orgs/…/")`` goes to the live server."""
    return live_server.url


# ---- pages -----------------------------------------------------------------------------------------------------


def _watch(page):
    """Keep what the page reports as errors: a JavaScript exception, a console error (a refused inline style
    or script, a 404 on a static file)."""
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"JavaScript error: {error}"))

    def on_console(message):
        where = message.location.get("url")
        if message.type != "error" or (where == page.url and "Failed to load resource" in message.text):
            return  # an error page's own status (404, 403) is not a problem of the page
        page.problems.append(f"console error: {message.text} ({where})")

    page.on("console", on_console)
    return page


@pytest.fixture
def context(new_context):
    return new_context(viewport=DESKTOP)


@pytest.fixture
def page(context):
    return _watch(context.new_page())


@pytest.fixture
def signed_in(new_context, live_server):
    """``signed_in(user)``: the page of a new browser context whose session is ``user``'s."""

    def open_as(user, *, width=DESKTOP["width"], java_script_enabled=True):
        client = Client()
        client.force_login(user)
        context = new_context(
            viewport={"width": width, "height": DESKTOP["height"]}, java_script_enabled=java_script_enabled
        )
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        return _watch(context.new_page())

    return open_as


# ---- the checks of every page ---------------------------------------------------------------------------------

_INLINE_CODE = """() => {
  const found = [];
  for (const element of document.querySelectorAll('*')) {
    const tag = element.tagName.toLowerCase();
    if (tag === 'style') found.push('<style>');
    if (tag === 'script' && !element.hasAttribute('src')) found.push('inline <script>');
    for (const attribute of element.attributes) {
      if (attribute.name === 'style' || attribute.name.startsWith('on')) {
        found.push(`${tag}[${attribute.name}="${attribute.value}"]`);
      }
    }
  }
  return found;
}"""

_WIDTHS = """() => [document.documentElement.scrollWidth, window.innerWidth]"""

# The elements that stick out of the window, to say what to fix: outside a box that scrolls by itself, or inside
# one but positioned against something outside it (it then widens the page, not the box).
_OVERFLOWING = """() => {
  const width = window.innerWidth;
  const found = [];
  for (const element of document.body.querySelectorAll('*')) {
    const scrolled = element.parentElement && element.parentElement.closest('.table-scroll, pre');
    if (scrolled && !['absolute', 'fixed'].includes(getComputedStyle(element).position)) continue;
    const box = element.getBoundingClientRect();
    if (box.right > width + 0.5) {
      const name = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') +
        (element.classList.length ? '.' + [...element.classList].join('.') : '');
      found.push(`${name} (right edge ${Math.round(box.right)}px)`);
    }
  }
  return found.slice(0, 8);
}"""


# axe-core's script (570 kB), read once; put into a document once (a page checked at two widths, or again after
# an htmx swap, keeps the copy its document has).
_AXE_SCRIPT = Axe().axe_script


def _violations(page) -> list[str]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_AXE_SCRIPT)
    response = page.evaluate("() => axe.run({resultTypes: ['violations']})")
    lines = []
    for violation in response["violations"]:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        lines.append(
            f"{violation['impact']}: {violation['id']}: {violation['help']} ({violation['helpUrl']})"
        )
        for node in violation["nodes"][:5]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {node['target']}: {summary[:300]}")
    return lines


def check_page(page, *, screenshot=None):
    """Fail unless the page passes axe-core (no critical, serious or moderate violation) and fits the window, at
    1280 and at 390 pixels; unless it logged no error and has no inline style or script. ``screenshot``: the
    file name stem under docs/screenshots/, saved when SCREENSHOTS=1."""
    page.wait_for_load_state("load")
    original = page.viewport_size
    problems = [f"{page.url}: {problem}" for problem in getattr(page, "problems", [])]
    # The document as the server and our scripts made it: checked before axe-core first runs on it (axe may
    # leave marks of its own in the DOM).
    if not page.evaluate("() => window.accessportalChecked === true"):
        inline = page.evaluate(_INLINE_CODE)
        if inline:
            problems.append(f"{page.url}: inline code or style (the CSP forbids it): {sorted(set(inline))}")
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        width = size["width"]
        for line in _violations(page):
            problems.append(f"{page.url} at {width}px: axe: {line}")
        scroll_width, inner_width = page.evaluate(_WIDTHS)
        if scroll_width > inner_width:
            problems.append(
                f"{page.url} at {width}px: the page is {scroll_width}px wide, wider than the window "
                f"({inner_width}px); sticking out: {', '.join(page.evaluate(_OVERFLOWING))}"
            )
        if screenshot and os.environ.get("SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS / f"{screenshot}-{width}.png", full_page=True)
    page.evaluate("() => { window.accessportalChecked = true; }")
    page.set_viewport_size(original)
    if problems:
        print("\n".join(problems))
    assert not problems, "\n".join(problems)


@pytest.fixture
def checked():
    return check_page


# ---- data ------------------------------------------------------------------------------------------------------


@pytest.fixture
def demo(settings):
    """The demo organizations (Acme Corp owned by alice@acme.example, Globex), and around them what the pages
    show: a pending organization invitation (with a bounce) and a project one, a request to join, a monitoring
    user attached to Acme, the support block with a grant on prod-main and two decisions."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from accounts import services
    from accounts.models import Invitation, Organization, Project, User
    from accounts.services.invitations import organization_invitations_create, project_invitations_create
    from accounts.services.join_requests import join_request_create
    from monitoring.services import monitoring_user_attach
    from support.models import SUPPORT_GROUP_NAME, SupportAccessGrant
    from support.services import organization_settings_set, support_access_decide, support_grant_create

    settings.DEBUG = True  # load_demo runs only on a development database
    call_command("load_demo", stdout=io.StringIO())
    settings.DEBUG = False

    acme = Organization.objects.get(name="Acme Corp")
    production = Project.objects.get(organization=acme, name="Production")
    alice = User.objects.get(email="alice@acme.example")
    bob = User.objects.get(email="bob@acme.example")
    invitation = organization_invitations_create(
        organization=acme, emails=["frank@acme.example", "grace@partner.example"], actor=alice
    )[1]
    Invitation.objects.filter(pk=invitation.pk).update(bounced_at=timezone.now())
    project_invitations_create(project=production, emails=["heidi@acme.example"], actor=bob)
    newcomer = User.objects.create_user(email="ivy@acme.example", first_name="Ivy", last_name="Ito")
    services.organization_member_add(organization=acme, user=newcomer, actor=alice)
    join_request_create(project=production, user=newcomer, message="I run the nightly reports.")
    monitoring_user_attach(organization=acme, username="ops-monitor@acme.example", actor=alice)
    organization_settings_set(organization=acme, actor=alice, restrict_employee_access=True)
    cluster = production.clusters.get(name="prod-main")
    support_grant_create(
        cluster=cluster, grant_type=SupportAccessGrant.GrantType.CLUSTER_INFRASTRUCTURE, actor=bob
    )
    engineer = User.objects.create_user(email="tse@provider.example", is_staff=True)
    engineer.groups.add(Group.objects.get_or_create(name=SUPPORT_GROUP_NAME)[0])
    for name in ("prod-main", "prod-reporting"):
        support_access_decide(
            engineer=engineer, cluster=production.clusters.get(name=name), scope="INFRASTRUCTURE"
        )
    return {
        "acme": acme,
        "production": production,
        "alice": alice,
        "bob": bob,
        "dave": User.objects.get(email="dave@acme.example"),
        "newcomer": newcomer,
    }
