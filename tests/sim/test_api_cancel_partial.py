"""A search cancelled while the engine is still scanning keeps only the rows found so far.
Needs a store larger than the engine's progress chunk (50 000 events), hence slow."""
import time

import pytest

from devtools.simproc import SimProcess, wait_until, write_events

pytestmark = pytest.mark.slow
TOTAL = 150_000


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    base = int(time.time() * 1000) - 7_200_000
    events = ({"starttime": base + i, "devicetype": 12, "logsourceid": 1, "qid": 1, "category": 1,
               "eventcount": 1, "sourceip": "10.0.0.1"} for i in range(TOTAL))
    path = write_events(tmp_path_factory.mktemp("big") / "big.jsonl", events)
    with SimProcess(events=path, latency_ms=20_000, start_timeout=120) as process:
        process.base = base
        yield process


def test_cancel_mid_scan_keeps_partial_results(sim):
    aql = f"SELECT starttime FROM events START {sim.base} STOP {sim.base + TOTAL}"
    search_id = sim.api("POST", "/api/ariel/searches", params={"query_expression": aql}).json()["search_id"]
    status = lambda: sim.api("GET", f"/api/ariel/searches/{search_id}").json()
    first = wait_until(lambda: status()["processed_record_count"] > 0 and status(), timeout=30,
                       message="first progress report")
    assert first["status"] == "EXECUTE" and first["progress"] < 90
    cancelled = sim.api("POST", f"/api/ariel/searches/{search_id}", params={"status": "CANCELED"}).json()
    assert cancelled["status"] == "CANCELED"
    results = sim.api("GET", f"/api/ariel/searches/{search_id}/results", headers={"Range": "items=0-0"})
    assert results.status_code == 200
    total = int(results.headers["Content-Range"].rsplit("/", 1)[1])
    assert 0 < total < TOTAL
    assert cancelled["record_count"] == total
