"""The pipeline against the real stand-in: scheduled runs give the hits of one hunt (faults and outages:
test_fault_matrix.py).

The reference is one big retro-hunt over the whole dataset; every other way of getting there (many small
scheduled runs, runs through injected faults) must end with exactly the same stored hits.
"""
from __future__ import annotations

from .conftest import drain, with_window


def identities(runtime) -> set[str]:
    return runtime.store.hits.identities()


def test_reference_hunt_finds_the_seed_test_cases(reference, live_dataset):
    seed_hits = [h for h in reference["hits"] if h["rule_id"] == "t1048-002-seed"]
    sources = {h["source_ip"] for h in seed_hits}
    seed_cases = {s["id"]: s["sourceip"] for s in live_dataset["scenarios"] if s["id"].startswith("seed-")}
    # The seed logic (full-match IMATCHES, file-name "Process Name") catches tests 1, 2 and 4 (detection.md).
    for case in ("seed-1-rclone-sftp", "seed-2-pscp", "seed-4-rclone-mega"):
        assert seed_cases[case] in sources, case


def test_scheduled_runs_in_small_steps_give_the_same_hits_as_one_hunt(live_sim, make_runtime, reference):
    runtime = make_runtime(live_sim, max_windows_per_run=5)
    runtime.rules = with_window(runtime.rules, 120)
    for rule in runtime.enabled_rules():
        runtime.store.ledger.set_checkpoint(rule.id, reference["start"], 0)
    runs = drain(runtime, "scheduled")
    assert len([r for r in runs if r and r.windows_done]) > len(runtime.enabled_rules()), "took several runs"
    assert identities(runtime) == reference["ids"]
    # The ledger is contiguous per rule: planned windows tile [first checkpoint, last checkpoint).
    for rule in runtime.enabled_rules():
        done = sorted((w["start_ms"], w["end_ms"]) for w in runtime.store.ledger.windows(rule.id, statuses=["done"], limit=5000))
        assert done[0][0] == reference["start"]
        assert all(a[1] == b[0] for a, b in zip(done, done[1:]))
        assert done[-1][1] == runtime.store.ledger.checkpoint(rule.id)
