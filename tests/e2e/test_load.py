"""Load: a busy console on a 1-minute interval keeps up, with no growing backlog and flat memory.

A simulated clock moves one minute per scheduler tick; before each tick the console receives that minute's
events (every one a match for the encrypted-connection rule, so each is a result row and a hit that goes
through enrichment, exceptions and the store) and forgets the events no window needs any more. Kept up means:
after every tick the ledger owes nothing, every row of the minute is stored, and a tick takes less wall time
than the interval it serves. Memory is the process's RSS (the app runs in this process), sampled after every
tick; flat means the growth after the warm-up stays small.

`scripts/test` runs ten simulated minutes of 500 rows a minute; `scripts/soak` the simulated day at 50,000
rows a minute (EXFILWATCH_LOAD_MINUTES, EXFILWATCH_LOAD_ROWS).
"""
from __future__ import annotations

import dataclasses
import json
import os
import time

import pytest

MINUTE = 60_000
MINUTES = int(os.environ.get("EXFILWATCH_LOAD_MINUTES", "10"))
ROWS = int(os.environ.get("EXFILWATCH_LOAD_ROWS", "500"))
RULE_ID = "t1048-002-encrypted-connection"
WARM_UP = min(3, MINUTES - 1)   # caches (assets, DNS, destinations) fill in the first minutes


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def minute_of_events(start_ms: int, rows: int) -> str:
    """`rows` Sysmon 3 connections of rclone to a public SFTP host, spread over one minute."""
    lines = []
    for i in range(rows):
        host = i % 50
        lines.append(json.dumps({
            "starttime": start_ms + (i * MINUTE) // rows, "devicetype": 12, "logsourceid": 65, "qid": 5001,
            "category": 8026, "eventcount": 1, "sourceip": f"10.30.{host // 250}.{host % 250 + 1}",
            "destinationip": f"203.0.113.{i % 20 + 1}", "destinationport": 22, "sourceport": 40000 + i % 20000,
            "username": f"CORP\\user{host}", "EventID": "3", "Process Name": "rclone.exe",
            "ProcessGuid": f"{{{start_ms:x}-{i:08x}}}", "payload": f"Sysmon 3 rclone.exe connection {i}"}))
    return "\n".join(lines) + "\n"


@pytest.mark.timeout(600 + MINUTES * 120)
@pytest.mark.reliability("load", f"busy console: {ROWS:,} rows a minute, 1-minute interval, {MINUTES} simulated minutes")
def test_a_busy_console_on_a_one_minute_interval_keeps_up_with_flat_memory(start_sim, make_runtime, reliability):
    sim = start_sim(empty=True, latency_ms=20)
    now = {"ms": (int(time.time() * 1000) // MINUTE) * MINUTE}
    runtime = make_runtime(sim, clock=lambda: now["ms"], page_size=5000)
    rule = runtime.rules[RULE_ID]
    schedule = dataclasses.replace(rule.schedule, interval_minutes=1, max_window_minutes=1, overlap_minutes=0,
                                   result_limit=2 * ROWS + 10)
    runtime.rules = {RULE_ID: dataclasses.replace(rule, schedule=schedule)}
    delay = schedule.ingestion_delay_minutes * MINUTE
    runtime.store.ledger.set_checkpoint(RULE_ID, now["ms"] - delay, now["ms"])

    rss, tick_s, stored = [], [], 0
    for minute in range(MINUTES):
        fed = now["ms"] - delay   # the minute this tick will search, fed just before it settles
        assert sim.admin("POST", "/sim/events", data=minute_of_events(fed, ROWS))["added"] == ROWS
        sim.admin("DELETE", "/sim/events", params={"before": fed - 5 * MINUTE})
        now["ms"] += MINUTE
        started = time.monotonic()
        summary = runtime.run_rule(RULE_ID)
        tick_s.append(time.monotonic() - started)
        assert summary.status == "ok" and summary.windows_done == 1, (minute, summary)
        assert not runtime.store.ledger.open_windows(RULE_ID), f"a backlog after minute {minute}"
        stored += summary.new_hits
        assert stored == ROWS * (minute + 1), "every row of every minute stored, once"
        rss.append(rss_mb())

    growth = max(rss[WARM_UP:]) - rss[WARM_UP - 1]
    slowest = sorted(tick_s)[int(0.95 * (len(tick_s) - 1))]
    reliability.update(simulated_minutes=MINUTES, rows_per_minute=ROWS, hits_stored=stored,
                       tick_p95_s=round(slowest, 2), tick_max_s=round(max(tick_s), 2),
                       rss_after_warm_up_mb=round(rss[WARM_UP - 1], 1), rss_growth_mb=round(growth, 1))
    # Keeping up in real time: a tick must take less than the minute it serves (a generous bound, on purpose).
    assert max(tick_s) < 60, f"a tick took {max(tick_s):.1f} s of a 60 s interval"
    # Flat: the hits live in SQLite, not in the process; what grows is bounded caches, not the day's rows.
    assert growth < 20 + ROWS * 0.002, f"RSS grew {growth:.1f} MB after warm-up: {rss}"
