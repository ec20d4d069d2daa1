"""Offense syslog now defaults to TLS (port 6514). A store that has already run kept its events going to plain
TCP 514 by default: pin that explicitly, so an upgrade does not silently stop delivery (the dispatch summary
then warns that the transport is plain, and the admin switches to TLS when the collector offers it).
A new store (nothing run yet) gets the TLS default.

Python, not SQL: the settings are JSON, and the base image's SQLite may be built without JSON1.
"""
import json
import time

NOTE = "the default became tls, this store kept the plain tcp it used"


def migrate(conn) -> None:
    if conn.execute("SELECT 1 FROM windows LIMIT 1").fetchone() is None:
        return
    now_ms = int(time.time()) * 1000
    row = conn.execute("SELECT value_json FROM config WHERE key = 'offenses'").fetchone()
    settings = json.loads(row[0]) if row is not None else {}
    if not isinstance(settings, dict) or settings.get("protocol") is not None:
        return
    conn.execute("INSERT INTO audit (at_ms, actor, action, target, detail_json) VALUES (?, ?, ?, ?, ?)",
                 (now_ms, "migration 0007", "config.set", "offenses",
                  json.dumps({"note": NOTE, "protocol": "tcp"}, separators=(",", ":"))))
    value = json.dumps(dict(settings, protocol="tcp"), separators=(",", ":"))
    if row is None:
        conn.execute("INSERT INTO config (key, value_json, updated_ms, updated_by) VALUES ('offenses', ?, ?, ?)",
                     (value, now_ms, "migration 0007"))
    else:
        conn.execute("UPDATE config SET value_json = ?, updated_by = 'migration 0007' WHERE key = 'offenses'",
                     (value,))
