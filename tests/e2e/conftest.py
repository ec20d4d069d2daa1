"""End-to-end fixtures: the real stand-in (a subprocess, over TLS) loaded with the bundled dataset moved
in time so that it ends just before now, and the real app Runtime pointed at it through the platform's
environment variables."""
from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import pytest

from devtools.appenv import app_runtime
from devtools.simproc import SimProcess

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "scripts" / "scenarios" / "data"
MINUTE = 60_000
FAST = {"initial_wait_s": 0.02, "poll_wait_s": 2}   # the stand-in answers at once: no need to wait a second


def shift_dataset(profile: str, out_dir: Path, end_ms: int) -> tuple[Path, list[dict], int]:
    """The bundled events and scenarios moved so that the last event lies at end_ms."""
    source = DATA / f"events-{profile}.jsonl"
    events = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    shift = end_ms - max(e["starttime"] for e in events)
    out = out_dir / f"events-{profile}.jsonl"
    with out.open("w") as handle:
        for event in events:
            for key in ("starttime", "devicetime", "endtime"):
                if isinstance(event.get(key), int):
                    event[key] += shift
            handle.write(json.dumps(event) + "\n")
    context = source.with_name(f"events-{profile}.context.json")
    if context.exists():
        out.with_name(f"events-{profile}.context.json").write_text(context.read_text())
    scenarios = json.loads((DATA / "scenarios.json").read_text())
    for scenario in scenarios:
        scenario["start"] += shift
        scenario["end"] += shift
    return out, scenarios, shift


@pytest.fixture(scope="module")
def live_dataset(tmp_path_factory):
    """The bundled seed-profile dataset ending 10 minutes ago (beyond the rules' ingestion delay)."""
    directory = tmp_path_factory.mktemp("live")
    now = int(time.time() * 1000)
    path, scenarios, _ = shift_dataset("seed", directory, now - 10 * MINUTE)
    return {"path": path, "scenarios": scenarios, "dir": directory}


@pytest.fixture(scope="module")
def live_sim(live_dataset):
    # A fast console for the bulk of the tests; latency has tests of its own (slow console, crash).
    with SimProcess(events=str(live_dataset["path"]), profile="seed", latency_ms=20,
                    tls_dir=str(live_dataset["dir"] / "tls")) as sim:
        yield sim


def with_window(rules: dict, minutes: int) -> dict:
    """The shipped rules with another catch-up chunk size (fewer searches in tests)."""
    return {rid: dataclasses.replace(r, schedule=dataclasses.replace(r.schedule, max_window_minutes=minutes,
                                                                      hunt_window_minutes=minutes))
            for rid, r in rules.items()}


@pytest.fixture
def make_runtime(tmp_path):
    created = []

    def make(sim, name="app", rules=None, clock=None, **config):
        runtime = app_runtime(sim, str(tmp_path / name), rules=rules, clock=clock, **(FAST | config))
        created.append(runtime)
        return runtime

    yield make
    for runtime in created:
        runtime.store.close()


def drain(runtime, kind="scheduled", max_runs=20):
    """Runs every enabled rule until the ledger owes nothing (each run is bounded); returns the runs."""
    summaries = []
    for _ in range(max_runs):
        owed = False
        for rule in runtime.enabled_rules():
            if kind == "scheduled":
                summaries.append(runtime.run_rule(rule.id))
            else:
                summaries.append(runtime.runner.resume(rule, kind))
            owed = owed or bool(runtime.store.ledger.open_windows(rule.id))
        if not owed:
            return summaries
    raise AssertionError(f"ledger still owes windows after {max_runs} runs")


def span(scenarios):
    return min(s["start"] for s in scenarios), max(s["end"] for s in scenarios) + 1


@pytest.fixture(scope="module")
def reference(live_sim, live_dataset, tmp_path_factory):
    """One big hunt over the dataset, 6-hour windows: the hits every other path must reproduce."""
    runtime = app_runtime(live_sim, str(tmp_path_factory.mktemp("reference")), **FAST)
    runtime.rules = with_window(runtime.rules, 360)
    start, end = span(live_dataset["scenarios"])
    for rule in runtime.enabled_rules():
        assert runtime.hunt(rule.id, start, end).status == "ok"
    hits = runtime.store.hits.list(limit=100000, suppressed=None)
    yield {"ids": runtime.store.hits.identities(), "hits": hits, "start": start, "end": end}
    runtime.store.close()


