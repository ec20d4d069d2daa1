"""The admin API against the stand-in over HTTP: validation per field, nothing invalid saved, every change
audited with who, before and after, the console token write-only, preview storing nothing."""
from __future__ import annotations

import json
from pathlib import Path

from app.scheduler import build_scheduler, sync_rule_jobs

from .conftest import Browser

RULE = "t1048-002-rclone"
SECRET_TOKEN = "a1b2c3d4-e5f6-4711-9999-000000000abc"


def audit_rows(admin, target):
    return [r for r in admin.get("/api/admin/audit?limit=1000").json() if r["target"] == target]


# -- console connection -----------------------------------------------------------------------------------
def test_the_token_is_stored_encrypted_and_never_shown(admin, served):
    before = admin.get("/api/admin/connection").json()
    assert before["token"]["set"] is False and before["token"]["platform_token"] is True
    response = admin.put("/api/admin/connection", json={"token": SECRET_TOKEN})
    assert response.status_code == 200
    state = response.json()["token"]
    assert state["set"] is True and state["set_by"] == "admin" and state["set_ms"]
    store = Path(served["runtime"].store_path())
    for path in store.rglob("*"):
        if path.is_file():
            assert SECRET_TOKEN.encode() not in path.read_bytes(), path
    assert served["runtime"].platform.encryption("console_token", "exfilwatch").decrypt() == SECRET_TOKEN
    (row,) = audit_rows(admin, "console.token")
    assert row["actor"] == "admin" and SECRET_TOKEN not in row["detail_json"]


def test_connection_input_errors_name_their_field(admin):
    response = admin.put("/api/admin/connection", json={"token": "short", "api_version": "twenty", "x": 1})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"token", "api_version", "x"}


def test_test_connection_with_a_wrong_token_shows_the_consoles_error(admin):
    answer = admin.post("/api/admin/connection/test", json={"token": "wrong-token-123456"}).json()
    assert answer["ok"] is False and answer["status"] == 401
    assert "security token is invalid" in answer["error"]


def test_test_connection_with_the_token_in_use_shows_the_console_version(admin, console):
    answer = admin.post("/api/admin/connection/test", json={}).json()
    assert answer["ok"] is True and answer["about"]["external_version"] == "7.5.0"
    entered = admin.post("/api/admin/connection/test", json={"token": console.token}).json()
    assert entered["ok"] is True and entered["tested"] == "the token entered"


def test_api_version_falls_back_when_the_console_has_no_version_list(admin):
    versions = admin.get("/api/admin/connection").json()["versions"]
    if versions["offered"] is None:       # a console (stand-in) without /api/help/versions
        assert versions["error"]
        assert admin.put("/api/admin/connection", json={"api_version": "19.0"}).json()["api_version"] == "19.0"
    else:
        assert admin.put("/api/admin/connection", json={"api_version": versions["offered"][-1]}).status_code == 200
    admin.put("/api/admin/connection", json={"api_version": "20.0"})


# -- rules ------------------------------------------------------------------------------------------------
def test_invalid_rule_settings_are_refused_per_field_and_nothing_is_saved(admin):
    rule_before = next(r for r in admin.get("/api/admin/rules").json() if r["id"] == RULE)
    audit_before = len(admin.get("/api/admin/audit?limit=1000").json())
    response = admin.put(f"/api/admin/rules/{RULE}", json={"interval_minutes": 0, "ingestion_delay_minutes": "5",
                                                            "enabled": "yes", "first_look_back_minutes": 5})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"interval_minutes", "ingestion_delay_minutes", "enabled"}
    assert next(r for r in admin.get("/api/admin/rules").json() if r["id"] == RULE) == rule_before
    assert len(admin.get("/api/admin/audit?limit=1000").json()) == audit_before
    assert admin.put("/api/admin/rules/no-such-rule", json={"enabled": True}).status_code == 404


def test_a_schedule_change_is_audited_and_reaches_the_scheduler_without_a_restart(admin, served):
    runtime = served["runtime"]
    scheduler = build_scheduler(runtime)
    scheduler.start(paused=True)
    try:
        assert scheduler.get_job("settings-sync").trigger.interval.total_seconds() == 30
        assert scheduler.get_job(f"rule:{RULE}").trigger.interval.total_seconds() == 15 * 60
        changed = admin.put(f"/api/admin/rules/{RULE}", json={"interval_minutes": 7, "catch_up_windows": 3})
        assert changed.status_code == 200 and changed.json()["schedule"]["interval_minutes"] == 7
        sync_rule_jobs(scheduler, runtime)          # what the scheduler's settings-sync job runs every 30 s
        assert scheduler.get_job(f"rule:{RULE}").trigger.interval.total_seconds() == 7 * 60
        admin.put(f"/api/admin/rules/{RULE}", json={"enabled": False})
        sync_rule_jobs(scheduler, runtime)
        assert scheduler.get_job(f"rule:{RULE}") is None
        admin.put(f"/api/admin/rules/{RULE}", json={"enabled": True, "interval_minutes": 15, "catch_up_windows": 0})
        sync_rule_jobs(scheduler, runtime)
        assert scheduler.get_job(f"rule:{RULE}").trigger.interval.total_seconds() == 15 * 60
    finally:
        scheduler.shutdown(wait=False)
    row = audit_rows(admin, "rules.schedule")[0]      # the audit lists newest first
    detail = json.loads(row["detail_json"])
    assert row["actor"] == "admin"
    assert detail["before"][RULE]["interval_minutes"] == 7 and detail["after"][RULE]["interval_minutes"] == 15


# -- fields -----------------------------------------------------------------------------------------------
def test_field_mapping_is_discovered_and_a_missing_property_refused(admin):
    found = admin.post("/api/admin/fields/discover").json()
    assert "CommandLine" in found["columns"] and found["mapping"]["command_line"] == "CommandLine"
    bad = admin.put("/api/admin/fields", json={"overrides": {"command_line": "No Such Property", "nope": "x"}})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"overrides.command_line", "overrides.nope"}
    good = admin.put("/api/admin/fields", json={"overrides": {"command_line": "CommandLine"}})
    assert good.status_code == 200 and good.json()["sources"]["command_line"] == "override"
    admin.put("/api/admin/fields", json={"overrides": {}})


# -- retention and offenses -------------------------------------------------------------------------------
def test_retention_days_are_validated_and_stored_under_retention_days(admin, served):
    assert admin.get("/api/admin/retention").json()["days"] == 90
    assert admin.put("/api/admin/retention", json={"days": 0}).json()["errors"]["days"]
    assert admin.put("/api/admin/retention", json={"days": 30}).json()["days"] == 30
    assert served["runtime"].store.settings.get("retention.days") == 30


def test_offense_settings_errors_name_their_field(admin):
    response = admin.put("/api/admin/offenses", json={"port": 70000, "protocol": "carrier-pigeon",
                                                      "grouping": "by_mood", "exclude_rules": ["nope"]})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"port", "protocol", "grouping", "exclude_rules"}


def test_plaintext_offense_settings_carry_a_warning_that_tls_clears(admin):
    over_tcp = admin.put("/api/admin/offenses", json={"host": "127.0.0.1", "port": 514, "protocol": "tcp"}).json()
    (warning,) = over_tcp["warnings"]
    assert "plain TCP" in warning and "127.0.0.1:514" in warning
    assert admin.get("/api/admin/offenses").json()["warnings"] == over_tcp["warnings"]
    assert admin.put("/api/admin/offenses", json={"host": "127.0.0.1", "port": 6514, "protocol": "tls"}
                     ).json()["warnings"] == []


def test_a_test_event_is_sent_and_found_in_qradar(admin, console):
    settings = {"host": "127.0.0.1", "port": console.syslog_port, "protocol": "tcp"}
    assert admin.put("/api/admin/offenses", json=settings).status_code == 200
    answer = admin.post("/api/admin/offenses/test", json={}).json()
    assert answer["sent"] is True and answer["received"] is True, answer
    assert any(answer["marker"] in m.get("raw", json.dumps(m)) for m in console.admin("GET", "/sim/syslog"))


def test_a_test_event_to_a_closed_port_says_it_was_not_sent(admin):
    answer = admin.post("/api/admin/offenses/test", json={"host": "127.0.0.1", "port": 9, "protocol": "tcp",
                                                          "wait_s": 0}).json()
    assert answer["sent"] is False and "not sent to 127.0.0.1:9/tcp" in answer["error"]


# -- CSRF and secrets -------------------------------------------------------------------------------------
def test_a_change_without_the_csrf_header_is_refused_and_not_saved(admin, served):
    before = served["runtime"].store.settings.get("retention.days", 90)
    response = admin.put("/api/admin/retention", json={"days": before + 1}, csrf=False)
    assert response.status_code == 403 and "QRadarCSRF" in response.json()["error"]
    assert served["runtime"].store.settings.get("retention.days", 90) == before


def test_no_response_ever_held_a_console_token(console):
    """Runs last in this module: every body any test browser received is checked."""
    assert Browser.seen
    for text in Browser.seen:
        assert SECRET_TOKEN not in text and console.token not in text
