"""`pipeline_ratio` alone, to iterate on the pipeline's speed without the whole `scripts/bench` run.

    .venv/bin/python -m devtools.benchpipe ROWS            # the figure as scripts/bench measures it
    .venv/bin/python -m devtools.benchpipe ROWS --profile  # Runtime.hunt in this process under cProfile

(from the repository root with PYTHONPATH=.:scripts, as scripts/_venv.sh sets it). Same dataset, child process
and baseline as `scripts/bench`'s narrow figures; prints one JSON line (or the profile, top functions first).
The line also tells the CPU each side used per row (the pipeline's process start-up included), the stand-in's
too: with two cores, half their sum is the shortest wall time a row could take if all the work ran in parallel.
"""
from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
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
            sim_cpu, children_cpu = _process_cpu_s(sim.proc.pid), _children_cpu_s()
            run = bench._child(bench._job(sim, scratch / "pipeline", [bench.SEED_RULE], "hunt", start, end))
            pipeline_cpu, pipeline_sim_cpu = _children_cpu_s() - children_cpu, _process_cpu_s(sim.proc.pid) - sim_cpu
            runtime = app_runtime(sim, str(scratch / "aql"), initial_wait_s=0.02)
            rule = runtime.rules[bench.SEED_RULE]
            from app.detection.aql import Window, render
            fields = runtime.fields_for(rule)
            aqls = [render(rule, fields, Window(a, b), limit=rule.schedule.result_limit)
                    for a, b in run["windows_done"]]
            sim_cpu, own_cpu = _process_cpu_s(sim.proc.pid), time.process_time()
            base_rate, base_rows = bench.baseline_rows_per_s(sim, aqls, runtime.config.page_size,
                                                             str(scratch / "base.db"))
            base_cpu, base_sim_cpu = time.process_time() - own_cpu, _process_cpu_s(sim.proc.pid) - sim_cpu
            runtime.store.close()
            rate = run["rows"] / run["seconds"]
            figures.update(pipeline_rows=run["rows"], pipeline_rows_per_s=round(rate), baseline_rows=base_rows,
                           baseline_rows_per_s=round(base_rate), pipeline_ratio=round(rate / base_rate, 3),
                           pipeline_errors=run["errors"],
                           pipeline_wall_us_per_row=round(1e6 / rate), baseline_wall_us_per_row=round(1e6 / base_rate),
                           pipeline_cpu_us_per_row=round(pipeline_cpu * 1e6 / run["rows"]),
                           pipeline_standin_cpu_us_per_row=round(pipeline_sim_cpu * 1e6 / run["rows"]),
                           baseline_cpu_us_per_row=round(base_cpu * 1e6 / base_rows),
                           baseline_standin_cpu_us_per_row=round(base_sim_cpu * 1e6 / base_rows))
            print(json.dumps(figures))
    return 0


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)   # waited-for children: the pipeline's process
    return usage.ru_utime + usage.ru_stime


def _process_cpu_s(pid: int) -> float:
    """User and system CPU seconds of a running process (the stand-in), from /proc."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    raise SystemExit(main())
