"""Would a writer thread overlap the store's SQLite inserts with the next part's enrichment? Measures it.

    .venv/bin/python -m devtools.writer_overlap [ROWS] [--switch-interval SECONDS]

(from the repository root with PYTHONPATH=.:scripts, as scripts/_venv.sh sets it, so on the base image's
SQLite.) Inserts ROWS rows of about 1.5 KB into a table with four secondary indexes and a unique text key, as
the ledger does (one `executemany`, one transaction), and runs a pure-Python loop of about the same length;
first one after the other, then the insert in a thread while the loop runs in the main thread. sqlite3 releases
the GIL inside each `sqlite3_step`, but takes it back after every row, and a thread that wants the GIL back
from a busy one waits for the switch interval (5 ms): the insert then advances a row or so per interval while
the loop runs. Prints one JSON line; `overlap_gain` is (serial - together) / serial: 0 means no overlap.

With --staged the insert is the store's (app/store/ledger.py): the main thread stages the rows into a TEMP table
without indexes (`stage_s`, timed apart: it is the caller's in both runs), then one `INSERT ... SELECT` and the
COMMIT run in the thread, which holds no GIL for the whole statement.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path


def _rows(count: int, offset: int) -> list[tuple]:
    return [(hashlib.sha256(b"%d" % (i + offset)).hexdigest(), f"host{i % 50}", i, f"tool{i % 7}", "x" * 1500)
            for i in range(count)]


def _python_work(iterations: int) -> int:
    total = 0
    for i in range(iterations):
        total += len(str(i * i))
    return total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="devtools.writer_overlap")
    parser.add_argument("rows", type=int, nargs="?", default=6000)
    parser.add_argument("--switch-interval", type=float, help="sys.setswitchinterval() for the run (default 0.005)")
    parser.add_argument("--staged", action="store_true", help="stage into a TEMP table, then one INSERT ... SELECT")
    args = parser.parse_args(argv)
    rows = args.rows
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    with tempfile.TemporaryDirectory(prefix="exfilwatch-overlap-") as scratch:
        conn = sqlite3.connect(str(Path(scratch) / "overlap.db"), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, key TEXT UNIQUE, host TEXT, at INTEGER, tool TEXT, "
                     "body TEXT)")
        for column in ("host", "tool", "body"):
            conn.execute(f"CREATE INDEX t_{column} ON t ({column}, at)")
        conn.execute("CREATE INDEX t_at ON t (at)")

        conn.execute("CREATE TEMP TABLE staged (key, host, at, tool, body)")
        stage_s = 0.0

        def stage(batch):
            nonlocal stage_s
            started = time.perf_counter()
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO temp.staged (key, host, at, tool, body) VALUES (?, ?, ?, ?, ?)", batch)
            stage_s += time.perf_counter() - started

        def insert(batch):
            if batch is None:   # staged already
                conn.execute("INSERT INTO t (key, host, at, tool, body) SELECT * FROM temp.staged")
                conn.execute("DELETE FROM temp.staged")
            else:
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO t (key, host, at, tool, body) VALUES (?, ?, ?, ?, ?)", batch)
            conn.execute("COMMIT")

        insert(_rows(50_000, 10**7))      # a store that is not empty
        batch = _rows(rows, 0)
        if args.staged:
            stage(batch)
            batch = None
        started = time.perf_counter()
        insert(batch)
        insert_s = time.perf_counter() - started
        iterations = 1_000_000
        started = time.perf_counter()
        _python_work(iterations)
        iterations = int(iterations * insert_s / (time.perf_counter() - started))   # about as long as the insert
        started = time.perf_counter()
        _python_work(iterations)
        python_s = time.perf_counter() - started
        batch = _rows(rows, 10**6)
        if args.staged:
            stage(batch)
            batch = None
        started = time.perf_counter()
        writer = threading.Thread(target=insert, args=(batch,))
        writer.start()
        _python_work(iterations)
        writer.join()
        together_s = time.perf_counter() - started
        conn.close()
    serial_s = insert_s + python_s
    print(json.dumps({"sqlite": sqlite3.sqlite_version, "rows": rows, "switch_interval_s": sys.getswitchinterval(),
                      "staged": args.staged, "stage_s": round(stage_s / 2, 6), "insert_s": round(insert_s, 3),
                      "python_s": round(python_s, 3), "serial_s": round(serial_s, 3),
                      "together_s": round(together_s, 3),
                      "overlap_gain": round((serial_s - together_s) / serial_s, 3)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
