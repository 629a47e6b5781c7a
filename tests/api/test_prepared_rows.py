"""PreparedRows (accessportal.prepared): a values_list read compiled once per process and length of its lists of
ids, answering what the queryset answers. The users list reads its members through it."""

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from accessportal.prepared import PreparedRows
from accounts import roles
from accounts.models import Invitation, OrganizationMembership
from accounts.services import project_create, project_member_add, team_create
from accounts.services.invitations import organization_invitations_create
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

V2 = "/api/atlas/v2"


def _memberships(organization_id, user_ids):
    return (
        OrganizationMembership.objects.filter(organization_id=organization_id, user_id__in=user_ids)
        .order_by("user_id")
        .values_list("user_id", "user__email", "created_at")
    )


@pytest.fixture
def compiled(monkeypatch):
    """The queries compiled from here on (each ``SQLCompiler.as_sql``, subqueries included)."""
    calls = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: calls.append(1) or original(self, *a, **k))
    return calls


@pytest.fixture
def people(organization, owner):
    return [owner] + [
        MemberFactory(organization=organization, actor=owner, email=f"member{i}@example.com")
        for i in range(4)
    ]


def test_the_rows_are_the_querysets_for_every_length_with_the_database_s_converters(organization, people):
    prepared = PreparedRows(_memberships, kinds=(int, list))
    ids = [user.pk for user in people]
    for chosen in (ids[:1], ids[:3], ids, [ids[0], ids[0], ids[2]], ids[::-1], [*ids, 10**9]):
        for _ in range(2):  # compiled for the length the first time, reused the second
            rows = prepared.rows(organization.pk, chosen)
            assert rows == list(_memberships(organization.pk, chosen)), chosen
            assert all(created.tzinfo is not None for _, _, created in rows)  # SQLite's text dates converted
    assert prepared.rows(organization.pk + 1000, ids) == []


def test_an_empty_list_gives_no_rows_without_a_query(organization):
    prepared = PreparedRows(_memberships, kinds=(int, list))
    with CaptureQueriesContext(connection) as queries:
        assert prepared.rows(organization.pk, []) == []
    assert len(queries) == 0


def test_a_length_met_before_compiles_nothing(organization, people, compiled):
    prepared = PreparedRows(_memberships, kinds=(int, list))
    ids = [user.pk for user in people]
    prepared.rows(organization.pk, ids[:2])
    assert compiled == [1]
    prepared.rows(organization.pk, ids[2:4])  # another two
    prepared.rows(organization.pk + 1, ids[:2])
    assert compiled == [1]
    prepared.rows(organization.pk, ids[:3])  # a new length: compiled once
    assert compiled == [1, 1]


def test_json_columns_and_values_used_twice(organization, owner):
    organization_invitations_create(
        organization=organization, emails=["a@example.com", "b@example.com"], roles=[roles.ORG_MEMBER], actor=owner
    )
    ids = list(Invitation.objects.values_list("pk", flat=True))

    def build(invitation_ids, organization_id):
        return (
            Invitation.objects.filter(Q(pk__in=invitation_ids) | Q(pk__in=invitation_ids, email=""))
            .filter(organization_id=organization_id)
            .order_by("email")
            .values_list("email", "roles")
        )

    rows = PreparedRows(build, kinds=(list, int)).rows(ids, organization.pk)
    assert rows == [("a@example.com", [roles.ORG_MEMBER]), ("b@example.com", [roles.ORG_MEMBER])]


def test_a_read_must_name_its_columns_and_use_its_values(organization):
    with pytest.raises(ValueError, match="values_list"):
        PreparedRows(lambda ids: OrganizationMembership.objects.filter(pk__in=ids)).rows([1])
    with pytest.raises(ValueError, match="must use each of its values"):
        PreparedRows(
            lambda ids, pk: OrganizationMembership.objects.filter(pk__in=ids).values_list("pk"), kinds=(list, int)
        ).rows([1], 2)
    with pytest.raises(TypeError, match="takes 1 value"):
        PreparedRows(lambda ids: OrganizationMembership.objects.filter(pk__in=ids).values_list("pk")).rows([1], 2)


def test_a_users_page_s_member_reads_compile_nothing_after_the_first_page(
    api, organization, owner, people, compiled
):
    """The reads of a users page of members (the people version, the members' window, their roles, the projects
    the caller sees, their teams) are compiled once: the same page again compiles none of them, and the API
    answers as before."""
    from accounts.api.users.people import (
        organization_people,
        organization_users_built_later,
        organization_users_counted,
    )

    project = project_create(organization=organization, name="Reporting", actor=owner)
    project_member_add(project=project, user=people[1], roles=[roles.GROUP_READ_ONLY], actor=owner)
    team_create(organization=organization, name="Platform", members=people[2:4], actor=owner)

    def page():
        rows = organization_users_counted(organization, organization_users_built_later(organization))[0:5]
        return organization_people(rows, organization, owner)

    first = page()
    compiled.clear()
    with CaptureQueriesContext(connection) as queries:
        assert page() == first
    cache_table = settings.CACHES["default"].get("LOCATION", "")  # the cache of a machine without Redis
    database = [q for q in queries.captured_queries if not (cache_table and cache_table in q["sql"])]
    assert (len(compiled), len(database)) == (0, 5)

    response = api.get(f"{V2}/orgs/{organization.public_id}/users").json()
    by_name = {row["username"]: row for row in response["results"]}
    assert by_name["member0@example.com"]["roles"]["groupRoleAssignments"] == [
        {"groupId": project.public_id, "groupRoles": [roles.GROUP_READ_ONLY]}
    ]
    assert len(by_name["member1@example.com"]["teamIds"]) == 1
    assert by_name["member2@example.com"]["teamIds"] == by_name["member1@example.com"]["teamIds"]


def test_the_projects_a_member_holds_are_shown_as_each_caller_may_see_them(organization, owner, people):
    """The prepared read (an ordinary caller) and the queryset (a superuser, an inactive one) agree with the
    caller's visibility: a project-only member sees only their own projects of another member's."""
    from accounts.api.users.people import organization_people, organization_users

    hidden = project_create(organization=organization, name="Hidden", actor=owner)
    shared = project_create(organization=organization, name="Shared", actor=owner)
    reader = people[1]  # an Organization Member, in Shared only
    project_member_add(project=shared, user=reader, roles=[roles.GROUP_READ_ONLY], actor=owner)
    project_member_add(project=hidden, user=people[2], roles=[roles.GROUP_OWNER], actor=owner)
    project_member_add(project=shared, user=people[2], roles=[roles.GROUP_OWNER], actor=owner)
    superuser = UserFactory(email="root@example.com", is_superuser=True)
    members = list(organization_users(organization)[0])

    def projects_of(actor, user):
        person = next(p for p in organization_people(members, organization, actor) if p.username == user.email)
        return {a["groupId"] for a in person.group_role_assignments}

    assert projects_of(owner, people[2]) == {hidden.public_id, shared.public_id}
    assert projects_of(superuser, people[2]) == {hidden.public_id, shared.public_id}
    assert projects_of(reader, people[2]) == {shared.public_id}
