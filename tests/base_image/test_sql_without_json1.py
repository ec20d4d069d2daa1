"""The base image's sqlite-libs 3.26.0 is not known to have JSON1 compiled in (reference/app-framework.md),
so no SQL the app runs may call a JSON1 function: JSON is read and written in Python. A migration or query
that does would fail only on a console, where the store then cannot be opened or a page cannot be served."""
import re
import sqlite3
from pathlib import Path

from app.store.db import MIGRATIONS, Database

APP = Path(__file__).resolve().parents[2] / "app"
JSON1_CALL = re.compile(r"\bjson(?:_[a-z_]+)?\s*\(", re.IGNORECASE)


def _sql_like_strings(text: str) -> list[str]:
    # Python's json.dumps(...)/json.loads(...) are not SQL; SQL strings name a SQL keyword near the call.
    return [line for line in text.splitlines()
            if JSON1_CALL.search(line) and re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|SET)\b", line)
            and not re.search(r"\bjson\.(dumps|loads|dump|load)\s*\(", line)]


def test_no_app_sql_calls_a_json1_function():
    offending = []
    for path in sorted(APP.rglob("*")):
        if path.suffix == ".sql":
            lines = [line for line in path.read_text(encoding="utf-8").splitlines()
                     if JSON1_CALL.search(line) and not line.lstrip().startswith("--")]
        elif path.suffix == ".py":
            lines = _sql_like_strings(path.read_text(encoding="utf-8"))
        else:
            continue
        offending += [f"{path.relative_to(APP)}: {line.strip()}" for line in lines]
    assert not offending, "JSON1 calls in the app's SQL:\n" + "\n".join(offending)


def test_the_scan_sees_a_json1_call():
    assert _sql_like_strings("conn.execute(\"SELECT json_extract(value_json, '$.a') FROM config\")")
    assert not _sql_like_strings("conn.execute('SELECT 1', (json.dumps(x),))")


def test_python_migrations_rewrite_stored_json(tmp_path):
    """0006 and 0007 run as Python: a store at schema 5 with a bare user name and a store that has run
    come out with the explicit user and plain TCP pinned, each change audited."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:5]:
        migration.apply(conn)
    conn.execute("PRAGMA user_version = 5")
    conn.execute("INSERT INTO exceptions (name, conditions_json, reason, author, created_ms, updated_ms, updated_by) "
                 "VALUES ('e', '[{\"field\": \"username\", \"op\": \"equals\", \"value\": \"svc\"}]', 'r', 'a', 1, 1, 'a')")
    conn.execute("INSERT INTO windows (rule_id, kind, start_ms, end_ms, status, planned_ms) VALUES ('r', 'hunt', 0, 1, 'done', 1)")
    conn.commit()
    conn.close()
    db = Database(path)
    (conditions,) = db.query("SELECT conditions_json FROM exceptions")[0]
    assert '"*\\\\svc"' in conditions
    (protocol_setting,) = db.query("SELECT value_json FROM config WHERE key = 'offenses'")[0]
    assert '"protocol":"tcp"' in protocol_setting
    actors = {row[0] for row in db.query("SELECT actor FROM audit")}
    assert {"migration 0006", "migration 0007"} <= actors
