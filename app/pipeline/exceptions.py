"""Applies the administrators' tuning exceptions (app/store/exception_spec.py) to a rule's hits.

Two ways, one meaning:
- `ExceptionFilter`, a processor that runs after enrichment: a hit matching an active exception is kept
  and stored as suppressed, with the exception that matched (the lowest id wins, so the choice is stable).
- `ExceptionPushDown`: exceptions marked push_down are added to the rule's AQL as `AND NOT (...)`, so the
  console never returns those events; its `count` processor then asks the console how many events each
  one kept out of the window and records the figure, so that nothing disappears without a trace.

Both decide a condition with the same regular expression (`Condition.pattern()`), matched whole and
ignoring the case of A-Z only: IMATCHES on the console, `re.fullmatch(..., re.I | re.A)` here (Python's
Unicode case folding would let `ſvc_backup` match `svc_backup`, which the console does not). Every AQL test is
guarded with `IS NOT NULL`, because `NOT (unknown)` is unknown and would silently drop events lacking the field.
Values are attacker-controlled: each expression carries a length cap, administrators' command-line patterns
are checked by app/store/regex_safety.py, and globs are matched here without backtracking.
"""
from __future__ import annotations

import functools
import ipaddress
import logging
import re
import threading
import time
from typing import Callable, Iterable, Mapping

from ..detection.aql import MINUTE_MS, fill_fields, quote_cidr, quote_identifier, quote_int, quote_regex, quote_string
from ..detection.rule import Rule
from ..qradar.errors import QRadarError
from ..store.exception_text import MAX_MATCH_CHARS, is_bare_name
from ..store.exception_spec import Condition, TuningException
from ..store.exceptions import ExceptionRepository
from .hit import Hit
from .run import wall_clock_ms

log = logging.getLogger(__name__)

LOG_SOURCE_COLUMNS = ("logsource", "logsourcename", "logsourcename_logsourceid")
COUNT_ALIAS = "suppressed_events"


class LookupFailed(Exception):
    """A reference set could not be read: the condition is unknown, so the hit stays un-suppressed."""


# -- what a hit says about each field ---------------------------------------------------------------------
def _get(mapping, *path):
    for key in path:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def hit_values(field: str, hit: Hit) -> list:
    """The hit's values for a condition field: the event's own columns first, then what enrichment added
    (a network event's process command line and parent image come from the correlated process start)."""
    facts, enrichment = hit.facts or {}, hit.enrichment or {}
    if field == "username":
        values = [hit.username]
    elif field == "source_ip":
        values = [hit.source_ip]
    elif field == "destination_ip":
        values = [hit.destination_ip]
    elif field == "destination_port":
        values = [hit.destination_port]
    elif field == "destination_domain":
        values = [_get(enrichment, "destination", "hostname"), facts.get("destination_hostname"),
                  facts.get("query_name")]
    elif field == "process_image":
        values = [facts.get("process_image"), facts.get("process_path")] if facts else [hit.process_image]
    elif field == "parent_image":
        values = [facts.get("parent_image"), _get(enrichment, "process", "parent_image")]
    elif field == "command_line":
        values = [hit.command_line, _get(enrichment, "process", "command_line")]
    elif field == "source_host":
        # Only the asset model's name for the source IP: the computer name (and the log source named after it)
        # is set by whoever administers the endpoint, i.e. by the attacker once it is theirs.
        values = [_get(enrichment, "asset", "hostname")]
    elif field == "tool":
        # A renamed binary's tool name comes from its PE original file name, which whoever built it wrote.
        tool = _get(enrichment, "tool") or {}
        values = [] if tool.get("renamed") else [tool.get("name")]
    else:
        raise ValueError(f"unknown exception field {field!r}")
    return [v for v in values if v not in (None, "", "-")]


def original_file_name(hit: Hit) -> str | None:
    facts, enrichment = hit.facts or {}, hit.enrichment or {}
    value = facts.get("original_file_name") or _get(enrichment, "tool", "original_file_name")
    return value if value not in (None, "", "-") else None


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE | re.ASCII)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


def _normalized(value) -> str:
    """One spelling for comparing a hit's value with reference-set elements: IPs canonical, A-Z folded."""
    text = str(value).strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ascii_lower(text).rstrip(".")


@functools.lru_cache(maxsize=1024)
def _glob_parts(pattern: str) -> list[tuple[re.Pattern, int]]:
    """A glob split at `*`: each part compiled (literals and `?`), with its length in characters."""
    return [(re.compile("".join("." if c == "?" else re.escape(c) for c in part), re.I | re.A | re.S), len(part))
            for part in pattern.split("*")]


def glob_matches(pattern: str, text: str) -> bool:
    """`*`/`?` glob over the whole text, A-Z case folded, without backtracking: the first part is matched at
    the start, the last at the end, each middle part at its leftmost place after the previous one (leftmost is
    always right for fixed-length parts). The same answer as the glob's regular expression, in time linear in
    the text for a given pattern instead of a power of it."""
    parts = _glob_parts(pattern)
    (first, first_length), *middle = parts
    if not middle:
        return first.fullmatch(text) is not None
    *middle, (last, last_length) = middle
    if first.match(text) is None or len(text) < first_length + last_length:
        return False
    cursor = first_length
    for part, _ in middle:
        found = part.search(text, cursor, len(text) - last_length)
        if found is None:
            return False
        cursor = found.end()
    return last.fullmatch(text, len(text) - last_length) is not None


def _glob_holds(condition: Condition, value: str) -> bool:
    if len(value) > MAX_MATCH_CHARS.get(condition.field, len(value)):
        return False
    pattern = condition.value
    if condition.field != "source_host" and is_bare_name(pattern):
        value = re.split(r"[\\/]", value)[-1]
    return glob_matches(pattern, value)


def condition_holds(condition: Condition, hit: Hit, reference_set: Callable[[str], frozenset] | None = None) -> bool:
    """True when any of the hit's values for the field satisfies the condition. Raises LookupFailed when a
    reference set is needed and cannot be read."""
    if condition.op == "in_set":
        values = hit_values(condition.value["field"], hit)
        if not values:
            return False
        if reference_set is None:
            raise LookupFailed("no console client to read reference sets")
        members = reference_set(condition.value["set"])
        return any(_normalized(v) in members for v in values)
    values = hit_values(condition.field, hit)
    if condition.op == "cidr":
        network = ipaddress.ip_network(condition.value)
        for value in values:
            try:
                if ipaddress.ip_address(str(value).strip()) in network:
                    return True
            except ValueError:
                continue
        return False
    if condition.field == "destination_port":
        return any(str(v).strip() == str(condition.value) for v in values)
    if condition.op == "glob":
        held = any(_glob_holds(condition, str(v)) for v in values)
    else:
        pattern = _compiled(condition.pattern())
        held = any(pattern.fullmatch(str(v)) for v in values)
    if held and condition.original_name_pattern() is not None:
        original = original_file_name(hit)
        held = original is None or _compiled(condition.original_name_pattern()).fullmatch(original) is not None
    return held


def exception_matches(exception: TuningException, hit: Hit, reference_set=None) -> bool:
    """All conditions hold. Reference-set conditions are tried last, so a set is read only when the rest
    of the exception already matches."""
    ordered = sorted(exception.conditions, key=lambda c: c.op == "in_set")
    return all(condition_holds(c, hit, reference_set) for c in ordered)


class ExceptionFilter:
    """Processor: marks hits matching an active exception as suppressed (never drops them).

    Reference sets are read through the console client and cached for `reference_set_ttl_s`; a set that
    cannot be read (console error, missing set) leaves the hit un-suppressed and says so in
    hit.enrichment["errors"]: failing open keeps a possible attack visible.
    """

    def __init__(self, repository: ExceptionRepository, client=None, clock: Callable[[], int] = wall_clock_ms, *,
                 reference_set_ttl_s: float = 300.0, monotonic: Callable[[], float] = time.monotonic):
        self.repository = repository
        self.client = client
        self.clock = clock
        self.ttl_s = reference_set_ttl_s
        self.monotonic = monotonic
        self._sets: dict[str, tuple[float, frozenset]] = {}
        self._lock = threading.Lock()

    def __call__(self, rule: Rule, hits: list[Hit], context=None) -> None:
        now = context.clock() if context is not None else self.clock()
        exceptions = self.repository.active(now, rule.id)
        if not exceptions or not hits:
            return
        failed: dict[str, str] = {}   # sets that failed in this call are not asked again for every hit
        reference_set = (lambda name: self._reference_set(name, failed)) if self.client is not None else None
        for hit in hits:
            if hit.suppressed:
                continue
            errors = []
            for exception in exceptions:
                try:
                    matched = exception_matches(exception, hit, reference_set)
                except LookupFailed as exc:
                    errors.append(f"exception {exception.id} ({exception.name}) not applied: {exc}")
                    continue
                if matched:
                    hit.suppressed, hit.exception_id = True, exception.id
                    hit.enrichment["suppressed_by"] = {"id": exception.id, "name": exception.name,
                                                       "reason": exception.reason}
                    break
            if errors and not hit.suppressed:
                hit.enrichment.setdefault("errors", []).extend(errors)
                if "state" in hit.enrichment:
                    hit.enrichment["state"] = "partial"

    def _reference_set(self, name: str, failed: dict[str, str]) -> frozenset:
        if name in failed:
            raise LookupFailed(failed[name])
        with self._lock:
            cached = self._sets.get(name)
        if cached and self.monotonic() - cached[0] < self.ttl_s:
            return cached[1]
        try:
            found = self.client.get_reference_set(name)
            if found is None:
                raise LookupFailed(f"reference set {name!r} does not exist on the console")
            members = frozenset(_normalized(item["value"]) for item in found.get("data") or ()
                                if isinstance(item, Mapping) and item.get("value") is not None)
        except (QRadarError, LookupFailed, AttributeError, TypeError) as exc:
            message = str(exc) if isinstance(exc, LookupFailed) else f"reference set {name!r} unreadable: {exc}"
            log.warning("%s", message)
            failed[name] = message
            raise LookupFailed(message) from None
        with self._lock:
            self._sets[name] = (self.monotonic(), members)
        return members


# -- push-down --------------------------------------------------------------------------------------------
NORMALIZED_COLUMNS = {"username": "username", "source_ip": "sourceip", "destination_ip": "destinationip",
                      "destination_port": "destinationport"}
LOGICAL_COLUMNS = {"command_line": ("command_line",), "process_image": ("process_image", "process_path"),
                   "parent_image": ("parent_image",), "destination_domain": ("destination_hostname", "query_name")}


def _columns(field: str, fields: Mapping[str, str | None]) -> list[str]:
    """The console columns a condition field reads: the same ones `hit_values` reads from the row's facts
    (normalized columns are written bare, as the rules write them)."""
    if field in NORMALIZED_COLUMNS:
        return [NORMALIZED_COLUMNS[field]]
    names = dict.fromkeys(fields.get(n) for n in LOGICAL_COLUMNS.get(field, ()) if fields.get(n))
    return [quote_identifier(name) for name in names]   # process_image and process_path may be one column


def condition_aql(condition: Condition, fields: Mapping[str, str | None]) -> str | None:
    """The condition as AQL over the event's own columns, every literal quoted by detection.aql; None
    when this console has no column for it (the exception is then applied to the hits instead)."""
    if not condition.pushable:
        return None
    tests = []
    for column in _columns(condition.field, fields):
        if condition.op == "cidr":
            test = f"INCIDR({quote_cidr(condition.value)}, {column})"
        elif condition.field == "destination_port":
            test = f"{column} = {quote_int(condition.value)}"
        else:
            test = f"{column} IMATCHES {quote_regex(condition.pattern())}"
        tests.append(f"({column} IS NOT NULL AND {test})")
    if not tests:
        return None
    sql = tests[0] if len(tests) == 1 else "(" + " OR ".join(tests) + ")"
    original = fields.get("original_file_name")
    if condition.original_name_pattern() is not None and original:
        column = quote_identifier(original)
        sql = (f"({sql} AND ({column} IS NULL OR {column} = {quote_string('')} OR {column} = {quote_string('-')} "
               f"OR {column} IMATCHES {quote_regex(condition.original_name_pattern())}))")
    return sql


def exception_aql(exception: TuningException, fields: Mapping[str, str | None]) -> str | None:
    parts = [condition_aql(c, fields) for c in exception.conditions]
    if not parts or any(p is None for p in parts):
        return None
    return " AND ".join(parts)


def count_aql(rule: Rule, fields: Mapping[str, str | None], start_ms: int, end_ms: int,
              exception_sql: str, earlier: Iterable[str] = ()) -> str:
    """How many events of the rule in [start, end) this exception (and no earlier one) kept out."""
    where = [f"({fill_fields(rule.where, fields)})", f"starttime >= {quote_int(start_ms)}",
             f"starttime < {quote_int(end_ms)}", f"({exception_sql})"] + [f"NOT ({sql})" for sql in earlier]
    stop = end_ms if end_ms % MINUTE_MS == 0 else end_ms - end_ms % MINUTE_MS + MINUTE_MS
    return (f"SELECT COUNT(*) AS {COUNT_ALIAS} FROM events\nWHERE " + "\n  AND ".join(where) +
            f"\nSTART {quote_int(start_ms - start_ms % MINUTE_MS)} STOP {quote_int(stop)}")


def uncounted(span: tuple[int, int], counted: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of span not covered by already counted spans (so overlapping windows count once)."""
    gaps, cursor = [], span[0]
    for start, end in sorted(counted):
        if start > cursor:
            gaps.append((cursor, min(start, span[1])))
        cursor = max(cursor, end)
        if cursor >= span[1]:
            break
    if cursor < span[1]:
        gaps.append((cursor, span[1]))
    return [(a, b) for a, b in gaps if a < b]


class ExceptionPushDown:
    """`exclusions(rule)` is the runner's `exclusions_for`; `count` is a processor to run with it."""

    def __init__(self, repository: ExceptionRepository, fields_for: Callable[[Rule], Mapping[str, str | None]],
                 clock: Callable[[], int] = wall_clock_ms):
        self.repository = repository
        self.fields_for = fields_for
        self.clock = clock
        self._rendered: dict[str, list[tuple[TuningException, str]]] = {}

    def pushed(self, rule: Rule, fields: Mapping[str, str | None], now_ms: int) -> list[tuple[TuningException, str]]:
        """Active push-down exceptions of the rule that this console can evaluate, lowest id first."""
        found = []
        for exception in self.repository.active(now_ms, rule.id):
            if exception.push_down:
                sql = exception_aql(exception, fields)
                if sql is None:
                    log.info("exception %s cannot be pushed into rule %s on this console; applied to hits",
                             exception.id, rule.id)
                else:
                    found.append((exception, sql))
        return found

    def exclusions(self, rule: Rule) -> list[str]:
        pushed = self.pushed(rule, self.fields_for(rule), self.clock())
        self._rendered[rule.id] = pushed   # `count` must count exactly what this search left out
        return [sql for _, sql in pushed]

    def count(self, rule: Rule, hits: list[Hit], context) -> None:
        """Processor: records, per pushed exception, the events of this window it kept out. A failed count
        search raises, so the window fails and is searched again rather than losing the figure."""
        pushed = self._rendered.get(rule.id)
        if pushed is None:
            pushed = self.pushed(rule, context.fields, context.clock())
        span, rows, earlier = (context.window.start_ms, context.window.end_ms), [], []
        for exception, sql in pushed:
            counted = self.repository.counted_spans(exception.id, rule.id, *span)
            for start, end in uncounted(span, counted):
                aql = count_aql(rule, context.fields, start, end, sql, earlier)
                result = list(context.search_factory().rows(aql))
                events = int(float(result[0].get(COUNT_ALIAS) or 0)) if result else 0
                rows.append((exception.id, start, end, events))
            earlier.append(sql)
        if rows:
            self.repository.record_pushed_down(rule.id, rows, context.clock())
