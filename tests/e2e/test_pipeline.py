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


def test_a_window_reaching_its_limit_is_split_until_every_row_is_stored_once(live_sim, make_runtime, reference):
    """The busiest 6-hour window of the seed rule holds far more rows than a LIMIT of 40 (the shipped limits
    are 5-10k, which the bundled dataset never reaches): the window is searched again in halves, recursively,
    and in the end every hit of the reference is stored, once, and no stored window was cut off."""
    import dataclasses
    rule_id, limit = "t1048-002-seed", 40
    runtime = make_runtime(live_sim)
    rule = with_window(runtime.rules, 360)[rule_id]
    runtime.rules = {rule_id: dataclasses.replace(rule, schedule=dataclasses.replace(rule.schedule, result_limit=limit))}
    expected = {h["identity"] for h in reference["hits"] if h["rule_id"] == rule_id}
    assert len(expected) > 3 * limit
    summary = runtime.hunt(rule_id, reference["start"], reference["end"])
    assert summary.status == "ok" and summary.windows_split >= 3
    windows = runtime.store.ledger.windows(rule_id, limit=10_000)
    split = [w for w in windows if w["status"] == "split"]
    done = [w for w in windows if w["status"] == "done"]
    assert {w["status"] for w in windows} == {"split", "done"}
    assert max(w["rows"] for w in split) >= limit and all(w["rows"] < limit and not w["truncated"] for w in done)
    # The done windows tile the hunted span exactly: nothing between the halves is skipped or searched twice.
    tiles = sorted((w["start_ms"], w["end_ms"]) for w in done)
    assert tiles[0][0] == reference["start"] and tiles[-1][1] == reference["end"]
    assert all(a[1] == b[0] for a, b in zip(tiles, tiles[1:]))
    assert identities(runtime) == expected
    assert sum(w["new_hits"] for w in done) == len(expected) == runtime.store.hits.counts()["rules"][rule_id]["hits"] \
        + runtime.store.hits.counts()["rules"][rule_id]["suppressed"]


def test_the_console_searches_the_next_window_while_the_app_processes_this_one(live_sim, make_runtime, reference):
    """A run submits the next window's search as soon as this window's rows begin, so the console's search time
    and the app's work overlap; every search is read once, and none is left on the console when the run ends."""
    from app.detection.aql import render
    rule_id = "t1048-002-seed"
    runtime = make_runtime(live_sim)
    runtime.rules = with_window(runtime.rules, 360)
    rule = runtime.rules[rule_id]

    def aql(window):
        return render(rule, runtime.fields_for(rule), window, exclusions=runtime.runner.exclusions_for(rule),
                      limit=rule.schedule.result_limit)

    seen = []

    def note_searches(rule, hits, context):   # a processor: runs in the pipeline before the hits are stored
        seen.append((context.window, {c["query"]["query_expression"]
                                      for c in live_sim.admin("GET", "/sim/requests")
                                      if f"{c['method']} {c['route']}" == "POST /api/ariel/searches"}))

    runtime.runner.processors.append(note_searches)
    live_sim.admin("DELETE", "/sim/requests")   # the reference hunt posted these queries too
    summary = runtime.hunt(rule_id, reference["start"], reference["end"])
    assert summary.status == "ok" and summary.windows_done == len(seen) > 3
    nonempty = [i for i, (window, _) in enumerate(seen[:-1]) if any(  # a window with rows starts the next search
        window.start_ms <= h["event_time_ms"] < window.end_ms for h in reference["hits"] if h["rule_id"] == rule_id)]
    assert nonempty
    for i in nonempty:
        assert aql(seen[i + 1][0]) in seen[i][1], f"window {i + 1}'s search was not submitted during window {i}"
    assert identities(runtime) == {h["identity"] for h in reference["hits"] if h["rule_id"] == rule_id}
    assert live_sim.api("GET", "/api/ariel/searches").json() == []
