"""The AQL renderer: exact windows, and no value from configuration or telemetry can change a query's shape."""
import re

import pytest

from app.detection.aql import (RenderError, Window, fill_fields, quote_cidr, quote_identifier, quote_int,
                               quote_regex, quote_string, render)
from app.detection.rule import load_rules

SEED_FIELDS = {"event_id": "EventID", "process_image": "Process Name", "command_line": "CommandLine"}


def strip_literals(aql: str) -> str:
    """The query with every string literal blanked: what remains is its structure."""
    return re.sub(r"'(?:[^']|'')*'", "''", aql)


@pytest.mark.parametrize("hostile", [
    "x' OR '1'='1", "'; DELETE FROM events --", "a''b", "O'Brien\\'", "\\' OR 1=1 --",
    "powershell -c \"iex('http://x')\" ' AND LAST 1 DAYS", "line\nbreak' OR sourceip IS NOT NULL OR 'a",
])
def test_string_literals_keep_hostile_text_inside_the_literal(hostile):
    literal = quote_string(hostile)
    assert literal.startswith("'") and literal.endswith("'")
    assert strip_literals(f"WHERE username = {literal} AND x = 1") == "WHERE username = '' AND x = 1"
    assert literal[1:-1].replace("''", "'") == hostile


def test_nul_and_non_text_are_refused():
    with pytest.raises(RenderError):
        quote_string("a\x00b")
    with pytest.raises(RenderError):
        quote_string(5)


@pytest.mark.parametrize("name", ['Process" OR 1=1 --', "", "a\nb"])
def test_identifiers_that_could_escape_their_quotes_are_refused(name):
    with pytest.raises(RenderError):
        quote_identifier(name)


def test_numbers_cidrs_and_regexes_are_validated():
    assert quote_int(22) == "22"
    for bad in ("22", 2.5, True, "1; DROP"):
        with pytest.raises(RenderError):
            quote_int(bad)
    assert quote_cidr("10.0.0.5/8") == "'10.0.0.0/8'"
    assert quote_cidr("2001:db8::/32") == "'2001:db8::/32'"
    with pytest.raises(RenderError):
        quote_cidr("10.0.0.0/8' OR '1'='1")
    with pytest.raises(RenderError, match="regular expression"):
        quote_regex("(unclosed")


def test_missing_optional_field_becomes_an_empty_literal_and_names_are_quoted():
    assert fill_fields("${process_image} IMATCHES 'x' OR ${original_file_name} IMATCHES 'y'",
                       {"process_image": "Process Name"}) == "\"Process Name\" IMATCHES 'x' OR '' IMATCHES 'y'"


def test_seed_rule_renders_with_exact_window_and_minute_padded_time_frame():
    rule = load_rules()["t1048-002-seed"]
    aql = render(rule, SEED_FIELDS, Window(1_700_000_000_123, 1_700_003_600_000))
    assert "LOGSOURCETYPEID" not in aql and "LAST 24 HOURS" not in aql
    assert "devicetype IN (12)" in aql
    assert "starttime >= 1700000000123" in aql and "starttime < 1700003600000" in aql
    assert aql.rstrip().endswith("START 1699999980000 STOP 1700003640000")
    assert aql.index("LIMIT 5000") < aql.index("START")
    assert '"Process Name" AS ew_process_image' in aql and "UTF8(payload) AS ew_payload" in aql


def test_render_refuses_a_console_without_a_required_field():
    rule = load_rules()["t1048-002-seed"]
    with pytest.raises(RenderError, match="command_line"):
        render(rule, {"event_id": "EventID", "process_image": "Process Name"}, Window(0, 60_000))


def test_exclusions_are_negated_and_keep_their_literals():
    rule = load_rules()["t1048-002-seed"]
    condition = f"username = {quote_string(chr(39) + ') OR (1=1')}"
    aql = render(rule, SEED_FIELDS, Window(0, 60_000), exclusions=[condition])
    assert "NOT (username = ''') OR (1=1')" in aql
    assert strip_literals(aql).count("NOT (username = '')") == 1
