"""The cross-tenant matrix of the API, built from its OpenAPI schema (issue 11): for every operation, as the owner
of organization Alpha (by session, and with Alpha's Organization Owner API key), Bravo's objects are put in each
place a request names an object (each path parameter, all of them at once, each query parameter and body field
that names one). The answer must be the one a missing object of the same shape gets (status, code, message with
the given value masked, parameters), cost the same SQL queries (the time must not tell either), and hold nothing
of Bravo's. Alpha's own object must be answered otherwise, which proves the place is looked at.

The API key runs through DRF's ``force_authenticate`` on the key's account here (its Digest handshake is the
same for every operation), with the first flavor of each reference; the session tries every flavor.
``test_cross_tenant_api_digest.py`` makes a full pass with real HTTP Digest against a live server. Operations,
parameters and fields come from the schema at collection time (``api_operations``)."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from .api_operations import NOT_LOOKED_UP, Slot, baseline, load_schema, operations, slots
from .conftest import both, isolated, leaked, normalized
from .world import KINDS

pytestmark = pytest.mark.django_db

OPERATIONS = operations()
PRINCIPALS = ["session", "key"]


def _all_path_parameters(op) -> Slot | None:
    """Every path parameter at once (the whole address another tenant's), when there are several."""
    if len(op.path_parameters) < 2:
        return None
    return Slot("path:*", "*", None)


def _cases():
    for op in OPERATIONS:
        if op.unknown:
            continue  # test_every_parameter_of_the_schema_is_classified says which
        found = slots(op)
        together = _all_path_parameters(op)
        if together is not None:
            found.append(together)
        for slot in found or [Slot("none", "", None)]:
            yield pytest.param(
                op, slot, id=f"{op.method.upper()} {op.path.removeprefix('/api/atlas/v2')} {slot.label}"
            )


CASES = list(_cases())


def client_for(world, principal) -> APIClient:
    client = APIClient()
    if principal == "session":
        client.force_login(world.a.owner)
    else:
        client.api_key = world.a.owner_key
    return client


def send(client, op, request):
    """One request, rolled back afterwards: every request meets the world as it was built. The answer carries
    the number of SQL queries it cost (``queries``)."""
    kwargs = {"data": request.body, "format": "json"} if request.body is not None else {}
    key = getattr(client, "api_key", None)
    if key is not None:  # a fresh row each time, as a request authenticated by Digest loads it
        client.force_authenticate(user=get_user_model().objects.get(pk=key.user_id), token=key)
    with isolated(), CaptureQueriesContext(connection) as queries:
        response = getattr(client, op.method)(request.url(op), **kwargs)
    response.queries = len(queries)
    return response


def answer(response, given, known_ids):
    return response.status_code, normalized(response.content.decode(), given, known_ids)


def _variants(op, slot, world, every_flavor=True):
    """(foreign request, missing request, given foreign values, given missing values), one per flavor (only
    the first without ``every_flavor``)."""
    a, b = world.a, world.b
    base = baseline(op, lambda kind: KINDS[kind].own(a)[0])
    if slot.label == "path:*":
        foreign_values = {n: KINDS[op.path_kind(n)].foreign(b)[0] for n in op.path_parameters}
        foreign = {n: value for n, (_, value) in foreign_values.items()}
        missing = {
            n: _distinct(KINDS[op.path_kind(n)].missing[flavor], i)
            for i, (n, (flavor, _)) in enumerate(foreign_values.items())
        }
        yield (
            type(base)(base.method, foreign, {}, base.body),
            type(base)(base.method, missing, {}, base.body),
            {f"<{n}>": v for n, v in foreign.items()},
            {f"<{n}>": v for n, v in missing.items()},
        )
        return
    flavors = KINDS[slot.kind].foreign(b)
    for flavor, value in flavors if every_flavor else flavors[:1]:
        missing = KINDS[slot.kind].missing[flavor]
        yield slot.fill(base, value), slot.fill(base, missing), {"<GIVEN>": value}, {"<GIVEN>": missing}


def _distinct(missing, index):
    """A missing value of the same shape, told apart from the other parameters' (so each can be masked)."""
    if len(missing) == 24:
        return f"{missing[:20]}{0xA0 + index:04x}"
    if "@" in missing:
        return missing.replace("@", f"-{index}@")
    return f"{missing}-{index}"


def _own_variants(op, slot, world):
    a = world.a
    base = baseline(op, lambda kind: KINDS[kind].own(a)[0])
    if slot.label == "path:*":
        yield base, {f"<{n}>": v for n, v in base.path_values.items()}
        return
    for value in KINDS[slot.kind].own(a):
        yield slot.fill(base, value), {"<GIVEN>": value}


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize(("op", "slot"), CASES)
def test_a_foreign_reference_is_answered_like_a_missing_one(world, principal, op, slot):
    client = client_for(world, principal)
    known = world.known_ids()
    secrets = world.b.identifying_strings()
    problems = []
    if slot.label == "none":  # nothing to name: the answer simply holds nothing of the other tenant
        response = send(client, op, baseline(op, lambda kind: KINDS[kind].own(world.a)[0]))
        assert response.status_code < 400, response.content[:500]
        assert not leaked(response.content.decode(), secrets, set())
        return

    missing_answer = None
    # The session tries every flavor of the reference and proves the place is looked at; the key, whose
    # requests reach the same code with another actor, tries the first flavor (the run time stays reasonable).
    thorough = principal == "session"
    for foreign, missing, foreign_given, missing_given in _variants(op, slot, world, thorough):
        foreign_response, missing_response = send(client, op, foreign), send(client, op, missing)
        got, expected = (
            answer(foreign_response, both(foreign_given, missing_given), known),
            answer(missing_response, both(foreign_given, missing_given), known),
        )
        missing_answer = missing_answer or expected
        if foreign_response.status_code >= 500 or missing_response.status_code >= 500:
            problems.append(f"server error for {foreign.url(op)}: {foreign_response.content[:300]!r}")
        if got != expected:
            problems.append(
                f"{foreign.url(op)} body={foreign.body!r}\n  foreign answer: {got}\n  missing answer: {expected}"
            )
        if foreign_response.queries != missing_response.queries:
            # "The same work", or the time tells. The first request of a test may also fill process-wide
            # caches (content types): it is asked once more before it counts.
            foreign_response.queries = send(client, op, foreign).queries
        if foreign_response.queries != missing_response.queries:
            problems.append(
                f"{foreign.url(op)} body={foreign.body!r} costs {foreign_response.queries} queries, a missing "
                f"object {missing_response.queries}"
            )
        shown = leaked(foreign_response.content.decode(), secrets, set(foreign_given.values()))
        if shown:
            problems.append(f"{foreign.url(op)} body={foreign.body!r} shows the other tenant's {shown}")

    # The place is looked at: the caller's own object gets another answer than a missing one.
    if thorough and (op.operation_id, slot.label) not in NOT_LOOKED_UP:
        own_answers = []
        for request, given in _own_variants(op, slot, world):
            own_answers.append(answer(send(client, op, request), given, known))
            if own_answers[-1] != missing_answer:
                break
        else:
            problems.append(
                f"{slot.label} seems never looked at: the caller's own objects are answered like a missing one "
                f"({own_answers[0]}); fix the request the matrix builds, or list it in NOT_LOOKED_UP with why"
            )
    assert not problems, "\n".join(problems)


def test_every_parameter_of_the_schema_is_classified():
    """A path parameter, query parameter or body field the matrix cannot fill is a hole in it: classify it in
    api_operations (as a kind of reference, or as naming no object)."""
    unknown = {str(op): op.unknown for op in OPERATIONS if op.unknown}
    assert not unknown, f"unclassified parameters (see tests/security/api_operations.py): {unknown}"


def test_the_matrix_covers_every_operation_the_api_serves(world):
    """The operations above are those of the schema the API serves at /api/atlas/v2/openapi.json."""
    client = client_for(world, "session")
    served = client.get("/api/atlas/v2/openapi.json").json()
    assert served["paths"].keys() == load_schema()["paths"].keys()
    covered = {(op.method, op.path) for op in OPERATIONS}
    served_operations = {
        (method, path) for path, item in served["paths"].items() for method in item if method != "parameters"
    }
    assert served_operations == covered
    assert {(case.values[0].method, case.values[0].path) for case in CASES} == covered
