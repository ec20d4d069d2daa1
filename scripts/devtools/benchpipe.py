"""`pipeline_ratio` alone, to iterate on the pipeline's speed without the whole `scripts/bench` run.

    .venv/bin/python -m devtools.benchpipe ROWS            # the figure as scripts/bench measures it
    .venv/bin/python -m devtools.benchpipe ROWS --profile  # Runtime.hunt in this process under cProfile

(from the repository root with PYTHONPATH=.:scripts, as scripts/_venv.sh sets it). Same dataset, child process
and baseline as `scripts/bench`'s narrow figures; prints one JSON line (or the profile, top functions first).
"""
from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import tempfile
import time
from pathlib import Path

from . import bench, benchdata
from .appenv import app_runtime
from .simproc import SimProcess


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="devtools.benchpipe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=int)
    parser.add_argument("--profile", action="store_true", help="profile the pipeline instead of the ratio")
    args = parser.parse_args(argv)
    step = 6 * 3_600_000 // bench.NARROW_PER_CHUNK
    start = 1_790_000_000_000 - 1_790_000_000_000 % 3_600_000
    end = start + args.rows * step
    with tempfile.TemporaryDirectory(prefix="exfilwatch-benchpipe-") as scratch:
        scratch = Path(scratch)
        events = scratch / "narrow.jsonl"
        benchdata.write_events(events, start, args.rows, step, benchdata.narrow_command)
        with SimProcess(events=str(events), profile="seed", latency_ms=0, start_timeout=600) as sim:
            if args.profile:
                runtime = app_runtime(sim, str(scratch / "profiled"), initial_wait_s=0.02, poll_wait_s=10,
                                      search_timeout_s=1800)
                profile, started = cProfile.Profile(), time.perf_counter()
                profile.runcall(runtime.hunt, bench.SEED_RULE, start, end)
                while runtime.store.ledger.open_windows(bench.SEED_RULE, "hunt"):
                    profile.runcall(runtime.runner.resume, runtime.rules[bench.SEED_RULE], "hunt")
                print(f"profiled: {time.perf_counter() - started:.2f} s")
                pstats.Stats(profile).sort_stats("cumtime").print_stats(40)
                runtime.store.close()
                return 0
            figures: dict = {}
            run = bench._child(bench._job(sim, scratch / "pipeline", [bench.SEED_RULE], "hunt", start, end))
            runtime = app_runtime(sim, str(scratch / "aql"), initial_wait_s=0.02)
            rule = runtime.rules[bench.SEED_RULE]
            from app.detection.aql import Window, render
            fields = runtime.fields_for(rule)
            aqls = [render(rule, fields, Window(a, b), limit=rule.schedule.result_limit)
                    for a, b in run["windows_done"]]
            base_rate, base_rows = bench.baseline_rows_per_s(sim, aqls, runtime.config.page_size,
                                                             str(scratch / "base.db"))
            runtime.store.close()
            rate = run["rows"] / run["seconds"]
            figures.update(pipeline_rows=run["rows"], pipeline_rows_per_s=round(rate), baseline_rows=base_rows,
                           baseline_rows_per_s=round(base_rate), pipeline_ratio=round(rate / base_rate, 3),
                           pipeline_errors=run["errors"])
            print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
