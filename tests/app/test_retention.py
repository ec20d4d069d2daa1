"""Hit retention: `retention.days` (default 90) purges old hits and what only they needed, in small batches,
keeps everything younger or still needed, and runs as one scheduler job."""
import json
from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from app.scheduler import build_scheduler
from app.store.enrichment import EnrichmentRepository
from app.store.exceptions import ExceptionRepository
from app.store.retention import DAY_MS, DEFAULT_DAYS, RETENTION_KEY, purge, retention_days, validate_days

NOW = 1_800_000_000_000


def add_window(store, wid, end_ms, status="done", parent=None):
    store.db.connection().execute(
        "INSERT INTO windows (id, rule_id, kind, start_ms, end_ms, status, parent_id, planned_ms) "
        "VALUES (?, 'r', 'scheduled', ?, ?, ?, ?, ?)", (wid, end_ms - 60_000, end_ms, status, parent, end_ms))


def add_hit(store, n, age_days, window, *, created_age_days=None, group=None):
    t = NOW - age_days * DAY_MS
    created = NOW - (age_days if created_age_days is None else created_age_days) * DAY_MS
    hit_id = store.db.connection().execute(
        "INSERT INTO hits (identity, rule_id, window_id, event_time_ms, fields_json, created_ms, offense_group_id) "
        "VALUES (?, 'r', ?, ?, '{}', ?, ?)", (f"h{n}", window, t, created, group)).lastrowid
    return hit_id


def add_group(store, gid, age_days, status):
    t = NOW - age_days * DAY_MS
    store.db.connection().execute(
        "INSERT INTO offense_groups (id, group_key, grouping, partition_key, window_start_ms, window_end_ms, "
        "first_event_ms, last_event_ms, status, created_ms, updated_ms) VALUES (?, ?, 'source_user', '[]', ?, ?, ?, ?, ?, ?, ?)",
        (gid, f"g{gid}", t, t + 1, t, t, status, t, t))


@pytest.fixture
def old_and_new(store):
    add_window(store, 1, NOW - 200 * DAY_MS)                        # old, will lose its hits
    add_window(store, 2, NOW - 200 * DAY_MS, status="split")        # old parent ...
    add_window(store, 3, NOW - 200 * DAY_MS, parent=2)              # ... and its half
    add_window(store, 4, NOW - 1 * DAY_MS)                          # recent
    add_window(store, 5, NOW - 200 * DAY_MS, status="failed")       # still owed: never purged
    add_group(store, 1, 200, "noted")
    add_group(store, 2, 200, "failed")                              # not finished: kept
    old = [add_hit(store, n, 100 + n, 1, group=1) for n in range(10)]
    kept = [add_hit(store, 100, 10, 4), add_hit(store, 101, 200, 1, created_age_days=5)]   # retro-hunt: stored lately
    store.db.connection().execute("INSERT INTO enrichment_retries (hit_id, attempts, last_ms) VALUES (?, 1, 1), (?, 1, 1)",
                                  (old[0], kept[0]))
    store.db.connection().execute("INSERT INTO runs (rule_id, kind, started_ms, finished_ms, status) VALUES "
                                  "('r', 'scheduled', ?, ?, 'ok'), ('r', 'scheduled', ?, ?, 'ok')",
                                  (NOW - 200 * DAY_MS, NOW - 200 * DAY_MS, NOW - DAY_MS, NOW - DAY_MS))
    store.db.connection().execute("INSERT INTO lookup_cache (kind, key, value_json, fetched_ms) VALUES "
                                  "('asset', 'a', NULL, ?), ('asset', 'b', NULL, ?)", (NOW - 40 * DAY_MS, NOW))
    return old, kept


def ids(store, table, column="id"):
    return {r[0] for r in store.db.query(f"SELECT {column} FROM {table}")}


def test_purges_old_hits_and_what_only_they_needed_in_small_batches(store, old_and_new):
    old, kept = old_and_new
    sizes = []
    real = store.db.transaction

    @contextmanager
    def counting():
        with real() as conn:
            before = conn.execute("SELECT COUNT(*) FROM hits").fetchone()[0]
            yield conn
            sizes.append(before - conn.execute("SELECT COUNT(*) FROM hits").fetchone()[0])
    store.db.transaction = counting
    removed = purge(store.db, store.settings, NOW, batch=3)
    assert ids(store, "hits") == set(kept)
    assert removed["hits"] == 10 and removed["enrichment_retries"] == 1
    assert ids(store, "enrichment_retries", "hit_id") == {kept[0]}
    assert ids(store, "offense_groups") == {2}
    assert ids(store, "windows") >= {1, 4, 5} and 3 not in ids(store, "windows")   # window 1 still holds a kept hit
    assert len(ids(store, "runs")) == 1 and ids(store, "lookup_cache", "key") == {"b"}
    assert max(sizes) == 3 and len([n for n in sizes if n]) == 4   # 10 hits went 3, 3, 3, 1: one transaction each
    assert purge(store.db, store.settings, NOW)["hits"] == 0      # nothing left to do; the split parent goes now
    assert 2 not in ids(store, "windows")


def test_the_setting_decides_and_a_bad_value_falls_back_to_the_default(store, old_and_new):
    assert retention_days(store.settings) == DEFAULT_DAYS == 90
    store.settings.set(RETENTION_KEY, 365, actor="admin", now_ms=NOW)
    assert purge(store.db, store.settings, NOW)["hits"] == 0
    store.settings.set(RETENTION_KEY, "soon", actor="admin", now_ms=NOW)
    assert retention_days(store.settings) == 90
    store.settings.set(RETENTION_KEY, 7, actor="admin", now_ms=NOW)
    assert purge(store.db, store.settings, NOW)["hits"] == 11
    assert validate_days(0) and validate_days(True) and validate_days("9") and not validate_days(30)


def test_retention_is_one_scheduled_job():
    runtime = SimpleNamespace(enabled_rules=lambda: [], enricher=SimpleNamespace(retry_partial=lambda **_: 0),
                              offenses=SimpleNamespace(dispatch=lambda: None), purge_expired=lambda: {},
                              apply_settings=lambda: None, config=SimpleNamespace(offense_interval_s=60))
    jobs = {job.id: job for job in build_scheduler(runtime).get_jobs()}
    assert jobs["retention"].func is runtime.purge_expired
    assert jobs["retention"].trigger.interval.total_seconds() == 3600
    assert json.dumps(sorted(j for j in jobs if j == "retention")) == json.dumps(["retention"])   # one job


def test_contact_history_and_push_down_counts_are_kept_for_the_retention_period_only(store):
    """Neither grows with time: a destination not seen within the retention is "first seen" again, and the admin
    page's push-down counts cover the same period as the suppressed hits beside them."""
    contacts = EnrichmentRepository(store.db)
    day = lambda age: NOW - age * DAY_MS   # noqa: E731
    contacts.record_contacts([("10.0.0.5", ["old.example.net"], day(120)), ("10.0.0.5", ["kept.example.net"], day(120)),
                              ("10.0.0.5", ["kept.example.net"], day(30))])
    exceptions = ExceptionRepository(store.db, rule_ids=["r"])
    allowed = exceptions.create({"name": "backup host", "reason": "nightly backup", "author": "admin", "push_down": True,
                                 "conditions": [{"field": "source_ip", "value": "10.0.0.9"}]},
                                actor="admin", now_ms=day(200))
    exceptions.record_pushed_down("r", [(allowed.id, day(200), day(199), 7)], day(199))
    exceptions.record_pushed_down("r", [(allowed.id, day(10), day(9), 2)], day(9))
    exceptions.record_pushed_down("r", [(allowed.id, day(300), day(299), 5)], day(2))   # a retro-hunt, counted lately

    removed = purge(store.db, store.settings, NOW)

    assert removed["destination_history"] == 1 and removed["exception_suppressed_counts"] == 1
    assert [h["destination"] for h in contacts.history("10.0.0.5")] == ["kept.example.net"]
    assert contacts.history("10.0.0.5")[0]["first_seen_ms"] == day(120)   # seen within retention: its first contact stays
    assert exceptions.suppression_counts()[allowed.id]["pushed_down"] == 2 + 5
    assert contacts.record_contacts([("10.0.0.5", ["old.example.net"], day(1))]) == [day(1)]   # new again
