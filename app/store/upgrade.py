"""Conversions of stores written by earlier releases that a SQL migration cannot express.

Release 00064f7 (migration 0003 as it was then) declared `hits.enrichment_state` as a VIRTUAL generated
column. SQLite before 3.31, the QRadar base image's 3.26.0 among them, cannot even parse that schema
("malformed database schema (hits)"), so no statement can reach the table to rebuild it. A virtual column
is not stored in the rows, though: rewriting the table's declaration so that the column becomes an ordinary
one after the last stored column leaves every row readable exactly as it was (the new column reads NULL
until filled). That rewrite is SQLite's documented `writable_schema` procedure for changes that keep the
file format (lang_altertable.html, "making other kinds of table schema changes").

Two transactions, because a connection does not reload a schema it failed to parse before the rewrite is
committed. The first rewrites the declaration and adds a marker view; the second fills the column from the
JSON, rebuilds the partial index and drops the marker. A crash between them leaves the marker, and the next
open runs the second step again (it is idempotent).
"""
from __future__ import annotations

import json
import sqlite3

GENERATED = (", enrichment_state TEXT GENERATED ALWAYS AS (json_extract(enrichment_json, '$.state')) VIRTUAL")
MARKER = "exfilwatch_enrichment_state_unfilled"
PARTIAL_INDEX = ("CREATE INDEX hits_enrichment_partial ON hits(enrichment_state, id) "
                 "WHERE enrichment_state = 'partial'")


class UpgradeError(RuntimeError):
    """A store this release cannot convert; nothing was changed."""


def convert_generated_column(path: str) -> bool:
    """Converts a store of release 00064f7 in place; True when something was done. Safe on any store."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        # Lets SQLite load a schema it cannot parse, so that sqlite_master can be read and repaired.
        conn.execute("PRAGMA writable_schema = ON")
        rows = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE name IN ('hits', ?)", (MARKER,)))
        if "hits" not in rows or (GENERATED not in rows["hits"] and MARKER not in rows):
            return False
        if GENERATED in rows["hits"]:
            _rewrite_declaration(conn, rows["hits"])
        conn.execute("PRAGMA writable_schema = OFF")
    finally:
        conn.close()
    _fill(path)
    return True


def _rewrite_declaration(conn: sqlite3.Connection, sql: str) -> None:
    body = sql.replace(GENERATED, "").rstrip()
    if not body.endswith(")"):
        raise UpgradeError(f"the hits table's declaration is not one this release knows: {sql[-200:]!r}")
    converted = body[:-1].rstrip() + ", enrichment_state TEXT)"
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process (web and scheduler start together) may have converted it while this one waited.
        if conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'hits'").fetchone()[0] != sql:
            conn.execute("ROLLBACK")
            return
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'hits'", (converted,))
        conn.execute("INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES "
                     "('view', ?, ?, 0, ?)", (MARKER, MARKER, f"CREATE VIEW {MARKER} AS SELECT 1"))
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        conn.execute(f"PRAGMA schema_version = {version + 1}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _fill(path: str) -> None:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (MARKER,)).fetchone():
                conn.execute("ROLLBACK")   # filled by another process meanwhile
                return
            # The index was built from the generated values, the column now reads NULL: drop, fill, rebuild.
            conn.execute("DROP INDEX IF EXISTS hits_enrichment_partial")
            rows = conn.execute("SELECT id, enrichment_json FROM hits WHERE enrichment_json IS NOT NULL").fetchall()
            conn.executemany("UPDATE hits SET enrichment_state = ? WHERE id = ?",
                             [(_state(raw), hit_id) for hit_id, raw in rows])
            conn.execute(PARTIAL_INDEX)
            conn.execute(f"DROP VIEW {MARKER}")
            problems = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            if problems != ["ok"]:
                raise UpgradeError(f"integrity check failed after converting the store: {problems[:5]}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


def _state(raw: str):
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    state = value.get("state") if isinstance(value, dict) else None
    return state if isinstance(state, str) else None
