"""One measured run of the real pipeline in its own process, for `scripts/bench` (peak RSS needs a process).

    python -m devtools.benchrun '{"url": ..., "token": ..., "app_root": ..., "rules": [...], "mode": "hunt",
                                  "start_ms": ..., "end_ms": ..., "clock_ms": ...}'

`hunt` retro-hunts [start, end) as scripts/evaluate does; `scheduled` runs the scheduler's job
(Runtime.run_rule) at a frozen clock with the rule's checkpoint at start_ms, as the scheduler process does
after an outage. Prints one JSON line: rows, hits, windows, seconds, and the process's RSS before the run
and at its peak (VmHWM), in MB.
"""
from __future__ import annotations

import json
import sys
import time
from types import SimpleNamespace

from .appenv import app_runtime


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def main(argv=None) -> int:
    job = json.loads((argv or sys.argv[1:])[0])
    sim = SimpleNamespace(url=job["url"], token=job["token"], ca_path=None)
    clock = (lambda: job["clock_ms"]) if job.get("clock_ms") else None
    runtime = app_runtime(sim, job["app_root"], clock=clock, initial_wait_s=0.02, poll_wait_s=10,
                          search_timeout_s=1800)
    rules = job["rules"]
    rss_before = _status_mb("VmRSS")
    started = time.perf_counter()
    summaries = []
    for rule_id in rules:
        if job["mode"] == "hunt":
            summaries.append(runtime.hunt(rule_id, job["start_ms"], job["end_ms"]))
            # A run searches at most max_windows_per_run windows: go on until the span is searched.
            while summaries[-1].windows_done + summaries[-1].windows_split and \
                    runtime.store.ledger.open_windows(rule_id, "hunt"):
                summaries.append(runtime.runner.resume(runtime.rules[rule_id], "hunt"))
        else:
            runtime.store.ledger.set_checkpoint(rule_id, job["start_ms"], job["clock_ms"])
            summaries.append(runtime.run_rule(rule_id))
    seconds = time.perf_counter() - started
    done = runtime.store.ledger.windows(statuses=("done",), limit=1_000_000)
    print(json.dumps({
        "rows": sum(w["rows"] or 0 for w in done), "hits": sum(s.new_hits for s in summaries),
        "windows": sum(s.windows_done for s in summaries), "splits": sum(s.windows_split for s in summaries),
        "errors": [e for s in summaries for e in s.errors],
        "seconds": round(seconds, 3), "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(_status_mb("VmHWM"), 1),
        "windows_done": sorted((w["start_ms"], w["end_ms"]) for w in done if w["rule_id"] == rules[0]),
    }))
    runtime.store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
