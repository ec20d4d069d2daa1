"""The console goes away in the middle of a hunt (its process stops: every search it held is gone) and comes
back on the same address: the run stops with its windows owed, and resuming ends with exactly the hits of an
undisturbed hunt, none lost and none twice."""
from __future__ import annotations

import socket
import sqlite3
import threading

import pytest

from devtools.simproc import SimProcess, wait_until

from .conftest import span


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def done_windows(db_path: str) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("SELECT COUNT(*) FROM windows WHERE status = 'done'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def console(live_dataset, port, latency_ms):
    return SimProcess(events=str(live_dataset["path"]), profile="seed", latency_ms=latency_ms,
                      extra_args=["--port", str(port)])


@pytest.mark.reliability("fault matrix", "console process stops mid-hunt (every search gone), returns on the same address")
def test_console_stopping_mid_hunt_then_returning_loses_and_duplicates_nothing(live_dataset, reference, make_runtime,
                                                                              reliability):
    port = free_port()
    start, end = span(live_dataset["scenarios"])
    first = console(live_dataset, port, latency_ms=200).start()
    runtime = make_runtime(first, name="restart", request_retries=1)
    summaries = {}

    def hunt_everything():
        for rule in runtime.enabled_rules():
            summaries[rule.id] = runtime.hunt(rule.id, start, end)

    worker = threading.Thread(target=hunt_everything)
    worker.start()
    try:
        wait_until(lambda: done_windows(runtime.store.db.path) >= 2, timeout=120, message="two windows searched")
    finally:
        first.stop()
    worker.join(timeout=300)
    assert not worker.is_alive()
    assert any(s.status != "ok" for s in summaries.values()), "the console went away before the hunt ended"
    owed = [w for rule in runtime.enabled_rules() for w in runtime.store.ledger.open_windows(rule.id, "hunt")]
    assert owed, "windows the console could not answer stay owed"

    with console(live_dataset, port, latency_ms=20):
        for rule in runtime.enabled_rules():
            assert runtime.runner.resume(rule, "hunt").status == "ok"
    assert all(not runtime.store.ledger.open_windows(r.id, "hunt") for r in runtime.enabled_rules())
    assert runtime.store.hits.identities() == reference["ids"]
    reliability.update(windows_owed_when_it_stopped=len(owed), hits=len(reference["ids"]))
