"""The pipeline against the real stand-in: scheduled runs, faults on every route, outages.

The reference is one big retro-hunt over the whole dataset; every other way of getting there (many small
scheduled runs, runs through injected faults) must end with exactly the same stored hits.
"""
from __future__ import annotations

import time

import pytest

from .conftest import MINUTE, drain, with_window

HOUR = 60 * MINUTE


def identities(runtime) -> set[str]:
    return runtime.store.hits.identities()


def test_reference_hunt_finds_the_seed_test_cases(reference, live_dataset):
    seed_hits = [h for h in reference["hits"] if h["rule_id"] == "t1048-002-seed"]
    sources = {h["source_ip"] for h in seed_hits}
    seed_cases = {s["id"]: s["sourceip"] for s in live_dataset["scenarios"] if s["id"].startswith("seed-")}
    # The seed logic (full-match IMATCHES, file-name "Process Name") catches tests 1, 2 and 4 (detection.md).
    for case in ("seed-1-rclone-sftp", "seed-2-pscp", "seed-4-rclone-mega"):
        assert seed_cases[case] in sources, case


def test_scheduled_runs_in_small_steps_give_the_same_hits_as_one_hunt(live_sim, make_runtime, reference):
    runtime = make_runtime(live_sim, max_windows_per_run=5)
    runtime.rules = with_window(runtime.rules, 120)
    for rule in runtime.enabled_rules():
        runtime.store.ledger.set_checkpoint(rule.id, reference["start"], 0)
    runs = drain(runtime, "scheduled")
    assert len([r for r in runs if r and r.windows_done]) > len(runtime.enabled_rules()), "took several runs"
    assert identities(runtime) == reference["ids"]
    # The ledger is contiguous per rule: planned windows tile [first checkpoint, last checkpoint).
    for rule in runtime.enabled_rules():
        done = sorted((w["start_ms"], w["end_ms"]) for w in runtime.store.ledger.windows(rule.id, statuses=["done"], limit=5000))
        assert done[0][0] == reference["start"]
        assert all(a[1] == b[0] for a, b in zip(done, done[1:]))
        assert done[-1][1] == runtime.store.ledger.checkpoint(rule.id)


FAULTS = {
    "5xx burst on submit": [{"route": "POST /api/ariel/searches", "count": 3, "status": 503, "code": 1010}],
    "5xx on status polls": [{"route": "GET /api/ariel/searches/{id}", "count": 4, "status": 500, "code": 1020}],
    "5xx on results": [{"route": "GET /api/ariel/searches/{id}/results", "count": 3, "status": 502}],
    "dropped connections": [{"route": "GET /api/ariel/searches/{id}/results", "count": 2, "drop": True},
                            {"route": "POST /api/ariel/searches", "count": 1, "drop": True}],
    "vanished searches": [{"kind": "search_vanish", "count": 3}],
    "searches ending in ERROR": [{"kind": "search_error", "count": 2}],
    "slow console": [{"route": "GET /api/ariel/searches/{id}", "count": 5, "latency_ms": 400}],
    "500 on delete": [{"route": "DELETE /api/ariel/searches/{id}", "count": 3, "status": 500}],
    "garbage bodies": [{"route": "GET /api/ariel/searches/{id}/results", "count": 2,
                        "garbage": "<html><body>502 Bad Gateway</body></html>"},
                       {"route": "GET /api/ariel/searches/{id}", "count": 1, "garbage": '{"search_id": "trunc'},
                       {"route": "POST /api/ariel/searches", "count": 1, "status": 502, "garbage": "proxy error"}],
}


@pytest.mark.parametrize("name", FAULTS)
def test_faults_on_every_route_end_in_the_same_hits(name, live_sim, make_runtime, reference):
    live_sim.admin("DELETE", "/sim/faults")
    live_sim.admin("POST", "/sim/faults", json=FAULTS[name])
    try:
        runtime = make_runtime(live_sim)
        runtime.rules = with_window(runtime.rules, 360)
        for rule in runtime.enabled_rules():
            runtime.hunt(rule.id, reference["start"], reference["end"])
        drain(runtime, "hunt")   # what a fault failed is retried by the next run, as the scheduler would
    finally:
        live_sim.admin("DELETE", "/sim/faults")
    assert identities(runtime) == reference["ids"]


def test_a_six_hour_outage_is_caught_up_in_bounded_windows(live_sim, make_runtime, reference):
    # A frozen clock: the outage is exactly six hours when the run plans it (a clock that moved on by a
    # millisecond would add a millisecond-long seventh window).
    now = int(time.time() * 1000)
    runtime = make_runtime(live_sim, clock=lambda: now)
    rule = runtime.rules["t1048-002-seed"]
    horizon = now - rule.schedule.ingestion_delay_minutes * MINUTE
    down_since = horizon - 6 * HOUR
    runtime.store.ledger.set_checkpoint(rule.id, down_since, now)
    summary = runtime.run_rule(rule.id)
    assert summary.status == "ok" and summary.windows_done == 6
    windows = sorted(runtime.store.ledger.windows(rule.id, limit=100), key=lambda w: w["start_ms"])
    assert [w["status"] for w in windows] == ["done"] * 6
    assert windows[0]["start_ms"] == down_since and windows[-1]["end_ms"] >= horizon - MINUTE
    assert all(w["end_ms"] - w["start_ms"] <= HOUR for w in windows)
    expected = {h["identity"] for h in reference["hits"]
                if h["rule_id"] == rule.id and down_since <= h["event_time_ms"] < windows[-1]["end_ms"]}
    assert identities(runtime) == expected


def test_a_revoked_token_stops_the_run_and_leaves_the_windows_owed(live_sim, make_runtime, reference):
    runtime = make_runtime(live_sim)
    live_sim.admin("POST", "/sim/faults", json={"kind": "revoke_token"})
    try:
        summary = runtime.hunt("t1048-002-seed", reference["start"], reference["end"])
    finally:
        live_sim.admin("POST", "/sim/config", json={"token": live_sim.token})
        live_sim.admin("DELETE", "/sim/faults")
    assert summary.status == "failed"
    assert "refused the token" in summary.errors[0] and "401" in summary.errors[0]
    owed = runtime.store.ledger.open_windows("t1048-002-seed", "hunt")
    assert owed and runtime.store.hits.counts()["hits"] == 0
    # Once the token works again, the owed windows are searched and nothing is missing.
    assert runtime.runner.resume(runtime.rules["t1048-002-seed"], "hunt").status == "ok"
    assert identities(runtime) == {h["identity"] for h in reference["hits"] if h["rule_id"] == "t1048-002-seed"}
