"""Memory by bytes: a window of wide rows is paged by bytes and stored in parts, and a window a dead process
left `running` is split rather than searched whole again. Against the real stand-in, in real processes."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import benchdata
from devtools.simproc import SimProcess

from .conftest import FAST

ROOT = Path(__file__).resolve().parents[2]
HOUR = 3_600_000
START = 1_790_000_000_000 - 1_790_000_000_000 % HOUR
SEED = "t1048-002-seed"


def _write(path, count, command, span_ms=HOUR, duplicates=0):
    """`count` events evenly over [START, START + span) plus `duplicates` exact copies of the first one."""
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            out.write(json.dumps(benchdata.event(i, START + i * span_ms // count, command(i)), ensure_ascii=False) + "\n")
        for _ in range(duplicates):
            out.write(json.dumps(benchdata.event(0, START, command(0)), ensure_ascii=False) + "\n")
    return str(path)


def test_a_window_of_wide_non_ascii_rows_keeps_the_scheduler_process_small(tmp_path):
    # 1,500 rows of 16 KiB non-ASCII command lines (about 73 MB of JSON from the console): gathered whole,
    # as the run loop used to, they grew the process by several hundred MB.
    rows = 1500
    events = _write(tmp_path / "wide.jsonl", rows, benchdata.wide_command)
    with SimProcess(events=events, profile="seed", latency_ms=0, start_timeout=300) as sim:
        job = {"url": sim.url, "token": sim.token, "app_root": str(tmp_path / "app"), "rules": [SEED],
               "mode": "scheduled", "start_ms": START, "clock_ms": START + HOUR + 5 * 60_000}
        env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'scripts'}")
        done = subprocess.run([sys.executable, "-m", "devtools.benchrun", json.dumps(job)], capture_output=True,
                              text=True, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads(done.stdout.strip().splitlines()[-1])
    assert (run["rows"], run["hits"], run["windows"], run["errors"]) == (rows, rows, 1, [])
    assert run["peak_rss_mb"] - run["rss_before_mb"] < 120, run


@pytest.fixture(scope="module")
def narrow_sim(tmp_path_factory):
    path = tmp_path_factory.mktemp("narrow") / "narrow.jsonl"
    with SimProcess(events=_write(path, 600, benchdata.narrow_command, duplicates=3), profile="seed",
                    latency_ms=0) as sim:
        yield sim


def _stored(runtime):
    return runtime.store.hits.identities(SEED)


def test_hits_stored_in_parts_are_the_hits_stored_whole(narrow_sim, make_runtime):
    whole = make_runtime(narrow_sim, "whole")
    whole.hunt(SEED, START, START + HOUR)
    parts = make_runtime(narrow_sim, "parts", part_bytes=20_000, page_bytes=30_000)
    summary = parts.hunt(SEED, START, START + HOUR)
    assert (summary.windows_done, summary.new_hits, summary.errors) == (1, 603, [])
    assert _stored(parts) == _stored(whole) and len(_stored(whole)) == 603   # three identical rows stay three
    # Searched again (a retry, an overlap): the parts are recognised, nothing is stored twice.
    assert parts.hunt(SEED, START, START + HOUR).new_hits == 0
    assert len(_stored(parts)) == 603


def test_a_window_left_running_by_a_dead_process_is_split_not_searched_whole_again(narrow_sim, make_runtime):
    runtime = make_runtime(narrow_sim, part_bytes=20_000)
    ledger = runtime.store.ledger
    first = runtime.hunt(SEED, START, START + 6 * 60_000)   # hits of the window's first minutes, stored
    assert first.new_hits > 0
    # A process stored some parts of this window and died (killed for memory): the window is left running.
    [window] = ledger.plan(SEED, "hunt", [(START, START + HOUR)], 1)
    ledger.mark_running(window.id, 2)
    summary = runtime.runner.resume(runtime.rules[SEED], "hunt")
    assert summary.windows_split == 1 and summary.errors == []
    dead = ledger.get(window.id)
    assert dead.status == "split" and "left running" in dead.reason
    halves = [w for w in ledger.windows(SEED, limit=100) if w["parent_id"] == window.id]
    assert sorted((w["start_ms"], w["end_ms"], w["status"]) for w in halves) == [
        (START, START + HOUR // 2, "done"), (START + HOUR // 2, START + HOUR, "done")]
    assert len(_stored(runtime)) == 603   # the hits stored before the death are not stored twice
