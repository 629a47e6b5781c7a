"""Headers every answer carries: a Content-Security-Policy of our own origin only (the Swagger UI and the Django
admin work under it: nothing inline on them), HSTS (an hour by default, a year in production), the proxy's
X-Forwarded-Proto trusted only when a proxy is declared, and no caching of a new API key's answer."""

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from accounts import roles
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def policy(response) -> dict:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


class _Inline(HTMLParser):
    """What a policy without 'unsafe-inline' blocks: inline scripts and styles, style and on* attributes."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self._script = tag
        if tag == "style":
            self.found.append("<style>")
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")

    def handle_data(self, data):
        if self._script and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None


def inline_code(html: str) -> list[str]:
    parser = _Inline()
    parser.feed(html)
    return parser.found


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True, totp=True)  # staff need two-factor for the admin


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/api/atlas/v2", "/api/docs/", "/admin/login/"])
def test_every_answer_carries_a_self_only_policy(client, path):
    directives = policy(client.get(path))

    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "script-src" not in directives and "style-src" not in directives  # default-src: self only
    everything = " ".join(" ".join(values) for values in directives.values())
    assert "unsafe" not in everything and "*" not in everything and "http" not in everything


@pytest.mark.django_db
def test_the_swagger_ui_and_the_admin_need_nothing_inline(staff, organization):
    client = APIClient()
    client.force_login(staff)
    pages = [
        "/api/docs/",
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{staff.pk}/change/",
        f"/admin/accounts/organization/{organization.pk}/change/",
        "/admin/accounts/organization/add/",
        "/admin/auth/group/add/",
        "/admin/accounts/auditevent/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert inline_code(response.content.decode()) == [], path


@pytest.mark.django_db
def test_a_new_api_keys_answer_is_never_cached(organization, owner):
    client = APIClient()
    client.force_login(owner)
    response = client.post(
        f"/api/atlas/v2/orgs/{organization.public_id}/apiKeys",
        {"desc": "ci", "roles": [roles.ORG_MEMBER]},
        format="json",
    )

    assert response.status_code == 201
    assert "privateKey" in response.json()
    assert response["Cache-Control"] == "no-store"


def production_settings(**env):
    """The security settings of a process started with DEBUG off and the required secrets (and ``env``)."""
    from cryptography.fernet import Fernet

    environment = {k: v for k, v in os.environ.items() if k not in {"BEHIND_TLS_PROXY", "SECURE_HSTS_SECONDS"}}
    environment.update(
        DEBUG="false",
        SECRET_KEY="s" * 60,
        ALLOWED_HOSTS="portal.example.com",
        API_KEY_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ANYMAIL_WEBHOOK_SECRET="esp:secret",
        **env,
    )
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps({n: "
        "getattr(s, n) for n in ['SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_PROXY_SSL_HEADER',"
        " 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE']}))"
    )
    environment["DJANGO_SETTINGS_MODULE"] = "accessportal.settings"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def test_hsts_is_an_hour_by_default_and_a_year_as_the_readme_sets_it():
    assert production_settings()["SECURE_HSTS_SECONDS"] == 3600
    assert production_settings(SECURE_HSTS_SECONDS="31536000")["SECURE_HSTS_SECONDS"] == 31536000
    assert production_settings()["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert "SECURE_HSTS_SECONDS=31536000" in (ROOT / "README.md").read_text()


def test_x_forwarded_proto_is_trusted_only_behind_a_declared_tls_proxy():
    assert production_settings()["SECURE_PROXY_SSL_HEADER"] is None
    behind = production_settings(BEHIND_TLS_PROXY="true")
    assert behind["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


@pytest.mark.django_db
def test_without_a_declared_proxy_a_client_cannot_claim_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = None
    response = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301 and response["Location"].startswith("https://")
