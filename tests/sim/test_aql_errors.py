"""What the engine refuses, with messages that name the problem (the server sends them as 422 / code 2000),
and the syntax it accepts: keyword case, quoting, literals."""
from __future__ import annotations

import pytest

from qradar_sim.aql import AqlError, compile_query
from qradar_sim.profiles import PROFILES, column_types
from tests.sim.test_aql_support import event, make_store, run

SEED = column_types(PROFILES["seed"])
IBM = column_types(PROFILES["ibm-windows"])


def error(text: str, columns=SEED) -> str:
    with pytest.raises(AqlError) as caught:
        compile_query(text, columns)
    assert str(caught.value) == caught.value.message
    return caught.value.message


def test_unknown_column_is_named():
    message = error("SELECT sourceip FROM events WHERE LOGSOURCETYPEID IN (12, 229) LAST 24 HOURS")
    assert '"LOGSOURCETYPEID"' in message and "column" in message.lower()


def test_property_missing_from_the_profile_is_unknown():
    assert '"EventID"' in error("SELECT \"EventID\" FROM events", IBM)
    assert '"Process Path"' in error("SELECT \"Process Path\" FROM events", SEED)
    compile_query("SELECT \"Event ID\", \"Process Path\" FROM events", IBM)


def test_quoted_names_are_exact_and_bare_names_are_not():
    assert '"process name"' in error("SELECT \"process name\" FROM events")
    compile_query("SELECT SourceIP, EVENTID FROM events", SEED)


def test_unknown_column_in_each_clause():
    for text in ("SELECT nosuch FROM events", "SELECT sourceip FROM events GROUP BY nosuch",
                 "SELECT sourceip FROM events ORDER BY nosuch", "SELECT COUNT(nosuch) FROM events",
                 "SELECT sourceip FROM events WHERE LOWER(nosuch) = 'x'"):
        assert '"nosuch"' in error(text)


def test_unknown_function_is_named():
    message = error("SELECT HOSTNAME(sourceip) FROM events")
    assert "HOSTNAME" in message and "function" in message.lower()


def test_wrong_function_arguments():
    assert "DATEFORMAT" in error("SELECT DATEFORMAT(starttime) FROM events")
    assert "quoted" in error("SELECT DATEFORMAT(starttime, username) FROM events")
    assert "MAX(*)" in error("SELECT MAX(*) FROM events")
    assert "INCIDR" in error("SELECT INCIDR('10.0.0.0/8', sourceip) FROM events")
    assert "INCIDR" in error("SELECT sourceip FROM events WHERE INCIDR(sourceip, '10.0.0.0/8')")
    assert "LOWER" in error("SELECT sourceip FROM events WHERE LOWER(username)")


def test_aggregates_are_refused_in_where():
    assert "WHERE" in error("SELECT sourceip FROM events WHERE COUNT(*) > 1")
    assert "WHERE" in error("SELECT COUNT(*) AS n FROM events WHERE n > 1")


def test_syntax_error_gives_line_and_column():
    message = error("SELECT sourceip\nFROM events\nWHERE sourceip = = '1'")
    assert "line 3, column 18" in message and "'='" in message


def test_syntax_error_lists_what_was_expected():
    message = error("SELECT sourceip FROM")
    assert "ends too early" in message and "name" in message


def test_unexpected_character():
    assert "unexpected character '?'" in error("SELECT sourceip FROM events WHERE sourceip = ?")


def test_clause_out_of_order():
    assert "out of place" in error("SELECT sourceip FROM events LIMIT 5 ORDER BY sourceip")
    assert "out of place" in error("SELECT sourceip FROM events ORDER BY sourceip WHERE sourceip = '1'")


def test_seed_as_written_is_rejected_for_its_time_frame_inside_where():
    message = error("SELECT sourceip FROM events WHERE devicetype IN (12) AND (\"EventID\" = '1') "
                    "AND LAST 24 HOURS ORDER BY sourceip")
    assert "time frame" in message and "WHERE" in message and "line 1" in message


def test_unknown_database_and_empty_query():
    assert "database" in error("SELECT sourceip FROM assets").lower()
    assert "empty" in error("   ").lower()


def test_number_against_text_for_a_numeric_column():
    assert "numeric" in error("SELECT sourceip FROM events WHERE destinationport = 'ssh'")


def test_negative_limit():
    assert "LIMIT" in error("SELECT sourceip FROM events LIMIT -1")


def test_keywords_and_functions_are_case_insensitive():
    store = make_store([event(0, props={"EventID": "1", "Process Name": "rclone.exe"})])
    rows = run(store, "select Lower(\"Process Name\") as p from EVENTS where \"EventID\" in ('1') "
                      "and \"Process Name\" iLike 'RCLONE%' Order By p desc limit 5 last 1 days")
    assert rows == [{"p": "rclone.exe"}]


def test_string_literals_double_their_quotes_and_keep_backslashes():
    store = make_store([event(0, username="CORP\\o'brien")])
    assert run(store, "SELECT username FROM events WHERE username = 'CORP\\o''brien' LAST 1 DAYS") == \
        [{"username": "CORP\\o'brien"}]


def test_keyword_prefixes_are_still_names():
    # "order" inside "orderid", "in" inside "inbound": keywords only match whole words
    assert '"orderid"' in error("SELECT orderid FROM events")
    assert '"inbound"' in error("SELECT sourceip FROM events WHERE inbound = 1")


def test_parameters_clause_is_accepted():
    query = compile_query("SELECT sourceip FROM events LIMIT 10 LAST 5 MINUTES PARAMETERS EXECUTIONTIMELIMIT = 60000",
                          SEED)
    assert query.parameters == {"EXECUTIONTIMELIMIT": 60000}


def test_where_may_use_a_select_alias():
    store = make_store([event(0, props={"Process Name": "rclone.exe"}), event(1, props={"Process Name": "x.exe"})])
    rows = run(store, "SELECT LOWER(\"Process Name\") AS image FROM events WHERE \"image\" = 'rclone.exe' LAST 1 DAYS")
    assert rows == [{"image": "rclone.exe"}]
