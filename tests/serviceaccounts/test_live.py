"""A service account's whole life over real HTTP (requests against a live server), as an Atlas client lives it:
created with an API key over Digest, a token, Bearer calls on both API versions, secret rotation, revocation,
expiry and deletion."""

from datetime import timedelta
from unittest import mock

import pytest
import requests
from django.utils import timezone

from accounts import roles
from accounts.services.api_keys import api_key_create
from tests.api.conftest import DigestClient

pytestmark = pytest.mark.django_db(transaction=True)


def get_token(base, client_id, client_secret):
    return requests.post(
        f"{base}/api/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, client_secret),
        timeout=30,
    )


def bearer_get(base, path, token, version="v2"):
    return requests.get(
        f"{base}/api/atlas/{version}/{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_a_service_account_from_creation_to_deletion(live_server, organization, project, owner):
    base = live_server.url
    api_key, private_key = api_key_create(
        organization=organization, description="admin", roles=[roles.ORG_OWNER], actor=owner
    )
    admin = DigestClient(base, api_key.public_key, private_key)
    org = f"orgs/{organization.public_id}"

    created = admin.post(
        f"{org}/serviceAccounts",
        json={"name": "ci", "description": "CI", "roles": [roles.ORG_MEMBER], "secretExpiresAfterHours": 24},
    )
    assert created.status_code == 201, created.text
    client_id = created.json()["clientId"]
    first_secret = created.json()["secrets"][0]["secret"]
    assigned = admin.post(
        f"groups/{project.public_id}/serviceAccounts/{client_id}:invite",
        json=[{"roles": [roles.GROUP_READ_ONLY]}],
    )
    assert assigned.status_code == 201, assigned.text

    answer = get_token(base, client_id, first_secret)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert set(answer.json()) == {"access_token", "token_type", "expires_in"}
    token = answer.json()["access_token"]
    for version in ("v2", "v1.0"):
        response = bearer_get(base, f"groups/{project.public_id}", token, version)
        assert response.status_code == 200, response.text
    assert bearer_get(base, f"{org}/serviceAccounts", token).status_code == 200
    assert (
        requests.post(
            f"{base}/api/atlas/v2/{org}/teams",
            json={"name": "nope", "usernames": []},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).status_code
        == 403
    )

    # Rotation: a second secret, then the first one goes; its tokens die with it.
    rotated = admin.post(f"{org}/serviceAccounts/{client_id}/secrets", json={"secretExpiresAfterHours": 48})
    assert rotated.status_code == 201
    second_secret = rotated.json()["secret"]
    first_id = created.json()["secrets"][0]["id"]
    assert admin.delete(f"{org}/serviceAccounts/{client_id}/secrets/{first_id}").status_code == 204
    assert bearer_get(base, f"{org}", token).status_code == 401
    assert get_token(base, client_id, first_secret).status_code == 401

    # Revocation holds at once.
    token = get_token(base, client_id, second_secret).json()["access_token"]
    assert bearer_get(base, org, token).status_code == 200
    revoked = requests.post(
        f"{base}/api/oauth/revoke", data={"token": token}, auth=(client_id, second_secret), timeout=30
    )
    assert revoked.status_code == 200
    assert bearer_get(base, org, token).status_code == 401

    # Expiry: the token lives exactly its 3600 seconds.
    token = get_token(base, client_id, second_secret).json()["access_token"]
    later = timezone.now() + timedelta(seconds=3601)
    with mock.patch("django.utils.timezone.now", return_value=later):
        refused = bearer_get(base, org, token)
    assert refused.status_code == 401
    assert refused.json()["errorCode"] == "UNAUTHORIZED"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")

    # Deletion: the account and every token of it are gone.
    token = get_token(base, client_id, second_secret).json()["access_token"]
    assert admin.delete(f"{org}/serviceAccounts/{client_id}").status_code == 204
    assert bearer_get(base, org, token).status_code == 401
    assert get_token(base, client_id, second_secret).status_code == 401
