"""Page plumbing shared by every customer page: the layout's navigation (organization switcher, tabs,
breadcrumbs), lists in pages of 50 with a search box, the confirmation page of destructive actions, error pages.

A page view, in full (the conventions every page follows; ``templates/base.html`` documents the blocks):

    @login_required
    def team_delete(request, org_id, team_id):
        organization = ...                     # fetched with permission (selectors.access_*)
        team = ...
        if request.method == "POST":           # the confirmation page posts here
            try:
                services.team_delete(team=team, actor=request.user)
            except ServiceError as error:
                messages.error(request, error.message)
                return redirect("accounts:organization_teams", org_id=organization.public_id)
            messages.success(request, f"The team {team.name} was deleted.")
            return redirect("accounts:organization_teams", org_id=organization.public_id)
        return confirm_page(                   # GET: what goes, a danger button, Cancel
            request,
            title=f"Delete the team {team.name}?",
            items=[f"{p.name}: {', '.join(p.role_labels)}" for p in ...],
            button="Delete team",
            cancel_url=reverse("accounts:organization_teams", kwargs={"org_id": organization.public_id}),
            organization=organization,
            tab="teams",
        )

    def organization_teams(request, org_id):
        ...
        teams = selectors.organization_teams(organization).filter(name__icontains=search_term(request))
        page = paginate(request, teams)
        return render_page(request, "accounts/teams.html", {"page": page}, organization=organization, tab="teams")

Templates extend ``base.html`` and fill ``title`` and ``content``; a list is ``includes/search.html`` +
``includes/pagination.html`` around a ``<div class="table-scroll">``; a destructive action links to its
confirmation page (GET) instead of posting at once.
"""

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import SimpleLazyObject

from .. import roles, selectors
from ..permissions import actor_may

# ---- tabs ------------------------------------------------------------------------------------------------------

ORGANIZATION = "organization"
PROJECT = "project"


@dataclass(frozen=True)
class Tab:
    """One tab of an organization's or a project's pages. ``url_name`` takes exactly one argument: ``org_id``
    for an organization tab, ``project_id`` for a project tab. The tab shows only to those who hold
    ``permission`` on the organization or project (``accounts.permissions.actor_may``); the page itself must
    still check on the server (fetch with ``selectors.access_*``)."""

    id: str
    label: str
    url_name: str
    permission: str


# The tabs, in the order the layout shows them. A tab is registered only once its page exists, so that no
# tab leads nowhere; its id must be one of these.
TAB_ORDER = {
    ORGANIZATION: ("users", "teams", "projects", "api_keys", "monitoring", "activity", "settings"),
    PROJECT: ("access", "clusters", "monitoring", "activity"),
}

# The tab registry. Add a tab of accounts here, in the line of its id; another app (which accounts must not know)
# calls ``register_tab`` from its ``AppConfig.ready`` (see monitoring/apps.py, support/apps.py). Every tab's page
# renders with ``render_page(..., tab=<its id>)``. tests/accounts/test_pages.py checks that each one resolves.
TABS: dict[str, list[Tab]] = {
    ORGANIZATION: [
        Tab("users", "Users", "accounts:organization_access", roles.VIEW_ORGANIZATION),
        Tab("teams", "Teams", "accounts:organization_teams", roles.VIEW_ORGANIZATION),
        Tab("projects", "Projects", "accounts:organization_projects", roles.VIEW_ORGANIZATION),
        Tab("api_keys", "API Keys", "accounts:organization_api_keys", roles.MANAGE_API_KEYS),
        Tab("activity", "Activity", "accounts:organization_activity", roles.VIEW_ORGANIZATION),
    ],
    PROJECT: [
        Tab("access", "Access", "accounts:project_access", roles.VIEW_PROJECT),
        Tab("activity", "Activity", "accounts:project_activity", roles.VIEW_PROJECT),
    ],
}


def register_tab(scope: str, tab: Tab) -> None:
    """Add ``tab`` to the organization's (``ORGANIZATION``) or a project's (``PROJECT``) tabs, in its place of
    ``TAB_ORDER``. Registering the same tab twice is harmless; two different tabs with one id are a mistake."""
    order = TAB_ORDER[scope]
    if tab.id not in order:
        raise ValueError(f"unknown {scope} tab {tab.id!r}: add it to TAB_ORDER ({', '.join(order)})")
    tabs = TABS[scope]
    for existing in tabs:
        if existing.id == tab.id:
            if existing != tab:
                raise ValueError(f"the {scope} tab {tab.id!r} is registered already as {existing}")
            return
    tabs.append(tab)
    tabs.sort(key=lambda t: order.index(t.id))


def _tab(scope: str, tab_id: str) -> Tab:
    for tab in TABS[scope]:
        if tab.id == tab_id:
            return tab
    raise ValueError(f"no {scope} tab {tab_id!r} is registered (tabs: {[t.id for t in TABS[scope]]})")


# ---- navigation --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Crumb:
    label: str
    url: str | None = None  # None: the current page (the last crumb), or a place the person may not open


@dataclass(frozen=True)
class TabLink:
    tab: Tab
    url: str
    current: bool


@dataclass(frozen=True)
class Navigation:
    """What the layout shows above a page: ``nav`` in the template context."""

    organization: object | None = None
    project: object | None = None
    tabs: list[TabLink] = field(default_factory=list)
    tabs_label: str = ""
    breadcrumbs: list[Crumb] = field(default_factory=list)


def navigation(actor, *, organization=None, project=None, tab=None, crumbs=()) -> Navigation:
    """The tabs ``actor`` may open on the project (or else the organization), and the breadcrumbs organization ›
    project › tab › ``crumbs`` (label, url) pairs, the last one being the current page. Each permission is asked
    once (a few queries, whatever the page shows)."""
    if project is not None and organization is None:
        organization = project.organization
    answers = {}

    def may(permission, obj):
        key = (permission, obj._meta.model_name)
        if key not in answers:
            answers[key] = actor_may(actor, permission, obj)
        return answers[key]

    scope, target, kwargs = None, None, {}
    if project is not None:
        scope, target, kwargs = PROJECT, project, {"project_id": project.public_id}
    elif organization is not None:
        scope, target, kwargs = ORGANIZATION, organization, {"org_id": organization.public_id}

    tab_links = []
    current_tab = _tab(scope, tab) if tab is not None else None
    if target is not None:
        for each in TABS[scope]:
            if may(each.permission, target):
                url = reverse(each.url_name, kwargs=kwargs)
                tab_links.append(TabLink(each, url, each.id == tab))

    trail = []
    if organization is not None:
        url = None
        if may(roles.VIEW_ORGANIZATION, organization):
            url = reverse("accounts:organization_access", kwargs={"org_id": organization.public_id})
        trail.append(Crumb(organization.name, url))
    if project is not None:
        url = None
        if may(roles.VIEW_PROJECT, project):
            url = reverse("accounts:project_access", kwargs={"project_id": project.public_id})
        trail.append(Crumb(project.name, url))
    if current_tab is not None:
        trail.append(Crumb(current_tab.label, reverse(current_tab.url_name, kwargs=kwargs)))
    trail.extend(crumb if isinstance(crumb, Crumb) else Crumb(*crumb) for crumb in crumbs)
    if trail:
        trail[-1] = Crumb(trail[-1].label)  # the current page is not a link

    label = ""
    if target is not None:
        label = f"{project.name} (project)" if project is not None else f"{organization.name} (organization)"
    return Navigation(
        organization=organization, project=project, tabs=tab_links, tabs_label=label, breadcrumbs=trail
    )


def is_fragment_request(request) -> bool:
    """An htmx request that swaps part of the page (not a boosted link, not a history restore): its response
    leaves out the header and navigation, which the swap discards anyway (``htmx_fragment`` in base.html)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(
    request, template, context=None, *, organization=None, project=None, tab=None, crumbs=(), status=200
):
    """Render a customer page in the layout: ``render()`` plus ``nav`` (tabs and breadcrumbs, see
    ``navigation``). Pass the organization or the project the page belongs to and its tab id (from
    ``TAB_ORDER``); ``crumbs`` are extra (label, url) pairs below the tab, e.g. a team's page
    (``crumbs=[(team.name, None)]``). The header's organization switcher comes from the
    ``organization_switcher`` context processor, so every page (login, errors) has it.

    htmx: a request from htmx that swaps part of the page gets the same template without the header and
    navigation (``htmx_fragment``); ``Vary: HX-Request`` keeps caches from mixing the two."""
    context = dict(context or {})
    if is_fragment_request(request):
        context["htmx_fragment"] = True
    else:
        context["nav"] = navigation(
            request.user, organization=organization, project=project, tab=tab, crumbs=crumbs
        )
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


SWITCHER_SIZE = 25


def organization_switcher(request):
    """Context processor: ``switcher``, the person's organizations for the header (one query, made only when
    the page shows the header to a signed-in person). More than ``SWITCHER_SIZE``: "All organizations" (home)
    lists every one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "switcher": SimpleLazyObject(lambda: list(selectors.organizations_of_member(user)[:SWITCHER_SIZE]))
    }


# ---- lists: pages of 50 and a search box --------------------------------------------------------------------------

PER_PAGE = 50
SEARCH_MAX_LENGTH = 100


def paginate(request, queryset, per_page=PER_PAGE, *, param="page") -> Page:
    """The page of ``queryset`` that ``?page=`` asks for (the last one when past the end, the first when not a
    number): two queries, a COUNT and the page's rows, plus the queryset's own prefetches. Order the queryset.
    Two lists on one page take different ``param`` names. Render with ``includes/pagination.html``."""
    page = Paginator(queryset, per_page).get_page(request.GET.get(param))
    page.param = param
    return page


def search_term(request, param="q") -> str:
    """The ``?q=`` of a list's search box, trimmed, without control characters (PostgreSQL refuses NUL), at most
    ``SEARCH_MAX_LENGTH`` characters. Filter the queryset with it in the view (``icontains`` on name and email)."""
    term = "".join(ch for ch in request.GET.get(param, "") if ch.isprintable())
    return term.strip()[:SEARCH_MAX_LENGTH]


# ---- confirmation of destructive actions --------------------------------------------------------------------------


@dataclass(frozen=True)
class Confirmation:
    title: str
    button: str
    cancel_url: str
    items: list = field(default_factory=list)
    intro: str = ""
    warnings: list = field(default_factory=list)


def confirm_page(
    request,
    *,
    title,
    button,
    cancel_url=None,
    back=None,
    items=(),
    intro="",
    warnings=(),
    organization=None,
    project=None,
    tab=None,
    crumbs=(),
    template="confirm.html",
    context=None,
    status=200,
):
    """The GET half of a destructive action (the view performs it on POST to the same URL): ``title`` as the
    heading, ``intro`` a sentence, ``items`` what goes (a list of strings), ``warnings`` shown as alerts,
    ``button`` the danger button's label, ``cancel_url`` where Cancel leads; ``back``, (name, url) of the object
    the action is on, is both that url and the crumb before the button. Works without JavaScript. A page that
    needs more (a form field, richer items) extends ``confirm.html`` and fills its ``confirm_*`` blocks."""
    if back is not None:
        cancel_url, crumbs = cancel_url or back[1], [*crumbs, back]
    confirmation = Confirmation(
        title=title,
        button=button,
        cancel_url=cancel_url,
        items=list(items),
        intro=intro,
        warnings=list(warnings),
    )
    return render_page(
        request,
        template,
        {**(context or {}), "confirm": confirmation},
        organization=organization,
        project=project,
        tab=tab,
        crumbs=[*crumbs, (button, None)],
        status=status,
    )


# ---- errors -----------------------------------------------------------------------------------------------------

ERROR_TITLES = {
    400: "This request could not be understood",
    403: "You may not do this",
    404: "Page not found",
    409: "This could not be done",
    410: "This is no longer available",
}


def error_page(request, *, status, message="", title=None):
    """An error in the site's layout: ``status`` (the response's), ``title`` (by default one for the status),
    ``message`` for the person (by default, for 403 and 404, a sentence of 403.html / 404.html), and a way back
    home. For a ``ServiceError`` that escapes a page view:
    ``error_page(request, status=error.status, message=error.message)``."""
    title = title or ERROR_TITLES.get(status, "This could not be done")
    template = {403: "403.html", 404: "404.html"}.get(status, "error.html")
    return render(request, template, {"status": status, "title": title, "message": message}, status=status)
