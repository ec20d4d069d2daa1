"""`scripts/bench [--quick|--tiny]`: performance figures, measured in one run; the last line is JSON.

Figures (goals and meaning in docs/benchmarks.md), each against the console stand-in over loopback:
- pipeline_ratio: rows/s of the real pipeline (normalize, enrich with cached lookups, exceptions, store) for a
  retro-hunt over synthetic rows the seed rule returns, over rows/s of a baseline measured in the same run that
  only fetches the same windows' pages, parses the JSON and inserts the rows into SQLite;
- rss_delta_mb: peak RSS of a pipeline process over the large row count minus that over the small one;
- rss_wide_rows_mb: peak RSS of a process running the scheduler's job over windows of 4,990 rows (the most
  under the rules' LIMIT of 5,000) whose command lines carry 16 KiB of non-ASCII text;
- span_ratio: event-time span searched / wall time over a simulated day (worst rule), searches per hour, and
  a 6-hour outage's catch-up (planned, and measured for all rules against the stand-in);
- hits_p95_ratio: p95 latency of the overview and filtered hits pages at the large / the small hit count;
- standin_seed_aql_1m_s: the seed AQL over the generated dataset via REST (seconds per million events).
Absolute seconds depend on the machine; the ratios are what to compare.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from . import benchdata, benchspan, benchweb
from .appenv import app_runtime
from .simproc import SimProcess

ROOT = Path(__file__).resolve().parents[2]
SEARCH_BUDGET_S = 10.0
SEED_RULE = "t1048-002-seed"
MANIFEST_MB = 512
# Rows per 6-hour hunt chunk of the narrow dataset: under the seed rule's LIMIT (5,000), so nothing splits.
NARROW_PER_CHUNK = 4000
WIDE_PER_WINDOW = 4990

SIZES = {
    "full": {"seed_events": 1_000_000, "pipeline_rows": 200_000, "rss_rows": (10_000, 1_000_000),
             "wide_windows": 3, "wide_rows": WIDE_PER_WINDOW, "hits": (1_000, 1_000_000), "requests": 40,
             "page_budget_s": 90},
    "quick": {"seed_events": 100_000, "pipeline_rows": 10_000, "rss_rows": (1_000, 20_000),
              "wide_windows": 1, "wide_rows": 2_000, "hits": (1_000, 20_000), "requests": 30,
              "page_budget_s": 6},
    "tiny": {"seed_events": 10_000, "pipeline_rows": 3_000, "rss_rows": (500, 6_000),
             "wide_windows": 1, "wide_rows": 300, "hits": (200, 5_000), "requests": 15,
             "page_budget_s": 3},
}

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


def _child(job: dict) -> dict:
    """One pipeline run in its own process (devtools.benchrun); its last stdout line is its JSON."""
    # The child runs in scripts/: a relative PYTHONPATH (the README's `PYTHONPATH=.:scripts`) would not find app/.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "scripts"),
                                                                     os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "devtools.benchrun", json.dumps(job)], capture_output=True,
                          text=True, cwd=ROOT / "scripts", env=env)
    if done.returncode:
        raise SystemExit(f"benchmark run failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _job(sim, app_root, rules, mode, start_ms, end_ms=None, clock_ms=None) -> dict:
    return {"url": sim.url, "token": sim.token, "app_root": str(app_root), "rules": list(rules), "mode": mode,
            "start_ms": start_ms, "end_ms": end_ms, "clock_ms": clock_ms}


def baseline_rows_per_s(sim, aqls: list[str], page_size: int, db_path: str) -> tuple[float, int]:
    """Fetch every page of the same searches, parse the JSON, insert the rows: nothing else."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    rows_total, started = 0, time.perf_counter()
    with requests.Session() as session:
        session.headers.update({"SEC": sim.token, "Version": "20.0"})
        for aql in aqls:
            search_id = session.post(sim.url + "/api/ariel/searches", params={"query_expression": aql},
                                     timeout=60).json()["search_id"]
            while session.get(f"{sim.url}/api/ariel/searches/{search_id}", headers={"Prefer": "wait=10"},
                              timeout=60).json()["status"] != "COMPLETED":
                pass
            start = 0
            while True:
                page = session.get(f"{sim.url}/api/ariel/searches/{search_id}/results", timeout=60,
                                   headers={"Range": f"items={start}-{start + page_size - 1}"}).json()["events"]
                if not page:
                    break
                columns = list(page[0])
                conn.execute(f"CREATE TABLE IF NOT EXISTS rows ({', '.join(f'c{i}' for i in range(len(columns)))})")
                conn.execute("BEGIN")
                conn.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * len(columns))})",
                                 [tuple(r.get(c) for c in columns) for r in page])
                conn.execute("COMMIT")
                start += len(page)
                if len(page) < page_size:
                    break
            rows_total += start
            session.delete(f"{sim.url}/api/ariel/searches/{search_id}", timeout=60)
    conn.close()
    return rows_total / (time.perf_counter() - started), rows_total


def narrow_figures(scratch: Path, size: dict, figures: dict) -> None:
    step = 6 * 3_600_000 // NARROW_PER_CHUNK
    count = max(size["pipeline_rows"], size["rss_rows"][1])
    start = 1_790_000_000_000 - 1_790_000_000_000 % 3_600_000
    events = scratch / "narrow.jsonl"
    benchdata.write_events(events, start, count, step, benchdata.narrow_command)
    with SimProcess(events=str(events), profile="seed", latency_ms=0, start_timeout=600) as sim:
        # The pipeline, then the baseline over exactly the windows the pipeline searched.
        end = start + size["pipeline_rows"] * step
        run = _child(_job(sim, scratch / "pipeline", [SEED_RULE], "hunt", start, end))
        runtime = app_runtime(sim, str(scratch / "aql"), initial_wait_s=0.02)
        rule = runtime.rules[SEED_RULE]
        from app.detection.aql import Window, render
        fields = runtime.fields_for(rule)
        aqls = [render(rule, fields, Window(a, b), limit=rule.schedule.result_limit) for a, b in run["windows_done"]]
        base_rate, base_rows = baseline_rows_per_s(sim, aqls, runtime.config.page_size, str(scratch / "base.db"))
        runtime.store.close()
        rate = run["rows"] / run["seconds"]
        figures.update(pipeline_rows=run["rows"], pipeline_rows_per_s=round(rate), baseline_rows=base_rows,
                       baseline_rows_per_s=round(base_rate), pipeline_ratio=round(rate / base_rate, 3),
                       pipeline_errors=run["errors"])
        # Memory by rows: the same pipeline over few and over many rows, each in a fresh process.
        small, large = (_child(_job(sim, scratch / f"rss{n}", [SEED_RULE], "hunt", start, start + n * step))
                        for n in size["rss_rows"])
        figures.update(rss_small_rows=small["rows"], rss_small_peak_mb=small["peak_rss_mb"],
                       rss_large_rows=large["rows"], rss_large_peak_mb=large["peak_rss_mb"],
                       rss_large_rows_per_s=round(large["rows"] / large["seconds"]),
                       rss_delta_mb=round(large["peak_rss_mb"] - small["peak_rss_mb"], 1))
        # A 6-hour outage: every enabled rule's first scheduled run afterwards, measured.
        rules = [r.id for r in runtime.enabled_rules()]
        catch = _child(_job(sim, scratch / "catchup", rules, "scheduled", start,
                            clock_ms=start + (6 * 60 + 5) * 60_000))
        figures.update(catchup_measured_searches=catch["windows"] + catch["splits"],
                       catchup_measured_rows=catch["rows"], catchup_wall_s=catch["seconds"],
                       catchup_errors=catch["errors"])


def wide_figures(scratch: Path, size: dict, figures: dict) -> None:
    hour = 3_600_000
    start = 1_790_000_000_000 - 1_790_000_000_000 % hour
    events = scratch / "wide.jsonl"
    count = size["wide_windows"] * size["wide_rows"]
    with open(events, "w", encoding="utf-8") as out:   # size["wide_rows"] evenly in each hour-long window
        for i in range(count):
            at = start + (i // size["wide_rows"]) * hour + (i % size["wide_rows"]) * hour // size["wide_rows"]
            out.write(json.dumps(benchdata.event(i, at, benchdata.wide_command(i)), ensure_ascii=False) + "\n")
    with SimProcess(events=str(events), profile="seed", latency_ms=0, start_timeout=600) as sim:
        run = _child(_job(sim, scratch / "wide", [SEED_RULE], "scheduled", start,
                          clock_ms=start + size["wide_windows"] * hour + 5 * 60_000))
    figures.update(wide_rows_done=run["rows"], wide_windows_done=run["windows"], wide_splits=run["splits"],
                   wide_rss_before_mb=run["rss_before_mb"], rss_wide_rows_mb=run["peak_rss_mb"],
                   wide_errors=run["errors"])


def seed_figures(scratch: Path, size: dict, figures: dict) -> None:
    data = scratch / "data"
    subprocess.run([sys.executable, "-m", "scenarios", "--out", str(data), "--profile", "seed",
                    "--background-events", str(size["seed_events"])], check=True, cwd=ROOT / "scripts",
                   stdout=subprocess.DEVNULL)
    with SimProcess(events=str(data / "events-seed.jsonl"), profile="seed", latency_ms=0, start_timeout=600) as sim:
        info = sim.admin("GET", "/sim/info")
        start, end = info["span"]
        seconds, rows = timed_search(sim, SEED_AQL.replace("{start}", str(start)).replace("{stop}", str(end + 1)))
    figures.update(seed_events=info["events"], seed_search_s=round(seconds, 2), seed_search_rows=rows,
                   standin_seed_aql_1m_s=round(seconds * 1e6 / info["events"], 2))


def schedule_figures(figures: dict) -> None:
    from app.config import AppConfig
    from app.detection.rule import load_rules
    rules = [r for r in load_rules().values() if r.enabled]
    figures.update(benchspan.simulate_day(rules, 1_790_000_000_000))
    figures.update(benchspan.outage(rules, 1_790_000_000_000, 6, AppConfig().max_windows_per_run))


def hits_figures(scratch: Path, size: dict, figures: dict) -> None:
    small, large = (benchweb.p95_latencies(str(scratch / f"web{n}"), n, size["requests"], size["page_budget_s"])
                    for n in size["hits"])
    pages = list(benchweb.PAGES)
    for page in pages:
        figures[f"p95_{page}_small_ms"] = round(small[page] * 1000, 1)
        figures[f"p95_{page}_large_ms"] = round(large[page] * 1000, 1)
        figures[f"p95_{page}_samples"] = [small[page + "_samples"], large[page + "_samples"]]
    figures["hits_p95_ratio"] = round(max(large[p] / small[p] for p in pages), 2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="smaller sizes (under 2 minutes)")
    group.add_argument("--tiny", action="store_true", help="smallest sizes, for the test of the output")
    args = parser.parse_args(argv)
    name = "quick" if args.quick else "tiny" if args.tiny else "full"
    size = SIZES[name]
    figures = {"sizes": name, **{k: v for k, v in size.items()}}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="exfilwatch-bench-") as scratch:
        scratch = Path(scratch)
        for step in (schedule_figures, seed_figures, narrow_figures, wide_figures, hits_figures):
            step_started = time.perf_counter()
            step(figures) if step is schedule_figures else step(scratch, size, figures)
            print(f"{step.__name__}: {time.perf_counter() - step_started:.1f} s", file=sys.stderr)
    figures["bench_s"] = round(time.perf_counter() - started, 1)
    for key, value in figures.items():
        print(f"{key:>36}: {value}")
    print(json.dumps(figures))
    errors = figures["pipeline_errors"] or figures["catchup_errors"] or figures["wide_errors"]
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
