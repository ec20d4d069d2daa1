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
from typing import NamedTuple

from . import upgrade

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class MigrationError(RuntimeError):
    """The store could not be brought to this release's schema; it is left as it was."""


class Migration(NamedTuple):
    name: str
    sql: str


def load_migrations() -> tuple[Migration, ...]:
    """The schema steps, in file-name order (0001_*.sql, 0002_*.sql ...). Append only: a shipped migration
    is never edited, so every install walks the same steps (0003 was, once, for SQLite 3.26: upgrade.py)."""
    files = sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))
    numbers = [int(f.name[:4]) for f in files]
    if numbers != list(range(1, len(files) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001.. without gaps, found {[f.name for f in files]}")
    return tuple(Migration(f.name, f.read_text(encoding="utf-8")) for f in files)


MIGRATIONS = load_migrations()


class StoreFullError(RuntimeError):
    """A write did not fit (disk full, quota, SQLite's max_page_count); the transaction was rolled back."""


class Database:
    def __init__(self, path: str | Path, *, migrations: tuple[Migration, ...] = MIGRATIONS):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        if self.path != ":memory:":
            try:
                upgrade.convert_generated_column(self.path)
            except (sqlite3.Error, upgrade.UpgradeError) as error:
                raise MigrationError(f"store {self.path}: converting a store of an earlier release failed "
                                     f"({error}); the store is left as it was") from error
        self.migrate(migrations)

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

    def migrate(self, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
        """Walks the store to the newest schema in ONE transaction: a step that fails rolls every step back,
        so the store stays at its old schema, usable by the release that wrote it, and the error says which
        step failed and why."""
        with self.transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(migrations):
                raise MigrationError(f"database {self.path} is schema {version}, newer than this app "
                                     f"({len(migrations)}): refusing to run an older app against it")
            for number in range(version, len(migrations)):
                migration = migrations[number]
                try:
                    for statement in migration.sql.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                except sqlite3.Error as error:
                    raise MigrationError(
                        f"store {self.path}: migration {migration.name} failed on SQLite {sqlite3.sqlite_version} "
                        f"({error}); nothing was changed, the store stays at schema {version}") from error
                conn.execute(f"PRAGMA user_version = {number + 1}")
            return len(migrations)

    def close(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
