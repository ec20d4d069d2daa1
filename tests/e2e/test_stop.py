"""SIGTERM to the real scheduler process (what supervisord sends when container/clean/cleanup.sh stops it):
the Ariel searches in flight are canceled and deleted on the console, their windows stay owed in the ledger,
nothing is lost, and the process is gone well inside the 10 s QRadar allows."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

from app.detection.rule import load_rules
from app.store import Store
from devtools.appenv import app_environ
from devtools.simproc import wait_until

from .conftest import ROOT

HOUR = 3_600_000


def windows(db_path: str) -> list[dict]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM windows ORDER BY id")]
    except sqlite3.OperationalError:   # not created yet
        return []
    finally:
        conn.close()


def scheduler_env(sim, tmp_path, **extra):
    return app_environ(sim, str(tmp_path / "app"), EXFILWATCH_INITIAL_WAIT_S="0.02",
                       PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "scripts")]), **extra)


def test_sigterm_cancels_and_deletes_the_searches_in_flight_and_keeps_their_windows_owed(start_sim, tmp_path):
    sim = start_sim(empty=True, tls_dir=str(tmp_path / "tls"), latency_ms=120_000)   # searches never finish
    db_path = str(tmp_path / "app" / "store" / "exfilwatch.db")
    store = Store(db_path)
    now = int(time.time() * 1000)
    rules = load_rules()
    for rule in rules.values():
        store.ledger.set_checkpoint(rule.id, now - 2 * HOUR, 0)
    store.close()

    # The scheduler's output goes to a file, not a pipe nobody reads while waiting: a full pipe buffer would
    # block its logging threads, and the file says what it did if a wait below times out.
    log_path = tmp_path / "scheduler.out"
    with open(log_path, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "app.scheduler"], cwd=ROOT, env=scheduler_env(sim, tmp_path),
                                stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        enabled = {r.id for r in rules.values() if r.enabled}
        distinct_queries = {(r.select, r.where, r.order_by) for r in rules.values() if r.enabled}

        def searching():   # every enabled rule has planned and is searching its first window
            running = [w for w in windows(db_path) if w["status"] == "running"]
            listed = sim.api("GET", "/api/ariel/searches").json()
            # One search per distinct query: rules sharing one AQL net (the analyzer's rules) post the same text
            # for the same window, and the console answers a repeat of a running query with the earlier search.
            done = {w["rule_id"] for w in running} == enabled and len(listed) >= len(distinct_queries)
            return running if done else None
        try:
            running = wait_until(searching, timeout=90, message="every rule searching on the console")
        except AssertionError as error:
            seen = sorted({w["rule_id"] for w in windows(db_path) if w["status"] == "running"})
            raise AssertionError(f"{error}; not running: {sorted(enabled - set(seen))}; running windows: {len(seen)}, searches listed: {len(sim.api('GET', '/api/ariel/searches').json())}; scheduler said:\n"
                                 + log_path.read_text()[-4000:]) from None
        in_flight = sim.api("GET", "/api/ariel/searches").json()
        planned = windows(db_path)
        sim.admin("DELETE", "/sim/requests")

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        output = log_path.read_text()
        elapsed = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert elapsed < 10, f"the scheduler took {elapsed:.1f} s to stop (QRadar kills it at 10 s)"

    # On the console: every search that was running was canceled, then deleted; none is left.
    log = sim.admin("GET", "/sim/requests")
    canceled = {c["path"].rsplit("/", 1)[1] for c in log
                if c["method"] == "POST" and c["path"].startswith("/api/ariel/searches/")}
    deleted = {c["path"].rsplit("/", 1)[1] for c in log if c["method"] == "DELETE"}
    assert set(in_flight) <= canceled and set(in_flight) <= deleted
    assert sim.api("GET", "/api/ariel/searches").json() == []

    # In the store: every planned window is still there and owed; the interrupted ones are pending again.
    after = {w["id"]: w for w in windows(db_path)}
    assert set(after) == {w["id"] for w in planned}
    assert {w["status"] for w in after.values()} <= {"pending"}
    assert all("stopping" in (after[w["id"]]["reason"] or "") for w in running)
    assert "canceled and deleted" in output


def test_a_scheduler_switched_off_stays_up_idle_until_stopped(start_sim, tmp_path):
    sim = start_sim(empty=True, tls_dir=str(tmp_path / "tls"))
    proc = subprocess.Popen([sys.executable, "-m", "app.scheduler"], cwd=ROOT,
                            env=scheduler_env(sim, tmp_path, EXFILWATCH_SCHEDULER_ENABLED="false"),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        assert "EXFILWATCH_SCHEDULER_ENABLED is off" in line and "stays up" in line
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not any(c["path"].startswith("/api/ariel") for c in sim.admin("GET", "/sim/requests"))
