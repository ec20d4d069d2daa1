"""The window ledger, checkpoints and run records.

Planning commits the new windows and the moved checkpoint together; completing a window commits its
(last) hits and its ledger row together. Between the two, a window is `pending` or `running` in the ledger, so a
crash at any point leaves either nothing done or a window that the next run picks up again, never a gap.
A large window stores its hits in parts while it is `running` (`store_part`); a crash between parts leaves
some of its hits stored and the window open, and searching it again gives those hits the same identities,
so they are skipped, not stored twice.
"""
from __future__ import annotations

import json
import sqlite3
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Iterable, Mapping

from .db import Database
from .hits import FACET_COLUMNS, facet_values, facets_of_row
from .redact import with_public
from .rollup import COUNT_STAGED, COUNTED

OPEN_STATUSES = ("pending", "running", "failed")

HIT_COLUMNS = (
    "identity", "rule_id", "event_time_ms", "source_ip", "destination_ip", "destination_port", "username",
    "event_id", "process_image", "command_line", "process_guid", "log_source_id", "qid", "payload",
    "fields_json", "enrichment_json", "enrichment_state", "risk_score", "suppressed", "exception_id",
)

INSERTED_COLUMNS = HIT_COLUMNS + FACET_COLUMNS + ("window_id", "created_ms")


# Hits on their way into `hits`: a temporary table (this connection's own, emptied by each transaction) without
# constraints or indexes, filled from Python and moved into `hits` by one INSERT ... SELECT. Its columns are in
# another order than INSERTED_COLUMNS: what the roll-ups group by first, so that reading it does not follow
# each row's overflow pages (the JSON columns) to reach them.
_STAGING_COLUMNS = (*COUNTED, *(c for c in INSERTED_COLUMNS if c not in COUNTED))
_CREATE_STAGING = f"CREATE TEMP TABLE IF NOT EXISTS hit_staging ({', '.join(_STAGING_COLUMNS)})"
_STAGE = (f"INSERT INTO temp.hit_staging ({', '.join(INSERTED_COLUMNS)}) "
          f"VALUES ({', '.join('?' * len(INSERTED_COLUMNS))})")
_INSERT_STAGED = (f"INSERT INTO main.hits ({', '.join(INSERTED_COLUMNS)}) "
                  f"SELECT {', '.join(INSERTED_COLUMNS)} FROM temp.hit_staging ORDER BY rowid")


@dataclass(frozen=True)
class LedgerWindow:
    id: int
    rule_id: str
    kind: str
    start_ms: int
    end_ms: int
    status: str
    attempts: int
    reason: str | None
    parent_id: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "LedgerWindow":
        return cls(row["id"], row["rule_id"], row["kind"], row["start_ms"], row["end_ms"], row["status"],
                   row["attempts"], row["reason"], row["parent_id"])


class Ledger:
    def __init__(self, db: Database):
        self.db = db

    # -- checkpoints -------------------------------------------------------------------------------
    def checkpoint(self, rule_id: str) -> int | None:
        rows = self.db.query("SELECT checkpoint_ms FROM rule_state WHERE rule_id = ?", (rule_id,))
        return rows[0]["checkpoint_ms"] if rows else None

    def set_checkpoint(self, rule_id: str, checkpoint_ms: int, now_ms: int) -> None:
        with self.db.transaction() as conn:
            self._write_checkpoint(conn, rule_id, checkpoint_ms, now_ms)

    @staticmethod
    def _write_checkpoint(conn, rule_id: str, checkpoint_ms: int, now_ms: int) -> None:
        conn.execute(
            "INSERT INTO rule_state (rule_id, checkpoint_ms, updated_ms) VALUES (?, ?, ?) "
            "ON CONFLICT(rule_id) DO UPDATE SET checkpoint_ms = excluded.checkpoint_ms, updated_ms = excluded.updated_ms",
            (rule_id, checkpoint_ms, now_ms))

    # -- planning ----------------------------------------------------------------------------------
    def plan(self, rule_id: str, kind: str, spans: Iterable[tuple[int, int]], now_ms: int, *,
             checkpoint_ms: int | None = None) -> list[LedgerWindow]:
        """Records planned windows (and, for scheduled runs, the new checkpoint) in one transaction."""
        with self.db.transaction() as conn:
            ids = [conn.execute(
                "INSERT INTO windows (rule_id, kind, start_ms, end_ms, status, planned_ms) VALUES (?, ?, ?, ?, 'pending', ?)",
                (rule_id, kind, start, end, now_ms)).lastrowid for start, end in spans]
            if checkpoint_ms is not None:
                self._write_checkpoint(conn, rule_id, checkpoint_ms, now_ms)
        return [self.get(i) for i in ids]

    def get(self, window_id: int) -> LedgerWindow:
        return LedgerWindow.from_row(self.db.query("SELECT * FROM windows WHERE id = ?", (window_id,))[0])

    def open_windows(self, rule_id: str, kind: str | None = None) -> list[LedgerWindow]:
        """Windows still owed, oldest first: pending ones, failed ones to retry, and `running` ones that a
        crashed process left behind (only one process runs a rule, so nobody else is running them)."""
        sql = f"SELECT * FROM windows WHERE rule_id = ? AND status IN {OPEN_STATUSES}"
        params: list = [rule_id]
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        return [LedgerWindow.from_row(r) for r in self.db.query(sql + " ORDER BY start_ms, id", params)]

    def mark_running(self, window_id: int, now_ms: int) -> None:
        with self.db.transaction() as conn:
            self._mark_running(conn, window_id, now_ms)

    @staticmethod
    def _mark_running(conn, window_id: int, now_ms: int) -> None:
        conn.execute("UPDATE windows SET status = 'running', attempts = attempts + 1, started_ms = ?, "
                     "reason = NULL WHERE id = ?", (now_ms, window_id))

    def release(self, window_id: int, reason: str) -> None:
        """A window whose search was stopped (the app is shutting down) is owed again, untouched."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE windows SET status = 'pending', reason = ? WHERE id = ? AND status = 'running'",
                         (reason, window_id))

    def fail(self, window_id: int, reason: str, now_ms: int) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE windows SET status = 'failed', reason = ?, finished_ms = ? WHERE id = ?",
                         (reason[:2000], now_ms, window_id))

    def split(self, window: LedgerWindow, halves: Iterable[tuple[int, int]], rows: int | None,
              now_ms: int, reason: str = "results reached the query LIMIT; searched again in halves"
              ) -> list[LedgerWindow]:
        """Replaces a window by its halves, atomically (its results reached the LIMIT, or `reason`)."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE windows SET status = 'split', rows = ?, finished_ms = ?, reason = ? WHERE id = ?",
                         (rows, now_ms, reason[:2000], window.id))
            ids = [conn.execute(
                "INSERT INTO windows (rule_id, kind, start_ms, end_ms, status, parent_id, planned_ms) "
                "VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                (window.rule_id, window.kind, start, end, window.id, now_ms)).lastrowid for start, end in halves]
        return [self.get(i) for i in ids]

    def store_part(self, window_id: int, hits: Iterable[Mapping], now_ms: int) -> int:
        """Stores some hits of a window that is still running; returns how many were new."""
        return self.store_part_later(window_id, hits, now_ms).result()

    def store_part_later(self, window_id: int, hits: Iterable[Mapping], now_ms: int) -> Future:
        """store_part(), committed on the store's committing thread: the Future gives how many were new."""
        return self.db.transaction_then(lambda conn: self._stage_hits(conn, window_id, hits, now_ms),
                                        lambda conn, staged: self._insert_staged(conn, staged))

    def complete(self, window_id: int, hits: Iterable[Mapping], *, rows: int, restarts: int,
                 truncated: bool, now_ms: int, earlier_hits: int = 0, earlier_new: int = 0) -> int:
        """Stores a window's (last) hits and closes its ledger row in one transaction; returns how many of
        these hits were new. `earlier_*` count the parts already stored with `store_part`.

        A hit already stored (same identity: an overlapping window, a retry, a recreated search) is skipped.
        """
        return self.complete_later(window_id, hits, rows=rows, restarts=restarts, truncated=truncated,
                                   now_ms=now_ms, earlier_hits=earlier_hits, earlier_new=earlier_new).result()

    def complete_later(self, window_id: int, hits: Iterable[Mapping], *, rows: int, restarts: int,
                       truncated: bool, now_ms: int, earlier_hits: int = 0, earlier_new: int = 0,
                       next_running: int | None = None) -> Future:
        """complete(), committed on the store's committing thread: the Future gives how many were new.

        `next_running` is the window the caller searches next: it is marked running in the same transaction,
        so that the caller need not wait for this commit to begin it (a crash before the commit leaves both
        windows as they were: this one running, to be split; that one owed)."""
        hits = list(hits)

        def finish(conn, staged) -> int:
            new = self._insert_staged(conn, staged)
            conn.execute("UPDATE windows SET status = 'done', rows = ?, hits = ?, new_hits = ?, restarts = ?, "
                         "truncated = ?, finished_ms = ?, reason = ? WHERE id = ?",
                         (rows, earlier_hits + len(hits), earlier_new + new, restarts, int(truncated), now_ms,
                          "results reached the LIMIT in a 1 ms window: some rows may be missing" if truncated else None,
                          window_id))
            if next_running is not None:
                self._mark_running(conn, next_running, now_ms)
            return new
        return self.db.transaction_then(lambda conn: self._stage_hits(conn, window_id, hits, now_ms), finish)

    @staticmethod
    def _stage_hits(conn, window_id: int, hits: Iterable[Mapping], now_ms: int) -> int:
        """The Python half of storing hits, in the caller's thread: each hit's row, once per identity, into a
        temporary table of this connection (no index, so this costs a fraction of inserting into hits);
        returns how many rows it staged."""
        conn.execute(_CREATE_STAGING)
        rows, seen = [], set()
        for h in hits:
            row = tuple(h.get(c) for c in HIT_COLUMNS) + facet_values(facets_of_row(h)) + (window_id, now_ms)
            if row[0] not in seen:
                seen.add(row[0])
                rows.append(row)
        if rows:
            conn.executemany(_STAGE, rows)
        return len(rows)

    @staticmethod
    def _insert_staged(conn, staged: int) -> int:
        """The SQL half, on the committing thread: one statement each, so SQLite works without the GIL. Hits
        already stored are left out first, so that the roll-ups count exactly the rows inserted; a NOT NULL or
        other constraint failure aborts the transaction (the window stays owed). Returns how many were new."""
        if not staged:
            return 0
        conn.execute("DELETE FROM temp.hit_staging WHERE EXISTS "
                     "(SELECT 1 FROM main.hits WHERE hits.identity = hit_staging.identity)")
        new = conn.execute(_INSERT_STAGED).rowcount
        if new:
            for statement in COUNT_STAGED:   # the overview's roll-ups
                conn.execute(statement)
        conn.execute("DELETE FROM temp.hit_staging")
        return new

    def windows(self, rule_id: str | None = None, *, statuses: Iterable[str] | None = None,
                limit: int = 500) -> list[dict]:
        sql, params = "SELECT * FROM windows WHERE 1=1", []
        if rule_id:
            sql += " AND rule_id = ?"
            params.append(rule_id)
        if statuses:
            statuses = tuple(statuses)
            sql += f" AND status IN ({', '.join('?' * len(statuses))})"
            params.extend(statuses)
        # reason_public: the reason without quoted AQL (app/store/redact.py); `reason` is for administrators.
        return [with_public(dict(r), "reason")
                for r in self.db.query(sql + " ORDER BY start_ms DESC, id DESC LIMIT ?", (*params, limit))]

    # -- runs --------------------------------------------------------------------------------------
    def start_run(self, rule_id: str, kind: str, now_ms: int) -> int:
        with self.db.transaction() as conn:
            return conn.execute("INSERT INTO runs (rule_id, kind, started_ms, status) VALUES (?, ?, ?, 'running')",
                                (rule_id, kind, now_ms)).lastrowid

    def finish_run(self, run_id: int, *, status: str, done: int, failed: int, new_hits: int,
                   error: str | None, now_ms: int) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE runs SET status = ?, windows_done = ?, windows_failed = ?, new_hits = ?, "
                         "error = ?, finished_ms = ? WHERE id = ?",
                         (status, done, failed, new_hits, error, now_ms, run_id))

    def runs(self, rule_id: str | None = None, limit: int = 50) -> list[dict]:
        sql, params = "SELECT * FROM runs", []
        if rule_id:
            sql, params = sql + " WHERE rule_id = ?", [rule_id]
        # error_public: the error without quoted AQL (app/store/redact.py); `error` is for administrators.
        return [with_public(dict(r), "error") for r in self.db.query(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))]

    # -- rule state ----------------------------------------------------------------------------------
    def set_disabled_reason(self, rule_id: str, reason: str | None, now_ms: int) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO rule_state (rule_id, disabled_reason, updated_ms) VALUES (?, ?, ?) "
                "ON CONFLICT(rule_id) DO UPDATE SET disabled_reason = excluded.disabled_reason, updated_ms = excluded.updated_ms",
                (rule_id, reason, now_ms))

    def disabled_reason(self, rule_id: str) -> str | None:
        rows = self.db.query("SELECT disabled_reason FROM rule_state WHERE rule_id = ?", (rule_id,))
        return rows[0]["disabled_reason"] if rows else None


def json_encoder(**options):
    """JSONEncoder(**options).encode, giving the same text, with its C encoder built once: encode() builds one
    per call (the pipeline encodes three documents per hit, and building cost as much as encoding). It keeps
    no circular-reference markers: these documents come from JSON or are built fresh, and a cycle would still
    stop with RecursionError. Where the C encoder is missing or answers differently, encode() itself."""
    encoder = json.JSONEncoder(**options)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None or encoder.indent is not None:
        return encoder.encode
    try:
        c_encoder = make(None, encoder.default, json.encoder.encode_basestring_ascii if encoder.ensure_ascii
                         else json.encoder.encode_basestring, encoder.indent, encoder.key_separator,
                         encoder.item_separator, encoder.sort_keys, encoder.skipkeys, encoder.allow_nan)

        def encode(value) -> str:
            return "".join(c_encoder(value, 0))

        sample = {"b": [1, 2.5, None, True, "\u00e9\"x"], "a": {"z": object.__name__, "y": float("inf")}, "c": "d"}
        if encode(sample) == encoder.encode(sample) and encode("s") == encoder.encode("s"):
            return encode
    except Exception:   # another Python's private signature: the public path
        pass
    return encoder.encode


# The store's JSON text: keys sorted, no blanks, anything else as str().
to_json = json_encoder(sort_keys=True, separators=(",", ":"), default=str)
