"""Overview, run health and the banners: what they count, and that run errors (which can quote AQL) never leak."""
import json

from .conftest import NOW_MS, hit_dict, store_hits

DAY = 86_400_000
AQL_ERROR = "console: 422 SELECT secret_property FROM events WHERE x"


def test_overview_counts_series_and_top_values(client, store):
    store_hits(store, [hit_dict(1, time_ms=NOW_MS - 1000, source_ip="10.0.0.1", tool="pscp"),
                       hit_dict(2, time_ms=NOW_MS - 2 * DAY, source_ip="10.0.0.1", tool="pscp"),
                       hit_dict(3, time_ms=NOW_MS - 20 * DAY, source_ip="10.0.0.2", tool="rclone"),
                       hit_dict(4, time_ms=NOW_MS - 40 * DAY, suppressed=True)])
    body = client.get("/api/overview").get_json()
    assert body["counts"]["24h"] == {"hits": 1, "suppressed": 0}
    assert body["counts"]["7d"] == {"hits": 2, "suppressed": 0}
    assert body["counts"]["30d"] == {"hits": 3, "suppressed": 0}
    assert body["counts"]["all"] == {"hits": 3, "suppressed": 1}
    points = body["series"]["points"]
    assert sum(p["hits"] for p in points) == 3 and sum(p["suppressed"] for p in points) == 1
    assert len(points) <= 90
    assert body["top"]["hosts"][0] == {"value": "10.0.0.1", "count": 2}
    assert body["top"]["tools"][0] == {"value": "pscp", "count": 2}


def _run(store, rule_id, status, error=None, failed=0):
    run_id = store.ledger.start_run(rule_id, "scheduled", NOW_MS - 60_000)
    store.ledger.finish_run(run_id, status=status, done=1, failed=failed, new_hits=0, error=error, now_ms=NOW_MS)


def test_banners_say_what_is_wrong_and_what_to_do(client, store):
    _run(store, "t1048-002-rclone", "failed", error="console refused the token: 401 " + AQL_ERROR)
    _run(store, "t1048-002-web-upload", "partial", error=AQL_ERROR, failed=2)
    store.ledger.set_disabled_reason("t1048-002-smtps-script", "this console has no event property for command_line",
                                     NOW_MS)
    _run(store, "t1048-002-staging-signals", "ok")
    banners = {b["rule_id"]: b for b in client.get("/api/banners").get_json()}
    assert set(banners) == {"t1048-002-rclone", "t1048-002-web-upload", "t1048-002-smtps-script"}
    assert banners["t1048-002-rclone"]["title"].startswith("Rule paused") and "token" in banners["t1048-002-rclone"]["action"]
    assert banners["t1048-002-web-upload"]["title"].startswith("Rule failing")
    assert "map them on the admin page" in banners["t1048-002-smtps-script"]["action"]
    served = json.dumps(client.get("/api/banners").get_json())
    assert "SELECT" not in served


def test_run_health_shows_the_ledger_but_never_error_texts(client, store):
    (done, failed, pending) = store.ledger.plan("t1048-002-rclone", "scheduled",
                                                [(0, 60_000), (60_000, 120_000), (120_000, 180_000)], NOW_MS)
    store.ledger.mark_running(done.id, NOW_MS)
    store.ledger.complete(done.id, [], rows=7, restarts=0, truncated=False, now_ms=NOW_MS + 500)
    store.ledger.fail(failed.id, AQL_ERROR, NOW_MS)
    _run(store, "t1048-002-rclone", "partial", error=AQL_ERROR, failed=1)
    health = {h["rule_id"]: h for h in client.get("/api/health").get_json()}["t1048-002-rclone"]
    assert health["windows_by_status"]["done"] == 1 and health["windows_by_status"]["failed"] == 1
    assert health["owed"] == {"windows": 2, "ms": 120_000, "oldest_ms": 60_000}
    assert health["rows"] == 7 and health["duration_ms"]["max"] == 500
    assert health["state"] == "failing" and health["runs"][0]["had_error"] is True
    assert health["next_run_ms"] == NOW_MS - 60_000 + 15 * 60_000
    for path in ("/api/health", "/api/health/t1048-002-rclone", "/api/overview", "/api/summary", "/api/windows"):
        assert "SELECT" not in client.get(path).get_data(as_text=True), path
    assert client.get("/api/health/no-such-rule").status_code == 404
