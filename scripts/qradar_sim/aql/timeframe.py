"""Time frame clauses -> [start, stop) in epoch milliseconds.

Rules (reference/aql.md, docs/aql-subset.md):
- epoch milliseconds are exact;
- quoted strings are minute-granular: START is floored to its minute and STOP is rounded up to the next
  whole minute, which reproduces both of IBM's examples (STOP '...17:00' ends at 16:59:59.999,
  STOP '...17:00:20' ends at 17:00:59.999);
- PARSEDATETIME('n units ago') is exact relative to now;
- no time clause = the 60 s before now (the REST documentation's figure).
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import nodes
from .errors import AqlError

MINUTE_MS = 60_000
UNIT_MS = {"MINUTES": MINUTE_MS, "HOURS": 60 * MINUTE_MS, "DAYS": 24 * 60 * MINUTE_MS}
DEFAULT_SPAN_MS = 60_000

# The documented layouts: (date separator, date/time separator, seconds present).
DOCUMENTED_LAYOUTS = {
    ("-", " ", False): "yyyy-MM-dd HH:mm",
    ("-", " ", True): "yyyy-MM-dd HH:mm:ss",
    ("/", " ", True): "yyyy/MM/dd HH:mm:ss",
    ("/", "-", True): "yyyy/MM/dd-HH:mm:ss",
    (":", "-", True): "yyyy:MM:dd-HH:mm:ss",
}
TIME_TEXT = re.compile(
    r"^\s*(?P<year>\d{4})(?P<dsep>[-/:])(?P<month>\d{1,2})(?P=dsep)(?P<day>\d{1,2})"
    r"(?P<tsep>[ -])(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
    r"(?:\s*(?P<zone>\S.*?))?\s*$")
OFFSET = re.compile(r"^(?:GMT|UTC)?\s*(?P<sign>[+-])(?P<hours>\d{1,2}):?(?P<minutes>\d{2})?$", re.IGNORECASE)
RELATIVE = re.compile(r"^\s*(?P<amount>\d+)\s+(?P<unit>second|minute|hour|day|week)s?\s+ago\s*$", re.IGNORECASE)
RELATIVE_UNIT_MS = {"second": 1000, "minute": MINUTE_MS, "hour": 60 * MINUTE_MS, "day": 1440 * MINUTE_MS,
                    "week": 7 * 1440 * MINUTE_MS}


def _zone(text: str | None):
    if not text:
        return timezone.utc
    if text.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    offset = OFFSET.match(text)
    if offset:
        delta = timedelta(hours=int(offset["hours"]), minutes=int(offset["minutes"] or 0))
        return timezone(delta if offset["sign"] == "+" else -delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise AqlError(f"Invalid time zone {text!r} in time frame") from None


def parse_time_text(text: str) -> int:
    """Exact epoch ms of a documented time string (before minute rounding)."""
    match = TIME_TEXT.match(text)
    layout = match and (match["dsep"], match["tsep"], match["second"] is not None)
    if not match or layout not in DOCUMENTED_LAYOUTS:
        formats = ", ".join(f"'{f}'" for f in DOCUMENTED_LAYOUTS.values())
        raise AqlError(f"Invalid time {text!r}: use epoch milliseconds or one of {formats} (optional zone)")
    try:
        moment = datetime(int(match["year"]), int(match["month"]), int(match["day"]), int(match["hour"]),
                          int(match["minute"]), int(match["second"] or 0), tzinfo=_zone(match["zone"]))
    except ValueError as exc:
        raise AqlError(f"Invalid time {text!r}: {exc}") from None
    return int(moment.timestamp() * 1000)


def _relative(text: str, now_ms: int) -> int:
    if text.strip().lower() == "now":
        return now_ms
    match = RELATIVE.match(text)
    if not match:
        raise AqlError(f"PARSEDATETIME cannot read {text!r}: use 'n second|minute|hour|day|week(s) ago' or 'now'")
    return now_ms - int(match["amount"]) * RELATIVE_UNIT_MS[match["unit"].lower()]


def _floor_minute(ms: int) -> int:
    return ms - ms % MINUTE_MS


def _ceil_minute(ms: int) -> int:
    return -(-ms // MINUTE_MS) * MINUTE_MS


def _point(point: nodes.TimePoint, now_ms: int, is_stop: bool) -> int:
    if point.kind == "epoch":
        return point.value
    if point.kind == "relative":
        return _relative(point.value, now_ms)
    exact = parse_time_text(point.value)
    return _ceil_minute(exact) if is_stop else _floor_minute(exact)


def validate(frame) -> None:
    """Raise AqlError now (at submit time) for text a console would reject."""
    if isinstance(frame, nodes.StartStopFrame):
        for point in (frame.start, frame.stop):
            if point is not None:
                _point(point, 0, is_stop=False)


def time_range(frame, now_ms: int) -> tuple[int, int]:
    """[start, stop) in epoch ms."""
    if frame is None:
        return now_ms - DEFAULT_SPAN_MS, now_ms
    if isinstance(frame, nodes.LastFrame):
        return now_ms - frame.amount * UNIT_MS[frame.unit], now_ms
    start = _point(frame.start, now_ms, is_stop=False)
    stop = now_ms if frame.stop is None else _point(frame.stop, now_ms, is_stop=True)
    return start, stop
