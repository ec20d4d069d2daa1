"""SQLite connection handling and versioned migrations.

WAL lets the web workers read while the scheduler writes. Each thread gets its own connection (sqlite3
connections must not cross threads); writes go through `transaction()`, which takes the write lock up
front (BEGIN IMMEDIATE) so that a window's hits and its ledger entry land together or not at all.
"""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

# Append only: a shipped migration is never edited, so every install walks the same steps.
MIGRATIONS: tuple[str, ...] = (
    # 1: the pipeline's ledger, hits, runs, configuration and audit trail
    """
    CREATE TABLE rule_state (
        rule_id TEXT PRIMARY KEY,
        checkpoint_ms INTEGER,
        disabled_reason TEXT,
        updated_ms INTEGER NOT NULL
    );
    CREATE TABLE windows (
        id INTEGER PRIMARY KEY,
        rule_id TEXT NOT NULL,
        kind TEXT NOT NULL,               -- scheduled | hunt
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        status TEXT NOT NULL,             -- pending | running | done | failed | split
        attempts INTEGER NOT NULL DEFAULT 0,
        reason TEXT,
        parent_id INTEGER REFERENCES windows(id),
        rows INTEGER,
        hits INTEGER,
        new_hits INTEGER,
        restarts INTEGER NOT NULL DEFAULT 0,
        truncated INTEGER NOT NULL DEFAULT 0,
        planned_ms INTEGER NOT NULL,
        started_ms INTEGER,
        finished_ms INTEGER
    );
    CREATE INDEX windows_by_rule ON windows(rule_id, status, start_ms);
    CREATE TABLE hits (
        id INTEGER PRIMARY KEY,
        identity TEXT NOT NULL UNIQUE,
        rule_id TEXT NOT NULL,
        window_id INTEGER NOT NULL REFERENCES windows(id),
        event_time_ms INTEGER NOT NULL,
        source_ip TEXT,
        destination_ip TEXT,
        destination_port INTEGER,
        username TEXT,
        event_id TEXT,
        process_image TEXT,
        command_line TEXT,
        process_guid TEXT,
        log_source_id INTEGER,
        qid INTEGER,
        payload TEXT,
        fields_json TEXT NOT NULL,        -- every column the rule returned, as the console named it
        enrichment_json TEXT,
        risk_score INTEGER,
        suppressed INTEGER NOT NULL DEFAULT 0,
        exception_id INTEGER,
        status TEXT NOT NULL DEFAULT 'new',
        created_ms INTEGER NOT NULL
    );
    CREATE INDEX hits_by_time ON hits(event_time_ms);
    CREATE INDEX hits_by_rule ON hits(rule_id, event_time_ms);
    CREATE INDEX hits_by_source ON hits(source_ip, event_time_ms);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        rule_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        finished_ms INTEGER,
        status TEXT NOT NULL,             -- running | ok | partial | failed
        windows_done INTEGER NOT NULL DEFAULT 0,
        windows_failed INTEGER NOT NULL DEFAULT 0,
        new_hits INTEGER NOT NULL DEFAULT 0,
        error TEXT
    );
    CREATE TABLE config (
        key TEXT PRIMARY KEY,
        value_json TEXT NOT NULL,
        updated_ms INTEGER NOT NULL,
        updated_by TEXT NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at_ms INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail_json TEXT
    );
    """,
)


class Database:
    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.migrate()

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self):
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def query(self, sql: str, params=()) -> list[sqlite3.Row]:
        return self.connection().execute(sql, params).fetchall()

    def migrate(self) -> int:
        with self.transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise RuntimeError(f"database {self.path} is schema {version}, newer than this app "
                                   f"({len(MIGRATIONS)}): refusing to run an older app against it")
            for number in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number + 1}")
            return len(MIGRATIONS)

    def close(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
