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
