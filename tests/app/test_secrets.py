"""The console token at rest: 0600 always, never in a response, a log line or an export; and stored errors
that quote AQL have a public form without the query (the web layer shows that to non-administrators)."""
import logging
import os
import stat

import pytest

from app import create_app
from app.qradar.encdec import EncryptionError, FileEncryption
from app.store import Store
from app.store.exceptions import ExceptionRepository
from app.store.redact import HIDDEN, public_error

TOKEN = "3f0c7e52-a8d1-4b7e-9f16-5c2b8d0e7a11"
UUID = "0b1d5a0e-6d8e-4f5f-8d3a-2c4c5e7f9a10"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_secret_file_is_0600_and_holds_no_clear_text(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    secret = FileEncryption("console_token", "exfilwatch", store_dir=str(tmp_path), app_uuid=UUID)
    secret.encrypt(TOKEN)
    assert mode(secret.path) == 0o600
    assert TOKEN.encode() not in open(secret.path, "rb").read()
    os.chmod(secret.path, 0o644)                     # a restore or a copy widened it
    assert secret.decrypt() == TOKEN
    assert mode(secret.path) == 0o600
    assert "mode 644" in caplog.text
    with pytest.raises(EncryptionError) as refused:
        FileEncryption("console_token", "exfilwatch", store_dir=str(tmp_path), app_uuid="another").decrypt()
    assert TOKEN not in str(refused.value) and TOKEN not in caplog.text


class FakeRuntime:
    def __init__(self, store):
        self.store, self.rules = store, {}
        self.exceptions = ExceptionRepository(store.db)

    def rule_enabled(self, rule):
        return True


def test_no_route_and_no_export_ever_shows_the_token(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    FileEncryption("console_token", "exfilwatch", store_dir=str(tmp_path), app_uuid=UUID).encrypt(TOKEN)
    store = Store(tmp_path / "exfilwatch.db")
    app = create_app(FakeRuntime(store))
    client = app.test_client()
    answered = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        url = rule.rule.replace("<int:hit_id>", "1")
        if "<" in url:
            continue
        response = client.get(url)
        answered += 1
        assert TOKEN not in response.get_data(as_text=True), url
    assert answered >= 5
    assert TOKEN not in str(ExceptionRepository(store.db).export()) and TOKEN not in caplog.text
    store.close()


@pytest.mark.parametrize("text, shown", [
    ("POST api/ariel/searches: AQL parse error: SELECT \"CommandLine\" FROM events WHERE NOT (x IMATCHES 'y') "
     "(HTTP 422, code 2000)", "POST api/ariel/searches: AQL parse error " + HIDDEN),
    ("query_expression=SELECT%20...: invalid", HIDDEN),
    ("console: connection refused (HTTP 503)", "console: connection refused (HTTP 503)"),
    (None, None),
])
def test_public_error_keeps_what_happened_and_hides_the_query(text, shown):
    assert public_error(text) == shown


def test_the_ledger_offers_both_forms(store):
    (window,) = store.ledger.plan("r", "hunt", [(0, 10)], 1)
    store.ledger.fail(window.id, "console: SELECT secret FROM events WHERE x", 2)
    (row,) = store.ledger.windows("r")
    assert "SELECT" in row["reason"] and "SELECT" not in row["reason_public"] and HIDDEN in row["reason_public"]


def _store_at_version(path, version, setup_sql=()):
    import sqlite3
    from app.store.db import MIGRATIONS
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:version]:
        for statement in migration.sql.split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    for sql in setup_sql:
        conn.execute(sql)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("offenses_row, expected", [
    (None, {"protocol": "tcp"}),
    ('{"host": "10.0.0.5"}', {"host": "10.0.0.5", "protocol": "tcp"}),
    ('{"protocol": "udp"}', {"protocol": "udp"}),
])
def test_an_upgraded_store_keeps_the_plain_tcp_it_used_and_a_new_one_gets_tls(tmp_path, offenses_row, expected):
    from app.pipeline.offenses import OffenseSettings
    setup = ["INSERT INTO windows (rule_id, kind, start_ms, end_ms, status, planned_ms) VALUES ('r', 'hunt', 0, 1, 'done', 0)"]
    if offenses_row:
        setup.append(f"INSERT INTO config (key, value_json, updated_ms, updated_by) VALUES ('offenses', '{offenses_row}', 1, 'a')")
    _store_at_version(tmp_path / "old.db", 5, setup)
    upgraded = Store(tmp_path / "old.db")
    assert upgraded.settings.get("offenses") == expected
    assert OffenseSettings.from_value(upgraded.settings.get("offenses"), {"QRADAR_CONSOLE_IP": "10.0.0.1"}).warnings()
    upgraded.close()
    fresh = Store(tmp_path / "new.db")
    assert fresh.settings.get("offenses") is None       # a new install: the TLS default
    fresh.close()
