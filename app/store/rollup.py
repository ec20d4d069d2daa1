"""Roll-ups of the stored hits that the overview reads instead of the hits themselves (a million hits would
take minutes to group): hits by rule and suppressed per hour (hit_hourly), per day (hit_daily) and in total
(hit_totals), and un-suppressed hits per host, user, tool and destination (hit_top). Tables: migration 0005.

Inserted hits are counted a window at a time by the `COUNT_STAGED` statements, which the one writer that inserts
hits (the ledger, app/store/ledger.py) runs in the transaction that inserts them: a row trigger ran 14 statements
per hit and cost more than the insert itself (v1). Triggers keep the roll-ups exact for every other change,
whoever makes it (re-enrichment, exceptions applied later, the browse-column backfill, retention deleting old
hits), so no writer of those has to remember them. They are created here, not in the migration, because their
bodies hold semicolons and the migration runner splits on them. Creating them (first start after an upgrade,
or after someone dropped one) rebuilds the roll-ups from the hits in the same transaction, so they can never
start out of step.
"""
from __future__ import annotations

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
VERSION = "v2"   # v1 also counted inserts with a row trigger
# roll-up table -> its time key column and bucket (None: no time key)
COUNTERS = {"hit_hourly": ("hour_ms", HOUR_MS), "hit_daily": ("day_ms", DAY_MS), "hit_totals": (None, None)}
TOP_DIMENSIONS = {"host": "source_ip", "user": "username", "tool": "tool", "destination": "destination"}
TRIGGERS = (f"hits_rollup_{VERSION}_delete", f"hits_rollup_{VERSION}_update")


def _add(row: str, sign: str) -> str:
    """Trigger statements counting the hit `row` (NEW or OLD) in (sign +) or out (sign -) of the roll-ups."""
    parts = []
    for table, (key, size) in COUNTERS.items():
        columns, values, match = ["rule_id", "suppressed"], [f"{row}.rule_id", f"{row}.suppressed"], []
        if key:
            columns.insert(0, key)
            values.insert(0, f"({row}.event_time_ms - {row}.event_time_ms % {size})")
        match = " AND ".join(f"{c} = {v}" for c, v in zip(columns, values))
        parts.append(f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}, n) VALUES ({', '.join(values)}, 0);")
        parts.append(f"UPDATE {table} SET n = n {sign} 1 WHERE {match};")
    for dim, column in TOP_DIMENSIONS.items():
        parts.append(f"INSERT OR IGNORE INTO hit_top (dim, value, n) SELECT '{dim}', {row}.{column}, 0 "
                     f"WHERE {row}.suppressed = 0 AND {row}.{column} IS NOT NULL;")
        parts.append(f"UPDATE hit_top SET n = n {sign} 1 WHERE {row}.suppressed = 0 AND dim = '{dim}' "
                     f"AND value = {row}.{column};")
    return "\n".join(parts)


def _trigger_sql() -> list[str]:
    watched = ", ".join(["event_time_ms", "rule_id", "suppressed", *TOP_DIMENSIONS.values()])
    delete, update = TRIGGERS
    return [
        f"CREATE TRIGGER {delete} AFTER DELETE ON hits BEGIN\n{_add('OLD', '-')}\nEND",
        f"CREATE TRIGGER {update} AFTER UPDATE OF {watched} ON hits BEGIN\n{_add('OLD', '-')}\n{_add('NEW', '+')}\nEND",
    ]


def ensure_rollups(db) -> bool:
    """Creates the triggers and rebuilds the roll-ups when a trigger is missing; True when it did."""
    present = {r["name"] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    if all(name in present for name in TRIGGERS):
        return False
    with db.transaction() as conn:
        for name in [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                                "AND name LIKE 'hits~_rollup~_%' ESCAPE '~'")]:
            conn.execute(f"DROP TRIGGER {name}")   # this version's and any earlier version's
        for sql in _trigger_sql():
            conn.execute(sql)
        for table in (*COUNTERS, "hit_top"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute(f"INSERT INTO hit_hourly (hour_ms, rule_id, suppressed, n) "
                     f"SELECT event_time_ms - event_time_ms % {HOUR_MS} AS h, rule_id, suppressed, COUNT(*) "
                     f"FROM hits GROUP BY h, rule_id, suppressed")
        conn.execute(f"INSERT INTO hit_daily (day_ms, rule_id, suppressed, n) "
                     f"SELECT hour_ms - hour_ms % {DAY_MS} AS d, rule_id, suppressed, SUM(n) "
                     f"FROM hit_hourly GROUP BY d, rule_id, suppressed")
        conn.execute("INSERT INTO hit_totals (rule_id, suppressed, n) "
                     "SELECT rule_id, suppressed, SUM(n) FROM hit_hourly GROUP BY rule_id, suppressed")
        for dim, column in TOP_DIMENSIONS.items():
            conn.execute(f"INSERT INTO hit_top (dim, value, n) SELECT '{dim}', {column}, COUNT(*) FROM hits "
                         f"WHERE suppressed = 0 AND {column} IS NOT NULL GROUP BY {column} COLLATE NOCASE")
    return True


# What the roll-ups read of each hit.
COUNTED = ("event_time_ms", "rule_id", "suppressed", *TOP_DIMENSIONS.values())


def _count_staged() -> tuple[str, ...]:
    """Statements that count the hits staged for insertion (temp.hit_staging, app/store/ledger.py) into the
    roll-ups, run in the transaction that inserts exactly those hits: one UPSERT a roll-up table, each adding up
    its groups in SQL (the buckets as the triggers compute them). A value new to hit_top is spelled as the first
    staged hit that has it: with one min() in an aggregate, SQLite takes the bare columns from that row."""
    statements = []
    for table, (key, size) in COUNTERS.items():
        columns = ["rule_id", "suppressed"] if key is None else [key, "rule_id", "suppressed"]
        values = ["rule_id", "suppressed"] if key is None else \
            [f"event_time_ms - event_time_ms % {size}", "rule_id", "suppressed"]
        groups = ", ".join(values)
        statements.append(f"INSERT INTO {table} ({', '.join(columns)}, n) SELECT {groups}, COUNT(*) "
                          f"FROM temp.hit_staging WHERE 1 GROUP BY {groups} "
                          f"ON CONFLICT ({', '.join(columns)}) DO UPDATE SET n = n + excluded.n")
    tops = " UNION ALL ".join(
        f"SELECT '{dim}' AS dim, value, n FROM (SELECT {column} AS value, COUNT(*) AS n, MIN(rowid) "
        f"FROM temp.hit_staging WHERE suppressed = 0 AND {column} IS NOT NULL GROUP BY {column} COLLATE NOCASE)"
        for dim, column in TOP_DIMENSIONS.items())
    statements.append(f"INSERT INTO hit_top (dim, value, n) SELECT dim, value, n FROM ({tops}) WHERE 1 "
                      f"ON CONFLICT (dim, value) DO UPDATE SET n = n + excluded.n")
    return tuple(statements)


COUNT_STAGED = _count_staged()
