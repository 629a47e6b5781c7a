"""schemathesis hooks for scripts/contract-test.sh.

- Every request authenticates as Atlas clients do: with HTTP Digest and the API key that ``manage.py bootstrap``
  made (CONTRACT_PUBLIC_KEY, CONTRACT_PRIVATE_KEY); or, when CONTRACT_AUTH is ``bearer``, with a Bearer token
  that the service account of ``manage.py bootstrap --service-account`` (CONTRACT_CLIENT_ID,
  CONTRACT_CLIENT_SECRET) gets from POST /api/oauth/token, renewed before its hour is up.
- A request aimed at the harness's own key or service account (CONTRACT_HARNESS_KEY_ID as ``{api_user_id}``,
  CONTRACT_CLIENT_ID as ``{client_id}``: e.g. the stateful phase following a link from a list) is aimed at a
  seeded spare one instead (CONTRACT_SPARE_KEY_ID, CONTRACT_SPARE_CLIENT_ID): changing the harness's roles or
  access list, or deleting it, would lock the run out and turn every later answer into a 401/403 that still
  "matches the schema". The request itself is still sent and checked."""

import os

import requests
import schemathesis
from requests.auth import HTTPDigestAuth

BEARER = os.environ.get("CONTRACT_AUTH", "digest") == "bearer"
HARNESS_KEY_ID = os.environ["CONTRACT_HARNESS_KEY_ID"]
SPARE_KEY_ID = os.environ["CONTRACT_SPARE_KEY_ID"]
HARNESS_CLIENT_ID = os.environ.get("CONTRACT_CLIENT_ID", "")
SPARE_CLIENT_ID = os.environ.get("CONTRACT_SPARE_CLIENT_ID", "")

if BEARER:

    @schemathesis.auth(refresh_interval=1800)
    class ServiceAccountToken:
        """OAuth 2.0 client credentials: one token, asked again every half hour (it lives an hour)."""

        def get(self, case, context):
            response = requests.post(
                f"{os.environ['CONTRACT_BASE_URL']}/api/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(HARNESS_CLIENT_ID, os.environ["CONTRACT_CLIENT_SECRET"]),
                timeout=30,
            )
            response.raise_for_status()
            return response.json()["access_token"]

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

else:
    schemathesis.auth.set_from_requests(
        HTTPDigestAuth(os.environ["CONTRACT_PUBLIC_KEY"], os.environ["CONTRACT_PRIVATE_KEY"])
    )


@schemathesis.hook
def before_call(context, case, kwargs):
    parameters = case.path_parameters or {}
    if parameters.get("api_user_id") == HARNESS_KEY_ID:
        case.path_parameters = {**parameters, "api_user_id": SPARE_KEY_ID}
    if HARNESS_CLIENT_ID and parameters.get("client_id") == HARNESS_CLIENT_ID:
        case.path_parameters = {**case.path_parameters, "client_id": SPARE_CLIENT_ID}
