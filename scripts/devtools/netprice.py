"""The price of the upload rules' AQL net: candidate rows per million events, and what the analyzer keeps.

    python -m devtools.netprice --events FILE [--profile P] [--rules-before DIR]

Runs each analyzer rule's AQL over the whole dataset through the console stand-in's REST API (the app's own
renderer and Ariel client) and counts the rows (candidates) and the hits the command-line analyzer keeps.
With --rules-before DIR (rule files of an earlier version, e.g. from `git show`), the same rules' earlier AQL is
counted too. Prints a Markdown table and, last, one JSON line.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from .appenv import app_runtime
from .simproc import SimProcess


def measure(events: str, profile: str, rules_before: str | None = None) -> dict:
    from app.detection.aql import Window, render
    from app.detection.rule import load_rules
    from app.pipeline.hit import hits_from_rows

    before = load_rules(Path(rules_before)) if rules_before else {}
    with open(events, encoding="utf-8") as handle:
        total = sum(1 for line in handle if line.strip())
    out = {"events": total, "profile": profile, "rules": {}}
    with tempfile.TemporaryDirectory(prefix="exfilwatch-netprice-") as scratch:
        with SimProcess(events=events, profile=profile, tls_dir=str(Path(scratch) / "tls"), latency_ms=5) as sim:
            runtime = app_runtime(sim, str(Path(scratch) / "app"), initial_wait_s=0.05, poll_wait_s=5)
            try:
                start, end = sim.admin("GET", "/sim/info")["span"]
                window = Window(start, end + 1)
                for rule in runtime.rules.values():
                    if not rule.analyzer_keep:
                        continue
                    fields = runtime.fields_for(rule)
                    rows = list(runtime.new_search().rows(render(rule, fields, window, limit=10_000_000)))
                    hits = hits_from_rows(rule.id, rows)
                    runtime.analysis(rule, hits, None)
                    entry = {"candidates": len(rows), "kept": len(hits),
                             "candidates_per_million": round(len(rows) * 1e6 / total)}
                    if rule.id in before:
                        old = replace(rule, where=before[rule.id].where)
                        old_rows = list(runtime.new_search().rows(render(old, fields, window, limit=10_000_000)))
                        entry["before_rows"] = len(old_rows)
                        entry["before_per_million"] = round(len(old_rows) * 1e6 / total)
                    out["rules"][rule.id] = entry
            finally:
                runtime.store.close()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.netprice", description=__doc__)
    parser.add_argument("--events", required=True)
    parser.add_argument("--profile", default="seed")
    parser.add_argument("--rules-before", default=None)
    args = parser.parse_args(argv)
    result = measure(args.events, args.profile, args.rules_before)
    print(f"{result['events']:,} events, profile {result['profile']}\n")
    print("| rule | rows before (per million events) | candidate rows now (per million) | kept by the analyzer |")
    print("|---|---|---|---|")
    for rule_id, e in result["rules"].items():
        before = f"{e['before_rows']} ({e['before_per_million']:,})" if "before_rows" in e else "— (new rule)"
        print(f"| `{rule_id}` | {before} | {e['candidates']} ({e['candidates_per_million']:,}) | {e['kept']} |")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
