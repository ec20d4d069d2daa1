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

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def load_migrations() -> tuple[str, ...]:
    """The schema steps, in file-name order (0001_*.sql, 0002_*.sql ...). Append only: a shipped migration
    is never edited, so every install walks the same steps."""
    files = sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    numbers = [int(f.name[:4]) for f in files]
    if numbers != list(range(1, len(files) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001.. without gaps, found {[f.name for f in files]}")
    return tuple(f.read_text(encoding="utf-8") for f in files)


MIGRATIONS = load_migrations()


class StoreFullError(RuntimeError):
    """A write did not fit (disk full, quota, SQLite's max_page_count); the transaction was rolled back."""


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
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:   # SQLite has already rolled back after some errors (SQLITE_FULL)
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
                raise StoreFullError(f"the app's store is full ({error}): free disk space or raise the quota "
                                     f"of {self.path}; nothing was written, the work stays owed") from error
            raise

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
