"""schemathesis hooks for scripts/contract-test.sh.

- Every request authenticates with HTTP Digest, as Atlas clients do, with the API key that ``manage.py bootstrap``
  made (CONTRACT_PUBLIC_KEY, CONTRACT_PRIVATE_KEY).
- A request aimed at that very key (its ID, CONTRACT_HARNESS_KEY_ID, as ``{api_user_id}``: e.g. the stateful
  phase following a link from the key list) is aimed at the seeded spare key instead (CONTRACT_SPARE_KEY_ID):
  changing the harness key's roles or access list, or deleting it, would lock the run out and turn every later
  answer into a 401/403 that still "matches the schema". The request itself is still sent and checked."""

import os

import schemathesis
from requests.auth import HTTPDigestAuth

schemathesis.auth.set_from_requests(
    HTTPDigestAuth(os.environ["CONTRACT_PUBLIC_KEY"], os.environ["CONTRACT_PRIVATE_KEY"])
)

HARNESS_KEY_ID = os.environ["CONTRACT_HARNESS_KEY_ID"]
SPARE_KEY_ID = os.environ["CONTRACT_SPARE_KEY_ID"]


@schemathesis.hook
def before_call(context, case, kwargs):
    if (case.path_parameters or {}).get("api_user_id") == HARNESS_KEY_ID:
        case.path_parameters = {**case.path_parameters, "api_user_id": SPARE_KEY_ID}
