"""Field discovery and overrides, rules disabled for fields a console lacks, one run of a rule at a time,
one scheduler per store, and the demo's contract."""
from __future__ import annotations

import json
import subprocess
import threading

import pytest

from app import create_app
from app.runtime import FIELD_OVERRIDES_KEY
from app.scheduler import SchedulerLocked, scheduler_lock
from devtools.simproc import SimProcess

from .conftest import ROOT


@pytest.fixture(scope="module")
def ibm_sim(tmp_path_factory):
    with SimProcess(profile="ibm-windows", latency_ms=300, tls_dir=str(tmp_path_factory.mktemp("tls"))) as sim:
        yield sim


def test_fields_are_discovered_per_console(ibm_sim, make_runtime):
    runtime = make_runtime(ibm_sim)
    fields = runtime.fields_for(runtime.rules["t1048-002-rclone"])
    assert (fields["event_id"], fields["command_line"], fields["original_file_name"]) == ("Event ID", "Command", "Filename")


def test_a_rule_whose_field_cannot_be_mapped_is_disabled_with_a_reason_and_comes_back(ibm_sim, make_runtime):
    runtime = make_runtime(ibm_sim)
    runtime.store.settings.set(FIELD_OVERRIDES_KEY, {"command_line": "No Such Property"}, actor="admin", now_ms=1)
    summary = runtime.hunt("t1048-002-web-upload", 0, 60_000)
    assert summary.status == "failed" and "command_line" in summary.errors[0]
    rules = {r["id"]: r for r in create_app(runtime).test_client().get("/api/rules").get_json()}
    assert "command_line" in rules["t1048-002-web-upload"]["disabled_reason"]
    assert rules["t1048-002-encrypted-connection"]["disabled_reason"] is None   # needs no command line
    runtime.store.settings.set(FIELD_OVERRIDES_KEY, {}, actor="admin", now_ms=2)
    assert runtime.hunt("t1048-002-web-upload", 0, 60_000).status == "ok"
    assert runtime.store.ledger.disabled_reason("t1048-002-web-upload") is None


def test_two_runs_of_one_rule_never_overlap(ibm_sim, make_runtime):
    runtime = make_runtime(ibm_sim)
    results, start = [], threading.Barrier(2)

    def tick():
        start.wait()
        results.append(runtime.run_rule("t1048-002-rclone"))

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r is None for r in results) == [False, True], "exactly one tick ran, the other was skipped"
    assert len(runtime.store.ledger.runs("t1048-002-rclone")) == 1


def test_only_one_scheduler_holds_a_store(tmp_path):
    path = str(tmp_path / "scheduler.lock")
    with scheduler_lock(path):
        with pytest.raises(SchedulerLocked):
            with scheduler_lock(path):
                pass
    with scheduler_lock(path):   # released with its holder
        pass


def test_demo_once_prints_the_contract_line(tmp_path):
    done = subprocess.run([str(ROOT / "scripts" / "demo"), "--once", "--port", "0", "--workdir", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(summary) == {"hits", "suppressed", "offenses", "rules"}
    assert "t1048-002-seed" in summary["rules"] and summary["hits"] > 0
    assert summary["hits"] == sum(r["hits"] for r in summary["rules"].values())
