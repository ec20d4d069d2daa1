"""Offenses end to end: the real pipeline hunts the bundled dataset on the stand-in, the dispatcher sends
LEEF over the stand-in's syslog intake (TCP, and TLS against the stand-in's CA), its rule engine raises the offenses, and the app notes them
over REST. No part of the app is mocked; the clock is real time plus a shift the tests move forward.

The false-positive scenarios (fp-*) are suppressed by exceptions elsewhere; here their hits are marked
suppressed in the store directly, so these tests hold whatever exceptions exist."""
from __future__ import annotations

import json
import socket
import sqlite3
import time
from collections import Counter

import pytest

from app.pipeline.offenses import SETTINGS_KEY
from app.store.offenses import OffenseGroups
from devtools.appenv import app_runtime
from devtools.simproc import SimProcess, wait_until

from .conftest import DATA, FAST, span, with_window

EXCEPTIONS = DATA.parent / "exceptions-example.json"

pytestmark = pytest.mark.timeout(600)


class ShiftedClock:
    """Wall time plus a shift, so back-offs and the rate cap's minute can pass without sleeping."""

    def __init__(self):
        self.shift_ms = 0

    def __call__(self):
        return int(time.time() * 1000) + self.shift_ms


@pytest.fixture(scope="module")
def hunted(live_sim, live_dataset, tmp_path_factory):
    """The dataset hunted once by every enabled rule with the example deployment's exceptions in force (they
    suppress the benign look-alikes, as an administrator would). Tests copy the store."""
    directory = tmp_path_factory.mktemp("offenses-hunt")
    runtime = app_runtime(live_sim, str(directory), **FAST)
    runtime.rules = with_window(runtime.rules, 360)
    runtime.exceptions.import_file(EXCEPTIONS, actor="test", now_ms=runtime.clock())
    start, end = span(live_dataset["scenarios"])
    for rule in runtime.enabled_rules():
        assert runtime.hunt(rule.id, start, end).status == "ok"
    # The seed rule raises no offense by default (OffenseSettings.exclude_rules).
    live = {r["source_ip"] for r in runtime.store.db.query(
        "SELECT DISTINCT source_ip FROM hits WHERE suppressed = 0 AND rule_id != 't1048-002-seed'")}
    path = runtime.store.db.path
    runtime.store.close()
    return {"path": path, "live_sources": live}


def copy_store(source_path, target_path):
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source_path) as source, sqlite3.connect(target_path) as target:
        source.backup(target)
    return str(target_path)


def start(make_runtime, sim, hunted, tmp_path, name, clock, db=None, **settings):
    """A Runtime on a copy of the hunted store (or on `db`), and its dispatcher aimed at the sim's intake."""
    db = db or copy_store(hunted["path"], tmp_path / name / "exfilwatch.db")
    runtime = make_runtime(sim, name=name, db_path=db, clock=clock)
    runtime.store.settings.set(SETTINGS_KEY, {"host": "127.0.0.1", "port": sim.syslog_port, "protocol": "tcp"}
                               | settings, actor="test", now_ms=clock())
    return runtime, runtime.offenses


def drain(dispatcher, clock, sim, rounds=40):
    """Dispatches until nothing is left to send or to note (the intake works asynchronously)."""
    total, before = Counter(), len(ours(sim))
    for _ in range(rounds):
        summary = dispatcher.dispatch()
        total.update({k: v for k, v in summary.as_dict().items() if isinstance(v, int) and not isinstance(v, bool)})
        if summary.pending == 0 and summary.awaiting_note == 0:
            return total
        clock.shift_ms += 61_000        # past the rate cap's minute and any back-off
        # The intake lists a message after its offense rule ran: once every event sent so far is listed, the
        # offenses they raise exist and the next dispatch can note them.
        wait_until(lambda: len(ours(sim)) - before >= total["sent"], timeout=60, message="the events sent")
    raise AssertionError(f"still pending after {rounds} dispatches: {summary}")


def ours(sim):
    return [m for m in sim.admin("GET", "/sim/syslog") if m.get("leef") and m["leef"]["vendor"] == "ExfilWatch"]


def offenses(sim):
    return sim.api("GET", "/api/siem/offenses", params={"filter": 'status="OPEN"'}).json()


def notes(sim, offense_id):
    return sim.api("GET", f"/api/siem/offenses/{offense_id}/notes").json()


def test_one_offense_per_malicious_scenario_each_with_one_note(live_sim, live_dataset, hunted, make_runtime,
                                                                tmp_path):
    scenarios = live_dataset["scenarios"]
    malicious = {s["sourceip"] for s in scenarios if s["malicious"]}
    clock = ShiftedClock()
    runtime, dispatcher = start(make_runtime, live_sim, hunted, tmp_path, "main", clock)

    totals = drain(dispatcher, clock, live_sim)
    groups = OffenseGroups(runtime.store.db).list(limit=10000)
    assert totals["failed"] == 0 and {g["status"] for g in groups} == {"noted"}
    assert totals["sent"] == len(groups) == len(ours(live_sim))

    raised = offenses(live_sim)
    by_source = Counter(o["offense_source"] for o in raised)
    assert set(by_source) == malicious, "one offense per malicious scenario host, none for any other host"
    assert all(n == 1 for n in by_source.values())
    assert hunted["live_sources"] == malicious
    for offense in raised:
        offense_notes = notes(live_sim, offense["id"])
        assert len(offense_notes) == 1, offense
        text = offense_notes[0]["note_text"]
        assert text.startswith("ExfilWatch: possible exfiltration") and offense["offense_source"] in text
        assert "ExfilWatch groups: " in text and "#hit-" in text
    assert {g["offense_id"] for g in groups} == {o["id"] for o in raised}

    # Again, and after a restart on the same store: no event, no offense, no note.
    messages, before = len(ours(live_sim)), {o["id"]: o["event_count"] for o in offenses(live_sim)}
    assert dispatcher.dispatch().sent == 0
    runtime.store.close()
    clock.shift_ms += 3_600_000
    restarted, dispatcher = start(make_runtime, live_sim, hunted, tmp_path, "main-restarted", clock,
                                  db=runtime.store.db.path)
    summary = dispatcher.dispatch()
    # Nothing was written to the intake (sent == 0), so nothing can still be on its way.
    assert (summary.sent, summary.noted, summary.hits_grouped, summary.pending) == (0, 0, 0, 0)
    assert len(ours(live_sim)) == messages
    assert {o["id"]: o["event_count"] for o in offenses(live_sim)} == before
    assert all(len(notes(live_sim, o["id"])) == 1 for o in offenses(live_sim))


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def empty_sim(live_dataset):
    # The dispatcher does not search: a console with no events is enough, and its offenses are all ours.
    with SimProcess(empty=True, latency_ms=20, tls_dir=str(live_dataset["dir"] / "tls-empty")) as sim:
        yield sim


@pytest.mark.reliability("fault matrix", "syslog target down, then back: every offense event sent once")
def test_failed_sends_are_reported_then_retried_and_nothing_is_lost(empty_sim, hunted, make_runtime, tmp_path,
                                                                   reliability):
    clock = ShiftedClock()
    runtime, dispatcher = start(make_runtime, empty_sim, hunted, tmp_path, "down", clock, port=closed_port())
    summary = dispatcher.dispatch()
    assert (summary.sent, summary.failed) == (0, 1)
    assert "refused" in summary.errors[0] and summary.pending == len(OffenseGroups(runtime.store.db).list(limit=9999))
    failed = OffenseGroups(runtime.store.db).list(status="failed")
    assert len(failed) == 1 and failed[0]["attempts"] == 1 and "refused" in failed[0]["last_error"]
    assert ours(empty_sim) == []

    runtime.store.settings.set(SETTINGS_KEY, {"host": "127.0.0.1", "port": empty_sim.syslog_port},
                               actor="test", now_ms=clock())
    drain(dispatcher, clock, empty_sim)
    groups = OffenseGroups(runtime.store.db).list(limit=9999)
    keys = [m["leef"]["attributes"]["exfilwatchGroup"] for m in ours(empty_sim)]
    assert sorted(keys) == sorted(g["group_key"] for g in groups), "every group sent, each exactly once"
    assert {g["status"] for g in groups} == {"noted"}
    assert OffenseGroups(runtime.store.db).by_key(failed[0]["group_key"])["attempts"] == 2
    assert {o["offense_source"] for o in offenses(empty_sim)} == hunted["live_sources"]
    reliability.update(groups=len(groups), failed_sends_while_down=1, events_received=len(keys),
                       offenses=len(offenses(empty_sim)))


def test_offense_events_over_tls_raise_the_offenses(empty_sim, hunted, make_runtime, tmp_path):
    clock = ShiftedClock()
    runtime, dispatcher = start(make_runtime, empty_sim, hunted, tmp_path, "tls", clock,
                                port=empty_sim.syslog_tls_port, protocol="tls", ca_file=empty_sim.ca_path)
    totals = drain(dispatcher, clock, empty_sim)
    groups = OffenseGroups(runtime.store.db).list(limit=9999)
    assert totals["failed"] == 0 and {g["status"] for g in groups} == {"noted"}
    received = ours(empty_sim)
    assert totals["sent"] == len(groups) == len(received)
    assert {m["transport"] for m in received} == {"tls"}
    assert {o["offense_source"] for o in offenses(empty_sim)} == hunted["live_sources"]


def test_untrusted_tls_collector_is_a_failed_send_not_an_unverified_one(live_sim, empty_sim, hunted,
                                                                        make_runtime, tmp_path):
    # Another console's CA: a valid CA file, just not the one that signed this collector's certificate.
    assert live_sim.ca_path != empty_sim.ca_path
    clock = ShiftedClock()
    runtime, dispatcher = start(make_runtime, empty_sim, hunted, tmp_path, "tls-untrusted", clock,
                                port=empty_sim.syslog_tls_port, protocol="tls", ca_file=live_sim.ca_path)
    summary = dispatcher.dispatch()
    assert (summary.sent, summary.failed) == (0, 1)
    assert "not trusted" in summary.errors[0]
    failed = OffenseGroups(runtime.store.db).list(status="failed")
    assert len(failed) == 1 and "not trusted" in failed[0]["last_error"]
    # The handshake failed before any byte of the event was written, so nothing can be on its way.
    assert empty_sim.admin("GET", "/sim/syslog") == [] and offenses(empty_sim) == []


def test_rate_cap_is_respected(empty_sim, hunted, make_runtime, tmp_path):
    clock = ShiftedClock()
    runtime, dispatcher = start(make_runtime, empty_sim, hunted, tmp_path, "capped", clock, rate_per_minute=4,
                                framing="octet", header="rfc3164")
    total = len(OffenseGroups(runtime.store.db).list(limit=9999)) if dispatcher.dispatch() else 0
    assert total > 8
    wait_until(lambda: len(ours(empty_sim)) == 4, timeout=10, message="4 events")
    summary = dispatcher.dispatch()                  # same minute: nothing more
    assert summary.sent == 0 and summary.rate_limited == total - 4
    clock.shift_ms += 60_000
    assert dispatcher.dispatch().sent == 4
    wait_until(lambda: len(ours(empty_sim)) == 8, timeout=10, message="8 events")
    received = ours(empty_sim)
    assert {m["syslog"]["format"] for m in received} == {"rfc3164"} and {m["transport"] for m in received} == {"tcp"}
    groups = {g["group_key"]: g for g in OffenseGroups(runtime.store.db).list(limit=9999)}
    for message in received:   # each event names its group and carries that group's source
        attributes = message["leef"]["attributes"]
        assert attributes["src"] == groups[attributes["exfilwatchGroup"]]["source_ip"]


# -- scripts/create-reference-sets ------------------------------------------------------------------------
def test_create_reference_sets_is_idempotent(empty_sim, monkeypatch, capsys):
    import subprocess
    from pathlib import Path

    from devtools.create_reference_sets import REFERENCE_SETS, main
    root = Path(__file__).resolve().parents[2]
    env = dict(__import__("os").environ, EW_TEST_TOKEN=empty_sim.token)
    args = ["--console", empty_sim.url.split("://")[1], "--token-env", "EW_TEST_TOKEN", "--ca", empty_sim.ca_path]
    first = subprocess.run([str(root / "scripts" / "create-reference-sets"), *args, "--json"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout.strip().splitlines()[-1])
    assert [s["status"] for s in result["sets"]] == ["created"] * len(REFERENCE_SETS)
    for spec in REFERENCE_SETS:
        found = empty_sim.api("GET", f"/api/reference_data/sets/{spec.name}").json()
        assert found["element_type"] == spec.element_type

    monkeypatch.setenv("EW_TEST_TOKEN", empty_sim.token)
    empty_sim.api("POST", f"/api/reference_data/sets/{REFERENCE_SETS[0].name}", params={"value": "198.51.100.0/24"})
    assert main([*args, "--json"]) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [s["status"] for s in again["sets"]] == ["exists"] * len(REFERENCE_SETS)
    kept = empty_sim.api("GET", f"/api/reference_data/sets/{REFERENCE_SETS[0].name}").json()
    assert [e["value"] for e in kept["data"]] == ["198.51.100.0/24"]          # existing content untouched

    empty_sim.api("DELETE", f"/api/reference_data/sets/{REFERENCE_SETS[1].name}")
    empty_sim.api("POST", "/api/reference_data/sets", params={"name": REFERENCE_SETS[1].name, "element_type": "IP"})
    assert main([*args, "--json"]) == 1
    mismatch = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["sets"][1]
    assert mismatch["status"] == "type_mismatch" and mismatch["element_type"] == "IP"

    monkeypatch.setenv("EW_TEST_TOKEN", "wrong-token")
    assert main([*args, "--dry-run"]) == 2
    assert "401" in capsys.readouterr().err
