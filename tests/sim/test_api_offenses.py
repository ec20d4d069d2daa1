"""Offense endpoints: list (Range, filter, fields, sort), one offense, updates, notes, closing reasons.
Offenses exist only through the rule engine, so the tests raise them with LEEF over syslog."""
import socket

import pytest

from devtools.simproc import SimProcess, wait_until

LEEF = "<13>Jan 18 11:07:53 app LEEF:1.0|ExfilWatch|ExfilWatch|1.0|ExfilHit|src={src}\tsev={sev}"
SOURCES = ["10.30.0.1", "10.30.0.2", "10.30.0.3"]


@pytest.fixture(scope="module")
def sim():
    with SimProcess(empty=True) as process:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for i, src in enumerate(SOURCES):
                sock.sendto(LEEF.format(src=src, sev=3 + i).encode(), ("127.0.0.1", process.syslog_port))
        wait_until(lambda: len(process.api("GET", "/api/siem/offenses").json()) == 3, message="3 offenses")
        yield process


def test_list_pages_with_range(sim):
    page = sim.api("GET", "/api/siem/offenses", headers={"Range": "items=0-1"}, params={"sort": "+id"})
    assert page.status_code == 200 and len(page.json()) == 2
    assert page.headers["Content-Range"] == "items 0-1/3"
    past = sim.api("GET", "/api/siem/offenses", headers={"Range": "items=5-9"})
    assert past.json() == [] and past.headers["Content-Range"] == "items */3"


@pytest.mark.parametrize("text, expected", [
    ("id=1", [1]),
    ("status=OPEN", [1, 2, 3]),
    ('status="OPEN" and severity>=4', [2, 3]),
    ("id=1 or id=3", [1, 3]),
    ("id in (2, 3)", [2, 3]),
    ("id not in (2)", [1, 3]),
    ('offense_source="10.30.0.2"', [2]),
    ("close_time is null and severity between 3 and 4", [1, 2]),
])
def test_filter(sim, text, expected):
    response = sim.api("GET", "/api/siem/offenses", params={"filter": text, "sort": "+id"})
    assert response.status_code == 200, response.text
    assert [o["id"] for o in response.json()] == expected


def test_bad_filter_is_422(sim):
    response = sim.api("GET", "/api/siem/offenses", params={"filter": "id = = 1"})
    assert response.status_code == 422 and response.json()["code"] == 1005


def test_fields_and_sort(sim):
    response = sim.api("GET", "/api/siem/offenses", params={"fields": "id,severity,rules(id)", "sort": "-severity"})
    assert response.json() == [{"id": 3, "severity": 5, "rules": [{"id": 100001}]},
                               {"id": 2, "severity": 4, "rules": [{"id": 100001}]},
                               {"id": 1, "severity": 3, "rules": [{"id": 100001}]}]


def test_one_offense_and_404(sim):
    offense = sim.api("GET", "/api/siem/offenses/2").json()
    assert offense["id"] == 2 and offense["offense_source"] == "10.30.0.2"
    assert {"description", "status", "start_time", "last_updated_time", "close_time", "magnitude", "severity",
            "credibility", "relevance", "event_count", "offense_type", "offense_source", "categories", "rules",
            "log_sources", "assigned_to", "domain_id", "follow_up", "protected"} <= set(offense)
    missing = sim.api("GET", "/api/siem/offenses/999")
    assert missing.status_code == 404 and missing.json()["code"] == 1002


def test_update_fields(sim):
    response = sim.api("POST", "/api/siem/offenses/1", params={"assigned_to": "analyst", "follow_up": "true",
                                                              "protected": "true", "status": "HIDDEN"})
    assert response.status_code == 200
    body = response.json()
    assert (body["assigned_to"], body["follow_up"], body["protected"], body["status"]) == (
        "analyst", True, True, "HIDDEN")
    assert sim.api("POST", "/api/siem/offenses/1", params={"status": "OPEN"}).json()["status"] == "OPEN"
    assert sim.api("POST", "/api/siem/offenses/1", params={"status": "BOGUS"}).status_code == 422


def test_closing_needs_a_reason(sim):
    refused = sim.api("POST", "/api/siem/offenses/3", params={"status": "CLOSED"})
    assert refused.status_code == 409
    reasons = sim.api("GET", "/api/siem/offense_closing_reasons").json()
    closed = sim.api("POST", "/api/siem/offenses/3", params={"status": "CLOSED",
                                                            "closing_reason_id": str(reasons[0]["id"])})
    assert closed.status_code == 200
    body = closed.json()
    assert body["status"] == "CLOSED" and body["close_time"] and body["closing_reason_id"] == reasons[0]["id"]


def test_notes_are_added_and_listed(sim):
    added = sim.api("POST", "/api/siem/offenses/2/notes", params={"note_text": "ExfilWatch: 3 hits, see tab"})
    assert added.status_code == 201
    note = added.json()
    assert set(note) == {"id", "create_time", "username", "note_text"}
    assert note["note_text"] == "ExfilWatch: 3 hits, see tab"
    listed = sim.api("GET", "/api/siem/offenses/2/notes")
    assert listed.status_code == 200 and listed.json() == [note]
    assert sim.api("POST", "/api/siem/offenses/2/notes").status_code == 422
    assert sim.api("POST", "/api/siem/offenses/999/notes", params={"note_text": "x"}).status_code == 404


def test_there_is_no_create_call(sim):
    response = sim.api("POST", "/api/siem/offenses", params={"description": "x"})
    assert response.status_code == 405
