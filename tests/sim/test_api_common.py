"""Contract of every /api route: SEC auth, Version, console JSON errors, the ready line, clean stop."""
import json
import signal

import pytest
import requests

from devtools.simproc import SimProcess

ERROR_KEYS = {"http_response", "code", "message", "description", "details"}


@pytest.fixture(scope="module")
def sim():
    with SimProcess(empty=True, token="common-token") as process:
        yield process


def assert_console_error(response, status, code=None):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["http_response"]["code"] == status
    assert body["details"] == {}
    if code is not None:
        assert body["code"] == code
    return body


def test_ready_line_describes_the_running_stand_in(sim):
    ready = sim.ready
    assert set(ready) >= {"ready", "url", "syslog_port", "profile", "events", "token"}
    assert ready["url"].startswith("http://127.0.0.1:")
    assert ready["profile"] == "seed" and ready["events"] == 0 and ready["token"] == "common-token"
    assert isinstance(ready["syslog_port"], int) and ready["syslog_port"] > 0


def test_about_answers_with_the_token(sim):
    response = sim.api("GET", "/api/system/about")
    assert response.status_code == 200
    assert {"build_version", "external_version", "release_name"} <= set(response.json())


def test_missing_sec_is_401_with_the_console_body(sim):
    body = assert_console_error(requests.get(sim.url + "/api/system/about"), 401)
    assert body["http_response"]["message"] == (
        "You are unauthorized to access the requested resource. Please log in.")
    assert "SEC" in body["message"]


def test_wrong_sec_is_401(sim):
    response = requests.get(sim.url + "/api/system/about", headers={"SEC": "not-the-token"})
    assert_console_error(response, 401)


def test_sec_cookie_is_accepted_like_the_header(sim):
    response = requests.get(sim.url + "/api/system/about", cookies={"SEC": sim.token})
    assert response.status_code == 200


@pytest.mark.parametrize("version", [None, "20.0", "12.0", "15.1", "20"])
def test_supported_or_absent_version_is_served(sim, version):
    headers = {"Version": version} if version else {}
    assert sim.api("GET", "/api/system/about", headers=headers).status_code == 200


@pytest.mark.parametrize("version", ["99.0", "1.0", "latest", ""])
def test_unsupported_version_is_422(sim, version):
    assert_console_error(sim.api("GET", "/api/system/about", headers={"Version": version}), 422)


def test_unknown_route_is_404_json(sim):
    assert_console_error(sim.api("GET", "/api/no/such/route"), 404, 1002)
    assert_console_error(sim.api("GET", "/nothing-here"), 404)


def test_wrong_method_on_a_known_route_is_405_json(sim):
    body = assert_console_error(sim.api("PUT", "/api/system/about"), 405)
    assert "GET" in body["description"]


def test_error_is_json_whatever_the_accept_header(sim):
    response = sim.api("GET", "/api/siem/offenses/999", headers={"Accept": "text/html"})
    assert_console_error(response, 404, 1002)


def test_requests_are_logged_with_selected_headers(sim):
    sim.admin("DELETE", "/sim/requests")
    sim.api("GET", "/api/siem/offenses", headers={"Version": "20.0", "Range": "items=0-4"},
            params={"filter": "status=OPEN"})
    requests.get(sim.url + "/api/system/about")
    log = sim.admin("GET", "/sim/requests")
    assert [(e["method"], e["path"], e["status"], e["sec_present"]) for e in log] == [
        ("GET", "/api/siem/offenses", 200, True), ("GET", "/api/system/about", 401, False)]
    assert log[0]["headers"]["Version"] == "20.0" and log[0]["headers"]["Range"] == "items=0-4"
    assert log[0]["query"] == {"filter": "status=OPEN"}
    assert log[0]["route"] == "/api/siem/offenses"


def test_admin_info_and_config(sim):
    info = sim.admin("GET", "/sim/info")
    assert info["profile"] == "seed" and info["events"] == 0 and info["url"] == sim.url
    changed = sim.admin("POST", "/sim/config", json={"regex_mode": "substring", "latency_ms": 10})
    assert changed["regex_mode"] == "substring" and changed["latency_ms"] == 10
    bad = requests.post(sim.url + "/sim/config", json={"regex_mode": "fuzzy"})
    assert bad.status_code == 400 and "regex_mode" in bad.json()["error"]
    sim.admin("POST", "/sim/config", json={"regex_mode": "full"})


def test_sigterm_stops_cleanly(tmp_path):
    process = SimProcess(empty=True).start()
    process.proc.send_signal(signal.SIGTERM)
    assert process.proc.wait(15) == 0
    process.__exit__(None, None, None)


def test_missing_bundled_dataset_starts_empty_and_says_so(tmp_path):
    # A profile whose bundled file is absent right now is still served, empty, with a note on stderr.
    with SimProcess(profile="ibm-windows", extra_args=[]) as process:
        info = process.admin("GET", "/sim/info")
        if info["events"] == 0:
            assert "absent" in process.stderr_text()
        assert info["profile"] == "ibm-windows"


def test_events_file_and_context_are_loaded(tmp_path):
    events = tmp_path / "x.jsonl"
    events.write_text(json.dumps({"starttime": 1700000000000, "sourceip": "10.0.0.1", "logsourceid": 7,
                                  "devicetype": 12, "_scenario": "s1"}) + "\n")
    (tmp_path / "x.context.json").write_text(json.dumps({
        "log_sources": [{"id": 7, "name": "WinCollect @ ws1", "type_id": 12}],
        "assets": [], "dns": {"10.0.0.1": "ws1.corp.example"}}))
    with SimProcess(events=str(events)) as process:
        assert process.ready["events"] == 1
        sources = process.api("GET", "/api/config/event_sources/log_source_management/log_sources").json()
        assert {"id": 7, "name": "WinCollect @ ws1", "type_id": 12}.items() <= sources[0].items()


def test_unknown_profile_fails_fast_with_a_message():
    process = SimProcess(empty=True, profile="no-such-profile", start_timeout=30)
    with pytest.raises(RuntimeError, match="no-such-profile"):
        process.start()
