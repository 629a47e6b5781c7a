"""Fixtures for service accounts: one made by the organization's owner, and clients that speak OAuth 2.0."""

import base64

import pytest
from rest_framework.test import APIClient

from accounts import roles
from serviceaccounts.services.accounts import service_account_create


def basic(client_id, client_secret) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()


@pytest.fixture
def make_service_account(owner):
    """``make_service_account(organization, roles=[...])`` -> (service account, secret value)."""

    def make(organization, account_roles=(roles.ORG_OWNER,), actor=None, name="deployer"):
        service_account, _, value = service_account_create(
            organization=organization,
            name=name,
            description="tests",
            roles=list(account_roles),
            secret_expires_after_hours=24,
            actor=actor or owner,
        )
        return service_account, value

    return make


@pytest.fixture
def service_account(organization, make_service_account):
    return make_service_account(organization)


@pytest.fixture
def oauth():
    """A client with no session: it authenticates only as OAuth says."""
    return APIClient(enforce_csrf_checks=True)


def token_for(client, client_id, client_secret) -> str:
    response = client.post(
        "/api/oauth/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=basic(client_id, client_secret),
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


@pytest.fixture
def bearer(oauth, service_account):
    """A client that sends the service account's fresh Bearer token on every request."""
    account, secret = service_account
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(oauth, account.client_id, secret)}")
    client.service_account = account
    return client
