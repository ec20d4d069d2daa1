"""SQLite connection handling and versioned migrations.

WAL lets the web workers read while the scheduler writes. Each thread reads on its own connection; writes go
through `transaction()`, which takes the write lock up front (BEGIN IMMEDIATE) so that a window's hits and its
ledger entry land together or not at all.

A process writes through one connection, whichever thread writes (a lock in the process hands it over). SQLite
lets one writer at a time anyway, so nothing is lost, and that one connection can keep a page cache large enough
for the indexes a hit enters (WRITE_CACHE_KIB): one such cache a process, not one a thread, so memory does not
grow with the scheduler's job threads or the web server's request threads.

`transaction_then()` splits a transaction between two threads: the caller's thread does the Python part, then the
store's committing thread finishes it (set-based SQL, COMMIT) while the caller goes on. SQLite releases the GIL for
the whole of one statement, so a statement that inserts thousands of rows and their index entries runs on the
other core; an insert of many rows from Python (executemany) takes the GIL back for every row and cannot
(docs/benchmarks.md, "A writer thread").
"""
from __future__ import annotations

import importlib.util
import sqlite3
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, NamedTuple

from . import upgrade

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class MigrationError(RuntimeError):
    """The store could not be brought to this release's schema; it is left as it was."""


class Migration(NamedTuple):
    """One schema step: SQL statements (NNNN_name.sql), or a Python `migrate(conn)` (NNNN_name.py) for data
    rewrites that would need SQLite's JSON1 functions, which the base image's sqlite-libs may lack."""
    name: str
    sql: str
    step: Callable[[sqlite3.Connection], None] | None = None

    def apply(self, conn: sqlite3.Connection) -> None:
        if self.step is not None:
            self.step(conn)
            return
        for statement in self.sql.split(";"):
            if statement.strip():
                conn.execute(statement)


def _python_step(path: Path) -> Callable[[sqlite3.Connection], None]:
    spec = importlib.util.spec_from_file_location(f"exfilwatch_migration_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.migrate


def load_migrations() -> tuple[Migration, ...]:
    """The schema steps, in file-name order (0001_*.sql, 0002_*.sql, 0006_*.py ...). Append only: a shipped
    migration is never edited, so every install walks the same steps (0003 was, once, for SQLite 3.26: upgrade.py)."""
    files = sorted([*MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"),
                    *MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.py")], key=lambda f: f.name)
    numbers = [int(f.name[:4]) for f in files]
    if numbers != list(range(1, len(files) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001.. without gaps, found {[f.name for f in files]}")
    return tuple(Migration(f.name, f.read_text(encoding="utf-8"), _python_step(f) if f.suffix == ".py" else None)
                 for f in files)


MIGRATIONS = load_migrations()


class StoreFullError(RuntimeError):
    """A write did not fit (disk full, quota, SQLite's max_page_count); the transaction was rolled back."""


# The writing connection's page cache. SQLite's default (2 MB) is too small for the hits table's indexes once a
# store holds some 100,000 hits (the identity index alone takes new keys at random places): each insert then
# reads index pages back from the operating system (docs/benchmarks.md: +11 % hits a second at 200,000 rows with
# 16 MB, +16 % with 64 MB). Its price is at most this much memory in each process that writes.
WRITE_CACHE_KIB = 32 * 1024
WRITE_LOCK_TIMEOUT_S = 30   # as long as SQLite's own busy timeout between processes


class Database:
    def __init__(self, path: str | Path, *, migrations: tuple[Migration, ...] = MIGRATIONS):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # A plain lock, not an RLock: transaction_then() takes it in one thread and its committing thread
        # releases it. (A transaction inside a transaction was never possible: BEGIN refuses it.)
        self._write_lock = threading.Lock()
        self._writer = None
        self._committer: ThreadPoolExecutor | None = None
        self._committer_guard = threading.Lock()
        if self.path != ":memory:":
            try:
                upgrade.convert_generated_column(self.path)
            except (sqlite3.Error, upgrade.UpgradeError) as error:
                raise MigrationError(f"store {self.path}: converting a store of an earlier release failed "
                                     f"({error}); the store is left as it was") from error
        self.migrate(migrations)

    def _connect(self, shared: bool = False) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=not shared)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def connection(self) -> sqlite3.Connection:
        """This thread's connection; inside `transaction()` the writing one, so that reads see the writes."""
        if getattr(self._local, "writing", 0) or self.path == ":memory:":   # every :memory: connection is its own db
            return self._writing_connection()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def _writing_connection(self) -> sqlite3.Connection:
        if self._writer is None:
            conn = self._connect(shared=True)   # one thread at a time: the write lock hands it over
            conn.execute(f"PRAGMA cache_size = -{WRITE_CACHE_KIB}")
            self._writer = conn
        return self._writer

    def _take_write_lock(self) -> None:
        if getattr(self._local, "writing", 0):
            raise RuntimeError("a store transaction was started inside another one in the same thread")
        if not self._write_lock.acquire(timeout=WRITE_LOCK_TIMEOUT_S):
            raise sqlite3.OperationalError(f"database is locked: another thread of this process held the store's "
                                           f"write lock for {WRITE_LOCK_TIMEOUT_S} s")

    @contextmanager
    def transaction(self):
        self._take_write_lock()
        self._local.writing = 1
        try:
            conn = self._writing_connection()
            conn.execute("BEGIN IMMEDIATE")
            with self._rolled_back_on_error(conn):
                yield conn
                conn.execute("COMMIT")
        finally:
            self._local.writing = 0
            self._write_lock.release()

    def transaction_then(self, stage: Callable[[sqlite3.Connection], object],
                         finish: Callable[[sqlite3.Connection, object], object]) -> Future:
        """One transaction in two steps: `stage(conn)` runs now, in this thread; `finish(conn, staged)` and the
        COMMIT run on the store's committing thread, and the returned Future gives finish's value (or its
        error, after the ROLLBACK). The write lock is held from the first step to the COMMIT, so this thread's
        next write waits for it, and a crash before the COMMIT leaves nothing of either step."""
        self._take_write_lock()
        self._local.writing = 1
        handed = False
        try:
            conn = self._writing_connection()
            conn.execute("BEGIN IMMEDIATE")
            with self._rolled_back_on_error(conn):
                staged = stage(conn)
            if self.path == ":memory:":   # every thread shares this one connection: finish here
                future: Future = Future()
                future.set_result(self._finish(conn, finish, staged, handed_over=False))
                return future
            with self._rolled_back_on_error(conn):
                future = self._committing_thread().submit(self._finish, conn, finish, staged)
            handed = True
            return future
        finally:
            self._local.writing = 0
            if not handed:
                self._write_lock.release()

    def _finish(self, conn: sqlite3.Connection, finish, staged, handed_over: bool = True):
        self._local.writing = 1
        try:
            with self._rolled_back_on_error(conn):
                value = finish(conn, staged)
                conn.execute("COMMIT")
            return value
        finally:
            self._local.writing = 0
            if handed_over:
                self._write_lock.release()

    def _committing_thread(self) -> ThreadPoolExecutor:
        with self._committer_guard:
            if self._committer is None:
                # Its thread is not a daemon: at exit Python waits for a commit under way.
                self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="exfilwatch-commit")
            return self._committer

    @contextmanager
    def _rolled_back_on_error(self, conn: sqlite3.Connection):
        try:
            try:
                yield
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
                    migration.apply(conn)
                except (sqlite3.Error, ValueError) as error:
                    raise MigrationError(
                        f"store {self.path}: migration {migration.name} failed on SQLite {sqlite3.sqlite_version} "
                        f"({error}); nothing was changed, the store stays at schema {version}") from error
                conn.execute(f"PRAGMA user_version = {number + 1}")
            return len(migrations)

    def close(self):
        with self._committer_guard:
            committer, self._committer = self._committer, None
        if committer is not None:
            committer.shutdown(wait=True)   # a commit under way finishes first
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._write_lock.acquire(timeout=WRITE_LOCK_TIMEOUT_S):   # else a write still runs: it keeps its connection
            try:
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None
            finally:
                self._write_lock.release()
