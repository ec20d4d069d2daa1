"""The store's ledger: planning, completion and splitting are atomic, and hits are stored once."""
import sqlite3

import pytest

from app.pipeline.hit import MalformedRowError, hits_from_rows
from app.store.db import MIGRATIONS, Database, StoreFullError


def row(t, cmd="rclone.exe copy a b", **kw):
    return {"ew_time": t, "ew_sourceip": "10.0.0.1", "ew_command_line": cmd, "ew_payload": f"payload {cmd}",
            "ew_destinationport": 22, "EventTime": "x"} | kw


def test_planning_records_windows_and_checkpoint_together(store):
    windows = store.ledger.plan("r", "scheduled", [(0, 10), (10, 20)], 99, checkpoint_ms=20)
    assert [w.status for w in windows] == ["pending", "pending"]
    assert store.ledger.checkpoint("r") == 20
    assert [w.id for w in store.ledger.open_windows("r")] == [w.id for w in windows]


def test_completing_a_window_twice_stores_each_hit_once(store):
    (w,) = store.ledger.plan("r", "scheduled", [(0, 10)], 1)
    hits = [h.as_row() for h in hits_from_rows("r", [row(1), row(2)])]
    assert store.ledger.complete(w.id, hits, rows=2, restarts=0, truncated=False, now_ms=2) == 2
    (again,) = store.ledger.plan("r", "scheduled", [(0, 10)], 3)
    assert store.ledger.complete(again.id, hits, rows=2, restarts=1, truncated=False, now_ms=4) == 0
    assert store.hits.counts()["hits"] == 2
    assert store.ledger.open_windows("r") == []


def test_identical_events_stay_distinct_but_repeat_searches_do_not_add(store):
    first = hits_from_rows("r", [row(5), row(5)])
    assert len({h.identity for h in first}) == 2
    assert [h.identity for h in hits_from_rows("r", [row(5), row(5)])] == [h.identity for h in first]
    assert hits_from_rows("other", [row(5)])[0].identity != first[0].identity


def test_a_failed_transaction_leaves_nothing_behind(store):
    (w,) = store.ledger.plan("r", "scheduled", [(0, 10)], 1)
    bad = [h.as_row() for h in hits_from_rows("r", [row(1)])] + [{"identity": None}]
    with pytest.raises(sqlite3.IntegrityError):
        store.ledger.complete(w.id, bad, rows=2, restarts=0, truncated=False, now_ms=2)
    assert store.hits.counts()["hits"] == 0
    assert store.ledger.get(w.id).status == "pending"


def test_split_replaces_a_window_by_its_halves_atomically(store):
    (w,) = store.ledger.plan("r", "hunt", [(0, 10)], 1)
    halves = store.ledger.split(w, [(0, 5), (5, 10)], rows=100, now_ms=2)
    assert store.ledger.get(w.id).status == "split"
    assert [(h.start_ms, h.end_ms, h.parent_id) for h in halves] == [(0, 5, w.id), (5, 10, w.id)]
    assert [x.id for x in store.ledger.open_windows("r", "hunt")] == [h.id for h in halves]


def test_failed_and_stale_running_windows_stay_owed(store):
    a, b = store.ledger.plan("r", "scheduled", [(0, 10), (10, 20)], 1)
    store.ledger.mark_running(a.id, 2)
    store.ledger.fail(b.id, "HTTP 503", 3)
    owed = store.ledger.open_windows("r")
    assert [(w.id, w.status) for w in owed] == [(a.id, "running"), (b.id, "failed")]
    assert owed[1].reason == "HTTP 503" and owed[0].attempts == 1


def test_rows_without_an_event_time_are_refused():
    with pytest.raises(MalformedRowError, match="event time"):
        hits_from_rows("r", [row(None)])
    with pytest.raises(MalformedRowError):
        hits_from_rows("r", ["not a row"])
    with pytest.raises(MalformedRowError):
        hits_from_rows("r", [row(1, ew_destinationport="twenty-two")])


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "n.db"
    Database(path).connection().execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer than this app"):
        Database(path)


def test_settings_changes_are_audited_and_secrets_can_be_masked(store):
    store.settings.set("fields.overrides", {"command_line": "Command"}, actor="admin", now_ms=5)
    store.settings.set("console.token", "s3cret", actor="admin", now_ms=6, audit_detail="(changed)")
    assert store.settings.get("fields.overrides") == {"command_line": "Command"}
    trail = store.settings.audit()
    assert [a["target"] for a in trail] == ["console.token", "fields.overrides"]
    assert "s3cret" not in trail[0]["detail_json"]


# -- the store's JSON text ---------------------------------------------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
_DOCUMENTS = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_DOCUMENTS)
def test_json_encoder_writes_the_text_json_writes(document):
    """Stored JSON and hit identities are the text json.JSONEncoder writes with the same options (identities
    of hits stored by earlier releases must not change), whatever the document: NaN, non-ASCII, nesting."""
    import json

    from app.store import json_encoder
    for options in ({"sort_keys": True, "separators": (",", ":"), "default": str}, {"default": str}):
        assert json_encoder(**options)(document) == json.JSONEncoder(**options).encode(document)
    assert json_encoder(default=str)([document, b"x"]) == json.dumps([document, b"x"], default=str)   # default=str


# -- one writing connection a process ---------------------------------------------------------------------
def test_every_thread_writes_through_one_connection_and_every_write_lands(tmp_path):
    """The scheduler's job threads and the web server's request threads write through one connection with the
    large page cache: the cache's memory is paid once a process, not once a thread, and no write is lost."""
    import threading

    from app.store.db import WRITE_CACHE_KIB
    db = Database(tmp_path / "store.db")
    used, start = [], threading.Barrier(4)

    def write(worker):
        start.wait()
        for i in range(25):
            with db.transaction() as conn:
                used.append(conn)
                conn.execute("INSERT INTO rule_state (rule_id, checkpoint_ms, updated_ms) VALUES (?, ?, ?)",
                             (f"rule-{worker}-{i}", i, i))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(used) == 100 and len({id(conn) for conn in used}) == 1
    assert used[0].execute("PRAGMA cache_size").fetchone()[0] == -WRITE_CACHE_KIB
    assert db.query("SELECT COUNT(*) AS n FROM rule_state")[0]["n"] == 100
    db.close()


def test_a_transaction_reads_its_own_writes_and_other_threads_read_while_it_runs(tmp_path):
    import threading
    db = Database(tmp_path / "store.db")
    holding, release, seen = threading.Event(), threading.Event(), {}

    def writer():
        with db.transaction() as conn:
            conn.execute("INSERT INTO rule_state (rule_id, checkpoint_ms, updated_ms) VALUES ('r', 5, 5)")
            seen["inside"] = db.query("SELECT checkpoint_ms FROM rule_state")[0][0]
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    assert holding.wait(30)
    seen["other thread, before the commit"] = db.query("SELECT COUNT(*) FROM rule_state")[0][0]   # WAL: not blocked
    release.set()
    thread.join()
    assert seen == {"inside": 5, "other thread, before the commit": 0}
    assert db.query("SELECT checkpoint_ms FROM rule_state")[0][0] == 5
    db.close()


# -- a transaction finished on the store's committing thread --------------------------------------------
def _checkpoints(db) -> dict:
    return {r["rule_id"]: r["checkpoint_ms"] for r in db.query("SELECT rule_id, checkpoint_ms FROM rule_state")}


def _set(conn, rule_id, value):
    conn.execute("INSERT INTO rule_state (rule_id, checkpoint_ms, updated_ms) VALUES (?, ?, 0) "
                 "ON CONFLICT(rule_id) DO UPDATE SET checkpoint_ms = excluded.checkpoint_ms", (rule_id, value))


def test_a_split_transaction_returns_before_its_commit_and_the_next_write_follows_it(tmp_path):
    """transaction_then(): the caller's step runs in its thread, the rest and the COMMIT on another, after the
    caller has gone on; until then nobody sees either step, and the next write of any thread comes after it."""
    import threading
    db = Database(tmp_path / "store.db")
    go_on, threads = threading.Event(), {}

    def finish(conn, staged):
        threads["finish"] = threading.get_ident()
        assert go_on.wait(30), "the caller must get control back before the commit"
        _set(conn, "finished", staged)
        return "done"

    future = db.transaction_then(lambda conn: _set(conn, "staged", 7) or 7, finish)
    assert not future.done()
    assert _checkpoints(db) == {}   # neither step is visible before the COMMIT
    later = {}

    def next_write():
        with db.transaction() as conn:
            later["saw"] = {r[0] for r in conn.execute("SELECT rule_id FROM rule_state")}
            _set(conn, "later", 1)

    writer = threading.Thread(target=next_write)
    writer.start()
    go_on.set()
    assert future.result(timeout=30) == "done"
    writer.join(30)
    assert threads["finish"] != threading.get_ident()
    assert later["saw"] == {"staged", "finished"}   # the other thread's write waited for the whole transaction
    assert _checkpoints(db) == {"staged": 7, "finished": 7, "later": 1}
    db.close()


@pytest.mark.parametrize("failing", ["stage", "finish"])
def test_a_split_transaction_that_fails_in_either_step_leaves_nothing(tmp_path, failing):
    db = Database(tmp_path / "store.db")

    def step(conn, *staged):
        _set(conn, f"from {len(staged) and 'finish' or 'stage'}", 1)
        if (failing == "finish") == bool(staged):
            conn.execute("INSERT INTO windows (rule_id) VALUES (NULL)")   # NOT NULL
        return 1

    with pytest.raises(sqlite3.IntegrityError):
        db.transaction_then(step, step).result(timeout=30)
    assert _checkpoints(db) == {}
    with db.transaction() as conn:   # the lock was given back
        _set(conn, "after", 2)
    assert _checkpoints(db) == {"after": 2}
    db.close()


def test_a_full_store_in_the_committing_step_is_reported_as_full(tmp_path):
    db = Database(tmp_path / "store.db")
    with db.transaction() as conn:
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")

    with pytest.raises(StoreFullError, match="store is full"):
        db.transaction_then(lambda conn: _set(conn, "small", 1),
                            lambda conn, staged: _set(conn, "x" * 200_000, 2)).result(timeout=30)
    assert _checkpoints(db) == {}
    db.close()


def test_a_transaction_inside_another_in_the_same_thread_is_refused_at_once(tmp_path):
    db = Database(tmp_path / "store.db")
    with db.transaction():
        with pytest.raises(RuntimeError, match="inside another"):
            with db.transaction():
                pass
    db.close()


def test_closing_the_store_waits_for_a_commit_under_way(tmp_path):
    import threading
    db = Database(tmp_path / "store.db")
    go_on = threading.Event()
    future = db.transaction_then(lambda conn: _set(conn, "staged", 3),
                                 lambda conn, staged: go_on.wait(30) and _set(conn, "finished", 4))
    closing = threading.Thread(target=db.close)
    closing.start()
    go_on.set()
    closing.join(30)
    assert future.done() and future.exception() is None
    reopened = Database(tmp_path / "store.db")
    assert _checkpoints(reopened) == {"staged": 3, "finished": 4}
    reopened.close()


def test_completing_a_window_marks_the_next_running_in_the_same_commit(store):
    first, second = store.ledger.plan("r", "hunt", [(0, 10), (10, 20)], 1)
    store.ledger.mark_running(first.id, 2)
    hits = [h.as_row() for h in hits_from_rows("r", [row(1), row(2)])]
    assert store.ledger.complete_later(first.id, hits, rows=2, restarts=0, truncated=False, now_ms=3,
                                       next_running=second.id).result(timeout=30) == 2
    assert (store.ledger.get(first.id).status, store.ledger.get(second.id).status) == ("done", "running")
    assert store.ledger.get(second.id).attempts == 1
    # A commit that fails leaves both as they were: this window running (to be split), the next one owed.
    third, fourth = store.ledger.plan("r", "hunt", [(20, 30), (30, 40)], 4)
    store.ledger.mark_running(third.id, 5)
    with pytest.raises(sqlite3.IntegrityError):
        store.ledger.complete_later(third.id, [{"identity": None}], rows=1, restarts=0, truncated=False, now_ms=6,
                                    next_running=fourth.id).result(timeout=30)
    assert (store.ledger.get(third.id).status, store.ledger.get(fourth.id).status) == ("running", "pending")
    assert store.hits.counts()["hits"] == 2
