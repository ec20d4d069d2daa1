"""What enrichment keeps between runs: console lookups with a time limit, the history of who talked to
which destination (for "first time"), and the hits whose enrichment is still partial."""
from __future__ import annotations

import json
from typing import Iterable

from .db import Database
from .hits import FACET_COLUMNS, facet_values, facets


class EnrichmentRepository:
    def __init__(self, db: Database):
        self.db = db

    # -- lookup cache (asset by IP, reverse DNS) ---------------------------------------------------
    def cached(self, kind: str, key: str, *, now_ms: int, ttl_s: float) -> tuple[bool, object]:
        """(True, value) when a fresh answer is stored (value may be None: "nothing known"), else (False, None)."""
        rows = self.db.query("SELECT value_json, fetched_ms FROM lookup_cache WHERE kind = ? AND key = ?", (kind, key))
        if not rows or now_ms - rows[0]["fetched_ms"] > ttl_s * 1000:
            return False, None
        raw = rows[0]["value_json"]
        return True, (None if raw is None else json.loads(raw))

    def remember(self, kind: str, key: str, value, *, now_ms: int) -> None:
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO lookup_cache (kind, key, value_json, fetched_ms) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT(kind, key) DO UPDATE SET value_json = excluded.value_json, "
                         "fetched_ms = excluded.fetched_ms",
                         (kind, key, None if value is None else json.dumps(value, sort_keys=True), now_ms))

    def forget(self, kind: str | None = None) -> None:
        with self.db.transaction() as conn:
            if kind is None:
                conn.execute("DELETE FROM lookup_cache")
            else:
                conn.execute("DELETE FROM lookup_cache WHERE kind = ?", (kind,))

    # -- destination history -----------------------------------------------------------------------
    def record_contacts(self, contacts: Iterable[tuple[str, Iterable[str], int]]) -> list[int]:
        """Notes, for each (source_ip, destinations, event_time_ms), that the source talked to those
        destinations (its IP and/or host name) at that time; returns, for each, the earliest contact now
        known with any of them. One transaction for a whole window.

        Written at once, before the window's hits are committed: if that commit fails the window is
        searched again and the same hits come back with the same times, and because the history keeps
        the minimum time, the answer for them does not change (see docs/enrichment.md)."""
        contacts = [(source, tuple(sorted({d.lower() for d in destinations if d})), at)
                    for source, destinations, at in contacts]
        # A window repeats the same few (source, destination) pairs: each pair is written once with the
        # window's earliest and latest time, and each distinct set of keys is asked once (the same rows as
        # writing every contact: the history keeps the minimum and the maximum).
        spans: dict[tuple[str, str], list[int]] = {}
        for source, keys, at in contacts:
            for key in keys:
                span = spans.get((source, key))
                if span is None:
                    spans[(source, key)] = [at, at]
                elif at < span[0]:
                    span[0] = at
                elif at > span[1]:
                    span[1] = at
        firsts, known = [], {}
        with self.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO destination_history (source_ip, destination, first_seen_ms, last_seen_ms) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(source_ip, destination) DO UPDATE SET "
                "first_seen_ms = MIN(first_seen_ms, excluded.first_seen_ms), "
                "last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)",
                [(source, key, first, last) for (source, key), (first, last) in spans.items()])
            for source, keys, at in contacts:
                if not keys:
                    firsts.append(at)
                    continue
                if (source, keys) not in known:
                    row = conn.execute(f"SELECT MIN(first_seen_ms) AS first FROM destination_history WHERE "
                                       f"source_ip = ? AND destination IN ({','.join('?' * len(keys))})",
                                       (source, *keys)).fetchone()
                    known[(source, keys)] = row["first"]
                firsts.append(known[(source, keys)])
        return firsts

    def history(self, source_ip: str) -> list[dict]:
        return [dict(r) for r in self.db.query(
            "SELECT * FROM destination_history WHERE source_ip = ? ORDER BY first_seen_ms", (source_ip,))]

    # -- partial hits --------------------------------------------------------------------------------
    def partial_hits(self, limit: int = 100, *, max_attempts: int | None = None) -> list[dict]:
        """Stored hits whose enrichment is partial, the least retried (then the longest waiting) first."""
        sql = ("SELECT h.*, COALESCE(r.attempts, 0) AS retry_attempts FROM hits h "
               "LEFT JOIN enrichment_retries r ON r.hit_id = h.id WHERE h.enrichment_state = 'partial'")
        params: list = []
        if max_attempts is not None:
            sql += " AND COALESCE(r.attempts, 0) < ?"
            params.append(max_attempts)
        sql += " ORDER BY COALESCE(r.attempts, 0), COALESCE(r.last_ms, 0), h.id LIMIT ?"
        hits = []
        for row in self.db.query(sql, (*params, limit)):
            hit = dict(row)
            hit["fields"] = json.loads(hit.pop("fields_json") or "{}")
            hit["enrichment"] = json.loads(hit.pop("enrichment_json") or "{}")
            hits.append(hit)
        return hits

    def save_enrichment(self, hit_id: int, enrichment: dict, risk_score: int | None, *, now_ms: int,
                        suppressed: bool | None = None, exception_id: int | None = None) -> None:
        """Replaces a stored hit's enrichment and risk score (and, when given, its suppression by an
        exception) in one transaction, with the enrichment state copied out of it. A hit still partial has its
        attempt counted."""
        with self.db.transaction() as conn:
            destination_ip = conn.execute("SELECT destination_ip FROM hits WHERE id = ?", (hit_id,)).fetchone()
            browse = facets({"destination_ip": destination_ip[0] if destination_ip else None}, enrichment)
            conn.execute(f"UPDATE hits SET enrichment_json = ?, enrichment_state = ?, risk_score = ?, "
                         f"{', '.join(c + ' = ?' for c in FACET_COLUMNS)} WHERE id = ?",
                         (json.dumps(enrichment, sort_keys=True), enrichment.get("state"), risk_score,
                          *facet_values(browse), hit_id))
            if suppressed is not None:
                conn.execute("UPDATE hits SET suppressed = ?, exception_id = ? WHERE id = ?",
                             (int(suppressed), exception_id if suppressed else None, hit_id))
            if enrichment.get("state") == "partial":
                error = "; ".join(enrichment.get("errors") or [])[:1000] or None
                conn.execute("INSERT INTO enrichment_retries (hit_id, attempts, last_ms, last_error) "
                             "VALUES (?, 1, ?, ?) "
                             "ON CONFLICT(hit_id) DO UPDATE SET attempts = attempts + 1, last_ms = excluded.last_ms, "
                             "last_error = excluded.last_error", (hit_id, now_ms, error))
            else:
                conn.execute("DELETE FROM enrichment_retries WHERE hit_id = ?", (hit_id,))

    def partial_count(self) -> int:
        return self.db.query("SELECT COUNT(*) AS n FROM hits WHERE enrichment_state = 'partial'")[0]["n"]
