"""Reading stored hits for the tab, the API and the summaries."""
from __future__ import annotations

import json

from .db import Database


class Hits:
    def __init__(self, db: Database):
        self.db = db

    def counts(self) -> dict:
        """Totals per rule: {"rules": {rule_id: {"hits", "suppressed"}}, "hits", "suppressed"}."""
        rules = {}
        for row in self.db.query("SELECT rule_id, SUM(suppressed = 0) AS hits, SUM(suppressed) AS suppressed "
                                 "FROM hits GROUP BY rule_id ORDER BY rule_id"):
            rules[row["rule_id"]] = {"hits": row["hits"], "suppressed": row["suppressed"]}
        return {"hits": sum(r["hits"] for r in rules.values()),
                "suppressed": sum(r["suppressed"] for r in rules.values()),
                "rules": rules}

    def list(self, *, rule_id: str | None = None, source_ip: str | None = None, suppressed: bool | None = False,
             since_ms: int | None = None, until_ms: int | None = None, limit: int = 200, offset: int = 0) -> list[dict]:
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

    def get(self, hit_id: int) -> dict | None:
        rows = self.db.query("SELECT * FROM hits WHERE id = ?", (hit_id,))
        return self._decode(rows[0]) if rows else None

    def identities(self, rule_id: str | None = None) -> set[str]:
        sql, params = "SELECT identity FROM hits", ()
        if rule_id:
            sql, params = sql + " WHERE rule_id = ?", (rule_id,)
        return {r["identity"] for r in self.db.query(sql, params)}

    @staticmethod
    def _decode(row) -> dict:
        hit = dict(row)
        hit["fields"] = json.loads(hit.pop("fields_json") or "{}")
        hit["enrichment"] = json.loads(hit.pop("enrichment_json") or "{}")
        return hit
