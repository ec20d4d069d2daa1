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


def _direct(store):
    """What the roll-ups must say, counted from the hits themselves."""
    hourly = {(r["h"], r["rule_id"], r["suppressed"]): r["n"] for r in store.db.query(
        "SELECT event_time_ms - event_time_ms % 3600000 AS h, rule_id, suppressed, COUNT(*) AS n FROM hits "
        "GROUP BY h, rule_id, suppressed")}
    top = {}
    for dim, column in (("host", "source_ip"), ("user", "username"), ("tool", "tool"), ("destination", "destination")):
        for r in store.db.query(f"SELECT lower({column}) AS v, COUNT(*) AS n FROM hits WHERE suppressed = 0 "
                                f"AND {column} IS NOT NULL GROUP BY lower({column})"):
            top[(dim, r["v"])] = r["n"]
    return hourly, top


def _rolled(store):
    hourly = {(r["hour_ms"], r["rule_id"], r["suppressed"]): r["n"]
              for r in store.db.query("SELECT * FROM hit_hourly WHERE n != 0")}
    daily = {}
    for (hour, rule, suppressed), n in hourly.items():
        key = (hour - hour % 86_400_000, rule, suppressed)
        daily[key] = daily.get(key, 0) + n
    assert daily == {(r["day_ms"], r["rule_id"], r["suppressed"]): r["n"]
                     for r in store.db.query("SELECT * FROM hit_daily WHERE n != 0")}
    totals = {}
    for (_, rule, suppressed), n in hourly.items():
        totals[(rule, suppressed)] = totals.get((rule, suppressed), 0) + n
    assert totals == {(r["rule_id"], r["suppressed"]): r["n"] for r in store.db.query("SELECT * FROM hit_totals WHERE n != 0")}
    top = {(r["dim"], r["v"]): r["n"] for r in store.db.query("SELECT dim, lower(value) AS v, n FROM hit_top "
                                                                "WHERE n != 0")}   # SQLite's lower(): ASCII only
    return hourly, top


def test_rollups_stay_exact_whoever_writes_the_hits(store, tmp_path):
    """Inserts (ledger), suppression and enrichment changes, retention deletes: the overview's roll-ups follow,
    and a store whose triggers are missing rebuilds them from the hits."""
    from app.store import Store
    store_hits(store, [hit_dict(n, time_ms=NOW_MS - n * 1_800_000, tool=("pscp", "PSCP", "rclone")[n % 3],
                                username=("CORP\\a", "corp\\A", "CORP\\b")[n % 3], suppressed=n % 4 == 0)
                       for n in range(40)])
    assert _rolled(store) == _direct(store)
    with store.db.transaction() as conn:
        conn.execute("UPDATE hits SET suppressed = 1, exception_id = 9 WHERE id % 5 = 0")       # exception applied later
        conn.execute("UPDATE hits SET tool = 'winscp', destination = NULL WHERE id % 7 = 0")    # re-enrichment
        conn.execute("DELETE FROM hits WHERE id % 6 = 0")                                       # retention
    assert _rolled(store) == _direct(store)
    assert store.hits.counts()["hits"] == store.db.query("SELECT COUNT(*) AS n FROM hits WHERE suppressed = 0")[0]["n"]
    path = store.db.path
    with store.db.transaction() as conn:
        conn.execute("DROP TRIGGER hits_rollup_v2_update")
        conn.execute("UPDATE hit_top SET n = 999")
    reopened = Store(path)
    try:
        assert _rolled(reopened) == _direct(reopened)
    finally:
        reopened.close()


def test_rollups_count_a_batch_once_without_its_skipped_duplicates(store):
    """The ledger counts the hits a window inserted in one set-based step: a hit stored again (same identity)
    is not counted twice, values that differ only in case are one top value, spelled as the first hit that
    had it, and a store upgraded from the per-hit insert trigger (v1) does not count inserts twice."""
    from app.store import Store, rollup
    first = [hit_dict(n, time_ms=NOW_MS - n * 1_800_000, tool=("Pscp", "pscp", "RCLONE")[n % 3],
                      username=("CORP\\a", "corp\\A")[n % 2], suppressed=n % 5 == 4) for n in range(30)]
    store_hits(store, first)
    again = first[10:] + [hit_dict(100 + n, time_ms=NOW_MS - n * 900_000, tool=("PSCP", "WinSCP")[n % 2])
                          for n in range(12)]
    store_hits(store, again)
    assert store.db.query("SELECT COUNT(*) AS n FROM hits")[0]["n"] == 42
    assert _rolled(store) == _direct(store)
    tools = {r["value"]: r["n"] for r in store.db.query("SELECT value, n FROM hit_top WHERE dim = 'tool'")}
    assert set(tools) == {"Pscp", "RCLONE", "WinSCP"}          # first spellings; PSCP counted under Pscp
    assert tools["Pscp"] == len([n for n in range(30) if n % 3 != 2 and n % 5 != 4]) + 6
    # NOCASE folds ASCII letters only: Ä and ä are two values, as SQLite compares them
    store_hits(store, [hit_dict(300 + n, tool=("\u00c4rchiver", "\u00e4rchiver", "\u00c4RCHIVER")[n % 3]) for n in range(6)])
    assert {r["value"]: r["n"] for r in store.db.query("SELECT value, n FROM hit_top WHERE dim = 'tool' "
                                                        "AND value LIKE '%rchiver'")} == {"\u00c4rchiver": 4,
                                                                                           "\u00e4rchiver": 2}
    with store.db.transaction() as conn:   # a store as release v1 left it: a row trigger counting inserts
        for name in rollup.TRIGGERS:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute(f"CREATE TRIGGER hits_rollup_v1_insert AFTER INSERT ON hits BEGIN\n"
                     f"{rollup._add('NEW', '+')}\nEND")
    upgraded = Store(store.db.path)
    try:
        store_hits(upgraded, [hit_dict(200 + n, tool="pscp") for n in range(5)])
        assert _rolled(upgraded) == _direct(upgraded)
        names = {r["name"] for r in upgraded.db.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert "hits_rollup_v1_insert" not in names
    finally:
        upgraded.close()


def test_counts_since_is_exact_at_any_instant(store):
    store_hits(store, [hit_dict(n, time_ms=NOW_MS - n * 700_000, suppressed=n % 3 == 0) for n in range(60)])
    store_hits(store, [hit_dict(100 + n, time_ms=NOW_MS - n * 86_400_000 - 5, suppressed=n % 2 == 0) for n in range(40)])
    for since in (NOW_MS - 1, NOW_MS - 3_600_000 + 12_345, NOW_MS - 5 * 3_600_000 - 1, NOW_MS - 7 * 86_400_000,
                  NOW_MS - 30 * 86_400_000 + 17, 0):
        (row,) = store.db.query("SELECT COUNT(*) AS n, SUM(suppressed) AS s FROM hits WHERE event_time_ms >= ?", (since,))
        assert store.hits.counts_since(since) == {"hits": row["n"] - (row["s"] or 0), "suppressed": row["s"] or 0}


QUOTED_AQL = [   # how a console or a client library can quote the rendered query, with a pushed-down literal
    "POST api/ariel/searches: AQL parse error: SELECT \"CommandLine\" FROM events WHERE NOT (username = "
    "'CORP\\svc_secret') (HTTP 422, code 2000)",
    "400 Client Error for url: https://console/api/ariel/searches?query_expression=SELECT%20x%20FROM%20events"
    "%20WHERE%20username%3D%27CORP%5Csvc_secret%27",
    "search refused: username%3D%27CORP%5Csvc_secret%27",
    "near NOT (username = 'CORP\\svc_secret') at position 40",
]


def test_run_health_shows_the_redacted_error_and_never_the_query(client, store):
    (failed,) = store.ledger.plan("t1048-002-rclone", "scheduled", [(0, 60_000)], NOW_MS)
    store.ledger.fail(failed.id, QUOTED_AQL[0], NOW_MS)
    for error in QUOTED_AQL[1:]:
        _run(store, "t1048-002-rclone", "partial", error=error, failed=1)
    _run(store, "t1048-002-rclone", "partial", error=QUOTED_AQL[0], failed=1)
    served = [client.get(path).get_data(as_text=True) for path in
              ("/api/health", "/api/health/t1048-002-rclone", "/api/overview", "/api/summary", "/api/windows",
               "/api/banners")]
    for text in served:
        assert "svc_secret" not in text and "SELECT" not in text and "svc%5C" not in text.lower()
    health = client.get("/api/health/t1048-002-rclone").get_json()
    # What happened, up to where the query starts, is shown; the rest is said to be for administrators.
    redacted = "POST api/ariel/searches: AQL parse error [the query is shown to administrators only]"
    assert health["reason"].endswith(f"will be searched again ({redacted})")
    assert health["windows"][0]["reason"].endswith(f"searched again on the next run: {redacted}")
    assert [r["error_public"] for r in health["runs"]] == [redacted, None, None, None]
    assert all(r["had_error"] for r in health["runs"])


def test_a_plain_error_is_shown_to_everyone_as_it_is(client, store):
    _run(store, "t1048-002-rclone", "failed", error="console: connection refused (HTTP 503)", failed=1)
    health = client.get("/api/health/t1048-002-rclone").get_json()
    assert health["runs"][0]["error_public"] == "console: connection refused (HTTP 503)"
    assert "(console: connection refused (HTTP 503))" in health["reason"]
