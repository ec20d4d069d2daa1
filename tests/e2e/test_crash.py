"""SIGKILL the real scheduler process at random points of its runs, again and again; after each kill the store
is intact, and the last restart ends with exactly the reference hits, none lost and none twice.

`scripts/test` kills it a few times; `scripts/soak` sets EXFILWATCH_SIGKILLS=50 (docs/reliability.md).
"""
from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

from app.detection.rule import load_rules
from app.store import Store
from devtools.appenv import app_environ
from devtools.simproc import wait_until

import pytest

from .conftest import ROOT

KILLS = int(os.environ.get("EXFILWATCH_SIGKILLS", "3"))
SEED = int(os.environ.get("EXFILWATCH_SIGKILL_SEED") or time.time_ns() % 1_000_000)


def read_only(db_path: str) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)


def ledger_counts(db_path: str) -> dict:
    conn = read_only(db_path)
    try:
        return dict(conn.execute("SELECT status, COUNT(*) FROM windows GROUP BY status").fetchall())
    except sqlite3.OperationalError:   # not created yet
        return {}
    finally:
        conn.close()


def checkpoints(db_path: str) -> dict:
    conn = read_only(db_path)
    try:
        return dict(conn.execute("SELECT rule_id, checkpoint_ms FROM rule_state").fetchall())
    finally:
        conn.close()


def start_scheduler(env) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app.scheduler"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.timeout(300 + 60 * KILLS)
@pytest.mark.reliability("SIGKILL loop", f"scheduler SIGKILLed at random points of its runs, {KILLS} times")
def test_sigkill_at_random_points_then_restart_ends_with_exactly_the_reference_hits(live_sim, reference, tmp_path,
                                                                                     reliability):
    env = app_environ(live_sim, str(tmp_path / "app"), EXFILWATCH_INITIAL_WAIT_S="0.02",
                      EXFILWATCH_POLL_WAIT_S="2", PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "scripts")]))
    db_path = str(tmp_path / "app" / "store" / "exfilwatch.db")
    store = Store(db_path)
    rules = load_rules()
    for rule in rules.values():   # as if the app had been down since the dataset began
        store.ledger.set_checkpoint(rule.id, reference["start"], 0)
    store.close()

    def caught_up():
        # every rule has planned past the dataset's end, and nothing planned is still owed
        planned = checkpoints(db_path)
        if not all((planned.get(r) or 0) >= reference["end"] for r in rules):
            return False
        counts = ledger_counts(db_path)
        return not any(counts.get(s) for s in ("pending", "running", "failed"))

    rng = random.Random(SEED)
    kills, owed_after_kills = 0, []
    live_sim.admin("POST", "/sim/config", json={"latency_ms": 100})   # searches take a while: kills land mid-run
    try:
        for cycle in range(KILLS):
            done_before = ledger_counts(db_path).get("done", 0)
            scheduler = start_scheduler(env)
            try:
                # Every other cycle lets at least one more window finish (so the loop makes progress) and then
                # kills at a random moment of what follows: mid-search, mid-enrichment, mid-transaction or between
                # runs. The cycles between kill at a random moment from the start: while it opens the store,
                # plans, or is in its first search. So a dataset of N windows takes about 2N kills.
                if cycle % 2 == 0:
                    wait_until(lambda: ledger_counts(db_path).get("done", 0) > done_before or caught_up(),
                               timeout=120, interval=0.05, message="a window done since the last kill")
                    time.sleep(rng.uniform(0, 0.6))   # the random kill point (not a synchronisation)
                else:
                    time.sleep(rng.uniform(0, 1.5))
            finally:
                scheduler.send_signal(signal.SIGKILL)
                scheduler.wait(30)
            if caught_up():
                break
            kills += 1
            conn = read_only(db_path)
            try:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                assert conn.execute("SELECT COUNT(*) = COUNT(DISTINCT identity) FROM hits").fetchone()[0] == 1
            finally:
                conn.close()
            counts = ledger_counts(db_path)
            owed_after_kills.append(sum(counts.get(s, 0) for s in ("pending", "running", "failed")))
        assert kills == KILLS, f"only {kills} of {KILLS} kills landed before the catch-up ended (seed {SEED})"
        assert any(owed_after_kills), "some kill must leave windows owed, or it tested nothing"

        last = start_scheduler(env)
        try:
            wait_until(caught_up, timeout=300, interval=0.2, message="the restarted scheduler to catch up")
        finally:
            last.send_signal(signal.SIGTERM)
            last.wait(60)
    finally:
        live_sim.admin("POST", "/sim/config", json={"latency_ms": 20})

    store = Store(db_path)
    try:
        assert store.hits.identities() == reference["ids"]
        assert store.db.query("SELECT COUNT(*) AS n FROM hits")[0]["n"] == len(reference["ids"])
    finally:
        store.close()
    reliability.update(kills=kills, seed=SEED, max_windows_owed_after_a_kill=max(owed_after_kills),
                       hits=len(reference["ids"]))
