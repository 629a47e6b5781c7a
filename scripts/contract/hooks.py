"""schemathesis hooks for scripts/contract-test.sh: authenticate every request with HTTP Digest, as Atlas clients
do, with the API key that ``manage.py bootstrap`` made (CONTRACT_PUBLIC_KEY, CONTRACT_PRIVATE_KEY)."""

import os

import schemathesis
from requests.auth import HTTPDigestAuth

schemathesis.auth.set_from_requests(
    HTTPDigestAuth(os.environ["CONTRACT_PUBLIC_KEY"], os.environ["CONTRACT_PRIVATE_KEY"])
)
