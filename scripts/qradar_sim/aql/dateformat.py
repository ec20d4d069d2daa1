"""DATEFORMAT patterns: Java SimpleDateFormat letters rendered in UTC (the stand-in's console zone)."""
from __future__ import annotations

import calendar
from datetime import datetime, timedelta, timezone
from typing import Callable

from .errors import AqlError

MONTHS = list(calendar.month_name)       # ['', 'January', ...]
MONTHS_SHORT = list(calendar.month_abbr)
DAYS = list(calendar.day_name)           # Monday first, matching datetime.weekday()
DAYS_SHORT = list(calendar.day_abbr)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _number(value: int, width: int) -> str:
    return str(value).zfill(width)


def _year(d: datetime, width: int) -> str:
    return _number(d.year % 100, 2) if width == 2 else _number(d.year, width)


def _month(d: datetime, width: int) -> str:
    if width >= 4:
        return MONTHS[d.month]
    if width == 3:
        return MONTHS_SHORT[d.month]
    return _number(d.month, width)


def _hour_1_12(d: datetime, width: int) -> str:
    return _number((d.hour % 12) or 12, width)


# letter -> renderer(datetime, run length); the letters SimpleDateFormat defines that an app might use.
FIELDS: dict[str, Callable[[datetime, int], str]] = {
    "y": _year,
    "M": _month,
    "d": lambda d, w: _number(d.day, w),
    "D": lambda d, w: _number(d.timetuple().tm_yday, w),
    "E": lambda d, w: DAYS[d.weekday()] if w >= 4 else DAYS_SHORT[d.weekday()],
    "u": lambda d, w: _number(d.isoweekday(), w),
    "a": lambda d, w: "AM" if d.hour < 12 else "PM",
    "H": lambda d, w: _number(d.hour, w),
    "k": lambda d, w: _number(d.hour or 24, w),
    "K": lambda d, w: _number(d.hour % 12, w),
    "h": _hour_1_12,
    "m": lambda d, w: _number(d.minute, w),
    "s": lambda d, w: _number(d.second, w),
    "S": lambda d, w: _number(d.microsecond // 1000, w),   # milliseconds as a number, like Java
    "z": lambda d, w: "Coordinated Universal Time" if w >= 4 else "UTC",
    "Z": lambda d, w: "+0000",
    "X": lambda d, w: "Z",
}


def _tokens(pattern: str) -> list:
    """Split a pattern into ('field', letter, width) and ('text', str) parts. '' is a quote; 'x' is literal."""
    parts: list = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            if pattern.startswith("''", i):
                parts.append(("text", "'"))
                i += 2
                continue
            end, text = i + 1, []
            while True:
                if end >= len(pattern):
                    raise AqlError(f"DATEFORMAT pattern {pattern!r} has an unterminated quote")
                if pattern.startswith("''", end):
                    text.append("'")
                    end += 2
                elif pattern[end] == "'":
                    break
                else:
                    text.append(pattern[end])
                    end += 1
            parts.append(("text", "".join(text)))
            i = end + 1
        elif char.isascii() and char.isalpha():
            end = i
            while end < len(pattern) and pattern[end] == char:
                end += 1
            if char not in FIELDS:
                raise AqlError(f"DATEFORMAT pattern {pattern!r}: illegal pattern character {char!r}")
            parts.append(("field", char, end - i))
            i = end
        else:
            parts.append(("text", char))
            i += 1
    return parts


def compile_pattern(pattern: str) -> Callable[[int], str]:
    """Return ms -> formatted text. Raises AqlError for letters SimpleDateFormat would reject."""
    parts = _tokens(pattern)

    def render(ms: int) -> str:
        moment = EPOCH + timedelta(milliseconds=ms)  # integer arithmetic: no float rounding of ms
        return "".join(part[1] if part[0] == "text" else FIELDS[part[1]](moment, part[2]) for part in parts)

    return render
