"""Refusals Django makes before our code (a body over DATA_UPLOAD_MAX_MEMORY_SIZE) answer under /api in Atlas's
JSON error shape, not Django's HTML 400."""

import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.test import RequestFactory
from rest_framework.test import APIClient

from accessportal.api.not_found import bad_request

pytestmark = pytest.mark.django_db


def test_an_oversized_json_body_is_atlas_json_400(owner, organization, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    client = APIClient()
    client.force_login(owner)

    response = client.post(
        f"/api/atlas/v2/orgs/{organization.public_id}/teams",
        json.dumps({"name": "x" * 20_000, "usernames": []}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["errorCode"] == "REQUEST_BODY_TOO_LARGE"
    assert body["error"] == 400 and "10000 bytes" in body["detail"]


def test_django_refusing_a_request_outside_the_api_views_answers_in_kind(settings):
    """handler400: what Django answers for a SuspiciousOperation raised before or outside a DRF view."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    api = bad_request(RequestFactory().post("/api/atlas/v2/orgs"), RequestDataTooBig("too big"))
    page = bad_request(RequestFactory().post("/orgs/x/"), RequestDataTooBig("too big"))

    assert api.status_code == 400 and json.loads(api.content)["errorCode"] == "REQUEST_BODY_TOO_LARGE"
    assert page.status_code == 400 and "html" in page["Content-Type"]
