"""Fixtures for API tests: a session client, and real HTTP Digest clients against a live server."""

import pytest
import requests
from requests.auth import HTTPDigestAuth
from rest_framework.test import APIClient

from accounts import roles
from accounts.services.api_keys import api_key_create


@pytest.fixture
def api(owner):
    """DRF's client signed in as the organization owner by session (CSRF is checked in its own tests)."""
    client = APIClient()
    client.force_login(owner)
    return client


class DigestClient:
    """``requests`` with HTTPDigestAuth against the live server: the real challenge/response handshake."""

    def __init__(self, base_url, public_key, private_key):
        self.base = f"{base_url}/api/atlas/v2"
        self.session = requests.Session()
        self.session.auth = HTTPDigestAuth(public_key, private_key)

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, f"{self.base}/{path.lstrip('/')}", **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.request("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def digest_client(live_server):
    """Make a DigestClient for an organization API key: ``digest_client(organization, roles=[...])``."""

    def make(organization, key_roles=(roles.ORG_OWNER,), actor=None):
        from accounts.models import OrganizationMembership

        owner = actor or (
            OrganizationMembership.objects.filter(organization=organization, roles__name=roles.ORG_OWNER)
            .select_related("user")
            .first()
            .user
        )
        api_key, private_key = api_key_create(
            organization=organization, description="tests", roles=list(key_roles), actor=owner
        )
        return DigestClient(live_server.url, api_key.public_key, private_key)

    return make
