"""The API key lookup of every Digest request is compiled once (accessportal.prepared): what it answers must be
what the queryset answers, field for field, with the objects select_related brings and the annotation."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.test.utils import CaptureQueriesContext

from accessportal.prepared import PreparedLookup
from accounts import roles
from accounts.errors import ServiceError
from accounts.models import ApiKey, ApiKeyAccessListEntry, Project
from accounts.selectors import api_key_for_public_key
from accounts.selectors.access import (
    access_organization,
    access_project,
    visible_organizations,
    visible_projects,
)
from accounts.services import organization_create, organization_member_add, project_create, project_member_add
from accounts.services.api_keys import api_key_access_list_add, api_key_create
from tests.factories import UserFactory


def _build(public_key):
    return (
        ApiKey.objects.select_related("user", "organization")
        .annotate(has_access_list=Exists(ApiKeyAccessListEntry.objects.filter(api_key=OuterRef("pk"))))
        .filter(public_key=public_key)
    )


def _fields(instance):
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


@pytest.fixture
def api_key(organization, owner):
    key, _ = api_key_create(
        organization=organization, description="prepared", roles=[roles.ORG_MEMBER], actor=owner
    )
    return ApiKey.objects.get(pk=key.pk)


def test_the_prepared_lookup_answers_what_the_queryset_answers(api_key):
    lookup = PreparedLookup(_build)
    for _ in range(2):  # compiled the first time, reused the second
        found = lookup.first(api_key.public_key)
        expected = _build(api_key.public_key).first()
        assert _fields(found) == _fields(expected)
        assert _fields(found.user) == _fields(expected.user)
        assert _fields(found.organization) == _fields(expected.organization)
        assert found.has_access_list is expected.has_access_list is False
        assert found.created_at.tzinfo is not None  # the database's converters ran (SQLite's text dates)
    assert lookup.first("no such key") is None


def test_the_related_objects_come_with_the_key_in_one_query(api_key, organization):
    lookup = PreparedLookup(_build)
    with CaptureQueriesContext(connection) as queries:
        found = lookup.first(api_key.public_key)
        assert (found.user.pk, found.organization.name) == (api_key.user_id, organization.name)
    assert len(queries) == 1


def test_a_key_with_an_access_list_is_read_with_it(api_key, owner):
    api_key_access_list_add(api_key=api_key, entries=["10.0.0.0/8"], actor=owner)
    found = api_key_for_public_key(api_key.public_key)
    assert found.has_access_list is True
    with CaptureQueriesContext(connection) as queries:
        assert [entry.cidr_block for entry in found.access_list.all()] == ["10.0.0.0/8"]
    assert len(queries) == 0


def test_a_key_without_an_access_list_reads_it_without_sql(api_key):
    found = api_key_for_public_key(api_key.public_key)
    with CaptureQueriesContext(connection) as queries:
        assert list(found.access_list.all()) == []
    assert len(queries) == 0


def test_a_lookup_must_use_each_of_its_values():
    with pytest.raises(ValueError, match="must use each of its values"):
        PreparedLookup(lambda value: ApiKey.objects.all()).first("x")
    with pytest.raises(ValueError, match="must use each of its values"):
        PreparedLookup(lambda key, pk: ApiKey.objects.filter(public_key=key), kinds=(str, int)).first("x", 1)
    with pytest.raises(TypeError, match="takes 2 value"):
        PreparedLookup(lambda key, pk: ApiKey.objects.filter(public_key=key, pk=pk), kinds=(str, int)).first(
            "x"
        )


def test_a_value_used_several_times_is_given_everywhere(api_key, organization):
    lookup = PreparedLookup(
        lambda key, pk: ApiKey.objects.filter(Q(public_key=key) | Q(description=key), pk=pk),
        kinds=(str, int),
    )
    assert lookup.first(api_key.public_key, api_key.pk).pk == api_key.pk
    assert lookup.first(api_key.public_key, api_key.pk + 1000) is None
    assert lookup.first("prepared", api_key.pk).pk == api_key.pk  # the description, through the second use


def test_the_organization_and_project_a_path_names_are_what_the_querysets_answer(
    organization, owner, project, django_assert_num_queries
):
    """access_organization and access_project compile their query once for an active, ordinary caller: their
    answers are the querysets' for a member, an outsider, a project-only member, staff with the model-wide
    permission, and across organizations."""
    other_owner = UserFactory(email="other-owner@example.com")
    other = organization_create(name="Globex", actor=other_owner)
    elsewhere = project_create(organization=other, name="Elsewhere", actor=other_owner)
    project_only = UserFactory(email="project-only@example.com")
    organization_member_add(organization=other, user=project_only, actor=other_owner)
    project_member_add(project=elsewhere, user=project_only, actor=other_owner)
    staff = UserFactory(email="staff@example.com", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_project"))
    inactive = UserFactory(email="gone@example.com")
    organization_member_add(organization=organization, user=inactive, actor=owner)
    type(inactive).objects.filter(pk=inactive.pk).update(is_active=False)
    actors = [owner, other_owner, project_only, staff, inactive, UserFactory(email="nobody@example.com")]
    for actor in actors:
        actor = type(actor).objects.get(pk=actor.pk)
        for org in (organization, other):
            expected = visible_organizations(actor).filter(public_id=org.public_id).first()
            try:
                found = access_organization(actor=actor, organization_id=org.public_id)
            except ServiceError as error:
                assert error.code == "RESOURCE_NOT_FOUND" and expected is None, (actor, org)
            else:
                assert found == expected and found.name == org.name, (actor, org)
        for proj, org in ((project, organization), (elsewhere, other)):
            for within in (None, org, organization):
                queryset = Project.objects.filter(public_id=proj.public_id)
                if within is not None:
                    queryset = queryset.filter(organization=within)
                expected = visible_projects(actor, queryset).first()
                try:
                    found = access_project(actor=actor, project_id=proj.public_id, organization=within)
                except ServiceError as error:
                    assert error.code == "RESOURCE_NOT_FOUND" and expected is None, (actor, proj, within)
                else:
                    assert found == expected and found.organization.name == org.name, (actor, proj, within)
    # The staff member sees every project and no organization (the permission is view_project only).
    assert access_project(actor=staff, project_id=elsewhere.public_id) == elsewhere
    with django_assert_num_queries(
        1
    ):  # the project with its organization, visibility decided by the database
        assert (
            access_project(actor=project_only, project_id=elsewhere.public_id).organization.name == "Globex"
        )


def test_an_ordinary_caller_s_organization_and_project_are_fetched_without_compiling_sql(
    organization, owner, project, monkeypatch
):
    """The point of the prepared lookups: after the first request of a process, no queryset is built or
    compiled to find the organization or project a path names."""
    from django.db.models.sql.compiler import SQLCompiler

    access_organization(actor=owner, organization_id=organization.public_id)
    access_project(actor=owner, project_id=project.public_id)
    access_project(actor=owner, project_id=project.public_id, organization=organization)
    compiled = []
    original = SQLCompiler.as_sql
    monkeypatch.setattr(
        SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k)
    )
    assert access_organization(actor=owner, organization_id=organization.public_id) == organization
    assert access_project(actor=owner, project_id=project.public_id) == project
    assert access_project(actor=owner, project_id=project.public_id, organization=organization) == project
    assert compiled == []
    superuser = UserFactory(email="root@example.com", is_superuser=True)
    assert access_organization(actor=superuser, organization_id=organization.public_id) == organization
    assert compiled  # a superuser takes the queryset: it sees everything, with no permission to ask


def test_a_window_of_a_prepared_lookup_is_the_querysets_slice(organization, owner, monkeypatch):
    """``window`` (and a bound lookup's slices, as the users list reads its members): the rows of the queryset's
    slice, with the objects select_related brings, compiled once whatever the window."""
    from django.db.models.sql.compiler import SQLCompiler

    from accounts.models import OrganizationMembership
    from tests.factories import MemberFactory

    for i in range(5):
        MemberFactory(organization=organization, actor=owner, email=f"m{i}@example.com")

    def build(organization_id):
        return (
            OrganizationMembership.objects.filter(organization_id=organization_id)
            .select_related("user")
            .order_by("user__email")
        )

    windows = ((0, 6), (0, 2), (2, 5), (5, 10), (6, 8))
    expected = {window: [(m.pk, m.user.email) for m in build(organization.pk)[slice(*window)]] for window in windows}
    lookup = PreparedLookup(build, kinds=(int,))
    bound = lookup.bound(organization.pk)
    assert bound.count() == 6
    lookup.window(0, 1, organization.pk)
    compiled, original = [], SQLCompiler.as_sql
    monkeypatch.setattr(SQLCompiler, "as_sql", lambda self, *a, **k: compiled.append(1) or original(self, *a, **k))
    for window in windows:
        assert [(m.pk, m.user.email) for m in bound[slice(*window)]] == expected[window], window
    assert lookup.window(0, 10, organization.pk + 1000) == []
    assert compiled == []
    with pytest.raises(ValueError, match="windows"):
        bound[2:]
    with pytest.raises(ValueError, match="needs an order"):
        PreparedLookup(lambda pk: OrganizationMembership.objects.filter(pk=pk).order_by(), kinds=(int,)).window(
            0, 1, 1
        )
