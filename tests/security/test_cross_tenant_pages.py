"""The cross-tenant matrix of the customers' pages (issue 11): every page URL pattern outside /api/, /admin/ and
/anymail/ is read from the URL resolver when the tests are collected, each path parameter is filled with the other
tenant's object and with a missing one, and the page is asked for with GET and with POST (a CSRF-checking client,
signed in as Alpha's owner): the answers must be alike (the 404 page) and hold nothing of the other tenant's. Then
every form those pages show is posted with the other tenant's references in each field that names an object:
the same answer, form errors included, as for a missing one.

To extend, when a page or a form field appears that the tables below do not know (a test says which):
- ``PAGE_PARAMETERS``: a path parameter -> the kind of object it names (``world.KINDS``);
- ``VALUE_PARAMETERS``: a path parameter that names no object -> the values to try (every one is tried);
- ``NOT_TRIED``: a pattern the matrix cannot fill, with why;
- ``FORM_FIELDS``: a form field (its name without a form prefix) -> kind, or None when it names no object;
  ``FORM_FIELD_OVERRIDES`` for a field that means something else on one page; ``FORM_VALUES`` for the value
  of a field that names no object when the page leaves it empty;
- ``KNOWN_LEAKS``: (pattern name, slot, method) -> the leak, for a page that answers another tenant's object
  otherwise than a missing one (the case is an expected failure, strict: fixing the page makes it fail).
"""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from .conftest import both, isolated, leaked, normalized
from .world import KINDS

pytestmark = pytest.mark.django_db

EXCLUDED_PREFIXES = ("api/", "admin/", "anymail/", "static/", settings.STATIC_URL.lstrip("/"))

PAGE_PARAMETERS = {
    "org_id": "organization",
    "project_id": "project",
    "invitation_id": "invitation",
    "request_id": "join_request",
    "monitoring_user_id": "monitoring_user",
    "user_id": "person_id",
    "group_id": "monitoring_group",
    "cluster_name": "cluster",
    "team_id": "team",
    "api_key_id": "api_key",
    "event_id": "event",
}
VALUE_PARAMETERS = {  # pattern name -> {parameter: the values to try}
    "accounts:invitation_action": {"action": ["resend", "revoke"]},
    "accounts:join_request_action": {"action": ["approve", "deny"]},
}
_SECRET_LINK = (
    "its parameters are the secret of an emailed link: whoever holds it is the one it was sent to, and only a "
    "hash is stored, so no other tenant's link can be made here (the page's own tests cover it)"
)
NOT_TRIED = {
    "invitation_accept": _SECRET_LINK,
    "account_confirm_email": _SECRET_LINK,
    "account_reset_password_from_key": _SECRET_LINK,
}

FORM_FIELDS = {
    "csrfmiddlewaretoken": None,
    "emails": "invitee_email",
    "roles": None,
    "teams": "team_pk",
    "username": "monitoring_username",
    "email": "monitoring_email",
    "linked_user": "person_email",
    "group_role": None,
    "role": None,
    "name": None,
    "grant_type": None,
    "hours": None,
    "restrict_employee_access": None,
    "api_access_list_required": None,
    "message": None,
    "password": None,
    "next": None,
    "first_name": None,
    "last_name": None,
    "time_zone": None,
    "password1": None,
    "password2": None,
    "multi_factor_auth_required": None,
    "action": None,
    "members": "person_email",
    "description": None,
    "sequence": None,
    "ip_address": None,
    "project": "project",
    "api_key": "api_key",
    "entry": "access_list_entry",
    "team": "team",
}
FORM_FIELD_OVERRIDES = {
    ("login", "username"): "person_email",
    ("accounts:welcome", "project_id"): "project",
    # Not references: a person's own new address, and a reset request that allauth answers alike for any address.
    ("account_email", "email"): None,
    ("account_reset_password", "email"): None,
}
FORM_VALUES = {"name": "Matrix Page Group", "message": "matrix", "password": "not-the-password"}

# (pattern name, slot, method) -> the leak; see the module docstring.
KNOWN_LEAKS: dict[tuple[str, str, str], str] = {}

FROZEN = timezone.now().replace(microsecond=0)


# ---- the pages ------------------------------------------------------------------------------------------------


@dataclass
class Page:
    name: str  # the pattern's name with its namespaces, for reverse()
    route: str
    parameters: list
    unknown: list = field(default_factory=list)

    def url(self, values) -> str:
        return reverse(self.name, kwargs={n: str(v) for n, v in values.items()})


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + route, inner)
        elif isinstance(entry, URLPattern):
            yield prefix + route, entry, namespace


def pages() -> list[Page]:
    found = []
    for route, entry, namespace in _walk(get_resolver().url_patterns):
        plain = route.lstrip("^")
        if plain.startswith(EXCLUDED_PREFIXES) or entry.name in NOT_TRIED:
            continue
        if isinstance(entry.pattern, RoutePattern):
            parameters = list(entry.pattern.converters)
        else:
            parameters = list(re.compile(str(entry.pattern)).groupindex)
        page = Page(f"{namespace}{entry.name}" if entry.name else "", route, parameters)
        if not entry.name:
            page.unknown.append("the pattern has no name (give it one, so the matrix can reverse it)")
        values = VALUE_PARAMETERS.get(page.name, {})
        page.unknown += [f"path parameter {p}" for p in parameters if p not in PAGE_PARAMETERS | values]
        found.append(page)
    return found


PAGES = pages()


def _first(page, own):
    """The page's address with Alpha's own objects (and the first value of each parameter naming none)."""
    values = VALUE_PARAMETERS.get(page.name, {})
    return {p: own(PAGE_PARAMETERS[p]) if p in PAGE_PARAMETERS else values[p][0] for p in page.parameters}


def _slots(page):
    named = [p for p in page.parameters if p in PAGE_PARAMETERS]
    slots = [(f"path:{p}", [p]) for p in named]
    if len(named) > 1:
        slots.append(("path:*", named))
    return slots


def _page_cases():
    for page in PAGES:
        if page.unknown:
            continue
        values = _value_combinations(page)
        for label, names in _slots(page) or [("none", [])]:
            for fixed in values:
                for method in ("get", "post"):
                    marks = []
                    leak = KNOWN_LEAKS.get((page.name, label, method))
                    if leak:
                        marks.append(pytest.mark.xfail(strict=True, reason=leak))
                    suffix = "".join(f" {k}={v}" for k, v in fixed.items())
                    yield pytest.param(
                        page,
                        label,
                        names,
                        fixed,
                        method,
                        marks=marks,
                        id=f"{method.upper()} {page.route} {label}{suffix}",
                    )


def _value_combinations(page):
    """Every combination of the values of the page's parameters that name no object: [{parameter: value}]."""
    combos = [{}]
    for name, values in VALUE_PARAMETERS.get(page.name, {}).items():
        combos = [{**combo, name: value} for combo in combos for value in values]
    return combos


PAGE_CASES = list(_page_cases())


# ---- clients and answers --------------------------------------------------------------------------------------

# 32 characters: an unmasked secret, which Django accepts as the cookie and as the form's token.
CSRF = "MatrixCsrfSecret0123456789abcdef"


def client_for(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF
    return client


def send(client, method, url, data=None):
    """One request (redirects followed, so a message shown on the next page counts), at a frozen time, rolled
    back afterwards."""
    with isolated(), time_machine.travel(FROZEN, tick=False), CaptureQueriesContext(connection) as queries:
        if method == "get":
            response = client.get(url, follow=True)
        else:
            response = client.post(url, {**(data or {}), "csrfmiddlewaretoken": CSRF}, follow=True)
    response.queries = len(queries)
    return response


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def answer(response, given, known_ids):
    text = _CSRF_INPUT.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())
    chain = [(url, code) for url, code in response.redirect_chain]
    return response.status_code, normalized(str(chain), given, known_ids), normalized(text, given, known_ids)


@pytest.mark.parametrize(("page", "label", "names", "fixed", "method"), PAGE_CASES)
def test_a_page_answers_another_tenants_object_like_a_missing_one(world, page, label, names, fixed, method):
    client = client_for(world.a.owner)
    known, secrets = world.known_ids(), world.b.identifying_strings()
    own = lambda kind: KINDS[kind].own(world.a)[0]  # noqa: E731
    base = {**_first(page, own), **fixed}
    if label == "none":
        response = send(client, method, page.url(base))
        assert response.status_code < 500
        assert not leaked(response.content.decode(), secrets, set())
        return

    problems, missing_answer = [], None
    flavors = {n: KINDS[PAGE_PARAMETERS[n]].foreign(world.b) for n in names}
    rounds = max(len(f) for f in flavors.values()) if len(names) == 1 else 1
    for index in range(rounds):
        foreign, missing = dict(base), dict(base)
        for position, name in enumerate(names):
            flavor, value = flavors[name][min(index, len(flavors[name]) - 1)]
            foreign[name] = value
            missing[name] = _distinct(KINDS[PAGE_PARAMETERS[name]].missing[flavor], position)
        given_f = {f"<{n}>": foreign[n] for n in names}
        given_m = {f"<{n}>": missing[n] for n in names}
        got = send(client, method, page.url(foreign))
        expected = send(client, method, page.url(missing))
        masks = both(given_f, given_m)
        got_answer, expected_answer = answer(got, masks, known), answer(expected, masks, known)
        missing_answer = missing_answer or expected_answer
        if got.status_code >= 500 or expected.status_code >= 500:
            problems.append(f"server error: {page.url(foreign)}")
        if got.queries != expected.queries:  # asked once more: the first request may fill caches
            got.queries = send(client, method, page.url(foreign)).queries
        if got.queries != expected.queries:
            problems.append(
                f"{method.upper()} {page.url(foreign)} costs {got.queries} queries, a missing object "
                f"{expected.queries}"
            )
        if got_answer != expected_answer:
            problems.append(
                f"{method.upper()} {page.url(foreign)} is answered otherwise than a missing object:\n"
                f"  foreign: {got_answer[:2]} {_excerpt(got_answer[2], expected_answer[2])}\n"
                f"  missing: {expected_answer[:2]}"
            )
        shown = leaked(got.content.decode(), secrets, set(given_f.values()))
        if shown:
            problems.append(f"{method.upper()} {page.url(foreign)} shows the other tenant's {shown}")
        if method == "post":  # what a post did must not show up on the next page either
            home = send(client, "get", "/").content.decode()
            if leaked(home, secrets, set()):
                problems.append(
                    f"after POST {page.url(foreign)} the home page shows {leaked(home, secrets, set())}"
                )

    # The parameter is looked at: Alpha's own object gets another answer than a missing one, for one of them.
    own_answers = []
    for values in _own_combinations(page, names, world, base):
        response = send(client, method, page.url(values))
        own_answers.append(answer(response, {f"<{n}>": values[n] for n in names}, known))
        if own_answers[-1] != missing_answer:
            break
    else:
        if own_answers[0][0] != 405:  # a view that takes no GET answers 405 whatever the address names
            problems.append(
                f"{label} of {page.route} seems never looked at: own objects answer {own_answers[0][:2]}"
            )
    assert not problems, "\n".join(problems)


def _own_combinations(page, names, world, base):
    if len(names) > 1:
        yield base
        return
    for value in KINDS[PAGE_PARAMETERS[names[0]]].own(world.a):
        yield {**base, names[0]: value}


def _distinct(missing, index):
    if index == 0:
        return missing
    if len(missing) == 24:
        return f"{missing[:20]}{0xC0 + index:04x}"
    return f"{missing}-{index}"


def _excerpt(got, expected):
    """Where two pages first differ."""
    at = next(
        (i for i, (x, y) in enumerate(zip(got, expected, strict=False)) if x != y),
        min(len(got), len(expected)),
    )
    return f"...{got[max(at - 200, 0) : at + 200]!r}... vs ...{expected[max(at - 200, 0) : at + 200]!r}..."


def test_every_page_parameter_is_classified():
    """A page whose path parameter the matrix cannot fill is a hole in it: classify it above."""
    unknown = {page.route: page.unknown for page in PAGES if page.unknown}
    assert not unknown, f"unclassified (see tests/security/test_cross_tenant_pages.py): {unknown}"


# ---- the forms ------------------------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The POST forms of a page: action, and each field's name with the value the page gives it."""

    def __init__(self, page_url):
        super().__init__()
        self.page_url, self.forms, self._form, self._select, self._textarea = page_url, [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self._form = {"action": attrs.get("action") or self.page_url, "fields": {}, "multi": set()}
            self.forms.append(self._form)
        if self._form is None or "name" not in attrs and tag != "option":
            return
        fields = self._form["fields"]
        if tag == "input":
            kind, name = attrs.get("type", "text"), attrs["name"]
            if kind in ("checkbox", "radio"):
                fields.setdefault(name, [])
                if kind == "checkbox":
                    self._form["multi"].add(name)
                if "checked" in attrs:
                    fields[name].append(attrs.get("value", "on"))
            elif kind not in ("submit", "button"):
                fields[name] = attrs.get("value", "")
        elif tag == "select":
            self._select, self._first_option = attrs["name"], None
            fields[self._select] = []
            if "multiple" in attrs:
                self._form["multi"].add(self._select)
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = attrs.get("value", "")
            if "selected" in attrs:
                fields[self._select].append(attrs.get("value", ""))
        elif tag == "textarea":
            self._textarea = attrs["name"]
            fields[self._textarea] = ""

    def handle_data(self, data):
        if self._form is not None and self._textarea is not None:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            fields = self._form["fields"] if self._form is not None else {}
            if (
                self._select in fields
                and not fields[self._select]
                and self._select not in self._form["multi"]
            ):
                fields[self._select] = [self._first_option or ""]
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _field_kind(page_name, field_name):
    base = field_name.rsplit("-", 1)[-1]
    if (page_name, base) in FORM_FIELD_OVERRIDES:
        return FORM_FIELD_OVERRIDES[(page_name, base)], True
    return FORM_FIELDS.get(base), base in FORM_FIELDS


def _forms_of_pages(world, client):
    """Every POST form the pages show Alpha's owner, with the object fields in it: [(form, [(field, kind)])]."""
    own = lambda kind: KINDS[kind].own(world.a)[0]  # noqa: E731
    seen, forms, unknown = set(), [], set()
    for page in PAGES:
        if page.unknown:
            continue
        url = page.url(_first(page, own))
        response = send(client, "get", url)
        if response.status_code != 200:
            continue
        parser = _Forms(response.request["PATH_INFO"])
        parser.feed(response.content.decode())
        for form in parser.forms:
            action = urlsplit(form["action"]).path
            name = resolve(action).view_name
            key = (name, tuple(sorted(form["fields"])))
            if key in seen:
                continue
            seen.add(key)
            references = []
            for field_name in form["fields"]:
                kind, known = _field_kind(name, field_name)
                if not known:
                    unknown.add(f"{name}: {field_name}")
                elif kind is not None:
                    references.append((field_name, kind))
            forms.append((name, action, form, references))
    return forms, unknown


def _form_data(view_name, form, own):
    """The form as the page fills it, empty fields given a value: Alpha's own object where one is named."""
    data = {}
    for name, value in form["fields"].items():
        if name == "csrfmiddlewaretoken":
            continue
        kind, _ = _field_kind(view_name, name)
        if value in ("", []) and kind is not None:
            value = own(kind)
        elif value in ("", []):
            value = FORM_VALUES.get(name.rsplit("-", 1)[-1], value)
        data[name] = value
    return data


def test_forms_answer_another_tenants_references_like_missing_ones(world):
    client = client_for(world.a.owner)
    known, secrets = world.known_ids(), world.b.identifying_strings()
    own = lambda kind: KINDS[kind].own(world.a)[0]  # noqa: E731
    forms, unknown = _forms_of_pages(world, client)
    assert not unknown, f"unclassified form fields (see FORM_FIELDS in this file): {sorted(unknown)}"
    tried, problems = [], []
    for view_name, action, form, references in forms:
        for field_name, kind in references:
            base = _form_data(view_name, form, own)
            multi = field_name in form["multi"] or isinstance(form["fields"][field_name], list)
            wrap = (lambda v: [v]) if multi else (lambda v: v)
            base[field_name] = wrap(own(kind))
            tried.append(f"{view_name}.{field_name}")
            missing_answer = None
            for flavor, value in KINDS[kind].foreign(world.b):
                missing = KINDS[kind].missing[flavor]
                got = send(client, "post", action, {**base, field_name: wrap(value)})
                expected = send(client, "post", action, {**base, field_name: wrap(missing)})
                masks = {"<GIVEN>": [value, missing]}
                got_answer, expected_answer = answer(got, masks, known), answer(expected, masks, known)
                missing_answer = missing_answer or expected_answer
                if got_answer != expected_answer:
                    problems.append(
                        f"{view_name} {field_name}={value!r}: answered otherwise than a missing {kind}:\n"
                        f"  {got_answer[:2]} {_excerpt(got_answer[2], expected_answer[2])}"
                    )
                if got.queries != expected.queries:  # asked once more: the first request may fill caches
                    got.queries = send(client, "post", action, {**base, field_name: wrap(value)}).queries
                if got.queries != expected.queries:
                    problems.append(
                        f"{view_name} {field_name}={value!r} costs {got.queries} queries, a missing {kind} "
                        f"{expected.queries}"
                    )
                shown = leaked(got.content.decode(), secrets, {value})
                if shown:
                    problems.append(f"{view_name} {field_name}={value!r} shows the other tenant's {shown}")
            own_answers = [
                answer(
                    send(client, "post", action, {**base, field_name: wrap(value)}), {"<GIVEN>": value}, known
                )
                for value in KINDS[kind].own(world.a)
            ]
            if all(a == missing_answer for a in own_answers):
                problems.append(f"{view_name} {field_name} seems never looked at")
    assert tried, "no form with a field naming an object was found: the page walk is broken"
    assert not problems, "\n".join(problems)
