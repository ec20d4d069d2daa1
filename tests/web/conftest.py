"""The web layer over a real store on a temporary file; the rules are the shipped rule files."""
import json

import pytest

from app import create_app
from app.detection.rule import load_rules
from app.pipeline.hit import hits_from_rows
from app.store import Store


NOW_MS = 1_790_000_000_000


class WebRuntime:
    """What the web layer reads of a Runtime: the store, the rules and the clock (no console behind it)."""
    def __init__(self, store, rules):
        self.store, self.rules = store, rules
        self.now_ms = NOW_MS
        self.config = None       # no local console session: nobody is signed in (actor "local", not an admin)

    def clock(self):
        return self.now_ms

    def rule_enabled(self, rule):
        return rule.enabled


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "w.db")
    yield s
    s.close()


@pytest.fixture
def web(store):
    return WebRuntime(store, load_rules())


@pytest.fixture
def client(web):
    return create_app(web).test_client()


def add_hits(store, rule_id, rows, *, start=0, end=10**13):
    """Stores rows (the rule's result columns) as one completed hunt window of rule_id; returns the hits' ids."""
    (window,) = store.ledger.plan(rule_id, "hunt", [(start, end)], 1)
    hits = [h.as_row() for h in hits_from_rows(rule_id, rows)]
    store.ledger.complete(window.id, hits, rows=len(rows), restarts=0, truncated=False, now_ms=2)
    return [h["id"] for h in store.hits.list(rule_id=rule_id, suppressed=None, limit=100000)]


def hit_dict(n, *, rule_id="t1048-002-rclone", time_ms=None, command_line=None, masked=None, tool="rclone",
             destination="files.example.net", risk=50, source_ip="10.0.0.1", username="CORP\\alice",
             suppressed=False, host_name=None, **extra):
    """A stored hit as the pipeline writes it, enrichment included."""
    command_line = command_line if command_line is not None else f"rclone.exe copy C:\\data{n} remote:x"
    enrichment = {"tool": {"name": tool} if tool else {}, "command_line_masked": masked or command_line,
                  "risk": {"score": risk, "reasons": ["transfer tool"]}, "state": "complete"}
    if destination:
        enrichment["destination"] = {"hostname": destination, "ip": "198.51.100.7", "port": 22, "public": True}
    if host_name:
        enrichment["asset"] = {"hostname": host_name}
    row = {"identity": f"id-{rule_id}-{n}", "rule_id": rule_id, "event_time_ms": time_ms if time_ms is not None else NOW_MS - n * 1000,
           "source_ip": source_ip, "destination_ip": "198.51.100.7", "destination_port": 22, "username": username,
           "event_id": "1", "process_image": "rclone.exe", "command_line": command_line, "process_guid": f"{{guid-{n}}}",
           "log_source_id": 1, "qid": 1, "payload": command_line, "fields_json": json.dumps({"CommandLine": command_line}),
           "enrichment_json": json.dumps(enrichment), "risk_score": risk, "suppressed": int(suppressed),
           "exception_id": 1 if suppressed else None}
    row.update(extra)
    return row


def store_hits(store, hits, rule_id="t1048-002-rclone"):
    (window,) = store.ledger.plan(rule_id, "hunt", [(0, 10**13)], 1)
    store.ledger.complete(window.id, hits, rows=len(hits), restarts=0, truncated=False, now_ms=2)
