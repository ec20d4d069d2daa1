"""Preview: a rule with unsaved settings over a past range, with progress, through the real runner, and
nothing of it stored in the app."""
from __future__ import annotations

import time

RULE = "t1048-002-rclone"
DAY_MS = 24 * 3600 * 1000


def run_preview(admin, rule_id, now_ms, **extra):
    started = admin.post("/api/admin/preview", json={"rule_id": rule_id, "start": now_ms - 2 * DAY_MS + 60_000,
                                                      "end": now_ms} | extra)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] == "running" and job["windows_planned"] >= 8
    deadline = time.monotonic() + 300     # a bound for a broken run, not the expected duration
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        job = admin.get(f"/api/admin/preview/{job['id']}").json()
    return job


def stored_state(runtime):
    db = runtime.store.db
    return (db.query("SELECT COUNT(*) AS n FROM hits")[0]["n"], db.query("SELECT COUNT(*) AS n FROM windows")[0]["n"],
            db.query("SELECT COUNT(*) AS n FROM runs")[0]["n"], runtime.store.ledger.checkpoint(RULE))


def test_preview_with_unsaved_settings_shows_hits_and_stores_nothing(admin, served):
    runtime = served["runtime"]
    before = stored_state(runtime)
    job = run_preview(admin, RULE, runtime.clock(), settings={"ingestion_delay_minutes": 0})
    assert job["state"] == "done", job
    assert job["windows_searched"] == job["result"]["windows_done"] >= 8
    assert job["result"]["hits"] + job["result"]["suppressed"] >= 1
    assert all(h["rule_id"] == RULE for h in job["result"]["shown"])
    assert stored_state(runtime) == before


def test_preview_input_errors_name_their_field(admin, served):
    now = served["runtime"].clock()
    response = admin.post("/api/admin/preview", json={"rule_id": "nope", "start": "yesterday",
                                                      "end": now + DAY_MS})
    assert set(response.json()["errors"]) == {"rule_id", "start", "end"}
    response = admin.post("/api/admin/preview", json={"rule_id": RULE, "start": now - 30 * DAY_MS, "end": now})
    assert "7 days" in response.json()["errors"]["start"]
    response = admin.post("/api/admin/preview", json={"rule_id": RULE, "start": now - DAY_MS, "end": now,
                                                      "settings": {"interval_minutes": -1}})
    assert set(response.json()["errors"]) == {"settings.interval_minutes"}
