"""Offense groups: which hits go to QRadar together, and how far each group has got (sent, noted).

The row of a group is the memory that keeps the dispatcher from sending a group twice, across restarts:
a group leaves `pending`/`failed` only by being sent, and nothing ever puts it back.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from .db import Database

SENDABLE = ("pending", "failed")
STATUSES = ("pending", "failed", "sent", "noted", "no_offense", "suppressed")


@dataclass(frozen=True)
class Partition:
    """What a hit is grouped by: `key` (normalised values, compared) and the values to show."""
    key: tuple[str, ...]
    source_ip: str | None
    username: str | None
    tool: str | None
    destination: str | None


def group_key(grouping: str, partition_key: str, window_start_ms: int) -> str:
    return hashlib.sha256(f"{grouping}\0{partition_key}\0{window_start_ms}".encode()).hexdigest()[:20]


class OffenseGroups:
    def __init__(self, db: Database):
        self.db = db

    # -- grouping -------------------------------------------------------------------------------------
    def group_new_hits(self, partition_of: Callable[[Mapping], Partition], *, grouping: str, window_ms: int,
                       now_ms: int, exclude_rules: Iterable[str] = (), limit: int = 5000) -> tuple[int, int]:
        """Attaches un-suppressed hits that belong to no group yet, oldest first, in one transaction.

        A hit joins the group of its partition whose window [start, start + window) holds its event time,
        else one that starts less than a window after it (a hit found late, by a retro-hunt, joins the
        activity it belongs to); otherwise it opens a group whose window starts at it. A group that was already sent still takes the
        hit (counts, last event) but is not sent again. Hits of `exclude_rules` are left ungrouped.
        Returns (hits attached, groups created)."""
        attached = created = 0
        excluded = list(exclude_rules)
        marks = ", ".join("?" for _ in excluded)
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT id, rule_id, event_time_ms, source_ip, username, destination_ip, destination_port, "
                "process_image, risk_score, enrichment_json FROM hits "
                "WHERE offense_group_id IS NULL AND suppressed = 0 "
                + (f"AND rule_id NOT IN ({marks}) " if excluded else "")
                + "ORDER BY event_time_ms, id LIMIT ?", (*excluded, limit)).fetchall()
            for row in rows:
                part = partition_of(row)
                part_json = json.dumps(list(part.key), ensure_ascii=False)
                t = row["event_time_ms"]
                found = conn.execute(
                    "SELECT id, rule_ids_json FROM offense_groups WHERE grouping = :g AND partition_key = :p "
                    "AND 2 * window_start_ms - window_end_ms < :t AND :t < window_end_ms "
                    "ORDER BY window_start_ms > :t, window_start_ms LIMIT 1",
                    {"g": grouping, "p": part_json, "t": t}).fetchone()
                if found is None:
                    cursor = conn.execute(
                        "INSERT INTO offense_groups (group_key, grouping, partition_key, source_ip, username, tool, "
                        "destination, window_start_ms, window_end_ms, first_event_ms, last_event_ms, created_ms, "
                        "updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (group_key(grouping, part_json, t), grouping, part_json, part.source_ip, part.username,
                         part.tool, part.destination, t, t + window_ms, t, t, now_ms, now_ms))
                    group_id, rule_ids = cursor.lastrowid, []
                    created += 1
                else:
                    group_id, rule_ids = found["id"], json.loads(found["rule_ids_json"])
                if row["rule_id"] not in rule_ids:
                    rule_ids.append(row["rule_id"])
                conn.execute(
                    "UPDATE offense_groups SET hit_count = hit_count + 1, first_event_ms = MIN(first_event_ms, :t), "
                    "last_event_ms = MAX(last_event_ms, :t), max_risk = CASE WHEN :risk IS NULL THEN max_risk "
                    "WHEN max_risk IS NULL OR :risk > max_risk THEN :risk ELSE max_risk END, "
                    "rule_ids_json = :rules, updated_ms = :now WHERE id = :id",
                    {"t": t, "risk": row["risk_score"], "rules": json.dumps(rule_ids), "now": now_ms, "id": group_id})
                conn.execute("UPDATE hits SET offense_group_id = ? WHERE id = ?", (group_id, row["id"]))
                attached += 1
        return attached, created

    # -- sending --------------------------------------------------------------------------------------
    def due_for_send(self, now_ms: int, limit: int) -> list[dict]:
        """Groups never sent whose next attempt is due, oldest activity first."""
        return self._rows("SELECT * FROM offense_groups WHERE status IN ('pending', 'failed') "
                          "AND COALESCE(next_attempt_ms, 0) <= ? ORDER BY first_event_ms, id LIMIT ?",
                          (now_ms, limit))

    def sent_since(self, since_ms: int) -> int:
        """Events sent at or after since_ms: what the global rate cap counts, across restarts."""
        return self.db.query("SELECT COUNT(*) AS n FROM offense_groups WHERE sent_ms >= ?", (since_ms,))[0]["n"]

    def live_hits(self, group_id: int, limit: int = 200) -> list[dict]:
        """The group's hits that are not suppressed (now), highest risk first, then oldest."""
        rows = self.db.query(
            "SELECT id, rule_id, event_time_ms, source_ip, destination_ip, destination_port, username, "
            "process_image, risk_score, enrichment_json FROM hits WHERE offense_group_id = ? AND suppressed = 0 "
            "ORDER BY COALESCE(risk_score, -1) DESC, event_time_ms, id LIMIT ?", (group_id, limit))
        hits = []
        for row in rows:
            hit = dict(row)
            hit["enrichment"] = json.loads(hit.pop("enrichment_json") or "{}")
            hits.append(hit)
        return hits

    def live_count(self, group_id: int) -> int:
        return self.db.query("SELECT COUNT(*) AS n FROM hits WHERE offense_group_id = ? AND suppressed = 0",
                             (group_id,))[0]["n"]

    def mark_sent(self, group_id: int, now_ms: int, hits_at_send: int) -> None:
        self._update(group_id, now_ms, status="sent", sent_ms=now_ms, hits_at_send=hits_at_send,
                     last_error=None, next_attempt_ms=None, attempts_inc=True, only_from=SENDABLE)

    def mark_failed(self, group_id: int, now_ms: int, error: str, next_attempt_ms: int) -> None:
        self._update(group_id, now_ms, status="failed", last_error=error[:500], next_attempt_ms=next_attempt_ms,
                     attempts_inc=True, only_from=SENDABLE)

    def mark_suppressed(self, group_id: int, now_ms: int) -> None:
        self._update(group_id, now_ms, status="suppressed", only_from=SENDABLE)

    # -- notes ----------------------------------------------------------------------------------------
    def awaiting_note(self, now_ms: int, limit: int = 500) -> list[dict]:
        return self._rows("SELECT * FROM offense_groups WHERE status = 'sent' AND COALESCE(next_note_ms, 0) <= ? "
                          "ORDER BY sent_ms, id LIMIT ?", (now_ms, limit))

    def mark_noted(self, group_ids: Iterable[int], offense_id: int, note_id: int | None, now_ms: int) -> None:
        for group_id in group_ids:
            self._update(group_id, now_ms, status="noted", offense_id=offense_id, note_id=note_id, noted_ms=now_ms,
                         last_error=None, next_note_ms=None, note_attempts_inc=True, only_from=("sent",))

    def note_later(self, group_id: int, now_ms: int, error: str, next_note_ms: int, *,
                   offense_id: int | None = None) -> None:
        self._update(group_id, now_ms, last_error=error[:500], next_note_ms=next_note_ms, offense_id=offense_id,
                     note_attempts_inc=True, only_from=("sent",))

    def mark_no_offense(self, group_id: int, now_ms: int, error: str) -> None:
        self._update(group_id, now_ms, status="no_offense", last_error=error[:500], next_note_ms=None,
                     only_from=("sent",))

    # -- reading ---------------------------------------------------------------------------------------
    def counts(self) -> dict:
        """{"groups": {status: n}, "offenses": distinct offenses noted, "sent": groups sent}."""
        by_status = {r["status"]: r["n"] for r in
                     self.db.query("SELECT status, COUNT(*) AS n FROM offense_groups GROUP BY status")}
        offenses = self.db.query("SELECT COUNT(DISTINCT offense_id) AS n FROM offense_groups "
                                 "WHERE offense_id IS NOT NULL AND status = 'noted'")[0]["n"]
        sent = self.db.query("SELECT COUNT(*) AS n FROM offense_groups WHERE sent_ms IS NOT NULL")[0]["n"]
        return {"groups": by_status, "offenses": offenses, "sent": sent}

    def list(self, *, status: str | None = None, source_ip: str | None = None, limit: int = 200,
             offset: int = 0) -> list[dict]:
        sql, params = "SELECT * FROM offense_groups WHERE 1=1", []
        for column, value in (("status", status), ("source_ip", source_ip)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return self._rows(sql + " ORDER BY first_event_ms DESC, id DESC LIMIT ? OFFSET ?", (*params, limit, offset))

    def get(self, group_id: int) -> dict | None:
        rows = self._rows("SELECT * FROM offense_groups WHERE id = ?", (group_id,))
        return rows[0] if rows else None

    def by_key(self, key: str) -> dict | None:
        rows = self._rows("SELECT * FROM offense_groups WHERE group_key = ?", (key,))
        return rows[0] if rows else None

    def hit_ids(self, group_id: int) -> list[int]:
        return [r["id"] for r in self.db.query("SELECT id FROM hits WHERE offense_group_id = ? ORDER BY "
                                               "event_time_ms, id", (group_id,))]

    # -- helpers ---------------------------------------------------------------------------------------
    def _rows(self, sql: str, params=()) -> list[dict]:
        out = []
        for row in self.db.query(sql, params):
            group = dict(row)
            group["rule_ids"] = json.loads(group.pop("rule_ids_json") or "[]")
            group["partition"] = json.loads(group.pop("partition_key"))
            out.append(group)
        return out

    def _update(self, group_id: int, now_ms: int, *, only_from: tuple[str, ...], attempts_inc: bool = False,
                note_attempts_inc: bool = False, **columns) -> None:
        """One guarded state change: a row not in `only_from` (changed by someone else) is left alone."""
        sets = [f"{name} = ?" for name in columns] + ["updated_ms = ?"]
        if attempts_inc:
            sets.append("attempts = attempts + 1")
        if note_attempts_inc:
            sets.append("note_attempts = note_attempts + 1")
        marks = ", ".join("?" for _ in only_from)
        with self.db.transaction() as conn:
            conn.execute(f"UPDATE offense_groups SET {', '.join(sets)} WHERE id = ? AND status IN ({marks})",
                         (*columns.values(), now_ms, group_id, *only_from))
