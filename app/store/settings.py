"""Administrator configuration (JSON values by key) and the audit trail of every change to it."""
from __future__ import annotations

import json

from .db import Database


class Settings:
    def __init__(self, db: Database):
        self.db = db

    def get(self, key: str, default=None):
        rows = self.db.query("SELECT value_json FROM config WHERE key = ?", (key,))
        return json.loads(rows[0]["value_json"]) if rows else default

    def updated(self, key: str) -> dict | None:
        """When and by whom a key was last set: {"updated_ms", "updated_by"}, or None when never set."""
        rows = self.db.query("SELECT updated_ms, updated_by FROM config WHERE key = ?", (key,))
        return dict(rows[0]) if rows else None

    def set(self, key: str, value, *, actor: str, now_ms: int, audit_detail=None) -> None:
        """Writes a value and its audit record ({"before", "after"}) in one transaction; `audit_detail`
        replaces both in the audit trail where the value is secret."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT value_json FROM config WHERE key = ?", (key,)).fetchone()
            before = json.loads(row["value_json"]) if row else None
            conn.execute(
                "INSERT INTO config (key, value_json, updated_ms, updated_by) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json, "
                "updated_ms = excluded.updated_ms, updated_by = excluded.updated_by",
                (key, json.dumps(value, sort_keys=True), now_ms, actor))
            detail = {"before": before, "after": value} if audit_detail is None else audit_detail
            conn.execute("INSERT INTO audit (at_ms, actor, action, target, detail_json) VALUES (?, ?, 'config.set', ?, ?)",
                         (now_ms, actor, key, json.dumps(detail, sort_keys=True)))

    def audit(self, limit: int = 100, *, target_prefix: str | None = None) -> list[dict]:
        if target_prefix:
            escaped = target_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            rows = self.db.query("SELECT * FROM audit WHERE target LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?",
                                 (escaped + "%", limit))
        else:
            rows = self.db.query("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))
        return [dict(r) for r in rows]
