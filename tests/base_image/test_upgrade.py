"""A store written by the previous release (commit 00064f7, on a developer's newer SQLite, with the generated
column the base image's SQLite 3.26 cannot parse) opens in this one with everything intact.

The fixture and its expected.json were made by scripts/devtools/upgrade_fixture.py."""
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.qradar.platform import AdapterPlatform
from app.runtime import TOKEN_SECRET
from app.store import Store
from app.store.db import MIGRATIONS, Database, MigrationError, Migration
from app.store.enrichment import EnrichmentRepository
from app.store.upgrade import MARKER

FIXTURE = Path(__file__).with_name("fixtures") / "release-00064f7"
EXPECTED = json.loads((FIXTURE / "expected.json").read_text())


@pytest.fixture
def old_store(tmp_path):
    store_dir = tmp_path / "store"
    shutil.copytree(FIXTURE / "store", store_dir)
    return store_dir


def rows(db: Database, table: str) -> list[dict]:
    """The table's rows as the previous release had them: its columns only (later migrations add others)."""
    expected = EXPECTED["tables"][table]
    columns = list(expected[0]) if expected else ["rowid"]
    return [{c: r[c] for c in columns} for r in db.query(f'SELECT * FROM "{table}" ORDER BY rowid')] \
        if expected else [dict(r) for r in db.query(f'SELECT rowid FROM "{table}"')]


def test_fixture_is_a_previous_release_store_this_sqlite_cannot_read_as_is(old_store):
    assert EXPECTED["schema_version"] == 4 and EXPECTED["sqlite_version"] != sqlite3.sqlite_version
    conn = sqlite3.connect(old_store / "exfilwatch.db")
    with pytest.raises(sqlite3.DatabaseError, match="malformed database schema"):
        conn.execute("SELECT COUNT(*) FROM hits")


def test_every_row_of_every_table_survives_the_upgrade(old_store):
    store = Store(old_store / "exfilwatch.db")
    try:
        for table, expected in EXPECTED["tables"].items():
            got = rows(store.db, table)
            assert got[:len(expected)] == expected, table
            # Rows a later migration adds (an audit entry, a setting made explicit) say so; nothing else is new.
            added = [dict(r) for r in store.db.query(f'SELECT * FROM "{table}" ORDER BY rowid')][len(expected):]
            assert all(str(r.get("actor") or r.get("updated_by") or "").startswith("migration") for r in added), table
        assert store.db.query("PRAGMA user_version")[0][0] == len(MIGRATIONS)
        assert store.db.query("PRAGMA integrity_check")[0][0] == "ok"
        assert not store.db.query("SELECT name FROM sqlite_master WHERE name = ?", (MARKER,))
    finally:
        store.close()


def test_the_upgraded_store_works_as_a_new_one(old_store):
    # The things an analyst sees: hits (partial ones found by the retry job through the rebuilt index),
    # settings, exceptions, and the ledger still owing the pending window.
    store = Store(old_store / "exfilwatch.db")
    try:
        hits = EXPECTED["tables"]["hits"]
        partial = [h["id"] for h in hits if h["enrichment_state"] == "partial"]
        repository = EnrichmentRepository(store.db)
        assert partial and [h["id"] for h in repository.partial_hits()] == partial
        assert repository.partial_count() == len(partial)
        plan = store.db.query("EXPLAIN QUERY PLAN SELECT id FROM hits WHERE enrichment_state = 'partial'")
        assert "hits_enrichment_partial" in " ".join(str(tuple(r)) for r in plan)
        repository.save_enrichment(partial[0], {"state": "complete", "errors": []}, 10, now_ms=1)
        assert repository.partial_count() == len(partial) - 1
        assert store.settings.get("rules.enabled") == {"t1048-002-staging-signals": False}
        owed = store.ledger.open_windows("t1048-002-seed")
        assert [(w.status, w.kind) for w in owed] == [("pending", "scheduled")]
    finally:
        store.close()


def test_the_encrypted_console_token_still_decrypts(old_store, tmp_path):
    platform = AdapterPlatform({"APP_ROOT": str(tmp_path), "QRADAR_APP_UUID": EXPECTED["app_uuid"]})
    assert platform.encryption(*TOKEN_SECRET).decrypt() == EXPECTED["token"]


def test_an_interrupted_conversion_finishes_on_the_next_open(old_store, monkeypatch):
    from app.store import upgrade

    def crash(path):
        raise sqlite3.OperationalError("disk I/O error (simulated crash after the first step)")
    monkeypatch.setattr(upgrade, "_fill", crash)
    with pytest.raises(MigrationError, match="simulated crash"):
        Store(old_store / "exfilwatch.db")
    monkeypatch.undo()
    store = Store(old_store / "exfilwatch.db")
    try:
        assert rows(store.db, "hits") == EXPECTED["tables"]["hits"]
    finally:
        store.close()


def test_a_failed_migration_leaves_the_old_store_usable_and_says_why(tmp_path):
    path = tmp_path / "s.db"
    Database(path, migrations=MIGRATIONS).close()
    broken = MIGRATIONS + (Migration("0099_broken.sql", "CREATE TABLE later (a INTEGER); "
                                                        "INSERT INTO no_such_table VALUES (1)"),)
    with pytest.raises(MigrationError) as failure:
        Database(path, migrations=broken)
    message = str(failure.value)
    assert "0099_broken.sql" in message and "stays at schema" in message and sqlite3.sqlite_version in message
    store = Store(path)   # this release, on the untouched store
    try:
        assert store.db.query("PRAGMA user_version")[0][0] == len(MIGRATIONS)
        assert not store.db.query("SELECT name FROM sqlite_master WHERE name = 'later'")
    finally:
        store.close()


def test_the_containers_start_step_says_why_a_store_cannot_be_opened(tmp_path):
    import os
    import subprocess
    import sys
    store = tmp_path / "store"
    store.mkdir()
    Database(store / "exfilwatch.db").connection().execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QRADAR_", "EXFILWATCH_"))}
    env.update(APP_ROOT=str(tmp_path), PYTHONPATH=str(root))
    done = subprocess.run([sys.executable, "-m", "app.prepare"], cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "newer than this app" in done.stderr
    assert "newer than this app" in (store / "log" / "app.log").read_text()


def test_two_processes_converting_at_once_convert_it_once(old_store):
    # The web app and the scheduler open the store together after an upgrade.
    import threading
    from app.store import upgrade
    barrier, errors = threading.Barrier(3), []

    def convert():
        barrier.wait()
        try:
            upgrade.convert_generated_column(str(old_store / "exfilwatch.db"))
        except Exception as error:   # collected: the test fails below naming it
            errors.append(error)
    threads = [threading.Thread(target=convert) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    store = Store(old_store / "exfilwatch.db")
    try:
        assert rows(store.db, "hits") == EXPECTED["tables"]["hits"]
        assert [r[0] for r in store.db.query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'hits'")] == [1]
        assert store.db.query("PRAGMA integrity_check")[0][0] == "ok"
    finally:
        store.close()
