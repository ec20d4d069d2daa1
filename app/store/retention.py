"""Hit retention: hits (and what only they needed) older than `retention.days` are purged, in small batches.

Hits are never purged one minute after they were found: a hit goes when both its event time and the time it
was stored are older than the retention, so a retro-hunt over old data keeps its hits for the full period.
Each batch is its own short transaction, so the scheduler's windows and the web's reads are never held up
behind one huge delete, and a crash mid-purge loses nothing that should stay (the next purge continues).

What goes with the hits: rows of any table whose foreign key points at a purged hit (found through SQLite's
foreign-key list, so tables added later are covered), offense groups that are finished and hold no hit any
more, ledger windows and run records older than the retention that no remaining hit needs, and lookup-cache
answers long past any time limit.

Two records of the past are kept for the retention period too, so that nothing grows with time: a source's
contact with a destination not seen again within the retention (so "first seen" means first seen within it,
docs/enrichment.md) and the push-down counts of spans that ended before it (the admin page's counts then cover
the same period as the suppressed hits they sit beside). The audit trail and the exceptions stay: they change
only when an administrator acts.
"""
from __future__ import annotations

import logging
import sqlite3

from .db import Database
from .settings import Settings

log = logging.getLogger(__name__)

RETENTION_KEY = "retention.days"
DEFAULT_DAYS = 90
MIN_DAYS, MAX_DAYS = 1, 3650
BATCH = 500
DAY_MS = 86_400_000
LOOKUP_CACHE_DAYS = 30          # asset answers live an hour and DNS a day: a month-old answer is never used
FINISHED_GROUPS = ("noted", "no_offense", "suppressed")


def retention_days(settings: Settings) -> int:
    """The setting, or the default when it is missing or not a whole number of days in range."""
    value = settings.get(RETENTION_KEY, DEFAULT_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_DAYS <= value <= MAX_DAYS:
        log.warning("%s = %r is not %d-%d days; using %d", RETENTION_KEY, value, MIN_DAYS, MAX_DAYS, DEFAULT_DAYS)
        return DEFAULT_DAYS
    return value


def validate_days(value) -> list[str]:
    """Problems with a value for `retention.days` (empty: usable), for the admin page."""
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_DAYS <= value <= MAX_DAYS:
        return [f"{RETENTION_KEY} must be a whole number of days from {MIN_DAYS} to {MAX_DAYS}"]
    return []


def _children(db: Database, parent: str) -> list[tuple[str, str]]:
    """(table, column) of every foreign key that references `parent`."""
    found = []
    for (table,) in db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        for key in db.query(f'PRAGMA foreign_key_list("{table}")'):
            if key["table"] == parent and table != parent:
                found.append((table, key["from"]))
    return found


def purge(db: Database, settings: Settings, now_ms: int, *, batch: int = BATCH) -> dict:
    """Purges everything past retention; returns what it removed, by table."""
    cutoff = now_ms - retention_days(settings) * DAY_MS
    removed = {"hits": 0}
    children = _children(db, "hits")
    while True:
        with db.transaction() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM hits WHERE event_time_ms < ? AND created_ms < ? "
                                              "ORDER BY id LIMIT ?", (cutoff, cutoff, batch))]
            if not ids:
                break
            marks = ",".join("?" * len(ids))
            for table, column in children:
                count = conn.execute(f'DELETE FROM "{table}" WHERE "{column}" IN ({marks})', ids).rowcount
                removed[table] = removed.get(table, 0) + count
            removed["hits"] += conn.execute(f"DELETE FROM hits WHERE id IN ({marks})", ids).rowcount
    removed["offense_groups"] = _batched(db, (
        "DELETE FROM offense_groups WHERE id IN (SELECT g.id FROM offense_groups g WHERE g.last_event_ms < ? "
        f"AND g.updated_ms < ? AND g.status IN ({','.join('?' * len(FINISHED_GROUPS))}) "
        "AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.offense_group_id = g.id) LIMIT ?)"),
        (cutoff, cutoff, *FINISHED_GROUPS), batch)
    # Windows: finished ones no hit points at, children (split halves) before their parents. A table added
    # later that points at windows makes SQLite refuse; the rest of the purge goes on.
    removed["windows"] = _batched(db, (
        "DELETE FROM windows WHERE id IN (SELECT w.id FROM windows w WHERE w.end_ms < ? AND w.planned_ms < ? "
        "AND w.status IN ('done', 'split') AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.window_id = w.id) "
        "AND NOT EXISTS (SELECT 1 FROM windows c WHERE c.parent_id = w.id) LIMIT ?)"), (cutoff, cutoff), batch)
    removed["runs"] = _batched(db, "DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE finished_ms < ? "
                                   "LIMIT ?)", (cutoff,), batch)
    removed["lookup_cache"] = _batched(db, "DELETE FROM lookup_cache WHERE rowid IN (SELECT rowid FROM lookup_cache "
                                           "WHERE fetched_ms < ? LIMIT ?)", (now_ms - LOOKUP_CACHE_DAYS * DAY_MS,),
                                       batch)
    removed["destination_history"] = _batched(db, (
        "DELETE FROM destination_history WHERE rowid IN (SELECT rowid FROM destination_history "
        "WHERE last_seen_ms < ? LIMIT ?)"), (cutoff,), batch)
    removed["exception_suppressed_counts"] = _batched(db, (
        "DELETE FROM exception_suppressed_counts WHERE rowid IN (SELECT rowid FROM exception_suppressed_counts "
        "WHERE end_ms < ? AND counted_ms < ? LIMIT ?)"), (cutoff, cutoff), batch)
    if any(removed.values()):
        log.info("retention (%d days): purged %s", retention_days(settings), removed)
    return removed


def _batched(db: Database, sql: str, params: tuple, batch: int) -> int:
    total = 0
    while True:
        try:
            with db.transaction() as conn:
                count = conn.execute(sql, (*params, batch)).rowcount
        except sqlite3.IntegrityError as error:
            log.warning("retention: %s (%s)", error, sql.split(" WHERE")[0])
            return total
        total += count
        if count < batch:
            return total
