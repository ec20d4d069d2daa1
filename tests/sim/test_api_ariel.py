"""Ariel search contract: create, status flow, Prefer: wait, results paging, cancel, save, delete,
expiry, de-duplication, databases, validator. Over real HTTP against the stand-in subprocess."""
import time
import uuid

import pytest

from devtools.simproc import SimProcess, run_search, wait_until, write_events

BASE_MS = int(time.time() * 1000) - 3_600_000     # an hour ago: inside LAST 1 DAYS
EVENTS = [{"starttime": BASE_MS + i * 1000, "devicetype": 12, "logsourceid": 1, "qid": 5001828, "category": 8110,
           "sourceip": f"10.0.0.{i}", "username": f"CORP\\user{i}", "eventcount": 1, "EventID": "1"}
          for i in range(10)]
ALL = f"SELECT sourceip, username FROM events ORDER BY starttime START {BASE_MS - 1} STOP {BASE_MS + 60_000}"
SEARCH_FIELDS = {"search_id", "cursor_id", "status", "progress", "progress_details", "record_count",
                 "processed_record_count", "completed", "query_execution_time", "query_string", "save_results",
                 "desired_retention_time_msec", "error_messages", "data_file_count", "data_total_size",
                 "index_file_count", "index_total_size", "compressed_data_file_count",
                 "compressed_data_total_size", "snapshot", "subsearch_ids"}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    path = write_events(tmp_path_factory.mktemp("ariel") / "events.jsonl", EVENTS)
    with SimProcess(events=path, latency_ms=200) as process:
        yield process


@pytest.fixture(autouse=True)
def default_settings(sim):
    sim.admin("POST", "/sim/config", json={"latency_ms": 200, "retention_s": 86400})
    sim.admin("DELETE", "/sim/faults")


def create(sim, aql):
    response = sim.api("POST", "/api/ariel/searches", params={"query_expression": aql})
    assert response.status_code == 201, response.text
    return response.json()


def unique(aql):
    """Same query, different text: defeats the stand-in's re-use of an identical recent search."""
    return aql.replace("SELECT ", f"SELECT '{uuid.uuid4().hex[:8]}' AS tag, ", 1)


def status_of(sim, search_id, **headers):
    return sim.api("GET", f"/api/ariel/searches/{search_id}", headers=headers)


def wait_done(sim, search_id):
    response = status_of(sim, search_id, Prefer="wait=30")
    assert response.status_code == 200, response.text
    return response.json()


def test_create_is_201_with_the_whole_search_object(sim):
    search = create(sim, unique(ALL))
    assert set(search) >= SEARCH_FIELDS
    uuid.UUID(search["search_id"])
    assert search["cursor_id"] == search["search_id"]
    assert search["status"] == "WAIT" and search["completed"] is False
    assert search["desired_retention_time_msec"] == 86_400_000
    assert search["query_string"].endswith(ALL[len("SELECT "):])


def test_completed_search_returns_every_row(sim):
    search, rows = run_search(sim, ALL)
    assert search["status"] == "COMPLETED" and search["completed"] is True and search["progress"] == 100
    assert search["record_count"] == 10 and search["processed_record_count"] >= 10
    assert [r["sourceip"] for r in rows] == [f"10.0.0.{i}" for i in range(10)]
    assert rows[0]["username"] == "CORP\\user0"


def test_invalid_aql_is_422_code_2000_with_the_engine_message(sim):
    response = sim.api("POST", "/api/ariel/searches", params={"query_expression": "SELEC nonsense"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == 2000 and body["message"]


def test_unknown_column_is_422(sim):
    response = sim.api("POST", "/api/ariel/searches",
                       params={"query_expression": 'SELECT "Process Path" FROM events LAST 1 HOURS'})
    assert response.status_code == 422 and response.json()["code"] == 2000


def test_missing_query_expression_is_422(sim):
    response = sim.api("POST", "/api/ariel/searches")
    assert response.status_code == 422 and response.json()["code"] == 1005


def test_status_moves_through_the_states(sim):
    sim.admin("POST", "/sim/config", json={"latency_ms": 1500})
    search_id = create(sim, unique(ALL))["search_id"]
    seen = []

    def finished():
        status = status_of(sim, search_id).json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        return status == "COMPLETED"
    wait_until(finished, timeout=30, interval=0.05, message="COMPLETED")
    order = ["WAIT", "EXECUTE", "SORTING", "COMPLETED"]
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)
    assert "EXECUTE" in seen and seen[-1] == "COMPLETED"


def test_status_without_prefer_answers_at_once_with_200(sim):
    sim.admin("POST", "/sim/config", json={"latency_ms": 5000})
    search_id = create(sim, unique(ALL))["search_id"]
    started = time.monotonic()
    response = status_of(sim, search_id)
    assert response.status_code == 200 and response.json()["status"] != "COMPLETED"
    assert time.monotonic() - started < 4.5, "answered before the 5 s search could finish"


def test_prefer_wait_is_206_when_the_wait_runs_out_and_200_when_done(sim):
    sim.admin("POST", "/sim/config", json={"latency_ms": 2500})
    search_id = create(sim, unique(ALL))["search_id"]
    started = time.monotonic()
    partial = status_of(sim, search_id, Prefer="wait=1")
    assert partial.status_code == 206, partial.text
    assert partial.json()["status"] in ("WAIT", "EXECUTE", "SORTING")
    assert time.monotonic() - started >= 0.9
    done = status_of(sim, search_id, Prefer="wait=30")
    assert done.status_code == 200 and done.json()["status"] == "COMPLETED"


def test_results_while_running_are_404_code_1003(sim):
    sim.admin("POST", "/sim/config", json={"latency_ms": 5000})
    search_id = create(sim, unique(ALL))["search_id"]
    response = sim.api("GET", f"/api/ariel/searches/{search_id}/results")
    assert response.status_code == 404 and response.json()["code"] == 1003


def test_results_pages_with_range_and_content_range(sim):
    search_id = create(sim, ALL + " ")["search_id"]
    wait_done(sim, search_id)
    url = f"/api/ariel/searches/{search_id}/results"
    everything = sim.api("GET", url)
    assert everything.status_code == 200 and len(everything.json()["events"]) == 10
    assert everything.headers["Content-Range"] == "items 0-9/10"
    window = sim.api("GET", url, headers={"Range": "items=2-4"})
    assert window.status_code == 200
    assert [r["sourceip"] for r in window.json()["events"]] == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]
    assert window.headers["Content-Range"] == "items 2-4/10"
    tail = sim.api("GET", url, headers={"Range": "items=8-50"})
    assert len(tail.json()["events"]) == 2 and tail.headers["Content-Range"] == "items 8-9/10"
    past = sim.api("GET", url, headers={"Range": "items=10-19"})
    assert past.status_code == 200 and past.json() == {"events": []}
    assert past.headers["Content-Range"] == "items */10"
    bad = sim.api("GET", url, headers={"Range": "rows=1-2"})
    assert bad.status_code == 422


@pytest.mark.parametrize("spelling", ["CANCELED", "CANCELLED"])
def test_cancel_stops_and_keeps_partial_results(sim, spelling):
    sim.admin("POST", "/sim/config", json={"latency_ms": 10_000})
    search_id = create(sim, unique(ALL))["search_id"]
    wait_until(lambda: status_of(sim, search_id).json()["status"] == "EXECUTE", timeout=10, message="EXECUTE")
    started = time.monotonic()
    response = sim.api("POST", f"/api/ariel/searches/{search_id}", params={"status": spelling})
    assert response.status_code == 200 and response.json()["status"] == "CANCELED"
    assert time.monotonic() - started < 9, "cancel must not wait for the 10 s latency to run out"
    results = sim.api("GET", f"/api/ariel/searches/{search_id}/results")
    assert results.status_code == 200
    assert len(results.json()["events"]) <= 10
    assert status_of(sim, search_id).json()["status"] == "CANCELED"


def test_cancel_with_another_status_is_422(sim):
    search_id = create(sim, unique(ALL))["search_id"]
    response = sim.api("POST", f"/api/ariel/searches/{search_id}", params={"status": "COMPLETED"})
    assert response.status_code == 422


def test_save_results_is_reported(sim):
    search_id = create(sim, unique(ALL))["search_id"]
    response = sim.api("POST", f"/api/ariel/searches/{search_id}", params={"save_results": "true"})
    assert response.status_code == 200 and response.json()["save_results"] is True


def test_delete_is_202_with_the_search_and_then_404_1002(sim):
    search_id = create(sim, unique(ALL))["search_id"]
    wait_done(sim, search_id)
    deleted = sim.api("DELETE", f"/api/ariel/searches/{search_id}")
    assert deleted.status_code == 202 and deleted.json()["search_id"] == search_id
    assert deleted.json()["status"] == "COMPLETED"
    for method, suffix in (("GET", ""), ("GET", "/results"), ("DELETE", "")):
        gone = sim.api(method, f"/api/ariel/searches/{search_id}{suffix}")
        assert gone.status_code == 404 and gone.json()["code"] == 1002


def test_unknown_search_is_404_1002(sim):
    response = sim.api("POST", f"/api/ariel/searches/{uuid.uuid4()}", params={"status": "CANCELED"})
    assert response.status_code == 404 and response.json()["code"] == 1002


def test_search_list_holds_the_ids(sim):
    search_id = create(sim, unique(ALL))["search_id"]
    listed = sim.api("GET", "/api/ariel/searches")
    assert listed.status_code == 200 and search_id in listed.json()
    assert all(isinstance(i, str) for i in listed.json())


def test_searches_expire_after_the_retention_unless_saved(sim):
    sim.admin("POST", "/sim/config", json={"retention_s": 1})
    kept = create(sim, unique(ALL))["search_id"]
    sim.api("POST", f"/api/ariel/searches/{kept}", params={"save_results": "true"})
    dropped = create(sim, unique(ALL))["search_id"]
    wait_done(sim, dropped)
    wait_until(lambda: status_of(sim, dropped).status_code == 404, timeout=15, message="expiry")
    gone = sim.api("GET", f"/api/ariel/searches/{dropped}/results")
    assert gone.status_code == 404 and gone.json()["code"] == 1002
    assert status_of(sim, kept).status_code == 200


def test_identical_query_posted_again_at_once_returns_the_same_search(sim):
    text = unique(ALL)
    first, second = create(sim, text), create(sim, text)
    assert first["search_id"] == second["search_id"]
    assert create(sim, unique(ALL))["search_id"] != first["search_id"]


def test_at_most_four_searches_execute_at_once(sim):
    sim.admin("POST", "/sim/config", json={"latency_ms": 3000})
    ids = [create(sim, unique(ALL))["search_id"] for _ in range(6)]
    statuses = [status_of(sim, i).json()["status"] for i in ids]
    assert statuses.count("EXECUTE") + statuses.count("SORTING") <= 4
    assert "WAIT" in statuses
    for search_id in ids:
        sim.api("DELETE", f"/api/ariel/searches/{search_id}")


def test_databases_and_event_columns(sim):
    assert sim.api("GET", "/api/ariel/databases").json() == ["events", "flows"]
    columns = sim.api("GET", "/api/ariel/databases/events").json()["columns"]
    names = {c["name"] for c in columns}
    assert {"starttime", "sourceip", "devicetype", "EventID", "Process Name", "CommandLine"} <= names
    assert "Event ID" not in names
    assert set(columns[0]) >= {"name", "argument_type", "indexable", "nullable", "object_value_type",
                               "provider_name"}
    missing = sim.api("GET", "/api/ariel/databases/nosuchdb")
    assert missing.status_code == 404 and missing.json()["code"] == 1002


def test_flows_search_answers_with_a_flows_key(sim):
    search, rows = run_search(sim, "SELECT sourceip FROM flows LAST 5 MINUTES")
    assert search["status"] == "COMPLETED" and rows == []


def test_validator_reports_errors_without_running(sim):
    ok = sim.api("POST", "/api/ariel/validators/aql", params={"query_expression": ALL})
    assert ok.status_code == 200 and ok.json() == {"error_messages": []}
    bad = sim.api("POST", "/api/ariel/validators/aql", params={"query_expression": "SELECT FROM"})
    assert bad.status_code == 200 and bad.json()["error_messages"][0]["message"]


def test_another_profile_serves_its_own_columns(tmp_path):
    path = write_events(tmp_path / "e.jsonl", [])
    with SimProcess(events=path, profile="ibm-windows") as other:
        names = {c["name"] for c in other.api("GET", "/api/ariel/databases/events").json()["columns"]}
        assert {"Event ID", "Process Path", "Command"} <= names and "EventID" not in names
        wrong = other.api("POST", "/api/ariel/searches",
                          params={"query_expression": 'SELECT "EventID" FROM events LAST 1 HOURS'})
        assert wrong.status_code == 422
