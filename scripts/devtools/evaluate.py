"""`scripts/evaluate`: every rule through the real pipeline against the stand-in, scored per scenario.

Starts the console stand-in loaded with --events (profile --profile), points a real app Runtime at it the
way the platform would, retro-hunts every enabled rule over the dataset's span (the scheduler's code path),
and scores the stored hits against --scenarios. The last line is the contract's JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from .appenv import app_runtime, hunt_all
from .scoring import Scenario, count_events, score
from .simproc import SimProcess

CONTRACT_KEYS = ("technique", "detected", "missed", "false_positives", "recall")


def write_hits(hits: list[dict], path: str) -> int:
    """Every stored hit as the tab shows it (present_hit: credentials masked), enrichment included, one JSON
    object a line, oldest first; returns how many."""
    from app.web.present import present_hit
    with open(path, "w", encoding="utf-8") as out:
        for hit in sorted(hits, key=lambda h: (h["event_time_ms"], h["id"])):
            out.write(json.dumps(present_hit(hit), ensure_ascii=False, sort_keys=True) + "\n")
    return len(hits)


def evaluate(events: str, scenarios_path: str, profile: str = "seed", *, setup=None, hits_out: str | None = None) -> dict:
    """Runs the evaluation; returns {"rules": {rule_id: score}, "scenarios": [...], "errors": [...]}.

    `setup(runtime)` may configure the runtime before the hunt (the exceptions of a deployment, say);
    `hits_out` names a file for every stored hit as the tab shows it (write_hits)."""
    scenarios = [Scenario.from_json(s) for s in json.loads(Path(scenarios_path).read_text())]
    with open(events, encoding="utf-8") as handle:
        per_scenario = count_events(handle)
    with tempfile.TemporaryDirectory(prefix="exfilwatch-eval-") as scratch:
        with SimProcess(events=events, profile=profile, tls_dir=str(Path(scratch) / "tls"), latency_ms=20) as sim:
            runtime = app_runtime(sim, str(Path(scratch) / "app"), initial_wait_s=0.05, poll_wait_s=5)
            try:
                if setup:
                    setup(runtime)
                start, end = sim.admin("GET", "/sim/info")["span"]
                runs = hunt_all(runtime, start, end + 1)
                errors = [f"{rule_id}: {e}" for rule_id, run in runs.items() for e in run.errors]
                hits = runtime.store.hits.list(limit=10_000_000, suppressed=None)
                if hits_out:
                    write_hits(hits, hits_out)
                rule_ids = [r.id for r in runtime.enabled_rules()]
                # The ATT&CK (sub-)technique each rule's hits claim (their enrichment's attack mapping).
                techniques = {r.id: (r.subtechnique or r.technique).split()[0] for r in runtime.enabled_rules()}
            finally:
                runtime.store.close()
    scores = score(scenarios, hits, rule_ids, per_scenario)
    for rule_id, rule_score in scores.items():
        rule_score["technique"] = techniques[rule_id]
    return {"rules": scores, "scenarios": scenarios, "errors": errors}


def table(result: dict) -> str:
    rules = sorted(result["rules"])
    short = {r: r.replace("t1048-002-", "") for r in rules}
    hardened = [r for r in rules if "seed" not in r]
    lines = ["| scenario | malicious | hardened (any) | " + " | ".join(short[r] for r in rules) + " |",
             "|---|---|---|" + "---|" * len(rules)]
    for s in result["scenarios"]:
        any_hit = any(s.id in result["rules"][r]["detected"] + result["rules"][r]["false_positives"] for r in hardened)
        marks = [("✔" if any_hit else "✘") if s.malicious else ("FP" if any_hit else "·")]
        for r in rules:
            score_ = result["rules"][r]
            hit = s.id in score_["detected"] or s.id in score_["false_positives"]
            marks.append(("✔" if hit else "✘") if s.malicious else ("FP" if hit else "·"))
        lines.append(f"| {s.id} | {'yes' if s.malicious else 'no'} | " + " | ".join(marks) + " |")
    malicious = [s.id for s in result["scenarios"] if s.malicious]
    union = sum(any(m in result["rules"][r]["detected"] for r in hardened) for m in malicious)
    lines.append(f"| **recall** | | {union / len(malicious):.2f} | " + " | ".join(f"{result['rules'][r]['recall']:.2f}" for r in rules) + " |")
    lines.append("| **benign scenarios hit** | | | " + " | ".join(
        str(len(result["rules"][r]["false_positives"])) for r in rules) + " |")
    lines.append("| **hits per 1,000 background events** | | | " + " | ".join(
        f"{result['rules'][r]['background_hits_per_1000_events']:.1f}"
        if result["rules"][r]["background_hits_per_1000_events"] is not None else "n/a" for r in rules) + " |")
    return "\n".join(lines)


def contract_line(result: dict) -> str:
    return json.dumps({"rules": {r: {k: v[k] for k in CONTRACT_KEYS} for r, v in sorted(result["rules"].items())}})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/evaluate", description=__doc__)
    parser.add_argument("--events", required=True, help="JSON Lines events (DESIGN.md format)")
    parser.add_argument("--scenarios", required=True, help="scenario labels (DESIGN.md format)")
    parser.add_argument("--profile", default="seed", help="console profile the events are written for")
    parser.add_argument("--hits-out", metavar="FILE",
                        help="write every stored hit, enrichment included, as the tab shows it (credentials masked), "
                             "one JSON object a line")
    args = parser.parse_args(argv)
    for path in (args.events, args.scenarios):
        if not Path(path).is_file():
            parser.error(f"{path} does not exist")
    result = evaluate(args.events, args.scenarios, args.profile, hits_out=args.hits_out)
    print(f"# {Path(args.events).name}, profile {args.profile}\n")
    print(table(result))
    for error in result["errors"]:
        print(f"error: {error}", file=sys.stderr)
    print(contract_line(result))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
