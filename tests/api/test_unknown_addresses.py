"""Every unknown address under /api/ answers Atlas's JSON 404, with DEBUG on or off (issue 14)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [True, False])
def test_unknown_api_addresses_answer_atlas_json_404(client, settings, debug):
    settings.DEBUG = debug
    for path in ("/api/oauth/unknown", "/api/atlas/v2/nothing/here", "/api/whatever"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"


def test_an_api_address_without_its_slash_is_still_redirected(client):
    response = client.get("/api/docs")
    assert response.status_code == 301 and response["Location"] == "/api/docs/"


def test_a_post_to_an_unknown_api_address_is_the_json_404_not_the_csrf_page():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)  # as a Digest client: no CSRF token
    for path in ("/api/atlas/v2/nowhere", "/api/atlas/v2/groups/x/clusters/a%2Fb:grantMongoDBEmployeeAccess"):
        response = client.post(path, "{}", content_type="application/json")
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert response.json()["errorCode"] == "RESOURCE_NOT_FOUND"
