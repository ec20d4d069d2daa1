"""The fault matrix: the real app against the stand-in while it misbehaves, one case per way a console fails.

Every case ends with exactly the hits and the offense groups of a clean run, proves that the faults it armed
really fired (the stand-in counts them) and that the ledger tells what happened: the windows a fault failed and
retried, the searches recreated, the run errors; or, when the client's retries absorbed the fault, that no window
needed a second attempt. Each case's facts go to docs/reliability.md (tests/reliability.py).
"""
from __future__ import annotations

import dataclasses
import re
import socket

import pytest

from app import create_app
from app.pipeline.offenses import SETTINGS_KEY
from app.store.offenses import OffenseGroups
from devtools.appenv import app_runtime

from .conftest import FAST, drain, with_window

pytestmark = pytest.mark.timeout(600)
HOUR = 3_600_000
# Three rules keep each case short; together they cover process and network events, correlation and offenses.
MATRIX_RULES = ("t1048-002-rclone", "t1048-002-encrypted-connection", "t1048-002-transfer-credentials")


def matrix_rules(rules: dict) -> dict:
    return with_window({rid: r for rid, r in rules.items() if rid in MATRIX_RULES}, 360)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def offense_groups(runtime) -> dict[str, int]:
    """The offense events this store's hits make: group key -> live hits (grouped by the Runtime's dispatcher;
    the collector is a closed port, so nothing reaches the shared stand-in's offenses)."""
    runtime.store.settings.set(SETTINGS_KEY, {"host": "127.0.0.1", "port": closed_port(), "protocol": "tcp"},
                               actor="test", now_ms=runtime.clock())
    runtime.offenses.dispatch()
    groups = OffenseGroups(runtime.store.db)
    return {g["group_key"]: groups.live_count(g["id"]) for g in groups.list(limit=100_000)}


def hunt_everything(runtime, start, end):
    for rule in runtime.enabled_rules():
        runtime.hunt(rule.id, start, end)
    drain(runtime, "hunt")   # what a fault failed is retried by the next run, as the scheduler would


def story(runtime) -> dict:
    """What the ledger says happened."""
    windows = runtime.store.ledger.windows(limit=100_000)
    runs = runtime.store.ledger.runs(limit=100_000)
    return {"windows": sum(w["status"] == "done" for w in windows),
            "retried": sum(w["attempts"] > 1 for w in windows),
            "restarts": sum(w["restarts"] for w in windows),
            "failed_runs": sum(r["status"] != "ok" for r in runs),
            "run_errors": sorted({r["error"][:160] for r in runs if r["error"]})[:3]}


@pytest.fixture(scope="module")
def clean(live_sim, reference, tmp_path_factory):
    """A clean run of the matrix's shape: its hits must be the reference's, and they give the offense groups."""
    runtime = app_runtime(live_sim, str(tmp_path_factory.mktemp("clean")), **FAST)
    runtime.rules = matrix_rules(runtime.rules)
    live_sim.admin("DELETE", "/sim/faults")
    hunt_everything(runtime, reference["start"], reference["end"])
    ids = runtime.store.hits.identities()
    assert ids == {h["identity"] for h in reference["hits"] if h["rule_id"] in MATRIX_RULES}
    assert len(ids) > 20, "the reference must hold hits for a fault to lose"
    result = {"ids": ids, "groups": offense_groups(runtime), "story": story(runtime)}
    assert result["groups"], "the reference raises offenses"
    runtime.store.close()
    return result


# name -> (faults, evidence the ledger must show, AppConfig overrides)
#   absorbed: the client's retries hid the fault; no window needed a second attempt
#   retried:  windows failed and were searched again, and a run says why (`why` in its error)
#   restarted: vanished searches were submitted again
CASES = {
    "503 burst on submit (absorbed by retries)": (
        [{"route": "POST /api/ariel/searches", "count": 3, "status": 503, "code": 1010}], ("absorbed",), {}),
    "503 for longer than the client retries": (
        [{"route": "POST /api/ariel/searches", "count": 3, "status": 503, "code": 1010}],
        ("retried", "console unavailable"), {"request_retries": 1}),
    "500s on status polls": (
        [{"route": "GET /api/ariel/searches/{id}", "count": 4, "status": 500, "code": 1020}], ("absorbed",), {}),
    "502s on results": ([{"route": "GET /api/ariel/searches/{id}/results", "count": 3, "status": 502}],
                        ("absorbed",), {}),
    "500s on delete": ([{"route": "DELETE /api/ariel/searches/{id}", "count": 3, "status": 500}], ("absorbed",), {}),
    "dropped connections": ([{"route": "GET /api/ariel/searches/{id}/results", "count": 2, "drop": True},
                             {"route": "POST /api/ariel/searches", "count": 1, "drop": True}], ("absorbed",), {}),
    "dropped connections for longer than the client retries": (
        [{"route": "GET /api/ariel/searches/{id}/results", "count": 2, "drop": True}],
        ("retried", "console unavailable"), {"request_retries": 1}),
    "searches ending in ERROR": ([{"kind": "search_error", "count": 2}], ("retried", "ended in ERROR|failed"), {}),
    "vanished searches": ([{"kind": "search_vanish", "count": 2}], ("restarted",), {}),
    "vanished again and again": ([{"kind": "search_vanish", "count": 3}], ("retried", "does not exist"), {}),
    "searches never finishing": ([{"kind": "search_stall", "count": 2}], ("retried", "did not complete"),
                                 {"search_timeout_s": 2}),
    "slow console": ([{"route": "GET /api/ariel/searches/{id}", "count": 5, "latency_ms": 400}], ("absorbed",), {}),
    "proxy pages instead of JSON": (
        [{"route": "GET /api/ariel/searches/{id}/results", "count": 2, "garbage": "<html><body>502 Bad Gateway</body></html>"},
         {"route": "GET /api/ariel/searches/{id}", "count": 1, "garbage": '{"search_id": "trunc'},
         {"route": "POST /api/ariel/searches", "count": 1, "status": 502, "garbage": "proxy error"}], ("absorbed",), {}),
    "truncated responses": ([{"route": "GET /api/ariel/searches/{id}/results", "count": 2, "truncate": 40},
                             {"route": "GET /api/ariel/searches/{id}", "count": 1, "truncate": 7}], ("absorbed",), {}),
    "non-UTF-8 responses": ([{"route": "GET /api/ariel/searches/{id}/results", "count": 2,
                              "garbage": '{"events": [{"CommandLine": "caf\u00e9"}]}', "encoding": "latin-1"}],
                            ("absorbed",), {}),
    "result rows missing their columns": ([{"route": "GET /api/ariel/searches/{id}/results", "count": 1,
                                            "garbage": '{"events": [{"unexpected": 1}]}'}],
                                          ("retried", "malformed results"), {}),
}


def assert_explained(evidence, facts):
    kind = evidence[0]
    if kind == "absorbed":
        assert facts["retried"] == 0 and facts["restarts"] == 0, f"no window should need a second try: {facts}"
    elif kind == "restarted":
        assert facts["restarts"] > 0, facts
    else:
        assert facts["retried"] > 0 and facts["failed_runs"] > 0, facts
        assert any(re.search(evidence[1], e, re.I) for e in facts["run_errors"]), facts["run_errors"]


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.reliability("fault matrix", n)) for n in CASES])
def test_fault_matrix(name, live_sim, make_runtime, reference, clean, reliability):
    faults, evidence, config = CASES[name]
    armed = sum(f["count"] for f in faults)
    live_sim.admin("DELETE", "/sim/faults")
    live_sim.admin("POST", "/sim/faults", json=faults)
    try:
        runtime = make_runtime(live_sim, **config)
        runtime.rules = matrix_rules(runtime.rules)
        hunt_everything(runtime, reference["start"], reference["end"])
        fired = live_sim.admin("GET", "/sim/faults/fired")
    finally:
        live_sim.admin("DELETE", "/sim/faults")
    facts = story(runtime)
    reliability.update(facts, faults_armed=armed, faults_fired=fired["total"], hits=len(runtime.store.hits.identities()))
    assert fired["total"] == armed, f"every fault armed must fire, or the case proves nothing: {fired}"
    assert runtime.store.hits.identities() == clean["ids"]
    assert offense_groups(runtime) == clean["groups"]
    assert_explained(evidence, facts)


@pytest.mark.reliability("fault matrix", "401 mid-run: rule paused, resumes when the token works again")
def test_token_revoked_mid_run_pauses_the_rule_and_resumes(live_sim, make_runtime, reference, clean, reliability):
    runtime = make_runtime(live_sim)
    runtime.rules = with_window(runtime.rules, 360)
    rule_id = "t1048-002-rclone"
    windows_seen = []

    def revoke_after_two_windows(rule, hits, context):   # a processor: runs inside the real pipeline
        windows_seen.append(context.window)
        if len(windows_seen) == 2:
            live_sim.admin("POST", "/sim/faults", json={"kind": "revoke_token"})

    runtime.runner.processors.append(revoke_after_two_windows)
    try:
        summary = runtime.hunt(rule_id, reference["start"], reference["end"])
        assert summary.status == "partial" and summary.windows_done == 2
        assert "refused the token" in summary.errors[0] and "401" in summary.errors[0]
        owed = runtime.store.ledger.open_windows(rule_id, "hunt")
        # What every page's banner says: the rule is paused because the console refused the token.
        banners = [b for b in create_app(runtime).test_client().get("/api/banners").get_json()
                   if b["rule_id"] == rule_id]
        assert len(banners) == 1 and "paused" in banners[0]["title"] and "token" in banners[0]["text"]
        # While the token stays refused, every run stops at once and owes the same windows.
        again = runtime.runner.resume(runtime.rules[rule_id], "hunt")
        assert again.windows_done == 0 and len(runtime.store.ledger.open_windows(rule_id, "hunt")) == len(owed)
    finally:
        runtime.runner.processors.remove(revoke_after_two_windows)
        live_sim.admin("POST", "/sim/config", json={"token": live_sim.token})
    assert runtime.runner.resume(runtime.rules[rule_id], "hunt").status == "ok"
    stored = runtime.store.hits.identities(rule_id)
    assert stored == {h["identity"] for h in reference["hits"] if h["rule_id"] == rule_id}
    reliability.update(story(runtime), windows_owed_while_refused=len(owed), hits=len(stored))


@pytest.mark.reliability("fault matrix", "console down for six hours (simulated clock), then caught up")
def test_console_down_for_hours_is_caught_up_in_bounded_windows(live_sim, make_runtime, reference, reliability):
    """The scheduler ticks every hour of a six-hour outage (every call dropped) on a simulated clock; the
    console returns and the next tick searches exactly the owed span, in windows no longer than the rule's."""
    rule_id = "t1048-002-seed"
    now = {"ms": reference["end"] - 6 * HOUR}
    runtime = make_runtime(live_sim, clock=lambda: now["ms"], request_retries=1)
    rule = runtime.rules[rule_id]
    runtime.rules = {rule_id: dataclasses.replace(rule, schedule=dataclasses.replace(rule.schedule, interval_minutes=60))}
    delay = rule.schedule.ingestion_delay_minutes * 60_000
    down_since = now["ms"] - delay
    runtime.store.ledger.set_checkpoint(rule_id, down_since, now["ms"])
    live_sim.admin("POST", "/sim/faults", json={"route": "* /api/*", "count": -1, "drop": True})
    try:
        for _ in range(6):
            now["ms"] += HOUR
            summary = runtime.run_rule(rule_id)
            assert summary.status == "failed" and summary.windows_done == 0
        fired = live_sim.admin("GET", "/sim/faults/fired")["total"]
    finally:
        live_sim.admin("DELETE", "/sim/faults")
    assert fired >= 6, "every tick of the outage reached the (dropping) console"
    owed = runtime.store.ledger.open_windows(rule_id)
    assert owed and all(w.end_ms - w.start_ms <= rule.schedule.max_window_minutes * 60_000 for w in owed)
    summary = runtime.run_rule(rule_id)   # the console is back
    assert summary.status == "ok" and not runtime.store.ledger.open_windows(rule_id)
    horizon = now["ms"] - delay
    expected = {h["identity"] for h in reference["hits"]
                if h["rule_id"] == rule_id and down_since <= h["event_time_ms"] < horizon}
    assert expected, "the outage spans hits"
    assert runtime.store.hits.identities(rule_id) == expected
    facts = story(runtime)
    assert facts["failed_runs"] == 6
    reliability.update(facts, outage_hours=6, calls_dropped=fired, hits=len(expected))


@pytest.mark.reliability("fault matrix", "store full (SQLite max_page_count): clear error, nothing corrupted")
def test_a_full_store_stops_the_run_with_a_clear_error_and_loses_nothing(live_sim, make_runtime, reference, clean,
                                                                         reliability):
    """The disk under the store fills up. The mechanism is SQLite's own `PRAGMA max_page_count` on the store's
    writing connection: past it every write fails with SQLITE_FULL ("database or disk is full"), exactly the error a
    full disk or quota gives, without needing root for a tiny filesystem."""
    runtime = make_runtime(live_sim)
    runtime.rules = matrix_rules(runtime.rules)
    with runtime.store.db.transaction() as conn:   # the one connection every write of this process goes through
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 1}")
    summaries = [runtime.hunt(rule_id, reference["start"], reference["end"]) for rule_id in runtime.rules]
    full = [s for s in summaries if s.status != "ok"]
    assert full, "some window's hits must not fit"
    assert all("store is full" in s.errors[0] for s in full), [s.errors for s in full]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    partial = runtime.store.hits.identities()
    assert partial < clean["ids"], "what was stored is a part of the clean run, nothing else"
    owed = sum(len(runtime.store.ledger.open_windows(r, "hunt")) for r in runtime.rules)
    assert owed, "the windows that did not fit stay owed"

    conn.execute("PRAGMA max_page_count = 1073741823")   # space freed
    drain(runtime, "hunt")
    assert runtime.store.hits.identities() == clean["ids"]
    assert offense_groups(runtime) == clean["groups"]
    reliability.update(story(runtime), hits_before_space_freed=len(partial), windows_owed=owed,
                       error=full[0].errors[0][:120])
