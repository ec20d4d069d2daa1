"""Fault injection, at start (--faults FILE) and at run time (/sim/faults), every kind."""
import json
import time

import pytest
import requests

from devtools.simproc import SimProcess, run_search, wait_until

AQL = "SELECT sourceip FROM events LAST 5 MINUTES"


@pytest.fixture(scope="module")
def sim():
    with SimProcess(empty=True, latency_ms=100) as process:
        yield process


@pytest.fixture(autouse=True)
def no_faults(sim):
    sim.admin("DELETE", "/sim/faults")
    yield
    sim.admin("DELETE", "/sim/faults")


def test_status_fault_fails_the_next_n_matching_calls(sim):
    sim.admin("POST", "/sim/faults", json={"route": "GET /api/system/about", "count": 2, "status": 503,
                                           "code": 1010})
    for _ in range(2):
        response = sim.api("GET", "/api/system/about")
        assert response.status_code == 503
        body = response.json()
        assert body["code"] == 1010
        assert body["http_response"] == {"code": 503, "message": "The server is currently unavailable."}
    assert sim.api("GET", "/api/system/about").status_code == 200
    assert sim.admin("GET", "/sim/faults") == []


def test_route_template_matches_any_id_and_other_routes_are_untouched(sim):
    search_id = sim.api("POST", "/api/ariel/searches", params={"query_expression": AQL}).json()["search_id"]
    sim.admin("POST", "/sim/faults", json={"route": "GET /api/ariel/searches/{id}", "count": 1, "status": 500,
                                           "code": 1020})
    assert sim.api("GET", "/api/ariel/searches").status_code == 200
    failed = sim.api("GET", f"/api/ariel/searches/{search_id}")
    assert failed.status_code == 500 and failed.json()["code"] == 1020
    assert sim.api("GET", f"/api/ariel/searches/{search_id}").status_code == 200


def test_latency_fault_delays_the_answer(sim):
    sim.admin("POST", "/sim/faults", json={"route": "GET /api/system/about", "count": 1, "latency_ms": 1200})
    started = time.monotonic()
    assert sim.api("GET", "/api/system/about").status_code == 200
    assert time.monotonic() - started >= 1.1
    sim.api("GET", "/api/system/about")
    # The second call ran without the fault (its count was 1): the request log says so, no stopwatch needed.
    about = [e for e in sim.admin("GET", "/sim/requests") if e["path"] == "/api/system/about"]
    assert [e["fault"] for e in about[-2:]] == ["latency", None]


def test_drop_fault_closes_the_connection_without_a_response(sim):
    sim.admin("POST", "/sim/faults", json={"route": "POST /api/ariel/searches", "count": 1, "drop": True})
    with pytest.raises(requests.ConnectionError):
        sim.api("POST", "/api/ariel/searches", params={"query_expression": AQL})
    assert sim.api("POST", "/api/ariel/searches", params={"query_expression": AQL}).status_code == 201
    log = sim.admin("GET", "/sim/requests")
    dropped = [e for e in log if e["dropped"]]
    assert dropped and dropped[-1]["status"] is None and dropped[-1]["fault"] == "drop"


def test_wildcard_route_fault(sim):
    sim.admin("POST", "/sim/faults", json={"route": "* /api/siem/*", "count": 1, "status": 503})
    assert sim.api("GET", "/api/siem/offenses").status_code == 503
    assert sim.api("GET", "/api/siem/offenses").status_code == 200


def test_search_error_fault_ends_the_next_search_in_error(sim):
    sim.admin("POST", "/sim/faults", json={"kind": "search_error", "count": 1})
    search, rows = run_search(sim, AQL + " ")
    assert search["status"] == "ERROR" and rows is None
    assert search["error_messages"] and search["error_messages"][0]["severity"] == "ERROR"
    results = sim.api("GET", f"/api/ariel/searches/{search['search_id']}/results")
    assert results.status_code == 404
    search, _ = run_search(sim, AQL + "  ")
    assert search["status"] == "COMPLETED"


def test_search_vanish_fault_answers_201_then_404_1002(sim):
    sim.admin("POST", "/sim/faults", json={"kind": "search_vanish", "count": 2})
    for suffix in ("", " "):
        created = sim.api("POST", "/api/ariel/searches", params={"query_expression": AQL + suffix + "\t"})
        assert created.status_code == 201
        search_id = created.json()["search_id"]
        for path in ("", "/results"):
            gone = sim.api("GET", f"/api/ariel/searches/{search_id}{path}")
            assert gone.status_code == 404 and gone.json()["code"] == 1002
    search, _ = run_search(sim, AQL + "   ")
    assert search["status"] == "COMPLETED"


def test_revoke_token_gives_401_until_a_new_token_is_set(sim):
    sim.admin("POST", "/sim/faults", json={"kind": "revoke_token"})
    revoked = sim.api("GET", "/api/system/about")
    assert revoked.status_code == 401 and revoked.json()["http_response"]["code"] == 401
    sim.admin("POST", "/sim/config", json={"token": "rotated-token"})
    assert sim.api("GET", "/api/system/about").status_code == 401          # old token stays refused
    assert requests.get(sim.url + "/api/system/about", headers={"SEC": "rotated-token"}).status_code == 200
    sim.admin("POST", "/sim/config", json={"token": sim.token})
    assert sim.api("GET", "/api/system/about").status_code == 200


def test_fault_list_is_listed_and_cleared(sim):
    sim.admin("POST", "/sim/faults", json=[
        {"route": "GET /api/system/about", "count": 3, "status": 503},
        {"kind": "search_error", "count": 1}])
    listed = sim.admin("GET", "/sim/faults")
    assert [f.get("route") or f.get("kind") for f in listed] == ["GET /api/system/about", "search_error"]
    assert sim.admin("DELETE", "/sim/faults") == {"faults": []}
    assert sim.api("GET", "/api/system/about").status_code == 200


@pytest.mark.parametrize("fault", [
    {"route": "GET /api/system/about"},                                  # no action
    {"route": "/api/system/about", "status": 503},                      # no method
    {"kind": "explode"},
    {"route": "GET /x", "status": 503, "count": 0},
])
def test_invalid_fault_is_400(sim, fault):
    response = requests.post(sim.url + "/sim/faults", json=fault)
    assert response.status_code == 400 and response.json()["error"]


def test_faults_file_arms_faults_at_start(tmp_path):
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"route": "GET /api/system/about", "count": 1, "status": 503, "code": 1010}]))
    with SimProcess(empty=True, faults=str(faults)) as process:
        assert process.api("GET", "/api/system/about").status_code == 503
        assert process.api("GET", "/api/system/about").status_code == 200


def test_unlimited_fault_stays_until_cleared(sim):
    sim.admin("POST", "/sim/faults", json={"route": "GET /api/system/about", "count": -1, "status": 503})
    assert [sim.api("GET", "/api/system/about").status_code for _ in range(3)] == [503] * 3
    sim.admin("DELETE", "/sim/faults")
    wait_until(lambda: sim.api("GET", "/api/system/about").status_code == 200, timeout=5, message="cleared")


def test_garbage_fault_answers_raw_text_instead_of_json(sim):
    sim.admin("POST", "/sim/faults", json={"route": "GET /api/system/about", "count": 1,
                                           "garbage": "<html>502 Bad Gateway</html>", "status": 502})
    first = sim.api("GET", "/api/system/about")
    assert first.status_code == 502 and first.text == "<html>502 Bad Gateway</html>"
    assert first.headers["Content-Type"].startswith("text/html")
    second = sim.api("GET", "/api/system/about")
    assert second.status_code == 200 and "external_version" in second.json()


def test_garbage_fault_must_be_text(sim):
    import requests
    response = requests.post(sim.url + "/sim/faults", json={"route": "GET /api/system/about", "garbage": 5},
                             verify=sim.verify, timeout=30)
    assert response.status_code == 400 and "garbage" in response.text


def test_fired_counts_every_fault_applied_until_cleared(sim):
    sim.admin("POST", "/sim/faults", json=[{"route": "GET /api/system/about", "count": 2, "status": 503},
                                           {"kind": "search_error", "count": 1}])
    assert sim.admin("GET", "/sim/faults/fired") == {"total": 0, "by_kind": {}}
    for _ in range(3):
        sim.api("GET", "/api/system/about")
    run_search(sim, AQL + "     ")
    assert sim.admin("GET", "/sim/faults/fired") == {"total": 3, "by_kind": {"status": 2, "search_error": 1}}
    sim.admin("DELETE", "/sim/faults")
    assert sim.admin("GET", "/sim/faults/fired") == {"total": 0, "by_kind": {}}


def test_search_stall_fault_never_finishes_until_cancelled(sim):
    sim.admin("POST", "/sim/faults", json={"kind": "search_stall", "count": 1})
    search_id = sim.api("POST", "/api/ariel/searches", params={"query_expression": AQL + " \t "}).json()["search_id"]
    polled = sim.api("GET", f"/api/ariel/searches/{search_id}", headers={"Prefer": "wait=1"})
    assert polled.status_code == 206 and polled.json()["status"] in ("WAIT", "EXECUTE")
    assert sim.api("POST", f"/api/ariel/searches/{search_id}", params={"status": "CANCELED"}).status_code == 200
    wait_until(lambda: sim.api("GET", f"/api/ariel/searches/{search_id}").json()["status"] == "CANCELED",
               timeout=30, message="the stalled search to be cancelled")
    assert sim.admin("GET", "/sim/faults/fired")["by_kind"] == {"search_stall": 1}


def test_truncate_fault_cuts_the_real_answer(sim):
    whole = sim.api("GET", "/api/system/about").content
    sim.admin("POST", "/sim/faults", json={"route": "GET /api/system/about", "count": 1, "truncate": 20})
    cut = sim.api("GET", "/api/system/about")
    assert cut.status_code == 200 and cut.content == whole[:20]
    assert cut.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        cut.json()


def test_garbage_fault_can_answer_bytes_that_are_not_utf8(sim):
    sim.admin("POST", "/sim/faults", json={"route": "GET /api/system/about", "count": 1,
                                           "garbage": '{"external_version": "caf\u00e9"}', "encoding": "latin-1"})
    answer = sim.api("GET", "/api/system/about")
    assert answer.content == b'{"external_version": "caf\xe9"}'
    with pytest.raises(UnicodeDecodeError):
        answer.content.decode("utf-8")


@pytest.mark.parametrize("fault", [{"route": "GET /x", "truncate": -1}, {"route": "GET /x", "truncate": "5"},
                                   {"route": "GET /x", "garbage": "\u2603", "encoding": "latin-1"},
                                   {"route": "GET /x", "garbage": "x", "encoding": "no-such-codec"}])
def test_invalid_truncate_or_encoding_is_400(sim, fault):
    response = requests.post(sim.url + "/sim/faults", json=fault)
    assert response.status_code == 400 and response.json()["error"]
