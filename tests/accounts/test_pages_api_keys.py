"""The API Keys tab, a key's page and a project's API keys page (accounts/views/api_keys.py): the private key shown
once (never stored by the browser, a resent form creates nothing), roles as human names, description and roles,
projects, the access list (a bad address is a form error), deletion after a confirmation; another organization's
key or project answers like a missing one; those who may not manage keys change nothing; constant queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import ApiKey, ApiKeyAccessListEntry, AuditEvent, ProjectMembership
from accounts.services import api_keys as key_services
from accounts.services import organization_create, organization_member_add, project_create, project_member_add
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRIVATE_KEY = re.compile(r'<code id="private-key" class="secret">([0-9a-f-]{36})</code>')


def keys_url(organization):
    return f"/orgs/{organization.public_id}/api-keys/"


def key_url(api_key):
    return f"/orgs/{api_key.organization.public_id}/api-keys/{api_key.public_id}/"


def project_keys_url(project):
    return f"/projects/{project.public_id}/api-keys/"


def plain(response, *names):
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    for name in names:
        text = text.replace(name, "<GIVEN>")
    return text


def make_key(organization, owner, description="CI", organization_roles=(roles.ORG_MEMBER,)):
    return key_services.api_key_create(
        organization=organization, description=description, roles=list(organization_roles), actor=owner
    )[0]


def _queries(client, url):
    client.get(url)  # the first request may fill caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.fixture
def ci_key(organization, owner, project):
    api_key = make_key(organization, owner, "Deploy bot", [roles.ORG_READ_ONLY, roles.ORG_GROUP_CREATOR])
    key_services.api_key_project_assign(
        api_key=api_key, project=project, roles=[roles.GROUP_CLUSTER_MANAGER], actor=owner
    )
    return api_key


@pytest.fixture
def foreign(db):
    boss = UserFactory(email="boss@globex.example")
    globex = organization_create(name="Globex", actor=boss)
    their_project = project_create(organization=globex, name="Their project", actor=boss)
    their_key = make_key(globex, boss, "Their key")
    key_services.api_key_access_list_add(api_key=their_key, entries=["198.51.100.0/24"], actor=boss)
    return {"organization": globex, "project": their_project, "key": their_key, "owner": boss}


# ---- the organization's list ---------------------------------------------------------------------------------


def test_the_tab_lists_keys_with_human_role_names_and_their_projects(client, organization, owner, ci_key):
    client.force_login(owner)
    page = client.get(keys_url(organization)).content.decode()
    assert 'aria-current="page">API Keys</a>' in page
    assert "Deploy bot" in page and f"<code>{ci_key.public_key}</code>" in page
    assert "Organization Project Creator, Organization Read Only" in page
    assert "Production" in page and "Project Cluster Manager" in page
    assert "ORG_READ_ONLY" not in page.split('<form method="post"')[0]  # codes only as form values


def test_the_list_searches_and_costs_the_same_queries_at_5_and_60_keys(client, organization, owner, project):
    def add(count):
        for _ in range(count):
            api_key = make_key(organization, owner, f"key {ApiKey.objects.count():03}")
            key_services.api_key_project_assign(
                api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner
            )

    client.force_login(owner)
    add(5)
    few = _queries(client, keys_url(organization))
    add(55)
    assert _queries(client, keys_url(organization)) == few
    first = client.get(keys_url(organization)).content.decode()
    assert "1–50 of 60" in first
    found = client.get(keys_url(organization), {"q": "key 059"}).content.decode()
    assert "1–1 of 1" in found


# ---- create: the private key once ---------------------------------------------------------------------------------


def test_the_private_key_is_shown_once_with_a_copy_button_and_a_warning(client, organization, owner):
    client.force_login(owner)
    form = client.get(keys_url(organization)).content.decode()
    assert 'name="key-sequence" value="0"' in form
    response = client.post(
        keys_url(organization),
        {"key-description": "Terraform", "key-roles": [roles.ORG_GROUP_CREATOR], "key-sequence": "0"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    private_key = PRIVATE_KEY.search(page).group(1)
    api_key = ApiKey.objects.get(description="Terraform")
    assert api_key.public_key in page
    assert 'data-copy-target="private-key"' in page and "accessportal/copy.js" in page
    assert "only time it is shown" in page
    assert AuditEvent.objects.filter(event_type="API_KEY_CREATED", target_id=api_key.public_id).exists()

    # Sent again (a reload): nothing is created, nothing is shown.
    again = client.post(
        keys_url(organization),
        {"key-description": "Terraform", "key-roles": [roles.ORG_GROUP_CREATOR], "key-sequence": "0"},
        follow=True,
    )
    assert ApiKey.objects.filter(description="Terraform").count() == 1
    assert private_key not in again.content.decode() and "was sent already" in again.content.decode()
    for url in (keys_url(organization), key_url(api_key)):
        assert private_key not in client.get(url).content.decode()
    # The next form, shown now, creates.
    assert 'name="key-sequence" value="1"' in client.get(keys_url(organization)).content.decode()


def test_a_key_needs_a_description_said_next_to_the_field(client, organization, owner):
    client.force_login(owner)
    response = client.post(keys_url(organization), {"key-description": "", "key-sequence": "0"})
    assert response.status_code == 400
    assert not ApiKey.objects.exists()
    assert response.content.decode().count("This field is required.") == 1


def test_the_default_role_applies_only_when_no_role_is_picked(client, organization, owner, project):
    client.force_login(owner)
    form = client.get(keys_url(organization)).content.decode()
    assert "checked" not in form.split('name="key-roles"')[1].split(">")[0]  # nothing ticked beforehand
    assert "Organization Member when none is picked." in form
    for description, picked, expected in (
        ("plain", [], [roles.ORG_MEMBER]),
        ("reader", [roles.ORG_READ_ONLY], [roles.ORG_READ_ONLY]),
    ):
        sequence = client.session.get("api_key_form_sequence", 0)
        data = {"key-description": description, "key-roles": picked, "key-sequence": sequence}
        assert client.post(keys_url(organization), data).status_code == 200
        api_key = ApiKey.objects.get(description=description)
        assert api_key.user.organization_memberships.get().role_names == expected
    data = {"action": "assign", "assign-project": project.public_id}
    assert client.post(key_url(api_key), data).status_code == 302
    assert ProjectMembership.objects.get(project=project, user=api_key.user).role_names == [
        roles.GROUP_READ_ONLY
    ]


# ---- a key's page ---------------------------------------------------------------------------------------------


def test_an_owner_edits_the_description_and_roles(client, organization, owner, ci_key):
    client.force_login(owner)
    response = client.post(
        key_url(ci_key),
        {"action": "edit", "edit-description": "Deploy robot", "edit-roles": [roles.ORG_MEMBER]},
    )
    assert response.status_code == 302
    ci_key.refresh_from_db()
    assert ci_key.description == "Deploy robot"
    membership = ci_key.user.organization_memberships.get(organization=organization)
    assert membership.role_names == [roles.ORG_MEMBER]
    assert AuditEvent.objects.filter(event_type="API_KEY_ROLES_CHANGED").exists()
    assert "Organization Member" in client.get(key_url(ci_key)).content.decode()


def test_an_owner_assigns_a_key_to_a_project_changes_its_roles_and_removes_it(
    client, organization, owner, ci_key, project
):
    other = project_create(organization=organization, name="Staging", actor=owner)
    client.force_login(owner)
    data = {"action": "assign", "assign-project": other.public_id, "assign-roles": [roles.GROUP_READ_ONLY]}
    assert client.post(key_url(ci_key), data).status_code == 302
    assert ProjectMembership.objects.get(project=other, user=ci_key.user).role_names == [
        roles.GROUP_READ_ONLY
    ]
    data["assign-roles"] = [roles.GROUP_OWNER]
    assert client.post(key_url(ci_key), data).status_code == 302
    assert ProjectMembership.objects.get(project=other, user=ci_key.user).role_names == [roles.GROUP_OWNER]
    page = client.get(key_url(ci_key)).content.decode()
    assert "Staging" in page and "Project Owner" in page

    remove = f"{key_url(ci_key)}projects/{other.public_id}/remove/"
    confirmation = client.get(remove).content.decode()
    assert "Remove the API key Deploy bot from Staging?" in confirmation and "Project Owner" in confirmation
    assert ProjectMembership.objects.filter(project=other, user=ci_key.user).exists()
    assert client.post(remove).status_code == 302
    assert not ProjectMembership.objects.filter(project=other, user=ci_key.user).exists()


def test_access_list_entries_are_added_and_removed_and_bad_input_is_a_form_error(
    client, organization, owner, ci_key
):
    client.force_login(owner)
    for bad, said in (
        ("not-an-ip", "not an IP address or CIDR block"),
        ("10.0.0.1/8", "did you mean 10.0.0.0/8"),
    ):
        response = client.post(key_url(ci_key), {"action": "access", "access-ip_address": bad})
        assert response.status_code == 400
        assert said in response.content.decode()
    assert not ApiKeyAccessListEntry.objects.exists()

    assert (
        client.post(key_url(ci_key), {"action": "access", "access-ip_address": "203.0.113.7"}).status_code
        == 302
    )
    assert list(ci_key.access_list.values_list("cidr_block", flat=True)) == ["203.0.113.7/32"]
    assert "203.0.113.7/32" in client.get(key_url(ci_key)).content.decode()

    remove = f"{key_url(ci_key)}access-list/remove/"
    confirmation = client.get(remove, {"entry": "203.0.113.7/32"}).content.decode()
    assert "Remove 203.0.113.7/32 from the access list of Deploy bot?" in confirmation
    assert 'name="entry" value="203.0.113.7/32"' in confirmation
    assert "It is the last entry" in confirmation
    assert client.post(remove, {"entry": "203.0.113.7/32"}).status_code == 302
    assert not ci_key.access_list.exists()
    assert AuditEvent.objects.filter(event_type="API_KEY_ACCESS_LIST_ENTRY_DELETED").exists()
    # An entry that is not there, or not an address: said, nothing happens.
    assert client.get(remove, {"entry": "nonsense"}, follow=True).status_code == 200
    assert client.post(remove, {"entry": "192.0.2.1"}, follow=True).status_code == 200


def test_deleting_a_key_confirms_naming_its_projects(client, organization, owner, ci_key):
    client.force_login(owner)
    url = f"{key_url(ci_key)}delete/"
    confirmation = client.get(url).content.decode()
    assert "Delete the API key Deploy bot?" in confirmation
    assert "Production: Project Cluster Manager" in confirmation
    assert ApiKey.objects.filter(pk=ci_key.pk).exists()
    response = client.post(url, follow=True)
    assert not ApiKey.objects.filter(pk=ci_key.pk).exists()
    assert f"The API key {ci_key.public_key} (Deploy bot) was deleted." in response.content.decode()


# ---- a project's keys ----------------------------------------------------------------------------------------


def test_the_project_page_lists_assigns_creates_and_removes_keys(
    client, organization, owner, ci_key, project
):
    spare = make_key(organization, owner, "Spare")
    client.force_login(owner)
    page = client.get(project_keys_url(project)).content.decode()
    assert "Deploy bot" in page and "Project Cluster Manager" in page
    assert f'<option value="{spare.public_id}">Spare ({spare.public_key})</option>' in page
    assert f'<option value="{ci_key.public_id}"' not in page  # assigned already

    data = {"action": "assign", "assign-api_key": spare.public_id, "assign-roles": [roles.GROUP_READ_ONLY]}
    assert client.post(project_keys_url(project), data).status_code == 302
    assert ProjectMembership.objects.filter(project=project, user=spare.user).exists()

    response = client.post(
        project_keys_url(project),
        {
            "action": "create",
            "key-description": "Reports",
            "key-roles": [roles.GROUP_DATA_ACCESS_READ_ONLY],
            "key-sequence": "0",
        },
    )
    assert response.status_code == 200 and PRIVATE_KEY.search(response.content.decode())
    created = ApiKey.objects.get(description="Reports")
    assert created.user.organization_memberships.get().role_names == [roles.ORG_MEMBER]
    assert ProjectMembership.objects.get(project=project, user=created.user).role_names == [
        roles.GROUP_DATA_ACCESS_READ_ONLY
    ]

    remove = f"{project_keys_url(project)}{spare.public_id}/remove/"
    assert "Remove the API key Spare from Production?" in client.get(remove).content.decode()
    assert client.post(remove).status_code == 302
    assert not ProjectMembership.objects.filter(project=project, user=spare.user).exists()


def test_the_project_page_costs_the_same_queries_at_5_and_60_keys(client, organization, owner, project):
    def add(count):
        for _ in range(count):
            api_key = make_key(organization, owner, f"key {ApiKey.objects.count():03}")
            key_services.api_key_project_assign(
                api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner
            )

    client.force_login(owner)
    add(5)
    few = _queries(client, project_keys_url(project))
    add(55)
    assert _queries(client, project_keys_url(project)) == few


# ---- refusals ------------------------------------------------------------------------------------------------


def _state():
    return (
        sorted(ApiKey.objects.values_list("description", flat=True)),
        ProjectMembership.objects.filter(user__api_key__isnull=False).count(),
        ApiKeyAccessListEntry.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("role", [roles.ORG_MEMBER, roles.ORG_READ_ONLY])
def test_those_who_may_not_manage_keys_change_nothing(client, organization, owner, ci_key, project, role):
    person = UserFactory(email="reader@example.com")
    organization_member_add(organization=organization, user=person, roles=[role], actor=owner)
    project_member_add(project=project, user=person, roles=[roles.GROUP_READ_ONLY], actor=owner)
    client.force_login(person)
    before = _state()
    assert (
        "API Keys" not in client.get(f"/orgs/{organization.public_id}/").content.decode().split("</nav>")[2]
    )
    assert client.get(keys_url(organization)).status_code == 403
    assert client.get(key_url(ci_key)).status_code == 403
    attempts = [
        (
            keys_url(organization),
            {"key-description": "Mine", "key-roles": [roles.ORG_MEMBER], "key-sequence": "0"},
        ),
        (key_url(ci_key), {"action": "edit", "edit-description": "Mine", "edit-roles": [roles.ORG_OWNER]}),
        (key_url(ci_key), {"action": "access", "access-ip_address": "192.0.2.1"}),
        (f"{key_url(ci_key)}delete/", {}),
        (f"{key_url(ci_key)}projects/{project.public_id}/remove/", {}),
        (
            project_keys_url(project),
            {"action": "assign", "assign-api_key": ci_key.public_id, "assign-roles": [roles.GROUP_OWNER]},
        ),
        (
            project_keys_url(project),
            {
                "action": "create",
                "key-description": "Mine",
                "key-roles": [roles.GROUP_OWNER],
                "key-sequence": "0",
            },
        ),
        (f"{project_keys_url(project)}{ci_key.public_id}/remove/", {}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status_code == 403, url
    # A project reader sees the project's keys, and no form.
    page = client.get(project_keys_url(project)).content.decode()
    assert "Deploy bot" in page and "Assign" not in page and "Create a key" not in page
    assert _state() == before


def test_another_organizations_key_or_project_answers_like_a_missing_one(
    client, organization, owner, ci_key, project, foreign
):
    client.force_login(owner)
    missing = "ffffffffffffffffffff0001"
    theirs = foreign["key"].public_id
    before = _state()
    for suffix in (
        "",
        "delete/",
        "access-list/remove/?entry=198.51.100.0/24",
        f"projects/{project.public_id}/remove/",
    ):
        for method in ("get", "post"):
            got = getattr(client, method)(f"{keys_url(organization)}{theirs}/{suffix}")
            expected = getattr(client, method)(f"{keys_url(organization)}{missing}/{suffix}")
            assert got.status_code == expected.status_code == 404
            assert plain(got, theirs) == plain(expected, missing)
    for method in ("get", "post"):
        got = getattr(client, method)(f"{project_keys_url(project)}{theirs}/remove/")
        expected = getattr(client, method)(f"{project_keys_url(project)}{missing}/remove/")
        assert got.status_code == expected.status_code == 404
        assert plain(got, theirs) == plain(expected, missing)
    assert client.get(project_keys_url(foreign["project"])).status_code == 404
    assert client.get(f"{key_url(ci_key)}projects/{foreign['project'].public_id}/remove/").status_code == 404
    # Named in a form: the same form error.
    answers = []
    for value in (foreign["project"].public_id, missing):
        data = {"action": "assign", "assign-project": value, "assign-roles": [roles.GROUP_READ_ONLY]}
        response = client.post(key_url(ci_key), data)
        assert response.status_code == 400
        answers.append(plain(response, value))
    assert answers[0] == answers[1]
    answers = []
    for value in (theirs, missing):
        data = {"action": "assign", "assign-api_key": value, "assign-roles": [roles.GROUP_READ_ONLY]}
        response = client.post(project_keys_url(project), data)
        assert response.status_code == 400
        answers.append(plain(response, value))
    assert answers[0] == answers[1]
    assert _state() == before


def test_a_project_owner_who_is_not_an_organization_owner_assigns_keys_but_creates_none(
    client, organization, owner, project
):
    spare = make_key(organization, owner, "Spare")
    lead = UserFactory(email="lead@example.com")
    organization_member_add(organization=organization, user=lead, actor=owner)
    project_member_add(project=project, user=lead, roles=[roles.GROUP_OWNER], actor=owner)
    client.force_login(lead)
    page = client.get(project_keys_url(project)).content.decode()
    assert "Assign a key of Acme" in page and "Create a key" not in page
    data = {"action": "assign", "assign-api_key": spare.public_id, "assign-roles": [roles.GROUP_READ_ONLY]}
    assert client.post(project_keys_url(project), data).status_code == 302
    assert ProjectMembership.objects.filter(project=project, user=spare.user).exists()
    before = _state()
    create = {
        "action": "create",
        "key-description": "Mine",
        "key-roles": [roles.GROUP_OWNER],
        "key-sequence": "0",
    }
    assert client.post(project_keys_url(project), create).status_code == 403
    assert _state() == before


def test_a_key_page_costs_the_same_queries_at_5_and_60_projects_and_entries(client, organization, owner):
    api_key = make_key(organization, owner, "Busy")

    def add(count):
        for _ in range(count):
            index = ProjectMembership.objects.filter(user=api_key.user).count()
            project = project_create(organization=organization, name=f"P{index:03}", actor=owner)
            key_services.api_key_project_assign(
                api_key=api_key, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner
            )
            key_services.api_key_access_list_add(api_key=api_key, entries=[f"10.1.{index}.0/24"], actor=owner)

    client.force_login(owner)
    add(5)
    few = _queries(client, key_url(api_key))
    add(55)
    assert _queries(client, key_url(api_key)) == few
    page = client.get(key_url(api_key)).content.decode()
    assert "1–50 of 60" in page and 'aria-label="Access list: pages"' in page
    assert "10.1.59.0/24" in client.get(key_url(api_key), {"entries": 2}).content.decode()


def test_a_service_account_in_the_project_is_not_listed_among_its_api_keys(
    client, organization, owner, ci_key, project
):
    from serviceaccounts.services.accounts import service_account_create, service_account_project_assign

    account = service_account_create(
        organization=organization,
        name="Robot",
        description="OAuth client",
        roles=[roles.ORG_MEMBER],
        secret_expires_after_hours=24,
        actor=owner,
    )[0]
    service_account_project_assign(
        service_account=account, project=project, roles=[roles.GROUP_READ_ONLY], actor=owner
    )
    client.force_login(owner)
    response = client.get(project_keys_url(project))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Deploy bot" in page and "OAuth client" not in page and "1–1 of 1" in page
