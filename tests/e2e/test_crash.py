"""SIGKILL the real scheduler process mid-run; a restart loses nothing and duplicates nothing."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

from app.store import Store
from devtools.appenv import app_environ
from devtools.simproc import wait_until

from .conftest import ROOT


def ledger_counts(db_path: str) -> dict:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute("SELECT status, COUNT(*) FROM windows GROUP BY status").fetchall()
        return dict(rows)
    except sqlite3.OperationalError:   # not created yet
        return {}
    finally:
        conn.close()


def checkpoints(db_path: str) -> dict:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return dict(conn.execute("SELECT rule_id, checkpoint_ms FROM rule_state").fetchall())
    finally:
        conn.close()


def start_scheduler(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app.scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_sigkill_mid_run_then_restart_ends_with_exactly_the_reference_hits(live_sim, reference, tmp_path):
    env = app_environ(live_sim, str(tmp_path / "app"), EXFILWATCH_INITIAL_WAIT_S="0.02",
                      EXFILWATCH_POLL_WAIT_S="2", PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "scripts")]))
    db_path = str(tmp_path / "app" / "store" / "exfilwatch.db")
    store = Store(db_path)
    from app.detection.rule import load_rules
    rules = load_rules()
    for rule in rules.values():   # as if the app had been down since the dataset began
        store.ledger.set_checkpoint(rule.id, reference["start"], 0)
    store.close()

    live_sim.admin("POST", "/sim/config", json={"latency_ms": 150})   # slow searches: a run takes a while
    try:
        first = start_scheduler(env)
        try:
            wait_until(lambda: ledger_counts(db_path).get("done", 0) >= 3, timeout=120, message="3 windows done")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(30)
        after_kill = ledger_counts(db_path)
        owed = sum(after_kill.get(s, 0) for s in ("pending", "running", "failed"))
        assert owed > 0, f"the kill came too late to test anything: {after_kill}"

        second = start_scheduler(env)
        try:
            def caught_up():
                # every rule has planned past the dataset's end, and nothing planned is still owed
                planned = checkpoints(db_path)
                if not all((planned.get(r) or 0) >= reference["end"] for r in rules):
                    return False
                counts = ledger_counts(db_path)
                return not any(counts.get(s) for s in ("pending", "running", "failed"))
            wait_until(caught_up, timeout=300, interval=0.2, message="the restarted scheduler to catch up")
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(60)
    finally:
        live_sim.admin("POST", "/sim/config", json={"latency_ms": 20})

    store = Store(db_path)
    try:
        assert store.hits.identities() == reference["ids"]
        assert store.db.query("SELECT COUNT(*) AS n FROM hits")[0]["n"] == len(reference["ids"])
    finally:
        store.close()
