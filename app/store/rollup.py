"""Roll-ups of the stored hits that the overview reads instead of the hits themselves (a million hits would
take minutes to group): hits by rule and suppressed per hour (hit_hourly), per day (hit_daily) and in total
(hit_totals), and un-suppressed hits per host, user, tool and destination (hit_top). Tables: migration 0005.

Inserted hits are counted a window at a time by `count_inserted()`, which the one writer that inserts hits
(the ledger, app/store/ledger.py) calls in the transaction that inserts them: a row trigger ran 14 statements
per hit and cost more than the insert itself (v1). Triggers keep the roll-ups exact for every other change,
whoever makes it (re-enrichment, exceptions applied later, the browse-column backfill, retention deleting old
hits), so no writer of those has to remember them. They are created here, not in the migration, because their
bodies hold semicolons and the migration runner splits on them. Creating them (first start after an upgrade,
or after someone dropped one) rebuilds the roll-ups from the hits in the same transaction, so they can never
start out of step.
"""
from __future__ import annotations

import string
from collections import Counter

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


# SQLite's NOCASE folds the 26 ASCII capitals and nothing else; hit_top.value compares with it.
_NOCASE = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
# What count_inserted reads of each hit, in this order.
COUNTED = ("event_time_ms", "rule_id", "suppressed", *TOP_DIMENSIONS.values())


def _nocase(value):
    """The value as NOCASE compares it (lower() is the same on ASCII text, and far quicker than translate)."""
    if not isinstance(value, str):
        return value
    return value.lower() if value.isascii() else value.translate(_NOCASE)


def _bucket(time_ms: int, size: int) -> int:
    """`time_ms - time_ms % size` as SQLite computes it (the triggers do): its % keeps the dividend's sign."""
    remainder = time_ms % size
    return time_ms - (remainder - size if time_ms < 0 and remainder else remainder)


def count_inserted(conn, hits) -> None:
    """Counts into the roll-ups the hits just inserted, given as tuples of their COUNTED values: the counts
    are added up here and written with one UPSERT per changed roll-up row, where a row trigger ran 14 statements
    per hit (v1) and reading the new hits back would read every one's overflow pages (suppressed, tool and
    destination come after the JSON columns). Call it in the transaction that inserted them, with exactly the
    hits that were inserted (not those skipped as already stored)."""
    if not hits:
        return
    times, rules, flags, *columns = zip(*hits)
    hourly = Counter(zip([t - t % HOUR_MS if t >= 0 else _bucket(t, HOUR_MS) for t in times], rules, flags))
    daily, totals = Counter(), Counter()
    for (hour, rule_id, suppressed), n in hourly.items():   # as ensure_rollups derives them from hit_hourly
        daily[(_bucket(hour, DAY_MS), rule_id, suppressed)] += n
        totals[(rule_id, suppressed)] += n
    for table, counts in (("hit_hourly", hourly), ("hit_daily", daily), ("hit_totals", totals)):
        key = COUNTERS[table][0]
        names = ", ".join(["rule_id", "suppressed"] if key is None else [key, "rule_id", "suppressed"])
        conn.executemany(f"INSERT INTO {table} ({names}, n) VALUES ({', '.join('?' * (len(next(iter(counts))) + 1))}) "
                         f"ON CONFLICT ({names}) DO UPDATE SET n = n + excluded.n",
                         [(*group, n) for group, n in counts.items()])
    top: dict[tuple, list] = {}
    for dim, values in zip(TOP_DIMENSIONS, columns):
        for value, suppressed in zip(values, flags):
            if suppressed == 0 and value is not None:
                folded = (dim, _nocase(value))
                entry = top.get(folded)
                if entry is None:   # a value new to hit_top is spelled as the first hit that has it
                    top[folded] = [dim, value, 1]
                else:
                    entry[2] += 1
    conn.executemany("INSERT INTO hit_top (dim, value, n) VALUES (?, ?, ?) "
                     "ON CONFLICT (dim, value) DO UPDATE SET n = n + excluded.n", list(top.values()))
