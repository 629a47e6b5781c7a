"""Edge values that the contract run (scripts/contract-test.sh) found to end in a 500 on PostgreSQL, swept over
every operation of the schema, so that CI's PostgreSQL pass catches each class every time, not only when
schemathesis happens to draw it. A client's odd value is a 4xx, never a 500.

- NUL in a path parameter or a string filter: PostgreSQL refuses NUL in text (SQLite stores it). schemathesis
  never sends control characters in a path (it strips them), hence the sweep.
- A page number whose OFFSET overflows PostgreSQL's bigint.
- A date-time with an offset PostgreSQL cannot represent (beyond +/-15:59), or at the edge of the calendar."""

import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

NUL = "x%00y"
BY_TYPE = {  # the query parameter's schema type -> the odd values to send
    "string": [NUL],
    "integer": ["100000000000000000000", "-1"],
    "date-time": ["3416-06-17T15:52:16%2B22:37", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00%2B23:59"],
}


def _kind(schema):
    if schema.get("format") == "date-time":
        return "date-time"
    return schema.get("type")


def _operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in sorted(schema["paths"].items()):
        for method, operation in item.items():
            if method in {"get", "post", "patch", "put", "delete"}:
                query = [
                    (p["name"], _kind(p.get("schema", {})))
                    for p in operation.get("parameters", [])
                    if p["in"] == "query"
                ]
                yield path, method, query


OPERATIONS = list(_operations())
WITH_PATH_PARAMETERS = [(path, method) for path, method, _ in OPERATIONS if "{" in path]
QUERY_CASES = [
    (path, method, name, value)
    for path, method, query in OPERATIONS
    for name, kind in query
    for value in BY_TYPE.get(kind, [])
]


@pytest.fixture
def client(owner):
    client = APIClient()
    client.force_login(owner)
    return client


def _send(client, method, url):
    kwargs = {"format": "json", "data": {}} if method in {"post", "patch", "put"} else {}
    return getattr(client, method)(url, **kwargs)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "method"), WITH_PATH_PARAMETERS, ids=[f"{m.upper()} {p}" for p, m in WITH_PATH_PARAMETERS]
)
def test_nul_in_a_path_parameter_is_not_a_server_error(client, path, method):
    response = _send(client, method, re.sub(r"\{[^}]+\}", NUL, path))

    assert response.status_code < 500, response.content[:300]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "method", "name", "value"),
    QUERY_CASES,
    ids=[f"{m.upper()} {p}?{n}={v}" for p, m, n, v in QUERY_CASES],
)
def test_odd_query_values_are_not_a_server_error(client, organization, project, path, method, name, value):
    real = {"org_id": organization.public_id, "group_id": project.public_id}
    url = re.sub(r"\{([^}]+)\}", lambda m: real.get(m.group(1), "0" * 24), path)

    response = _send(client, method, f"{url}?{name}={value}")

    assert response.status_code < 500, response.content[:300]
