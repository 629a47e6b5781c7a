"""The API key lookup of every Digest request is compiled once (accessportal.prepared): what it answers must be
what the queryset answers, field for field, with the objects select_related brings and the annotation."""

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef
from django.test.utils import CaptureQueriesContext

from accessportal.prepared import PreparedLookup
from accounts import roles
from accounts.models import ApiKey, ApiKeyAccessListEntry
from accounts.selectors import api_key_for_public_key
from accounts.services.api_keys import api_key_access_list_add, api_key_create


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


def test_a_lookup_must_use_its_value_once():
    with pytest.raises(ValueError, match="exactly one value"):
        PreparedLookup(lambda value: ApiKey.objects.all()).first("x")
