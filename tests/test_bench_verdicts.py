"""The bench's verdicts (scripts/bench/run.py): a target that misses says by how much, and why, from what the run
measured; one that holds says neither."""

from scripts.bench.run import verdicts


def _side(seconds, queries, sql_seconds, slowest):
    return {"seconds": seconds, "queries": queries, "sql_seconds": sql_seconds, "slowest": slowest}


def _load(rps, p50):
    return {"rps": rps, "p50_ms": p50, "p95_ms": 2 * p50, "statuses": {"200": 100}}


def test_a_missed_target_says_by_how_much_and_where_the_fast_ways_time_goes():
    fast = _side(
        0.4, 7, 0.3, [(0.25, "WITH due AS (SELECT id FROM invitations"), (0.05, "INSERT INTO emails")]
    )
    naive = _side(12.0, 15_000, 9.0, [])
    results = {
        "bulk": {
            "invitation_expiry": {
                "fast": {**fast, "email_seconds": 0.1},
                "naive": {**naive, "email_seconds": 3.0, "extrapolated_by": 5.0},
                "speedup": 30.0,
                "speedup_without_email": 30.0,
                "rows": 5000,
            },
            "offboarding": {
                "fast": _side(0.04, 27, 0.03, [(0.01, "DELETE FROM x")]),
                "naive": _side(4.5, 5031, 4.0, []),
                "speedup": 112.0,
                "projects": 500,
            },
        },
        "load": {
            "unauthenticated 401": _load(400, 12),
            "root, Digest": _load(180, 40),
            "root, session": _load(260, 27),
            "users list of 100, Digest": _load(120, 60),
        },
    }

    rows = {row["target"]: row for row in verdicts(results)}

    expiry = rows["expiring 5,000 invitations ≥ 50× the row-by-row way, the notices' email rows set apart"]
    assert expiry["verdict"] == "MISSES"
    assert expiry["short_by"] == (
        "30× where the target is 50×: 40% short: the fast way would have to take 180.0 ms, where it took 300.0 ms"
    )
    assert "of its 400.0 ms, 300.0 ms (75%) is SQL in 7 statements" in expiry["why"]
    assert "250.0 ms in WITH due AS (SELECT id FROM invitations…" in expiry["why"]

    root = rows["authenticated root (Digest) ≥ 50% of the unauthenticated 401's requests/s"]
    assert root["verdict"] == "MISSES"
    assert root["short_by"] == "45% where the target is 50%: 10% short (20 more requests a second)"
    assert "p50 40 ms and p95 80 ms against 12 ms and 24 ms (unauthenticated 401)" in root["why"]

    for held in (
        rows["offboarding a person from 500 projects ≥ 50× the row-by-row way"],
        rows["users list of 100 (Digest) ≥ 30% of the authenticated root's requests/s"],
    ):
        assert held["verdict"] == "holds"
        assert "short_by" not in held and "why" not in held
