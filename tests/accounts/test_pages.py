"""The page plumbing (accounts/views/pages.py): tabs shown by permission and the registry's order, breadcrumbs,
htmx fragments, pages of 50 at a constant cost, the search term, the confirmation page, our error pages with
DEBUG on and off, and templates free of inline code (the CSP allows 'self' only)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory
from django.urls import path, reverse

from accessportal import urls as site_urls
from accounts import roles
from accounts.models import AuditEvent
from accounts.services import organization_member_add, project_create, project_member_add
from accounts.views import pages
from accounts.views.errors import server_error
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


# ---- tabs and breadcrumbs ------------------------------------------------------------------------------------


def test_every_registered_tab_resolves_and_follows_the_issues_order():
    for scope, argument in ((pages.ORGANIZATION, "org_id"), (pages.PROJECT, "project_id")):
        tabs = pages.TABS[scope]
        assert tabs, scope
        for tab in tabs:
            reverse(tab.url_name, kwargs={argument: "0123456789abcdef01234567"})
        order = pages.TAB_ORDER[scope]
        assert [tab.id for tab in tabs] == sorted((tab.id for tab in tabs), key=order.index)
    assert [tab.id for tab in pages.TABS[pages.ORGANIZATION]] == [
        "users",
        "teams",
        "projects",
        "api_keys",
        "monitoring",
        "activity",
        "settings",
    ]
    assert [tab.id for tab in pages.TABS[pages.PROJECT]] == ["access", "clusters", "monitoring", "activity"]


def _without(monkeypatch, tab_id):
    """The organization's tabs, for this test, without ``tab_id``; returns the ids of the others."""
    others = [t for t in pages.TABS[pages.ORGANIZATION] if t.id != tab_id]
    monkeypatch.setitem(pages.TABS, pages.ORGANIZATION, others)
    return [t.id for t in others]


def test_a_registered_tab_takes_its_place_in_the_order_and_mistakes_are_refused(monkeypatch):
    others = _without(monkeypatch, "api_keys")
    keys = pages.Tab("api_keys", "API Keys", "accounts:organization_access", roles.MANAGE_API_KEYS)
    pages.register_tab(pages.ORGANIZATION, keys)
    pages.register_tab(pages.ORGANIZATION, keys)  # twice: harmless
    order = pages.TAB_ORDER[pages.ORGANIZATION]
    assert [t.id for t in pages.TABS[pages.ORGANIZATION]] == sorted([*others, "api_keys"], key=order.index)
    with pytest.raises(ValueError, match="TAB_ORDER"):
        pages.register_tab(
            pages.ORGANIZATION, pages.Tab("billing", "Billing", "accounts:home", roles.VIEW_BILLING)
        )
    with pytest.raises(ValueError, match="registered already"):
        pages.register_tab(
            pages.ORGANIZATION, pages.Tab("api_keys", "Keys", "accounts:home", roles.VIEW_ORGANIZATION)
        )


def test_tabs_show_only_to_those_who_may_open_them(monkeypatch, organization, owner):
    _without(monkeypatch, "api_keys")
    pages.register_tab(
        pages.ORGANIZATION,
        pages.Tab("api_keys", "API Keys", "accounts:organization_access", roles.MANAGE_API_KEYS),
    )
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)

    def labels(actor):
        return [link.tab.label for link in pages.navigation(actor, organization=organization).tabs]

    assert labels(owner) == ["Users", "Teams", "Projects", "API Keys", "Monitoring", "Activity", "Settings"]
    assert labels(member) == ["Users", "Teams", "Projects", "Monitoring", "Activity", "Settings"]
    assert labels(UserFactory()) == []  # a stranger (never shown such a page: it answers 404)


def test_project_tabs_and_breadcrumbs_organization_project_tab_and_more(organization, project, owner):
    reader = UserFactory()
    organization_member_add(organization=organization, user=reader, actor=owner)
    project_member_add(project=project, user=reader, actor=owner)

    nav = pages.navigation(reader, project=project, tab="clusters", crumbs=[("prod-main", "/somewhere/")])

    assert [(link.tab.id, link.current) for link in nav.tabs] == [
        ("access", False),
        ("clusters", True),
        ("monitoring", False),
        ("activity", False),
    ]
    assert nav.tabs_label == "Production (project)"
    assert [(c.label, c.url) for c in nav.breadcrumbs] == [
        ("Acme", f"/orgs/{organization.public_id}/"),
        ("Production", f"/projects/{project.public_id}/"),
        ("Clusters", f"/projects/{project.public_id}/clusters/"),
        ("prod-main", None),  # the current page is not a link
    ]


def test_an_unknown_tab_id_is_a_mistake(monkeypatch, organization, owner):
    _without(monkeypatch, "teams")
    with pytest.raises(ValueError, match="no organization tab 'teams'"):
        pages.navigation(owner, organization=organization, tab="teams")


def test_a_page_shows_its_tabs_breadcrumbs_and_the_persons_organizations(
    client, organization, project, owner
):
    project_create(organization=organization, name="Other", actor=owner)
    client.force_login(owner)
    page = client.get(f"/projects/{project.public_id}/clusters/").content.decode()
    assert '<nav class="tabs" aria-label="Production (project)">' in page
    assert f'href="/projects/{project.public_id}/clusters/" aria-current="page">Clusters</a>' in page
    assert '<nav class="breadcrumbs" aria-label="Breadcrumb">' in page
    assert f'<a href="/orgs/{organization.public_id}/" aria-current="true">Acme</a>' in page  # the switcher
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_the_switcher_lists_the_persons_own_organizations_in_one_query(
    client, owner, django_assert_num_queries
):
    from accounts.services import organization_create

    for name in ("Beta", "Alpha"):
        organization_create(name=name, actor=owner)
    organization_create(name="Not mine", actor=UserFactory())
    request = RequestFactory().get("/")
    request.user = owner
    switcher = pages.organization_switcher(request)["switcher"]
    with django_assert_num_queries(1):
        assert [o.name for o in switcher] == ["Alpha", "Beta"]
    request.user = AnonymousUser()
    assert pages.organization_switcher(request) == {}


def test_an_htmx_swap_gets_the_page_without_the_header_and_navigation(client, organization, owner):
    client.force_login(owner)
    url = f"/orgs/{organization.public_id}/settings/"
    whole = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": "main"})
    boosted = client.get(url, headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "HX-Request" in whole["Vary"] and "HX-Request" in fragment["Vary"]
    assert 'class="site-header"' in whole.content.decode()
    assert 'class="site-header"' in boosted.content.decode()
    body = fragment.content.decode()
    assert 'class="site-header"' not in body and 'class="tabs"' not in body
    assert '<div id="messages"' in body and "<h1>Settings</h1>" in body


# ---- lists -----------------------------------------------------------------------------------------------------


def _events(organization, owner, count):
    AuditEvent.objects.bulk_create(
        AuditEvent(event_type="TEAM_CREATED", organization=organization, actor=owner) for _ in range(count)
    )


def test_paginate_gives_pages_of_50_in_two_queries_whatever_the_size(
    organization, owner, django_assert_num_queries
):
    rf = RequestFactory()
    _events(organization, owner, 5)
    queryset = AuditEvent.objects.filter(organization=organization).order_by("-id")
    stored = queryset.count()
    with django_assert_num_queries(2):
        few = pages.paginate(rf.get("/"), queryset)
        assert len(list(few)) == stored
    _events(organization, owner, 500)
    with django_assert_num_queries(2):
        many = pages.paginate(rf.get("/", {"page": "3"}), queryset)
        assert len(list(many)) == 50
    assert (many.number, many.paginator.num_pages, many.param) == (3, many.paginator.count // 50 + 1, "page")
    assert pages.paginate(rf.get("/", {"page": "999"}), queryset).number == many.paginator.num_pages
    assert pages.paginate(rf.get("/", {"page": "x"}), queryset).number == 1
    assert pages.paginate(rf.get("/", {"p2": "2"}), queryset, param="p2").number == 2


def test_the_search_term_is_trimmed_printable_and_bounded():
    rf = RequestFactory()
    assert pages.search_term(rf.get("/", {"q": "  ann\x00@example.com\n "})) == "ann@example.com"
    assert pages.search_term(rf.get("/")) == ""
    assert len(pages.search_term(rf.get("/", {"q": "x" * 500}))) == pages.SEARCH_MAX_LENGTH


def test_the_pagination_partial_keeps_the_search_and_names_the_pages(rf, organization, owner):
    from django.template.loader import render_to_string

    _events(organization, owner, 120)
    request = rf.get("/orgs/x/activity/", {"q": "ann", "page": "2"})
    page = pages.paginate(request, AuditEvent.objects.order_by("-id"))
    html = render_to_string(
        "includes/pagination.html", {"page": page, "target": "events", "label": "Events"}, request
    )
    assert 'aria-label="Events: pages"' in html
    assert 'href="?q=ann&amp;page=3" rel="next" hx-get="?q=ann&amp;page=3"' in html
    assert 'hx-target="#events" hx-select="#events"' in html
    assert "51–100 of" in html
    search = render_to_string("includes/search.html", {"label": "Search events", "target": "events"}, request)
    assert 'value="ann"' in search and 'role="search"' in search and 'hx-get="/orgs/x/activity/"' in search


# ---- confirmation --------------------------------------------------------------------------------------------


def test_the_confirmation_page_lists_what_goes_and_posts_to_itself(rf, organization, owner):
    request = rf.get("/orgs/x/teams/y/delete/")
    request.user = owner
    response = pages.confirm_page(
        request,
        title="Delete the team Platform?",
        intro="Its members lose the access the team gave them:",
        items=["Production: Project Read Only", "Staging: Project Owner"],
        warnings=["Bob keeps Production through his own roles."],
        button="Delete team",
        cancel_url="/orgs/x/teams/",
        organization=organization,
        tab="users",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Delete the team Platform?</h1>" in html
    assert "<li>Production: Project Read Only</li>" in html
    assert 'role="alert">Bob keeps Production' in html
    assert re.search(
        r'<form method="post" class="confirm-actions">\s*<input type="hidden" name="csrfmiddlewaretoken"',
        html,
    )
    assert '<button type="submit" class="button button-danger">Delete team</button>' in html
    assert '<a class="button" href="/orgs/x/teams/">Cancel</a>' in html
    assert '<span aria-current="page">Delete team</span>' in html  # the breadcrumb


# ---- errors --------------------------------------------------------------------------------------------------


def _raising(exception):
    def view(request):
        raise exception

    return view


# The site's URLs and handlers, and two views that raise (@pytest.mark.urls("tests.accounts.test_pages")).
urlpatterns = [
    path("gone/", _raising(Http404("No team with ID abc exists."))),
    path("api/atlas/v2/gone/", _raising(Http404("no"))),
    *site_urls.urlpatterns,
]
handler404, handler403, handler500 = site_urls.handler404, site_urls.handler403, site_urls.handler500


@pytest.mark.parametrize("debug", [True, False])
def test_our_404_page_with_debug_on_and_off(client, settings, owner, debug):
    settings.DEBUG = debug
    client.force_login(owner)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert 'href="/">Go to your organizations</a>' in html
    assert "technical_404" not in html and "Using the URLconf" not in html


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.urls("tests.accounts.test_pages")
def test_a_views_404_shows_its_message_and_the_api_keeps_its_own(client, settings, debug):
    settings.DEBUG = debug
    response = client.get("/gone/")
    assert response.status_code == 404
    assert "No team with ID abc exists." in response.content.decode()
    assert "<h1>Page not found</h1>" in response.content.decode()
    if not debug:  # with DEBUG on, Django's own page; off, ours: never the site's layout under /api/
        api = client.get("/api/atlas/v2/gone/")
        assert api.status_code == 404 and "site-header" not in api.content.decode()


def test_the_api_answers_unknown_addresses_in_json_still(client, settings):
    settings.DEBUG = False
    response = client.get("/api/atlas/v2/no-such-thing")
    assert response.status_code == 404
    assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"


@pytest.mark.parametrize("debug", [True, False])
def test_our_403_page_with_a_way_back(client, settings, organization, owner, debug):
    settings.DEBUG = debug
    member = UserFactory()
    organization_member_add(organization=organization, user=member, actor=owner)
    client.force_login(member)
    response = client.get(f"/orgs/{organization.public_id}/support-access/log/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>You may not do this</h1>" in html and 'href="/">Go to your organizations</a>' in html


def test_a_form_posted_without_its_csrf_token_gets_our_page(organization, owner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(f"/orgs/{organization.public_id}/settings/", {"restrict_employee_access": "on"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>This form has expired</h1>" in html and 'href="/">Go to your organizations</a>' in html


def test_the_500_page_needs_no_database_and_no_request(rf, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong on our side</h1>" in html and 'href="/"' in html


def test_error_html_takes_a_status_and_a_message(rf, owner):
    request = rf.get("/")
    request.user = owner
    response = pages.error_page(request, status=409, message="You cannot remove the last owner.")
    html = response.content.decode()
    assert response.status_code == 409
    assert "Error 409" in html and "<h1>This could not be done</h1>" in html
    assert "You cannot remove the last owner." in html


# ---- templates ---------------------------------------------------------------------------------------------------

_COMMENT = re.compile(r"{% comment %}.*?{% endcomment %}|{#.*?#}", re.S)
_INLINE = re.compile(r"<style\b|\sstyle\s*=|<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=", re.I)


def test_no_page_template_has_inline_style_or_script():
    """The Content-Security-Policy allows 'self' only: styles in site.css, scripts in static files. (Emails are
    not pages: mail clients need inline styles.)"""
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        if "email" in template.parts:
            continue
        text = _COMMENT.sub("", template.read_text())
        offenders += [f"{template.relative_to(TEMPLATES)}: {m.group(0)}" for m in _INLINE.finditer(text)]
    assert not offenders
