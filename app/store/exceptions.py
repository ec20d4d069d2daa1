"""Stored tuning exceptions: create, change, delete (never removed: hits keep pointing at the exception that
suppressed them), import/export, the audit row each change writes in the same transaction, and the counts of
what each exception kept out. What an exception is and how a definition is validated: exception_spec.py.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Iterable, Mapping

from .db import Database
from .exception_spec import Condition, ExceptionError, TuningException, validate_spec

log = logging.getLogger(__name__)


class ExceptionRepository:
    def __init__(self, db: Database, *, rule_ids: Iterable[str] | None = None):
        self.db = db
        self.rule_ids = None if rule_ids is None else tuple(rule_ids)

    def create(self, spec: Mapping, *, actor: str, now_ms: int) -> TuningException:
        values = validate_spec({"author": actor} | dict(spec), now_ms=now_ms, rule_ids=self.rule_ids)
        with self.db.transaction() as conn:
            self._check_name(conn, values["name"], None)
            new_id = conn.execute(
                "INSERT INTO exceptions (name, rule_id, conditions_json, reason, author, created_ms, updated_ms, "
                "updated_by, expires_ms, enabled, push_down) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (values["name"], values["rule_id"], _conditions_json(values["conditions"]), values["reason"],
                 values["author"], now_ms, now_ms, actor, values["expires_ms"], int(values["enabled"]),
                 int(values["push_down"]))).lastrowid
            after = self._get(conn, new_id)
            self._audit(conn, "exception.create", actor, now_ms, None, after)
        return after

    def update(self, exception_id: int, changes: Mapping, *, actor: str, now_ms: int) -> TuningException:
        """Changes some keys of a live exception; the result is validated as a whole."""
        with self.db.transaction() as conn:
            before = self._live(conn, exception_id)
            spec = before.spec() | dict(changes)
            if "expires" in changes:
                spec.pop("expires_ms", None)
            expiry_changed = "expires" in changes or "expires_ms" in changes
            values = validate_spec(spec, now_ms=now_ms, rule_ids=self.rule_ids, check_expiry=expiry_changed)
            self._check_name(conn, values["name"], exception_id)
            conn.execute(
                "UPDATE exceptions SET name = ?, rule_id = ?, conditions_json = ?, reason = ?, author = ?, "
                "expires_ms = ?, enabled = ?, push_down = ?, updated_ms = ?, updated_by = ? WHERE id = ?",
                (values["name"], values["rule_id"], _conditions_json(values["conditions"]), values["reason"],
                 values["author"], values["expires_ms"], int(values["enabled"]), int(values["push_down"]),
                 now_ms, actor, exception_id))
            after = self._get(conn, exception_id)
            self._audit(conn, "exception.update", actor, now_ms, before, after)
        return after

    def delete(self, exception_id: int, *, actor: str, now_ms: int) -> TuningException:
        """Soft delete: the exception stops applying; its row, its hits and its history stay."""
        with self.db.transaction() as conn:
            before = self._live(conn, exception_id)
            conn.execute("UPDATE exceptions SET deleted_ms = ?, updated_ms = ?, updated_by = ? WHERE id = ?",
                         (now_ms, now_ms, actor, exception_id))
            after = self._get(conn, exception_id)
            self._audit(conn, "exception.delete", actor, now_ms, before, after)
        return after

    def get(self, exception_id: int) -> TuningException | None:
        return self._get(self.db.connection(), exception_id)

    def list(self, *, include_deleted: bool = False) -> list[TuningException]:
        sql = "SELECT * FROM exceptions" + ("" if include_deleted else " WHERE deleted_ms IS NULL")
        return [_from_row(r) for r in self.db.query(sql + " ORDER BY id")]

    def active(self, now_ms: int, rule_id: str | None = None) -> list[TuningException]:
        """The exceptions in force at now_ms (for one rule when given), lowest id first: the order in which
        they are tried, so the first match is always the same one. One with problems() is left out (logged)."""
        found = []
        for e in self.list():
            if e.is_active(now_ms) and (rule_id is None or e.applies_to(rule_id)):
                if e.problems():
                    log.warning("exception %s (%s) not applied: %s", e.id, e.name, "; ".join(e.problems()))
                else:
                    found.append(e)
        return found

    def history(self, exception_id: int) -> list[dict]:
        rows = self.db.query("SELECT * FROM audit WHERE target = ? ORDER BY id", (f"exception:{exception_id}",))
        return [dict(r) | {"detail": json.loads(r["detail_json"] or "null")} for r in rows]

    # -- files ----------------------------------------------------------------------------------------------
    def import_file(self, path: str | Path, *, actor: str, now_ms: int) -> dict:
        """Loads `{"exceptions": [spec, ...]}` (or a bare list). A live exception with the same name is
        updated when it differs; all specs are validated before any is written, and a bad one names its
        position. Returns {"created": [ids], "updated": [ids], "unchanged": [ids]}."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ExceptionError(f"{path}: cannot read an exceptions file ({exc})") from None
        specs = data.get("exceptions") if isinstance(data, dict) else data
        if not isinstance(specs, list):
            raise ExceptionError(f"{path}: expected {{\"exceptions\": [...]}}")
        for number, spec in enumerate(specs, 1):
            try:
                validate_spec({"author": actor} | dict(spec) if isinstance(spec, Mapping) else spec,
                              now_ms=now_ms, rule_ids=self.rule_ids)
            except ExceptionError as exc:
                raise ExceptionError(f"{path}: exception {number}: {exc}") from None
        live = {e.name: e for e in self.list()}
        result = {"created": [], "updated": [], "unchanged": []}
        for spec in specs:   # each change is its own audited transaction, as if entered on the admin page
            spec = {"author": actor} | dict(spec)
            existing = live.get(spec["name"].strip())
            if existing is None:
                result["created"].append(self.create(spec, actor=actor, now_ms=now_ms).id)
            elif validate_spec(spec, now_ms=now_ms) == _values(existing):
                result["unchanged"].append(existing.id)
            else:
                result["updated"].append(self.update(existing.id, spec, actor=actor, now_ms=now_ms).id)
        return result

    def export(self, *, include_deleted: bool = False) -> dict:
        return {"exceptions": [e.spec() for e in self.list(include_deleted=include_deleted)]}

    # -- counters -------------------------------------------------------------------------------------------
    def suppression_counts(self) -> dict[int, dict]:
        """Per exception: hits stored as suppressed by it, and events it kept out of searches (push-down)."""
        counts = {e.id: {"hits": 0, "pushed_down": 0} for e in self.list(include_deleted=True)}
        for row in self.db.query("SELECT exception_id, COUNT(*) AS n FROM hits WHERE suppressed = 1 "
                                 "AND exception_id IS NOT NULL GROUP BY exception_id"):
            counts.setdefault(row["exception_id"], {"hits": 0, "pushed_down": 0})["hits"] = row["n"]
        for row in self.db.query("SELECT exception_id, SUM(events) AS n FROM exception_suppressed_counts "
                                 "GROUP BY exception_id"):
            counts.setdefault(row["exception_id"], {"hits": 0, "pushed_down": 0})["pushed_down"] = row["n"]
        return {k: v | {"total": v["hits"] + v["pushed_down"]} for k, v in counts.items()}

    def counted_spans(self, exception_id: int, rule_id: str, start_ms: int, end_ms: int) -> list[tuple[int, int]]:
        rows = self.db.query("SELECT start_ms, end_ms FROM exception_suppressed_counts WHERE exception_id = ? "
                             "AND rule_id = ? AND start_ms < ? AND end_ms > ? ORDER BY start_ms",
                             (exception_id, rule_id, end_ms, start_ms))
        return [(r["start_ms"], r["end_ms"]) for r in rows]

    def record_pushed_down(self, rule_id: str, counts: Iterable[tuple[int, int, int, int]], now_ms: int) -> None:
        """Stores (exception_id, start_ms, end_ms, events) rows; a span already counted is kept as it was."""
        with self.db.transaction() as conn:
            conn.executemany("INSERT INTO exception_suppressed_counts (exception_id, rule_id, start_ms, end_ms, "
                             "events, counted_ms) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                             [(e, rule_id, s, t, n, now_ms) for e, s, t, n in counts])

    # -- internals ------------------------------------------------------------------------------------------
    @staticmethod
    def _get(conn, exception_id: int) -> TuningException | None:
        row = conn.execute("SELECT * FROM exceptions WHERE id = ?", (exception_id,)).fetchone()
        return _from_row(row) if row else None

    def _live(self, conn, exception_id: int) -> TuningException:
        found = self._get(conn, exception_id)
        if found is None or found.deleted_ms is not None:
            raise KeyError(f"no exception {exception_id}" + (" (deleted)" if found else ""))
        return found

    @staticmethod
    def _check_name(conn, name: str, own_id: int | None) -> None:
        row = conn.execute("SELECT id FROM exceptions WHERE name = ? AND deleted_ms IS NULL", (name,)).fetchone()
        if row and row["id"] != own_id:
            raise ExceptionError(f"an exception named {name!r} already exists (id {row['id']})")

    @staticmethod
    def _audit(conn, action: str, actor: str, now_ms: int, before, after) -> None:
        detail = {"before": before.as_dict() if before else None, "after": after.as_dict() if after else None}
        conn.execute("INSERT INTO audit (at_ms, actor, action, target, detail_json) VALUES (?, ?, ?, ?, ?)",
                     (now_ms, actor, action, f"exception:{(after or before).id}", json.dumps(detail, sort_keys=True)))


def _conditions_json(conditions: Iterable[Condition]) -> str:
    return json.dumps([c.as_dict() for c in conditions], sort_keys=True)


def _values(exception: TuningException) -> dict:
    """A stored exception in the shape validate_spec returns, to tell whether an import changes it."""
    spec = exception.spec()
    return {k: spec[k] for k in ("name", "rule_id", "reason", "author", "expires_ms", "enabled", "push_down")} | {
        "conditions": exception.conditions}


def _from_row(row) -> TuningException:
    conditions = tuple(Condition(c["field"], c["op"], c["value"]) for c in json.loads(row["conditions_json"]))
    return TuningException(
        id=row["id"], name=row["name"], rule_id=row["rule_id"], conditions=conditions, reason=row["reason"],
        author=row["author"], created_ms=row["created_ms"], updated_ms=row["updated_ms"],
        updated_by=row["updated_by"], expires_ms=row["expires_ms"], enabled=bool(row["enabled"]),
        push_down=bool(row["push_down"]), deleted_ms=row["deleted_ms"])
