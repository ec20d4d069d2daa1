"""Time frames: LAST, START/STOP with epoch ms (exact) and every documented string layout (minute-granular),
PARSEDATETIME, zones, and the default span when no time clause is given."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from qradar_sim.aql import AqlError, compile_query
from qradar_sim.profiles import PROFILES, column_types
from tests.sim.test_aql_support import event, make_store, run

COLUMNS = column_types(PROFILES["seed"])
NOW = 1_700_000_000_000


def ms(text: str) -> int:
    """'2014-04-25 15:51:20.000' in UTC -> epoch ms."""
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp() * 1000)


def time_range(frame: str, now: int = NOW) -> tuple[int, int]:
    return compile_query(f"SELECT starttime FROM events {frame}", COLUMNS).time_range(now)


def test_no_time_clause_is_the_last_60_seconds():
    assert time_range("") == (NOW - 60_000, NOW)


@pytest.mark.parametrize("frame, span", [("LAST 5 MINUTES", 300_000), ("last 2 hours", 7_200_000),
                                         ("LAST 1 DAYS", 86_400_000), ("LAST 24 HOURS", 86_400_000)])
def test_last(frame, span):
    assert time_range(frame) == (NOW - span, NOW)


def test_epoch_milliseconds_are_exact_and_stop_defaults_to_now():
    assert time_range("START 1605046453426 STOP 1605046513427") == (1605046453426, 1605046513427)
    assert time_range("START 1605046453426") == (1605046453426, NOW)


def test_minute_strings_follow_ibms_first_example():
    # START '2014-04-25 15:51' STOP '2014-04-25 17:00' returns 15:51:00 to 16:59:59
    assert time_range("START '2014-04-25 15:51' STOP '2014-04-25 17:00'") == \
        (ms("2014-04-25 15:51:00.000"), ms("2014-04-25 17:00:00.000"))


def test_second_strings_follow_ibms_second_example():
    # START '...15:51:20' STOP '...17:00:20' returns 15:51:00 to 17:00:59
    assert time_range("START '2014-04-25 15:51:20' STOP '2014-04-25 17:00:20'") == \
        (ms("2014-04-25 15:51:00.000"), ms("2014-04-25 17:01:00.000"))


def test_a_stop_on_a_whole_minute_ends_before_that_minute():
    assert time_range("START '2014-04-25 15:51:00' STOP '2014-04-25 17:00:00'")[1] == ms("2014-04-25 17:00:00.000")


@pytest.mark.parametrize("text", ["2014-04-25 15:51:20", "2014/04/25 15:51:20", "2014/04/25-15:51:20",
                                  "2014:04:25-15:51:20"])
def test_every_documented_layout_with_seconds(text):
    assert time_range(f"START '{text}' STOP '{text}'") == (ms("2014-04-25 15:51:00.000"), ms("2014-04-25 15:52:00.000"))


@pytest.mark.parametrize("text", ["2014/04/25 15:51", "2014-04-25T15:51:20", "25-04-2014 15:51", "2014-04-25",
                                  "yesterday"])
def test_undocumented_layouts_are_rejected(text):
    with pytest.raises(AqlError, match="Invalid time"):
        time_range(f"START '{text}'")


@pytest.mark.parametrize("zone, hours", [("UTC", 0), ("GMT", 0), ("Z", 0), ("+0200", 2), ("-05:00", -5),
                                         ("GMT+01:00", 1), ("Europe/Paris", 2)])
def test_optional_zone(zone, hours):
    start, _ = time_range(f"START '2014-04-25 15:51 {zone}' STOP 1")
    assert start == ms("2014-04-25 15:51:00.000") - hours * 3_600_000


def test_unknown_zone_is_rejected():
    with pytest.raises(AqlError, match="zone"):
        time_range("START '2014-04-25 15:51 Mars/Olympus'")


def test_parsedatetime_relative_times():
    assert time_range("START PARSEDATETIME('1 hour ago')") == (NOW - 3_600_000, NOW)
    assert time_range("START PARSEDATETIME('3 days ago') STOP PARSEDATETIME('2 minutes ago')") == \
        (NOW - 3 * 86_400_000, NOW - 120_000)
    with pytest.raises(AqlError, match="PARSEDATETIME"):
        time_range("START PARSEDATETIME('the day before')")


def test_time_frame_must_be_last():
    with pytest.raises(AqlError, match="out of place"):
        compile_query("SELECT starttime FROM events LAST 2 HOURS ORDER BY starttime", COLUMNS)
    compile_query("SELECT starttime FROM events ORDER BY starttime LIMIT 5 LAST 2 HOURS", COLUMNS)


def test_time_frame_inside_where_is_rejected():
    with pytest.raises(AqlError) as caught:
        compile_query("SELECT starttime FROM events WHERE devicetype = 12 AND LAST 24 HOURS", COLUMNS)
    assert "LAST" in caught.value.message.upper() and "WHERE" in caught.value.message


def test_singular_units_are_not_documented_and_rejected():
    with pytest.raises(AqlError):
        compile_query("SELECT starttime FROM events LAST 1 HOUR", COLUMNS)


def test_execution_uses_the_range_with_minute_granularity():
    instants = ["2014-04-25 15:50:59.999", "2014-04-25 15:51:00.000", "2014-04-25 16:59:59.999",
                "2014-04-25 17:00:00.000", "2014-04-25 17:00:59.999", "2014-04-25 17:01:00.000"]
    store = make_store([event(0, starttime=ms(t), username=t) for t in instants])

    def found(frame):
        return [r["username"] for r in run(store, f"SELECT username FROM events {frame}", now=ms(instants[-1]) + 1)]

    assert found("START '2014-04-25 15:51' STOP '2014-04-25 17:00'") == instants[1:3]
    assert found("START '2014-04-25 15:51:20' STOP '2014-04-25 17:00:20'") == instants[1:5]
    # epoch ms: exact, start included, stop excluded
    assert found(f"START {ms(instants[1])} STOP {ms(instants[3])}") == instants[1:3]
    assert found(f"START {ms(instants[1]) + 1} STOP {ms(instants[3]) + 1}") == instants[2:4]
    # default: the 60 s before now
    assert found("") == instants[4:]  # now = 17:01:00.001
