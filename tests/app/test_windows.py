from app.detection.aql import MINUTE_MS, Window
from app.detection.rule import Schedule
from app.detection.windows import WindowPlanner

HOUR = 60 * MINUTE_MS
NOW = 1_790_000_000_000


def planner(**kw):
    return WindowPlanner(Schedule(**({"ingestion_delay_minutes": 5, "max_window_minutes": 60,
                                      "first_look_back_minutes": 60} | kw)))


def test_first_run_looks_back_and_stops_short_of_the_ingestion_delay():
    windows = planner().plan(None, NOW)
    assert windows == [Window(NOW - 5 * MINUTE_MS - HOUR, NOW - 5 * MINUTE_MS)]


def test_windows_are_contiguous_bounded_and_oldest_first_after_an_outage():
    checkpoint = NOW - 6 * HOUR - 5 * MINUTE_MS - 17
    windows = planner().plan(checkpoint, NOW)
    assert windows[0].start_ms == checkpoint and windows[-1].end_ms == NOW - 5 * MINUTE_MS
    assert all(a.end_ms == b.start_ms for a, b in zip(windows, windows[1:]))
    assert all(w.end_ms - w.start_ms <= HOUR for w in windows)
    assert len(windows) == 7


def test_nothing_is_planned_for_less_than_a_minute():
    assert planner().plan(NOW - 5 * MINUTE_MS - 59_999, NOW) == []


def test_overlap_reaches_back_into_the_previous_window_only_after_a_checkpoint():
    checkpoint = NOW - 5 * MINUTE_MS - 15 * MINUTE_MS
    assert planner(overlap_minutes=2).plan(checkpoint, NOW)[0].start_ms == checkpoint - 2 * MINUTE_MS
    assert planner(overlap_minutes=2).plan(None, NOW)[0].start_ms == NOW - 5 * MINUTE_MS - HOUR


def test_split_halves_cover_the_window_exactly_until_one_millisecond():
    a, b = WindowPlanner.split(Window(1000, 2001))
    assert (a.start_ms, a.end_ms, b.start_ms, b.end_ms) == (1000, 1500, 1500, 2001)
    assert WindowPlanner.split(Window(7, 8)) is None
