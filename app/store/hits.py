"""Stored hits: reading them for the tab, the API and the summaries; their browse columns; triage.

Filtering and keyset paging are in hit_query.py. The browse columns (migration 0005) repeat a few values of the
enrichment JSON as plain columns so that indexes can serve filters on them; facets() is the one place that
derives them, and every writer of hits or of their enrichment stores its result next to the JSON.
"""
from __future__ import annotations

import json
from collections.abc import Mapping   # typing's alias makes isinstance() per hit slow

from .db import Database
from .hit_query import HitFilter, count_capped, iter_rows, page_rows
from .rollup import DAY_MS, HOUR_MS

FACETS_VERSION = 1
FACET_COLUMNS = ("tool", "destination", "host_name", "search_text", "facets_version")
TRIAGE_ACTIONS = {"acknowledge": "acknowledged", "false_positive": "false_positive", "escalate": "escalated",
                  "reopen": "new"}
TOP_DIMENSIONS = {"hosts": "host", "users": "user", "tools": "tool", "destinations": "destination"}  # -> hit_top.dim


def facets(hit: Mapping, enrichment: Mapping | None) -> dict:
    """The browse columns of one hit from its stored fields and its enrichment (either may lack any key).

    search_text is the command line as the tab shows it (credentials masked by the enricher); a hit without
    enrichment has nothing masked to search, so its text search finds nothing rather than a password."""
    enrichment = enrichment or {}
    tool = (enrichment.get("tool") or {}).get("name") if isinstance(enrichment.get("tool"), Mapping) else None
    destination = enrichment.get("destination") if isinstance(enrichment.get("destination"), Mapping) else {}
    asset = enrichment.get("asset") if isinstance(enrichment.get("asset"), Mapping) else {}
    masked = enrichment.get("command_line_masked")
    return {"tool": _text(tool), "destination": _text(destination.get("hostname") or destination.get("ip")
                                                      or hit.get("destination_ip")),
            "host_name": _text(asset.get("hostname")), "search_text": _text(masked),
            "facets_version": FACETS_VERSION}


def facets_of_row(row: Mapping) -> dict:
    """facets() of a hit row as the ledger writes it (enrichment as JSON text, or also as the dict it came from:
    the facets read only strings and mappings, which the JSON text holds unchanged)."""
    if "enrichment" in row:
        return facets(row, row["enrichment"])
    raw = row.get("enrichment_json")
    return facets(row, json.loads(raw) if raw else None)


def facet_values(facet: Mapping) -> tuple:
    return tuple(facet[c] for c in FACET_COLUMNS)


def _text(value):
    return None if value is None or value == "" else str(value)


class Hits:
    def __init__(self, db: Database):
        self.db = db

    def counts(self) -> dict:
        """Totals per rule: {"rules": {rule_id: {"hits", "suppressed"}}, "hits", "suppressed"} (from the roll-up)."""
        rules = {}
        for row in self.db.query("SELECT rule_id, SUM(CASE WHEN suppressed = 0 THEN n ELSE 0 END) AS hits, "
                                 "SUM(CASE WHEN suppressed = 1 THEN n ELSE 0 END) AS suppressed "
                                 "FROM hit_totals GROUP BY rule_id HAVING SUM(n) > 0 ORDER BY rule_id"):
            rules[row["rule_id"]] = {"hits": row["hits"], "suppressed": row["suppressed"]}
        return {"hits": sum(r["hits"] for r in rules.values()),
                "suppressed": sum(r["suppressed"] for r in rules.values()),
                "rules": rules}

    def list(self, *, rule_id: str | None = None, source_ip: str | None = None, suppressed: bool | None = False,
             since_ms: int | None = None, until_ms: int | None = None, limit: int = 200, offset: int = 0) -> list[dict]:
        """Newest first; for tools and tests that read a bounded set (the tab pages with page())."""
        sql, params = "SELECT * FROM hits WHERE 1=1", []
        for column, op, value in (("rule_id", "=", rule_id), ("source_ip", "=", source_ip),
                                  ("event_time_ms", ">=", since_ms), ("event_time_ms", "<", until_ms)):
            if value is not None:
                sql += f" AND {column} {op} ?"
                params.append(value)
        if suppressed is not None:
            sql += " AND suppressed = ?"
            params.append(int(suppressed))
        sql += " ORDER BY event_time_ms DESC, id DESC LIMIT ? OFFSET ?"
        return [self._decode(r) for r in self.db.query(sql, (*params, limit, offset))]

    def page(self, flt: HitFilter, *, sort: str = "time", descending: bool = True, cursor: str | None = None,
             limit: int = 50) -> tuple[list[dict], str | None]:
        rows, next_cursor = page_rows(self.db, flt, sort=sort, descending=descending, cursor=cursor, limit=limit)
        return [self._decode(r) for r in rows], next_cursor

    def count(self, flt: HitFilter, cap: int = 1000) -> tuple[int, bool]:
        return count_capped(self.db, flt, cap)

    def iterate(self, flt: HitFilter, *, sort: str = "time", descending: bool = True):
        for row in iter_rows(self.db, flt, sort=sort, descending=descending):
            yield self._decode(row)

    def get(self, hit_id: int) -> dict | None:
        rows = self.db.query("SELECT * FROM hits WHERE id = ?", (hit_id,))
        return self._decode(rows[0]) if rows else None

    def identities(self, rule_id: str | None = None) -> set[str]:
        sql, params = "SELECT identity FROM hits", ()
        if rule_id:
            sql, params = sql + " WHERE rule_id = ?", (rule_id,)
        return {r["identity"] for r in self.db.query(sql, params)}

    def same_process(self, hit: Mapping, limit: int = 50) -> list[dict]:
        """Other hits of the same process GUID (any rule), oldest first."""
        if not hit.get("process_guid"):
            return []
        rows = self.db.query("SELECT * FROM hits WHERE process_guid = ? AND id != ? ORDER BY event_time_ms, id "
                             "LIMIT ?", (hit["process_guid"], hit["id"], limit))
        return [self._decode(r) for r in rows]

    # -- the overview (roll-ups: app/store/rollup.py) ------------------------------------------------
    def span(self) -> tuple[int, int] | None:
        # Two queries: MIN and MAX together would scan; each alone is one index lookup.
        lo = self.db.query("SELECT MIN(event_time_ms) AS t FROM hits")[0]["t"]
        hi = self.db.query("SELECT MAX(event_time_ms) AS t FROM hits")[0]["t"]
        return None if lo is None else (lo, hi)

    def series(self, since_ms: int, until_ms: int, bucket_ms: int) -> list[dict]:
        """Hits and suppressed hits per time bucket (bucket start ms; since_ms and bucket_ms whole hours),
        buckets without hits left out. Whole-day buckets read the daily roll-up."""
        table, key = ("hit_daily", "day_ms") if bucket_ms % DAY_MS == 0 and since_ms % DAY_MS == 0 \
            else ("hit_hourly", "hour_ms")
        rows = self.db.query(
            f"SELECT ({key} - ?) / ? AS b, SUM(CASE WHEN suppressed = 0 THEN n ELSE 0 END) AS hits, "
            f"SUM(CASE WHEN suppressed = 1 THEN n ELSE 0 END) AS suppressed FROM {table} "
            f"WHERE {key} >= ? AND {key} < ? GROUP BY b HAVING SUM(n) > 0 ORDER BY b",
            (since_ms, bucket_ms, since_ms, until_ms))
        return [{"t": since_ms + r["b"] * bucket_ms, "hits": r["hits"], "suppressed": r["suppressed"]} for r in rows]

    def counts_since(self, since_ms: int) -> dict:
        """Exact: whole days from the daily roll-up, whole hours before them from the hourly one, and the
        partial first hour from the hits themselves."""
        first_hour = since_ms + (-since_ms) % HOUR_MS
        first_day = max(first_hour, since_ms + (-since_ms) % DAY_MS)
        total = {"hits": 0, "suppressed": 0}
        for sql, params in (
                ("SELECT COUNT(*) - COALESCE(SUM(suppressed), 0) AS h, COALESCE(SUM(suppressed), 0) AS s FROM hits "
                 "WHERE event_time_ms >= ? AND event_time_ms < ?", (since_ms, first_hour)),
                ("SELECT COALESCE(SUM(CASE WHEN suppressed = 0 THEN n ELSE 0 END), 0) AS h, "
                 "COALESCE(SUM(CASE WHEN suppressed = 1 THEN n ELSE 0 END), 0) AS s FROM hit_hourly "
                 "WHERE hour_ms >= ? AND hour_ms < ?", (first_hour, first_day)),
                ("SELECT COALESCE(SUM(CASE WHEN suppressed = 0 THEN n ELSE 0 END), 0) AS h, "
                 "COALESCE(SUM(CASE WHEN suppressed = 1 THEN n ELSE 0 END), 0) AS s FROM hit_daily "
                 "WHERE day_ms >= ?", (first_day,))):
            (row,) = self.db.query(sql, params)
            total["hits"] += row["h"]
            total["suppressed"] += row["s"]
        return total

    def top(self, limit: int = 5) -> dict:
        """The most frequent hosts, users, tools and destinations of un-suppressed hits."""
        return {name: [{"value": r["value"], "count": r["n"]} for r in self.db.query(
                    "SELECT value, n FROM hit_top WHERE dim = ? AND n > 0 ORDER BY n DESC, value LIMIT ?",
                    (dim, limit))]
                for name, dim in TOP_DIMENSIONS.items()}

    # -- triage --------------------------------------------------------------------------------------
    def triage(self, hit_id: int, action: str, *, actor: str, now_ms: int, reason: str | None = None) -> dict:
        """Records one triage action (who, when, why) and makes it the hit's state; returns the hit."""
        if action not in TRIAGE_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(TRIAGE_ACTIONS)}, not {action!r}")
        state = TRIAGE_ACTIONS[action]
        with self.db.transaction() as conn:
            if conn.execute("SELECT 1 FROM hits WHERE id = ?", (hit_id,)).fetchone() is None:
                raise KeyError(hit_id)
            conn.execute("UPDATE hits SET status = ?, triage_by = ?, triage_ms = ?, triage_reason = ? WHERE id = ?",
                         (state, actor, now_ms, reason, hit_id))
            conn.execute("INSERT INTO hit_triage (hit_id, action, reason, actor, at_ms) VALUES (?, ?, ?, ?, ?)",
                         (hit_id, state, reason, actor, now_ms))
        return self.get(hit_id)

    def triage_history(self, hit_id: int) -> list[dict]:
        return [dict(r) for r in self.db.query(
            "SELECT action, reason, actor, at_ms FROM hit_triage WHERE hit_id = ? ORDER BY at_ms, id", (hit_id,))]

    # -- browse columns of hits stored before migration 0005 -----------------------------------------
    def backfill_facets(self, batch: int = 2000) -> int:
        """Fills the browse columns of rows that predate them, a batch per transaction; returns how many."""
        done = 0
        while True:
            rows = self.db.query("SELECT id, destination_ip, enrichment_json FROM hits WHERE facets_version = 0 "
                                 "ORDER BY id LIMIT ?", (batch,))
            if not rows:
                return done
            with self.db.transaction() as conn:
                conn.executemany(
                    f"UPDATE hits SET {', '.join(c + ' = ?' for c in FACET_COLUMNS)} WHERE id = ?",
                    [facet_values(facets_of_row(dict(r))) + (r["id"],) for r in rows])
            done += len(rows)

    @staticmethod
    def _decode(row) -> dict:
        hit = dict(row)
        hit["fields"] = json.loads(hit.pop("fields_json") or "{}")
        hit["enrichment"] = json.loads(hit.pop("enrichment_json") or "{}")
        hit.pop("search_text", None)
        hit.pop("facets_version", None)
        return hit
