"""Console load of the schedule, simulated with the code that plans it (WindowPlanner + aql.render).

Every enabled rule ticks at its interval over a day, as the scheduler would; each planned window is rendered,
and the event-time span Ariel is asked to read is its trailing START..STOP (widened to whole minutes by the
renderer). Only the rules' own searches are counted: correlation and pushed-down COUNT searches depend on
the hits and exceptions, not on the schedule.
"""
from __future__ import annotations

import re

from app.detection.aql import MINUTE_MS, Window, render
from app.detection.windows import WindowPlanner

DAY_MS = 24 * 60 * MINUTE_MS
_START_STOP = re.compile(r"START (\d+) STOP (\d+)\s*$")


class _AnyField(dict):
    """Every logical field present, under a placeholder name: the span does not depend on field names."""

    def get(self, key, default=None):
        return key

    __getitem__ = get


def searched_span(rule, window: Window) -> int:
    aql = render(rule, _AnyField(), window, limit=rule.schedule.result_limit)
    start, stop = map(int, _START_STOP.search(aql).groups())
    return stop - start


def simulate_day(rules, day_start_ms: int) -> dict:
    """Per rule: span searched / wall time over a day of ticks (after a first tick that sets the checkpoint)."""
    ratios, searches = {}, 0
    for rule in rules:
        planner, interval = WindowPlanner(rule.schedule), rule.schedule.interval_minutes * MINUTE_MS
        checkpoint = planner.plan(None, day_start_ms)[-1].end_ms
        span = 0
        for tick in range(day_start_ms + interval, day_start_ms + DAY_MS + 1, interval):
            for window in planner.plan(checkpoint, tick):
                span += searched_span(rule, window)
                searches += 1
                checkpoint = window.end_ms
        ratios[rule.id] = round(span / DAY_MS, 3)
    return {"span_ratio_by_rule": ratios, "span_ratio": max(ratios.values()),
            "ariel_searches_per_hour": round(searches / 24, 1)}


def outage(rules, now_ms: int, hours: int, max_windows_per_run: int) -> dict:
    """What the first runs after `hours` without the scheduler ask of the console (all rules together)."""
    searches = span = runs = 0
    for rule in rules:
        planner = WindowPlanner(rule.schedule)
        windows = planner.plan(planner.horizon(now_ms) - hours * 60 * MINUTE_MS, now_ms)
        searches += len(windows)
        span += sum(searched_span(rule, w) for w in windows)
        runs = max(runs, -(-len(windows) // max_windows_per_run))
    return {"catchup_searches": searches, "catchup_span_hours": round(span / (60 * MINUTE_MS), 2),
            "catchup_runs_per_rule": runs}
