"""The API's page and filter parameters (AtlasPagination and the QueryParameters serializers): read from the query
string as given, refused with Atlas's 400 naming the parameter, and documented in the schema from the same code."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.services import organization_create

pytestmark = pytest.mark.django_db

V2 = "/api/atlas/v2"
PAGE = {"pageNum", "itemsPerPage", "includeCount"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("includeCount=", "includeCount"),
        ("itemsPerPage=1.0", "itemsPerPage"),
        ("pageNum=2&pageNum=0", "pageNum"),
    ],
)
def test_a_blank_or_odd_page_parameter_is_refused_naming_it(api, query, parameter):
    """DRF reads a blank form value as the field's default; a query string here is read as given."""
    response = api.get(f"{V2}/orgs?{query}")

    assert response.status_code == 400
    body = response.json()
    assert (body["errorCode"], body["parameters"]) == ("INVALID_QUERY_PARAMETER", [parameter])


def test_a_blank_number_is_the_default_and_a_repeated_parameter_counts_by_its_last_value(api, owner):
    for i in range(3):
        organization_create(name=f"Org {i}", actor=owner)

    assert api.get(f"{V2}/orgs?itemsPerPage=").json()["totalCount"] == 3
    body = api.get(f"{V2}/orgs?itemsPerPage=1&pageNum=1&pageNum=3").json()
    assert [o["name"] for o in body["results"]] == ["Org 2"]


def test_a_filter_refusal_names_the_first_bad_parameter_before_the_page_ones(api, organization):
    response = api.get(f"{V2}/orgs/{organization.public_id}/users?orgMembershipStatus=GONE&pageNum=0")

    assert response.status_code == 400
    assert response.json()["parameters"] == ["orgMembershipStatus"]
    assert "ACTIVE, PENDING, INVITATION_EXPIRED" in response.json()["detail"]


def test_every_page_answer_is_documented_with_the_page_parameters_and_nothing_else_is(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            answers = [
                r["content"]["application/json"]["schema"].get("$ref", "")
                for status, r in operation["responses"].items()
                if status.startswith("2") and "content" in r
            ]
            paged = any(ref.rsplit("/", 1)[-1].startswith("Paginated") for ref in answers)
            assert PAGE.issubset(names) == paged, f"{method.upper()} {path}"


def test_the_list_envelope_is_atlas_s(schema):
    page = schema["components"]["schemas"]["PaginatedOrganizationList"]

    assert page["required"] == ["links", "results"]
    assert page["properties"]["links"]["items"] == {"$ref": "#/components/schemas/Link"}
    assert page["properties"]["results"]["items"] == {"$ref": "#/components/schemas/Organization"}
    assert page["properties"]["totalCount"] == {"type": "integer"}


def test_the_filters_are_documented_from_their_serializers(schema):
    def query(path):
        operation = schema["paths"][f"{V2}{path}"]["get"]
        return {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}

    users = query("/groups/{group_id}/users")
    assert users["flattenTeams"] == users["includeOrgUsers"] == {"type": "boolean", "default": False}
    assert users["orgMembershipStatus"]["enum"] == sorted(users["orgMembershipStatus"]["enum"])
    events = query("/orgs/{org_id}/events")
    assert events["eventType"]["type"] == "array" and "TEAM_CREATED" in events["eventType"]["items"]["enum"]
    assert events["minDate"] == {"type": "string", "format": "date-time"}
    assert query("/orgs/{org_id}/events/{event_id}") == {"includeRaw": {"type": "boolean", "default": False}}
    assert set(query("/orgs/{org_id}/invites")) == {"username"}
