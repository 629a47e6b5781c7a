"""The API's browsable documentation works offline (Swagger UI from drf-spectacular-sidecar, served with our
static files, no CDN), and the schema behind it is a valid OpenAPI 3 document."""

import json
import re
from html.parser import HTMLParser

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from openapi_spec_validator import validate
from rest_framework.test import APIClient

SCHEMA_URL = "/api/atlas/v2/openapi.json"


class _Assets(HTMLParser):
    """Every URL the page makes the browser fetch: script src, link href, img src."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if attrs.get(name) and tag in {"script", "link", "img", "iframe"}:
                self.urls.append(attrs[name])


@pytest.fixture
def signed_in(owner):
    client = APIClient()
    client.force_login(owner)
    return client


@pytest.mark.django_db
def test_docs_page_loads_only_local_static_assets(signed_in):
    response = signed_in.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    parser = _Assets()
    parser.feed(page)
    assert any(url.endswith("swagger-ui-bundle.js") for url in parser.urls), parser.urls
    prefix = static("")
    own_script = [url for url in parser.urls if url.startswith("/api/docs/?")]
    assert own_script == ["/api/docs/?script="], parser.urls  # the settings, a script of ours (no inline script)
    script = signed_in.get(own_script[0])
    assert script.status_code == 200 and "javascript" in script["Content-Type"]
    assert SCHEMA_URL in script.content.decode()
    for url in parser.urls:
        if url in own_script:
            continue
        assert url.startswith(prefix), f"{url} is not one of our static files"
        assert finders.find(url.removeprefix(prefix).split("?", 1)[0]), f"{url} is not among our static files"
    # Nothing from another host anywhere in the page (scripts, styles, the inline settings).
    assert re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", page) == []


@pytest.mark.django_db
def test_schema_is_a_valid_openapi_3_document(signed_in):
    response = signed_in.get(SCHEMA_URL)

    assert response.status_code == 200
    spec = yaml.safe_load(response.content)  # JSON or YAML: YAML reads both
    validate(spec)  # openapi-spec-validator: raises on any violation of the OpenAPI 3 specification
    assert spec["openapi"].startswith("3.")
    assert {"/api/atlas/v2/orgs", "/api/atlas/v2/groups"} <= set(spec["paths"])
    assert "DigestAuth" in spec["components"]["securitySchemes"]


@pytest.mark.django_db
def test_schema_at_the_json_address_is_json(signed_in):
    """Tools pick the parser from the address (schemathesis, openapi-generator): openapi.json must be JSON."""
    response = signed_in.get(SCHEMA_URL)

    assert response.status_code == 200
    assert "json" in response["Content-Type"], response["Content-Type"]
    assert json.loads(response.content)["openapi"].startswith("3.")
