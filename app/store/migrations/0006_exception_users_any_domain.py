"""Tuning exceptions: a user name without a domain (`svc_backup`) used to match that user in every domain,
including local accounts of any computer (`WKS42\\svc_backup`). It now matches only a user without a domain,
and "any domain" is written `*\\svc_backup`. Stored exceptions keep their meaning: their bare user names are
rewritten to the explicit form, each change audited. (Reference-set conditions are not touched.)

Python, not SQL: the rewrite reads JSON, and the base image's SQLite may be built without JSON1.
"""
import json
import time

NOTE = "user names without a domain now say *\\user (any domain or none): same meaning, said explicitly"


def _bare_user(condition) -> bool:
    return (isinstance(condition, dict) and condition.get("field") == "username"
            and isinstance(condition.get("value"), str) and "\\" not in condition["value"])


def migrate(conn) -> None:
    now_ms = int(time.time()) * 1000
    for exception_id, conditions_json in conn.execute("SELECT id, conditions_json FROM exceptions").fetchall():
        conditions = json.loads(conditions_json)
        if not isinstance(conditions, list) or not any(_bare_user(c) for c in conditions):
            continue
        conn.execute("INSERT INTO audit (at_ms, actor, action, target, detail_json) VALUES (?, ?, ?, ?, ?)",
                     (now_ms, "migration 0006", "exception.migrate", f"exception:{exception_id}",
                      json.dumps({"note": NOTE, "before": conditions}, separators=(",", ":"))))
        rewritten = [dict(c, value="*\\" + c["value"]) if _bare_user(c) else c for c in conditions]
        conn.execute("UPDATE exceptions SET conditions_json = ? WHERE id = ?",
                     (json.dumps(rewritten, separators=(",", ":")), exception_id))
