"""manage.py bootstrap --service-account: an organization, its owner and an ORG_OWNER service account."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts import roles
from serviceaccounts.models import ServiceAccount

from .conftest import token_for

pytestmark = pytest.mark.django_db


def test_prints_the_client_credentials_of_an_org_owner_service_account():
    out = StringIO()
    call_command(
        "bootstrap",
        "--org",
        "Acme",
        "--owner-email",
        "ops@example.com",
        "--json",
        "--service-account",
        stdout=out,
    )
    (line,) = out.getvalue().splitlines()
    result = json.loads(line)
    assert set(result) == {"orgId", "ownerId", "clientId", "clientSecret"}
    account = ServiceAccount.objects.get(client_id=result["clientId"])
    assert account.organization.public_id == result["orgId"]
    assert account.user.organization_memberships.get().role_names == [roles.ORG_OWNER]
    token = token_for(APIClient(), result["clientId"], result["clientSecret"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(f"/api/atlas/v2/orgs/{result['orgId']}").status_code == 200
