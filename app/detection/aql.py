"""Turns a rule, the console's field names and a window into one AQL statement.

Every value that comes from configuration or telemetry goes through one of the quoting helpers here,
so no value can change the structure of a query: string literals double their single quotes (AQL has no
other escape; backslashes are literal), identifiers are double-quoted and may not contain a double quote,
numbers are formatted from ints, IPs and CIDRs are parsed before they are written.

The window is bounded twice on purpose: `starttime >= a AND starttime < b` in WHERE is exact, and the
trailing `START/STOP` (which makes Ariel read only the right time slices) is widened to whole minutes,
because string times are minute-granular on a console and epoch times may be treated the same way.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from .rule import LOGICAL_FIELDS, PLACEHOLDER, Rule

MINUTE_MS = 60_000

# Columns every rendered query returns under reserved names, so that the pipeline reads one shape of
# row whatever the rule displays and whatever this console calls its properties.
SYSTEM_COLUMNS = (
    ("starttime", "ew_time"),
    ("logsourceid", "ew_logsourceid"),
    ("qid", "ew_qid"),
    ("category", "ew_category"),
    ("username", "ew_username"),
    ("sourceip", "ew_sourceip"),
    ("destinationip", "ew_destinationip"),
    ("destinationport", "ew_destinationport"),
    ("UTF8(payload)", "ew_payload"),
)


class RenderError(ValueError):
    """A rule or value that cannot be turned into safe AQL."""


@dataclass(frozen=True)
class Window:
    """A half-open time span [start_ms, end_ms) of event start times."""
    start_ms: int
    end_ms: int

    def __post_init__(self):
        if self.end_ms <= self.start_ms:
            raise ValueError(f"empty window {self.start_ms}..{self.end_ms}")

    @property
    def minutes(self) -> float:
        return (self.end_ms - self.start_ms) / MINUTE_MS


def quote_string(value: str) -> str:
    if not isinstance(value, str):
        raise RenderError(f"expected text, got {type(value).__name__}")
    if "\x00" in value:
        raise RenderError("a NUL character cannot appear in an AQL literal")
    return "'" + value.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise RenderError("empty column name")
    if '"' in name or any(ord(c) < 32 for c in name):
        raise RenderError(f"column name {name!r} contains a double quote or a control character")
    return '"' + name + '"'


def quote_int(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RenderError(f"expected a whole number, got {value!r}")
    return str(value)


def quote_cidr(value: str) -> str:
    try:
        return quote_string(str(ipaddress.ip_network(str(value).strip(), strict=False)))
    except ValueError:
        raise RenderError(f"{value!r} is not an IP address or CIDR block") from None


def quote_regex(pattern: str) -> str:
    """A regular expression literal; checked to compile so that a typo is caught before the console."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise RenderError(f"invalid regular expression {pattern!r}: {exc}") from None
    return quote_string(pattern)


def _floor_minute(ms: int) -> int:
    return ms - ms % MINUTE_MS


def _ceil_minute(ms: int) -> int:
    return ms if ms % MINUTE_MS == 0 else _floor_minute(ms) + MINUTE_MS


def fill_fields(text: str, fields: Mapping[str, str | None]) -> str:
    """Replaces ${logical} placeholders by the console's quoted column names.

    An optional field this console lacks becomes the empty string literal: any pattern test on it is
    false, so a branch that needs the field simply does not fire (documented in docs/rules.md).
    """
    def replace(match: re.Match) -> str:
        name = fields.get(match.group(1))
        return quote_identifier(name) if name else "''"
    return PLACEHOLDER.sub(replace, text)


def render(rule: Rule, fields: Mapping[str, str | None], window: Window, *,
           exclusions: Iterable[str] = (), limit: int | None = None) -> str:
    """The full statement for one window. `exclusions` are conditions built with this module's helpers."""
    missing = [f for f in rule.required_fields if not fields.get(f)]
    if missing:
        raise RenderError(f"rule {rule.id} needs console fields {missing} that are not mapped")
    select = [fill_fields(col, fields) for col in rule.select]
    select += [f"{expr} AS {alias}" for expr, alias in SYSTEM_COLUMNS]
    select += [f"{quote_identifier(fields[name])} AS ew_{name}" for name in LOGICAL_FIELDS if fields.get(name)]
    where = [f"({fill_fields(rule.where, fields)})",
             f"starttime >= {quote_int(window.start_ms)}",
             f"starttime < {quote_int(window.end_ms)}"]
    where += [f"NOT ({condition})" for condition in exclusions]
    parts = ["SELECT " + ", ".join(select), "FROM events", "WHERE " + "\n  AND ".join(where)]
    if rule.order_by:
        parts.append("ORDER BY " + fill_fields(rule.order_by, fields))
    parts.append(f"LIMIT {quote_int(limit or rule.schedule.result_limit)}")
    parts.append(f"START {_floor_minute(window.start_ms)} STOP {_ceil_minute(window.end_ms)}")
    return "\n".join(parts)
