"""Operator semantics of the stand-in's AQL engine, one operator at a time (docs/aql-subset.md)."""
from __future__ import annotations

import pytest

from tests.sim.test_aql_support import event, make_store, run

ALL_DAY = " LAST 1 DAYS"


def names(rows, key="Process Name"):
    return [r[key] for r in rows]


@pytest.fixture(scope="module")
def store():
    return make_store([
        event(0, destinationip="10.0.0.5", destinationport=22,
              props={"EventID": "3", "Process Name": "rclone.exe", "CommandLine": "C:\\Tools\\rclone.exe copy"}),
        event(1, destinationip="203.0.113.9", destinationport=443,
              props={"EventID": "3", "Process Name": "RClone.EXE", "CommandLine": "RCLONE sync"}),
        event(2, destinationip="2001:db8::17", destinationport=8443,
              props={"EventID": "3", "Process Name": "curl.exe"}),
        event(3, destinationip="172.31.9.9", props={"EventID": "1", "Process Name": "notepad.exe",
                                                      "CommandLine": "notepad 100%_done.txt"}),
        event(4, props={"EventID": "1", "Process Name": "a_b.exe", "CommandLine": "x\nrclone"}),
        event(5, props={"EventID": "22"}),  # no Process Name, no CommandLine, no destination
    ])


def q(store, where, select='"Process Name"', **options):
    return names(run(store, f"SELECT {select} FROM events WHERE {where}{ALL_DAY}", **options))


# ---- LIKE / ILIKE ------------------------------------------------------------------------------
def test_like_is_anchored_and_case_sensitive(store):
    assert q(store, "\"Process Name\" LIKE 'rclone%'") == ["rclone.exe"]
    assert q(store, "\"Process Name\" LIKE 'clone%'") == []          # anchored at the start
    assert q(store, "\"Process Name\" LIKE '%rclone'") == []         # anchored at the end
    assert q(store, "\"Process Name\" LIKE '%clone%'") == ["rclone.exe"]


def test_ilike_ignores_case(store):
    assert q(store, "\"Process Name\" ILIKE 'RCLONE.exe'") == ["rclone.exe", "RClone.EXE"]


def test_like_underscore_is_one_character_and_dot_is_literal(store):
    assert q(store, "\"Process Name\" LIKE 'a_b.exe'") == ["a_b.exe"]
    assert q(store, "\"Process Name\" LIKE '_.exe'") == []
    assert q(store, "\"Process Name\" LIKE 'curl_exe'") == ["curl.exe"]
    assert q(store, "\"Process Name\" LIKE 'curl.ex'") == []
    assert q(store, "\"Process Name\" LIKE 'rclone.ex_'") == ["rclone.exe"]


def test_like_backslash_is_literal(store):
    assert q(store, "\"CommandLine\" LIKE 'C:\\Tools\\rclone.exe%'") == ["rclone.exe"]
    assert q(store, "\"CommandLine\" ILIKE '%\\rclone.exe%'") == ["rclone.exe"]
    # a backslash does not escape the wildcard after it
    assert q(store, "\"CommandLine\" LIKE 'notepad 100\\%%'") == []


def test_like_percent_spans_newlines(store):
    assert q(store, "\"CommandLine\" LIKE 'x%rclone'") == ["a_b.exe"]


def test_not_like(store):
    assert q(store, "\"Process Name\" NOT ILIKE 'rclone%'") == ["curl.exe", "notepad.exe", "a_b.exe"]


def test_like_on_an_ip_column_compares_the_dotted_text(store):
    assert q(store, "destinationip ILIKE '10.%'") == ["rclone.exe"]
    assert q(store, "destinationip LIKE '172.31.%'") == ["notepad.exe"]
    assert q(store, "destinationip LIKE '2001:db8:%'") == ["curl.exe"]


def test_like_on_a_numeric_column_compares_its_text(store):
    assert q(store, "destinationport LIKE '84%'") == ["curl.exe"]


# ---- MATCHES / IMATCHES ---------------------------------------------------------------------------
def test_matches_full_mode_needs_the_whole_value(store):
    assert q(store, "\"Process Name\" MATCHES 'rclone'") == []
    assert q(store, "\"Process Name\" MATCHES 'rclone\\.exe'") == ["rclone.exe"]
    assert q(store, "\"Process Name\" MATCHES '.*clone.*'") == ["rclone.exe"]


def test_matches_substring_mode_finds_the_pattern_anywhere(store):
    assert q(store, "\"Process Name\" MATCHES 'clone'", regex_mode="substring") == ["rclone.exe"]
    assert q(store, "\"Process Name\" MATCHES '^clone'", regex_mode="substring") == []


def test_matches_is_case_sensitive_unless_inline_flag(store):
    assert q(store, "\"Process Name\" MATCHES '.*RCLONE.*'") == []
    assert q(store, "\"Process Name\" MATCHES '(?i).*rclone.*'") == ["rclone.exe", "RClone.EXE"]


def test_imatches_ignores_case(store):
    assert q(store, "\"Process Name\" IMATCHES 'rclone\\.exe'") == ["rclone.exe", "RClone.EXE"]
    assert q(store, "\"Process Name\" IMATCHES '(rclone|curl)\\.exe'") == ["rclone.exe", "RClone.EXE", "curl.exe"]


def test_portable_pattern_works_in_both_modes(store):
    where = "\"Process Name\" IMATCHES '(?i).*rclone.*'"
    assert q(store, where) == q(store, where, regex_mode="substring") == ["rclone.exe", "RClone.EXE"]


def test_dot_does_not_cross_a_newline_as_in_java(store):
    # a_b.exe's command line is "x\nrclone": '.*' stops at the newline unless (?s) is given
    assert q(store, "\"CommandLine\" IMATCHES '.*rclone.*'") == ["rclone.exe", "RClone.EXE"]
    assert q(store, "\"CommandLine\" IMATCHES '(?s).*rclone.*'") == ["rclone.exe", "RClone.EXE", "a_b.exe"]
    assert q(store, "\"CommandLine\" IMATCHES 'rclone'", regex_mode="substring") == \
        ["rclone.exe", "RClone.EXE", "a_b.exe"]


def test_matches_word_boundary(store):
    assert q(store, "\"CommandLine\" IMATCHES '.*\\brclone\\b.*'") == ["rclone.exe", "RClone.EXE"]
    assert q(store, "\"CommandLine\" IMATCHES '\\bclone\\b'", regex_mode="substring") == []


def test_invalid_regex_is_rejected_at_compile_time(store):
    from qradar_sim.aql import AqlError
    with pytest.raises(AqlError, match="regular expression"):
        q(store, "\"Process Name\" MATCHES '(unclosed'")


# ---- comparisons, IN -----------------------------------------------------------------------------
def test_equality_and_inequality_operators(store):
    assert names(run(store, "SELECT \"EventID\" FROM events WHERE \"EventID\" = '22'" + ALL_DAY), "EventID") == ["22"]
    assert q(store, "destinationport <> 22 AND destinationport != 443") == ["curl.exe"]
    assert q(store, "destinationport >= 443") == ["RClone.EXE", "curl.exe"]
    assert q(store, "destinationport < 443") == ["rclone.exe"]
    assert q(store, "destinationport <= 443 AND destinationport > 22") == ["RClone.EXE"]


def test_quoted_number_compares_with_a_numeric_column(store):
    assert q(store, "destinationport = '22'") == ["rclone.exe"]


def test_number_compares_with_a_text_property(store):
    assert q(store, "\"EventID\" = 1") == ["notepad.exe", "a_b.exe"]


def test_in_and_not_in(store):
    assert q(store, "destinationport IN (22, 8443)") == ["rclone.exe", "curl.exe"]
    assert q(store, "destinationport NOT IN (22, 8443)") == ["RClone.EXE"]  # NULL ports are not "not in"
    assert q(store, "\"EventID\" IN ('1', '4688')") == ["notepad.exe", "a_b.exe"]


# ---- NULL ------------------------------------------------------------------------------------------
def test_comparisons_with_null_are_false_and_so_is_their_negation(store):
    assert q(store, "\"CommandLine\" = 'x'", select='"EventID"') == []
    rows = run(store, "SELECT \"EventID\" FROM events WHERE NOT (\"CommandLine\" ILIKE '%rclone%')" + ALL_DAY)
    assert names(rows, "EventID") == ["1"]  # notepad only: the events without CommandLine are neither


def test_null_in_or_and_and(store):
    # unknown OR true = true; unknown AND true = unknown (dropped); NOT(unknown AND true) = unknown (dropped);
    # NOT(unknown AND false) = true
    base = "SELECT \"EventID\" FROM events WHERE "
    assert names(run(store, base + "destinationport = 1 OR \"EventID\" = '22'" + ALL_DAY), "EventID") == ["22"]
    assert names(run(store, base + "destinationport > 0 AND \"EventID\" = '22'" + ALL_DAY), "EventID") == []
    assert names(run(store, base + "NOT (destinationport > 0 AND \"EventID\" = '1')" + ALL_DAY), "EventID") == \
        ["3", "3", "3", "22"]


def test_is_null_and_is_not_null(store):
    assert q(store, "\"CommandLine\" IS NULL") == ["curl.exe", None]
    assert q(store, "\"CommandLine\" IS NOT NULL AND destinationip IS NULL") == ["a_b.exe"]
    assert q(store, "NOT \"CommandLine\" IS NULL AND destinationip IS NULL") == ["a_b.exe"]


def test_comparing_with_the_null_literal_matches_nothing(store):
    assert q(store, "\"CommandLine\" = NULL") == []
    assert q(store, "NOT \"CommandLine\" = NULL") == []


# ---- INCIDR ------------------------------------------------------------------------------------------
def test_incidr_ipv4(store):
    assert q(store, "INCIDR('10.0.0.0/8', destinationip)") == ["rclone.exe"]
    assert q(store, "INCIDR('172.16.0.0/12', destinationip)") == ["notepad.exe"]
    assert q(store, "NOT INCIDR('10.0.0.0/8', destinationip)") == ["RClone.EXE", "curl.exe", "notepad.exe"]


def test_incidr_ipv6(store):
    assert q(store, "INCIDR('2001:db8::/32', destinationip)") == ["curl.exe"]
    assert q(store, "INCIDR('2001:db9::/32', destinationip)") == []


def test_incidr_rejects_a_bad_cidr(store):
    from qradar_sim.aql import AqlError
    with pytest.raises(AqlError, match="CIDR"):
        q(store, "INCIDR('10.0.0.0/33', destinationip)")


# ---- precedence ------------------------------------------------------------------------------------
def test_and_binds_tighter_than_or(store):
    # read as: EventID = '22' OR (EventID = '1' AND Process Name = 'a_b.exe')
    rows = run(store, "SELECT \"EventID\" FROM events WHERE \"EventID\" = '22' OR \"EventID\" = '1' "
                      "AND \"Process Name\" = 'a_b.exe'" + ALL_DAY)
    assert names(rows, "EventID") == ["1", "22"]


def test_parentheses_override_precedence(store):
    rows = run(store, "SELECT \"EventID\" FROM events WHERE (\"EventID\" = '22' OR \"EventID\" = '1') "
                      "AND \"Process Name\" = 'a_b.exe'" + ALL_DAY)
    assert names(rows, "EventID") == ["1"]


def test_not_binds_tighter_than_and(store):
    # (NOT EventID = '3') AND destinationip IS NOT NULL -> only notepad (172.31.9.9)
    assert q(store, "NOT \"EventID\" = '3' AND destinationip IS NOT NULL") == ["notepad.exe"]


def test_conditions_across_columns_and_functions(store):
    assert q(store, "LOWER(\"Process Name\") = 'rclone.exe' AND destinationport = 443") == ["RClone.EXE"]
    assert q(store, "UPPER(\"Process Name\") LIKE 'CURL%' OR STR(destinationport) = '22'") == \
        ["rclone.exe", "curl.exe"]
    assert q(store, "destinationport = destinationport AND \"Process Name\" <> \"CommandLine\"") == \
        ["rclone.exe", "RClone.EXE"]
