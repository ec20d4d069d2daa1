"""Result shape: SELECT lists and column names, functions, DATEFORMAT letters, GROUP BY / aggregates /
HAVING, ORDER BY / LIMIT, flows, and the execution hooks (progress, cancel)."""
from __future__ import annotations

import pytest

from qradar_sim.aql import compile_query
from qradar_sim.profiles import PROFILES, column_types
from tests.sim.test_aql_support import T0, event, make_store, run

DAY = " LAST 1 DAYS"


@pytest.fixture(scope="module")
def store():
    return make_store([
        event(0, sourceip="10.0.0.1", destinationport=22, payload="hello",
              props={"EventID": "1", "Process Name": "rclone.exe"}),
        event(1000, sourceip="10.0.0.2", destinationport=443, logsourceid=102, category=18001, qid=5001829,
              props={"EventID": "3", "Process Name": "curl.exe"}),
        event(2000, sourceip="10.0.0.1", destinationport=443, props={"EventID": "3", "Process Name": "curl.exe"}),
        event(3000, sourceip="10.0.0.3", devicetype=18, logsourceid=999, category=1, qid=2,
              props={"EventID": "22"}),
        event(4000, sourceip="10.0.0.1", destinationport=8443, props={"EventID": "3", "Process Name": "wget.exe"}),
    ])


def one(store, select, where=""):
    rows = run(store, f"SELECT {select} FROM events {where}{DAY}")
    return rows


# ---- names --------------------------------------------------------------------------------------
def test_unaliased_function_columns_are_named_function_underscore_argument(store):
    row = one(store, "LOGSOURCENAME(logsourceid), LOGSOURCETYPENAME(devicetype), CATEGORYNAME(category), "
                     "QIDNAME(qid), UTF8(payload), DATEFORMAT(starttime, 'yyyy'), LOWER(\"Process Name\"), "
                     "STR(sourceip), UPPER(LOWER(username))")[0]
    assert list(row) == ["logsourcename_logsourceid", "logsourcetypename_devicetype", "categoryname_category",
                         "qidname_qid", "utf8_payload", "dateformat_starttime", "lower_Process Name",
                         "str_sourceip", "upper_lower_username"]
    assert list(row.values()) == ["WinCollect @ ws-17", "Microsoft Windows Security Event Log",
                                  "Process Creation Success", "Process Create", "hello", "2024",
                                  "rclone.exe", "10.0.0.1", "CORP\\ALICE"]


def test_aliases_in_every_form(store):
    row = one(store, "sourceip AS Src, destinationport AS 'Dst Port', \"Process Name\" AS \"Image\", "
                     "COUNT(*) AS total", "WHERE \"EventID\" = '1' GROUP BY sourceip, destinationport, \"Process Name\"")
    assert row == [{"Src": "10.0.0.1", "Dst Port": 22, "Image": "rclone.exe", "total": 1}]


def test_columns_keep_their_console_names(store):
    # bare names are case-insensitive and come back under the console's spelling
    row = one(store, "SOURCEIP, \"Process Name\", eventid")[0]
    assert row == {"sourceip": "10.0.0.1", "Process Name": "rclone.exe", "EventID": "1"}


def test_select_star_lists_every_column_of_the_profile(store):
    row = one(store, "*")[0]
    assert list(row) == list(column_types(PROFILES["seed"]))
    assert row["starttime"] == T0 and row["EventID"] == "1" and row["endtime"] is None


def test_values_have_console_types(store):
    row = one(store, "starttime, sourceip, destinationport, username, highlevelcategory")[0]
    assert row == {"starttime": T0, "sourceip": "10.0.0.1", "destinationport": 22, "username": "CORP\\alice",
                   "highlevelcategory": None}


def test_unknown_ids_give_null_names(store):
    row = one(store, "LOGSOURCENAME(logsourceid) AS ls, LOGSOURCETYPENAME(devicetype) AS t, CATEGORYNAME(category) AS c, "
                     "QIDNAME(qid) AS q", "WHERE \"EventID\" = '22'")[0]
    assert row == {"ls": None, "t": "Universal DSM", "c": None, "q": None}


def test_function_of_null_is_null(store):
    assert one(store, "UTF8(payload) AS p, LOWER(\"CommandLine\") AS c", "WHERE \"EventID\" = '22'") == \
        [{"p": None, "c": None}]


# ---- DATEFORMAT ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("pattern, text", [
    ("yyyy-MM-dd HH:mm:ss", "2024-04-25 14:51:20"),
    ("yyyy/MM/dd HH:mm:ss.SSS", "2024/04/25 14:51:20.000"),
    ("yy-M-d H:m:s", "24-4-25 14:51:20"),
    ("EEE, d MMM yyyy hh:mm a", "Thu, 25 Apr 2024 02:51 PM"),
    ("EEEE MMMM", "Thursday April"),
    ("HH:mm Z z", "14:51 +0000 UTC"),
    ("yyyy-MM-dd'T'HH:mm:ss''", "2024-04-25T14:51:20'"),
    ("D u k K X", "116 4 14 2 Z"),
])
def test_dateformat_java_letters_in_utc(store, pattern, text):
    literal = pattern.replace("'", "''")  # AQL doubles a quote inside a string literal
    assert one(store, f"DATEFORMAT(starttime, '{literal}') AS t")[0]["t"] == text


def test_dateformat_milliseconds():
    store = make_store([event(7)])
    assert run(store, "SELECT DATEFORMAT(starttime, 'ss.SSS') AS t FROM events" + DAY)[0]["t"] == "20.007"


def test_dateformat_rejects_unknown_letters(store):
    from qradar_sim.aql import AqlError
    with pytest.raises(AqlError, match="illegal pattern character 'q'"):
        one(store, "DATEFORMAT(starttime, 'yyyy q')")


# ---- GROUP BY / aggregates / HAVING ---------------------------------------------------------------------
def test_group_by_with_count_min_max(store):
    rows = one(store, "sourceip, COUNT(*) AS n, COUNT(destinationport) AS ports, MIN(starttime) AS first, "
                      "MAX(destinationport) AS top", "GROUP BY sourceip ORDER BY sourceip")
    assert rows == [
        {"sourceip": "10.0.0.1", "n": 3, "ports": 3, "first": T0, "top": 8443},
        {"sourceip": "10.0.0.2", "n": 1, "ports": 1, "first": T0 + 1000, "top": 443},
        {"sourceip": "10.0.0.3", "n": 1, "ports": 0, "first": T0 + 3000, "top": None},
    ]


def test_unaliased_aggregate_names(store):
    row = one(store, "COUNT(*), COUNT(destinationport), MIN(starttime), MAX(\"Process Name\")")[0]
    assert row == {"count": 5, "count_destinationport": 4, "min_starttime": T0, "max_Process Name": "wget.exe"}


def test_aggregate_without_group_by_over_nothing_is_one_row(store):
    assert one(store, "COUNT(*) AS n, MAX(starttime) AS m", "WHERE \"EventID\" = 'none'") == [{"n": 0, "m": None}]
    assert one(store, "COUNT(*) AS n", "WHERE \"EventID\" = 'none' HAVING COUNT(*) = 0") == [{"n": 0}]
    assert one(store, "COUNT(*) AS n", "HAVING n < 3") == []


def test_group_by_several_columns_and_having(store):
    rows = one(store, "sourceip, \"EventID\", COUNT(*) AS n",
               "GROUP BY sourceip, \"EventID\" HAVING COUNT(*) >= 2")
    assert rows == [{"sourceip": "10.0.0.1", "EventID": "3", "n": 2}]
    assert one(store, "sourceip, COUNT(*) AS n", "GROUP BY sourceip HAVING n > 1") == [{"sourceip": "10.0.0.1", "n": 3}]


def test_group_by_a_function_and_order_by_count(store):
    rows = one(store, "LOGSOURCENAME(logsourceid) AS src, COUNT(*) AS n",
               "WHERE \"EventID\" <> '22' GROUP BY LOGSOURCENAME(logsourceid) ORDER BY n DESC")
    assert rows == [{"src": "WinCollect @ ws-17", "n": 3}, {"src": "WinCollect @ srv-02", "n": 1}]


# ---- ORDER BY / LIMIT ------------------------------------------------------------------------------------
def test_order_by_alias_descending_like_the_seed(store):
    rows = one(store, "DATEFORMAT(starttime, 'HH:mm:ss') AS EventTime, sourceip", "ORDER BY EventTime DESC")
    assert [r["EventTime"] for r in rows] == ["14:51:24", "14:51:23", "14:51:22", "14:51:21", "14:51:20"]
    quoted = one(store, "DATEFORMAT(starttime, 'HH:mm:ss') AS EventTime", "ORDER BY \"EventTime\" ASC")
    assert [r["EventTime"] for r in quoted] == sorted(r["EventTime"] for r in rows)


def test_order_by_several_keys_and_mixed_directions(store):
    rows = one(store, "sourceip, destinationport", "WHERE destinationport IS NOT NULL "
                                                   "ORDER BY destinationport DESC, sourceip ASC")
    assert [(r["destinationport"], r["sourceip"]) for r in rows] == \
        [(8443, "10.0.0.1"), (443, "10.0.0.1"), (443, "10.0.0.2"), (22, "10.0.0.1")]


def test_order_by_a_column_not_selected(store):
    rows = one(store, "\"EventID\"", "ORDER BY starttime DESC")
    assert [r["EventID"] for r in rows] == ["3", "22", "3", "3", "1"]


def test_order_by_puts_nulls_last_ascending(store):
    rows = one(store, "destinationport AS p", "ORDER BY p")
    assert [r["p"] for r in rows] == [22, 443, 443, 8443, None]


def test_limit(store):
    assert len(one(store, "sourceip", "LIMIT 2")) == 2
    assert [r["sourceip"] for r in one(store, "sourceip", "ORDER BY starttime DESC LIMIT 1")] == ["10.0.0.1"]
    assert [r["n"] for r in one(store, "sourceip, COUNT(*) AS n", "GROUP BY sourceip ORDER BY n DESC LIMIT 1")] == [3]
    assert one(store, "sourceip", "LIMIT 0") == []


def test_without_order_by_rows_come_in_time_order(store):
    assert [r["starttime"] for r in one(store, "starttime")] == [T0 + i * 1000 for i in range(5)]


# ---- database, hooks -------------------------------------------------------------------------------------
def test_flows_parse_and_return_nothing(store):
    query = compile_query("SELECT sourceip, COUNT(*) AS n FROM flows GROUP BY sourceip LAST 5 MINUTES",
                          column_types(store.profile))
    assert query.database == "flows" and query.column_names == ["sourceip", "n"]
    assert query.execute(store, T0 + 1) == []


def test_column_names_attribute_matches_result_keys(store):
    query = compile_query("SELECT DATEFORMAT(starttime,'yyyy') AS y, QIDNAME(qid), \"EventID\" FROM events LAST 1 DAYS",
                          column_types(store.profile))
    assert query.database == "events" and query.column_names == ["y", "qidname_qid", "EventID"]
    assert list(query.execute(store, T0 + 3_600_000)[0]) == query.column_names


def test_progress_is_reported_and_reaches_the_total(store):
    calls = []
    run(store, "SELECT sourceip FROM events" + DAY, progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (5, 5)


def test_cancel_returns_the_rows_found_so_far(monkeypatch):
    from qradar_sim.aql import query as query_module
    monkeypatch.setattr(query_module, "CHUNK_ROWS", 2)
    store = make_store([event(i * 1000, username=f"u{i}") for i in range(10)])
    checks = []

    def cancelled():
        checks.append(1)
        return len(checks) > 2  # cancel before the third chunk

    rows = run(store, "SELECT username FROM events" + DAY, cancelled=cancelled)
    assert [r["username"] for r in rows] == ["u0", "u1", "u2", "u3"]
