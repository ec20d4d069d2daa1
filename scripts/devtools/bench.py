"""`scripts/bench [--quick]`: performance figures, measured in one run; the last line is JSON.

Generates a dataset (1,000,000 events; --quick: 100,000) for the seed profile, loads it into the console
stand-in, runs the seed AQL over the whole day through the REST API the way the app does (POST, Prefer: wait
polls, page the results), then retro-hunts every rule through the real pipeline. Absolute seconds depend on
the machine; the ratios (search time against the 10 s budget, time per million events) are what to compare.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .appenv import app_runtime, hunt_all
from .simproc import SimProcess

ROOT = Path(__file__).resolve().parents[2]
SEARCH_BUDGET_S = 10.0

# The seed AQL as a console accepts it (DESIGN.md/issue 2): devicetype for the log source type, the time frame
# as a trailing START/STOP clause; the rest is the seed document's query.
SEED_AQL = "\n".join(line for line in (ROOT / "scripts" / "devtools" / "seed_query.aql").read_text(
    encoding="utf-8").splitlines() if not line.startswith("--"))


def timed_search(sim, aql: str) -> tuple[float, int]:
    started = time.perf_counter()
    created = sim.api("POST", "/api/ariel/searches", params={"query_expression": aql})
    created.raise_for_status()
    search_id = created.json()["search_id"]
    while True:
        status = sim.api("GET", f"/api/ariel/searches/{search_id}", headers={"Prefer": "wait=30"})
        body = status.json()
        if body["status"] in ("COMPLETED", "ERROR", "CANCELED"):
            break
    if body["status"] != "COMPLETED":
        raise SystemExit(f"seed search ended {body['status']}: {body.get('error_messages')}")
    rows = 0
    while True:
        page = sim.api("GET", f"/api/ariel/searches/{search_id}/results",
                       headers={"Range": f"items={rows}-{rows + 9999}"}).json()["events"]
        rows += len(page)
        if len(page) < 10000:
            break
    elapsed = time.perf_counter() - started
    sim.api("DELETE", f"/api/ariel/searches/{search_id}")
    return elapsed, rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 events instead of 1,000,000")
    args = parser.parse_args(argv)
    size = 100_000 if args.quick else 1_000_000
    figures = {"events_requested": size}
    with tempfile.TemporaryDirectory(prefix="exfilwatch-bench-") as scratch:
        data = Path(scratch) / "data"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "scenarios", "--out", str(data), "--profile", "seed",
                        "--background-events", str(size)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        figures["generate_s"] = round(time.perf_counter() - started, 2)
        events = data / "events-seed.jsonl"
        started = time.perf_counter()
        with SimProcess(events=str(events), profile="seed", latency_ms=0, start_timeout=600) as sim:
            figures["load_s"] = round(time.perf_counter() - started, 2)
            info = sim.admin("GET", "/sim/info")
            figures["events"] = info["events"]
            start, end = info["span"]
            aql = SEED_AQL.replace("{start}", str(start)).replace("{stop}", str(end + 1))
            seconds, rows = timed_search(sim, aql)
            figures.update(seed_search_s=round(seconds, 2), seed_search_rows=rows,
                           seed_search_s_per_million=round(seconds * 1e6 / info["events"], 2),
                           seed_search_fraction_of_budget=round(seconds / SEARCH_BUDGET_S, 3))
            runtime = app_runtime(sim, str(Path(scratch) / "app"), initial_wait_s=0.05, poll_wait_s=10,
                                  search_timeout_s=1800)
            started = time.perf_counter()
            runs = hunt_all(runtime, start, end + 1)
            hunt_s = time.perf_counter() - started
            figures.update(hunt_all_rules_s=round(hunt_s, 2),
                           hunt_events_per_s=round(info["events"] * len(runs) / hunt_s),
                           hunt_windows=sum(r.windows_done + r.windows_split for r in runs.values()),
                           hunt_hits=runtime.store.hits.counts()["hits"],
                           hunt_errors=[e for r in runs.values() for e in r.errors])
            runtime.store.close()
    for key, value in figures.items():
        print(f"{key:>36}: {value}")
    print(json.dumps(figures))
    return 0 if figures["seed_search_s"] < SEARCH_BUDGET_S and not figures["hunt_errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
