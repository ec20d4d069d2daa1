"""Sysmon network, DNS and file events carry no command line: find it in the process creation (Sysmon 1)
with the same ProcessGuid.

AQL has no joins, so this is done in the pipeline, over [window start - look-back, window end): the process
was created before it connected, usually within minutes; an hour of look-back catches long transfers.

The console's load must not grow with the number of hits: a busy console gives 50,000 connections a minute,
and searching their GUIDs 200 at a time was 250 Ariel searches a minute, each over an hour. So a window's
hits are grouped by what names their process without naming the process itself: the log source that sent
the event (the host's Sysmon channel; one log source serves both events of a process, where the source IP
of a connection may be another interface or IPv6) and the process image (same column, same value in both
events). One search asks for the process creations of those (log source, image) pairs, up to
`max_pairs` pairs a search, and the rows are matched to the hits' GUIDs here. The number of searches grows
with the distinct hosts and tools of the window, not with its connections. Each such search is bounded by
rows (`pair_limit`) and by the text read (`search_bytes`); a search that reaches either bound may have
missed processes, so the GUIDs it did not find are searched by GUID (batches of `batch_size`), as are hits
without a log source or an image that can be written in AQL.

Within a window (it may be processed in several parts) a pair is searched once: the rows found are kept
for the window and the pairs it covered remembered. Across windows, answers are kept in a bounded cache
(entries, bytes and age: the command lines are the attacker's and may be long), and GUIDs that were not
found are remembered too (bounded, for the look-back), with the earliest time searched, so that overlapping
windows and retries do not search for them again while an earlier window still can.

At most `max_searches` correlation searches are made for one window. GUIDs beyond that are *deferred*: their
hits are stored partial (the tab shows it, with the reason) and re-enrichment (`Enricher.retry_partial`)
correlates them later, in batches. With the default bounds that takes more than 8 x 250 (log source, image)
pairs in one window, or process creations too many to read, so it is a safety valve, not the normal path.

A GUID is telemetry too: one that is not a GUID (a NUL, a quote, a megabyte) is skipped and reported, so it
cannot make the whole batch's search fail to render. Images are telemetry: written only through
app/detection/aql.py's quoting, and one that cannot be (control characters, absurd length) sends its hits to
the GUID search.
"""
from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..detection.aql import MINUTE_MS, quote_identifier, quote_int, quote_string
from .cache import BoundedCache

log = logging.getLogger(__name__)

BATCH_SIZE = 200            # GUIDs per search: keeps the AQL short and the IN list cheap to evaluate
MAX_PAIRS = 250             # (log source, image) pairs per search, for the same reason
PAIR_LIMIT = 10_000         # process creations read per pair search ...
SEARCH_BYTES = 16 << 20     # ... and the most text read from one search (command lines can be long)
MAX_SEARCHES = 8            # correlation searches per window; GUIDs beyond are deferred to re-enrichment
CACHE_ENTRIES = 5_000       # processes remembered ...
CACHE_BYTES = 16 << 20      # ... holding at most this much text ...
CACHE_TTL_S = 3600          # ... for at most an hour (the look-back a window needs)
MISSING_ENTRIES = 100_000   # GUIDs remembered as not found (about 310 bytes each in memory: 31 MB)
WINDOWS_KEPT = 4            # windows whose rows and covered pairs are kept (rules run in parallel)
MAX_IMAGE = 1024            # longer is not an image path
# Sysmon writes {8-4-4-4-12 hex}; other sources drop the braces or use other hex/word forms. Nothing longer,
# and nothing but letters, digits, dashes and braces.
GUID = re.compile(r"\{?[0-9A-Za-z][0-9A-Za-z-]{0,62}\}?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def valid_guid(value) -> bool:
    return isinstance(value, str) and GUID.fullmatch(value) is not None


def _usable_pair(log_source, image) -> tuple[int, str] | None:
    """(log source id, image) when both can be written in AQL as they are; else None (search by GUID)."""
    if isinstance(log_source, bool) or not isinstance(log_source, int) or not isinstance(image, str):
        return None
    if not image or len(image) > MAX_IMAGE or _CONTROL.search(image):
        return None
    return log_source, image


# Logical fields read from the process creation, under the alias they get in the correlation search.
PROCESS_FIELDS = (("process_guid", "ew_guid"), ("command_line", "ew_command_line"),
                  ("parent_image", "ew_parent_image"), ("parent_command_line", "ew_parent_command_line"),
                  ("process_image", "ew_process_image"), ("process_path", "ew_process_path"),
                  ("original_file_name", "ew_original_file_name"))


class CorrelationUnavailable(Exception):
    """This console lacks a property the correlation needs (no error: it simply cannot be done)."""


def _statement(fields: Mapping[str, str | None], condition: str, start_ms: int, end_ms: int, limit: int) -> str:
    for needed in ("process_guid", "command_line", "event_id"):
        if not fields.get(needed):
            raise CorrelationUnavailable(f"this console has no {needed} property")
    select = [f"{quote_identifier(fields[name])} AS {alias}" for name, alias in PROCESS_FIELDS if fields.get(name)]
    select.append("starttime AS ew_time")
    return "\n".join([
        "SELECT " + ", ".join(select),
        "FROM events",
        f"WHERE {quote_identifier(fields['event_id'])} = {quote_string('1')}",
        f"  AND {condition}",
        f"  AND starttime >= {quote_int(start_ms)} AND starttime < {quote_int(end_ms)}",
        f"LIMIT {quote_int(limit)}",
        f"START {quote_int(start_ms - start_ms % MINUTE_MS)} STOP {quote_int(-(-end_ms // MINUTE_MS) * MINUTE_MS)}",
    ])


def correlation_aql(fields: Mapping[str, str | None], guids: Iterable[str], start_ms: int, end_ms: int) -> str:
    """One search for the process creations of `guids` in [start_ms, end_ms)."""
    guids = sorted(set(guids))
    guid_column = quote_identifier(fields["process_guid"]) if fields.get("process_guid") else None
    if guid_column is None:
        raise CorrelationUnavailable("this console has no process_guid property")
    condition = f"{guid_column} IN ({', '.join(quote_string(g) for g in guids)})"
    return _statement(fields, condition, start_ms, end_ms, len(guids) * 4)


def pair_aql(fields: Mapping[str, str | None], pairs: Iterable[tuple[int, str]], start_ms: int, end_ms: int,
             limit: int = PAIR_LIMIT) -> str:
    """One search for the process creations of the (log source, image) `pairs` in [start_ms, end_ms).
    The IN lists select their cross product, a superset: the rows are matched to GUIDs by the caller."""
    if not fields.get("process_image"):
        raise CorrelationUnavailable("this console has no process_image property")
    pairs = sorted(set(pairs))
    sources = sorted({s for s, _ in pairs})
    images = sorted({i for _, i in pairs})
    condition = (f"logsourceid IN ({', '.join(quote_int(s) for s in sources)})\n"
                 f"  AND {quote_identifier(fields['process_image'])} IN ({', '.join(quote_string(i) for i in images)})")
    return _statement(fields, condition, start_ms, end_ms, limit)


def _process(row: Mapping) -> dict:
    return {"command_line": row.get("ew_command_line"), "parent_image": row.get("ew_parent_image"),
            "parent_command_line": row.get("ew_parent_command_line"),
            "process_image": row.get("ew_process_path") or row.get("ew_process_image"),
            "original_file_name": row.get("ew_original_file_name")}


@dataclass
class Correlation:
    """What one call found: processes by GUID, the GUIDs left for re-enrichment, the searches it made."""
    found: dict[str, dict] = field(default_factory=dict)
    deferred: set[str] = field(default_factory=set)
    searches: int = 0


@dataclass
class _Window:
    """One window's correlation so far (its parts are processed one after another)."""
    found: dict = field(default_factory=dict)        # every process creation its pair searches returned
    covered: set = field(default_factory=set)        # pairs searched completely
    searches: int = 0
    bytes: int = 0                                   # text held in `found` (bounded by search_bytes)


class ProcessCorrelator:
    def __init__(self, lookback_minutes: int = 60, batch_size: int = BATCH_SIZE, *, cache: BoundedCache | None = None,
                 max_searches: int = MAX_SEARCHES, max_pairs: int = MAX_PAIRS, pair_limit: int = PAIR_LIMIT,
                 search_bytes: int = SEARCH_BYTES):
        self.lookback_ms = lookback_minutes * MINUTE_MS
        self.batch_size = batch_size
        self.max_searches = max_searches
        self.max_pairs = max_pairs
        self.pair_limit = pair_limit
        self.search_bytes = search_bytes
        # One enricher serves every rule's thread: the caches lock themselves.
        self.known = cache or BoundedCache(CACHE_ENTRIES, CACHE_BYTES, CACHE_TTL_S)
        # GUID -> earliest time searched without finding it (an earlier window may still find it).
        self.missing = BoundedCache(MISSING_ENTRIES, MISSING_ENTRIES * 310, max(lookback_minutes, 1) * 60,
                                    size=lambda value: 310)
        self._windows: OrderedDict[tuple, _Window] = OrderedDict()
        self._lock = threading.Lock()
        self.searches = 0           # every correlation search this process made (reports and tests read it)

    def _window(self, key: tuple) -> _Window:
        with self._lock:
            state = self._windows.get(key)
            if state is None:
                state = self._windows[key] = _Window()
                while len(self._windows) > WINDOWS_KEPT:
                    self._windows.popitem(last=False)
            return state

    def processes(self, wanted: Iterable[tuple[str, object, object]], context, key: tuple = ()) -> Correlation:
        """Correlates `wanted` (process GUID, log source id, process image) of the window in `context`.
        `key` names the window's rule, so that parts of one window share their searches. Raises QRadarError
        when a search fails and CorrelationUnavailable when this console cannot be asked."""
        window = context.window
        start_ms, end_ms = window.start_ms - self.lookback_ms, window.end_ms
        state = self._window((*key, window.start_ms, window.end_ms))
        result = Correlation()
        by_image = bool(context.fields.get("process_image"))    # else every GUID is searched by name
        pending: dict[str, tuple | None] = {}
        bad = []
        for guid, log_source, image in wanted:
            if not guid or guid in pending or guid in result.found:
                continue
            if not valid_guid(guid):
                bad.append(guid)
                continue
            process = state.found.get(guid) or self.known.get(guid)
            if process is not None:
                result.found[guid] = self._remember(guid, process)
                continue
            searched_from = self.missing.get(guid)
            if searched_from is not None and searched_from <= start_ms:
                continue
            pending[guid] = _usable_pair(log_source, image) if by_image else None
        if bad:
            log.warning("%d process GUID(s) are not GUIDs and are not correlated, e.g. %r", len(bad), bad[0][:80])

        by_guid: list[str] = [g for g, pair in pending.items() if pair is None]
        by_pair: dict[tuple, list[str]] = {}
        for guid, pair in pending.items():
            if pair is None:
                continue
            if pair in state.covered:           # searched whole for this window: the process is not there
                self.missing.put(guid, start_ms)
            else:
                by_pair.setdefault(pair, []).append(guid)
        pairs = sorted(by_pair)
        for i in range(0, len(pairs), self.max_pairs):
            chunk = pairs[i:i + self.max_pairs]
            guids = [g for pair in chunk for g in by_pair[pair]]
            if not self._may_search(state, result, guids):
                continue
            complete, size = self._read(context, pair_aql(context.fields, chunk, start_ms, end_ms, self.pair_limit),
                                        self.pair_limit, state.found, self.search_bytes - state.bytes)
            state.bytes += size
            if complete:
                state.covered.update(chunk)
            for guid in guids:
                if guid in state.found:
                    result.found[guid] = self._remember(guid, state.found[guid])
                elif complete:
                    self.missing.put(guid, start_ms)
                else:
                    by_guid.append(guid)      # the search stopped at a bound: ask for this one by name

        for i in range(0, len(by_guid), self.batch_size):
            batch = by_guid[i:i + self.batch_size]
            if not self._may_search(state, result, batch):
                continue
            rows: dict = {}
            complete, _ = self._read(context, correlation_aql(context.fields, batch, start_ms, end_ms), len(batch) * 4,
                                     rows, self.search_bytes)
            for guid in batch:
                if guid in rows:
                    result.found[guid] = self._remember(guid, rows[guid])
                elif complete:
                    self.missing.put(guid, start_ms)
        if result.deferred:
            log.warning("process correlation: %d GUID(s) deferred to re-enrichment (%d searches for this window)",
                        len(result.deferred), state.searches)
        return result

    def _may_search(self, state: _Window, result: Correlation, guids: list[str]) -> bool:
        if state.searches >= self.max_searches:
            result.deferred.update(guids)
            return False
        state.searches += 1
        result.searches += 1
        with self._lock:
            self.searches += 1
        return True

    def _read(self, context, aql: str, limit: int, into: dict, max_bytes: int) -> tuple[bool, int]:
        """Reads a search's rows into `into` (GUID -> process, first creation wins); (complete, characters
        read). Not complete when it stopped at its row limit or at `max_bytes`: the rows it did not give may
        hold a wanted process."""
        read, size = 0, 0
        rows = context.search_factory().rows(aql)
        try:
            for row in rows:
                read += 1
                guid = row.get("ew_guid")
                if isinstance(guid, str) and guid not in into:
                    into[guid] = _process(row)
                size += sum(len(v) for v in row.values() if isinstance(v, str))
                if size > max_bytes:
                    log.warning("process correlation search stopped after %d rows (%d characters)", read, size)
                    return False, size
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()                # cancels and deletes the search when it was not read to the end
        return read < limit, size

    def _remember(self, guid: str, process: dict) -> dict:
        self.known.put(guid, process)
        return process
