"""The cross-tenant matrix over real HTTP Digest: a full pass over every operation of the schema against a live
server, signed with Alpha's Organization Owner API key; and the same pass with the Bearer token of an Organization
Owner service account of Alpha's (OAuth 2.0 client credentials). Each operation is sent with the other tenant's
objects in its whole address (or, for those without one, in the body and query references) and with missing ones
of the same shape: the answers must be alike and hold nothing of the other tenant's. (``test_cross_tenant_api.py``
tries each place and every flavor of reference one by one, in-process.)"""

import json

import pytest
import requests
from requests.auth import HTTPDigestAuth

from .api_operations import Request, baseline, operations, slots
from .conftest import both, leaked, normalized
from .world import KINDS, build_world


def _bearer_session(base_url, organization, owner) -> requests.Session:
    """A session sending the Bearer token of a new Organization Owner service account of ``organization``."""
    from accounts import roles
    from serviceaccounts.services.accounts import service_account_create

    account, _, secret = service_account_create(
        organization=organization,
        name="matrix owner",
        description="matrix",
        roles=[roles.ORG_OWNER],
        secret_expires_after_hours=24,
        actor=owner,
    )
    answer = requests.post(
        f"{base_url}/api/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(account.client_id, secret),
        timeout=30,
    )
    answer.raise_for_status()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
    return session


OPERATIONS = operations()


def _distinct(missing, index):
    if len(missing) == 24:
        return f"{missing[:20]}{0xB0 + index:04x}"
    if "@" in missing:
        return missing.replace("@", f"-{index}@")
    return f"{missing}-{index}"


def _pairs(op, world):
    """(foreign request, missing request, foreign given, missing given) for one operation: the whole address
    another tenant's; or, without an address to fill, each body and query reference."""
    a, b = world.a, world.b
    base = baseline(op, lambda kind: KINDS[kind].own(a)[0])
    if op.path_parameters:
        foreign, missing = {}, {}
        for index, name in enumerate(op.path_parameters):
            kind = KINDS[op.path_kind(name)]
            flavor, foreign[name] = kind.foreign(b)[0]
            missing[name] = _distinct(kind.missing[flavor], index)
        yield (
            Request(base.method, foreign, {}, base.body),
            Request(base.method, missing, {}, base.body),
            {f"<{n}>": v for n, v in foreign.items()},
            {f"<{n}>": v for n, v in missing.items()},
        )
        return
    for slot in slots(op):
        flavor, value = KINDS[slot.kind].foreign(b)[0]
        missing = KINDS[slot.kind].missing[flavor]
        yield slot.fill(base, value), slot.fill(base, missing), {"<GIVEN>": value}, {"<GIVEN>": missing}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["digest", "bearer"])
def test_every_operation_over_digest_answers_another_tenants_ids_like_missing_ones(live_server, scheme):
    world = build_world()
    if scheme == "digest":
        key = world.a.owner_key
        session = requests.Session()
        session.auth = HTTPDigestAuth(key.public_key, world.a.owner_key_private)
    else:
        session = _bearer_session(live_server.url, world.a.organization, world.a.owner)
    known, secrets = world.known_ids(), world.b.identifying_strings()

    def send(op, request):
        body = json.dumps(request.body) if request.body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        return session.request(
            op.method.upper(), live_server.url + request.url(op), data=body, headers=headers
        )

    problems, sent = [], 0
    for op in OPERATIONS:
        pairs = list(_pairs(op, world))
        if not pairs:  # nothing to name: the answer holds nothing of the other tenant
            response = send(op, baseline(op, lambda kind: KINDS[kind].own(world.a)[0]))
            sent += 1
            if response.status_code != 200 or leaked(response.text, secrets, set()):
                problems.append(f"{op}: {response.status_code} {response.text[:300]}")
            continue
        for foreign, missing, foreign_given, missing_given in pairs:
            got, expected = send(op, foreign), send(op, missing)
            sent += 2
            if got.status_code in (401, 403) and "UNAUTHORIZED" in got.text:
                problems.append(f"{op}: the {scheme} credentials were not accepted: {got.text[:300]}")
            if got.status_code >= 500 or expected.status_code >= 500:
                problems.append(f"{op}: server error {got.text[:300]}")
            answers = (
                (got.status_code, normalized(got.text, both(foreign_given, missing_given), known)),
                (expected.status_code, normalized(expected.text, both(foreign_given, missing_given), known)),
            )
            if answers[0] != answers[1]:
                problems.append(f"{op} {foreign.url(op)}\n  foreign: {answers[0]}\n  missing: {answers[1]}")
            shown = leaked(got.text, secrets, set(foreign_given.values()))
            if shown:
                problems.append(f"{op} {foreign.url(op)} shows the other tenant's {shown}")
    assert not problems, "\n".join(problems)
    assert sent >= 2 * len([op for op in OPERATIONS if op.path_parameters])
