"""Sysmon network, DNS and file events carry no command line: find it in the process creation (Sysmon 1)
with the same ProcessGuid.

AQL has no joins, so this is done in the pipeline: one extra Ariel search per window, only for the GUIDs of
that window's hits that lack a command line, over [window start - look-back, window end). The process was
created before it connected, usually within minutes; an hour of look-back catches long transfers. Answers
are kept in a bounded in-memory cache (entries, bytes and age: the command lines are the attacker's and may be
long), so overlapping windows and retries do not search for a GUID twice.

A GUID is telemetry too: one that is not a GUID (a NUL, a quote, a megabyte) is skipped and reported, so it
cannot make the whole batch's search fail to render.
"""
from __future__ import annotations

import logging
import re
from typing import Iterable, Mapping

from ..detection.aql import MINUTE_MS, quote_identifier, quote_int, quote_string
from .cache import BoundedCache

log = logging.getLogger(__name__)

BATCH_SIZE = 200            # GUIDs per search: keeps the AQL short and the IN list cheap to evaluate
CACHE_ENTRIES = 5_000       # processes remembered ...
CACHE_BYTES = 16 << 20      # ... holding at most this much text ...
CACHE_TTL_S = 3600          # ... for at most an hour (the look-back a window needs)
# Sysmon writes {8-4-4-4-12 hex}; other sources drop the braces or use other hex/word forms. Nothing longer,
# and nothing but letters, digits, dashes and braces.
GUID = re.compile(r"\{?[0-9A-Za-z][0-9A-Za-z-]{0,62}\}?")


def valid_guid(value) -> bool:
    return isinstance(value, str) and GUID.fullmatch(value) is not None

# Logical fields read from the process creation, under the alias they get in the correlation search.
PROCESS_FIELDS = (("process_guid", "ew_guid"), ("command_line", "ew_command_line"),
                  ("parent_image", "ew_parent_image"), ("parent_command_line", "ew_parent_command_line"),
                  ("process_image", "ew_process_image"), ("process_path", "ew_process_path"),
                  ("original_file_name", "ew_original_file_name"))


class CorrelationUnavailable(Exception):
    """This console lacks a property the correlation needs (no error: it simply cannot be done)."""


def correlation_aql(fields: Mapping[str, str | None], guids: Iterable[str], start_ms: int, end_ms: int) -> str:
    """One search for the process creations of `guids` in [start_ms, end_ms)."""
    for needed in ("process_guid", "command_line", "event_id"):
        if not fields.get(needed):
            raise CorrelationUnavailable(f"this console has no {needed} property")
    guids = sorted(set(guids))
    select = [f"{quote_identifier(fields[name])} AS {alias}" for name, alias in PROCESS_FIELDS if fields.get(name)]
    select.append("starttime AS ew_time")
    guid_column = quote_identifier(fields["process_guid"])
    return "\n".join([
        "SELECT " + ", ".join(select),
        "FROM events",
        f"WHERE {quote_identifier(fields['event_id'])} = {quote_string('1')}",
        f"  AND {guid_column} IN ({', '.join(quote_string(g) for g in guids)})",
        f"  AND starttime >= {quote_int(start_ms)} AND starttime < {quote_int(end_ms)}",
        "ORDER BY starttime",
        f"LIMIT {quote_int(len(guids) * 4)}",
        f"START {quote_int(start_ms - start_ms % MINUTE_MS)} STOP {quote_int(-(-end_ms // MINUTE_MS) * MINUTE_MS)}",
    ])


class ProcessCorrelator:
    def __init__(self, lookback_minutes: int = 60, batch_size: int = BATCH_SIZE, *, cache: BoundedCache | None = None):
        self.lookback_ms = lookback_minutes * MINUTE_MS
        self.batch_size = batch_size
        # One enricher serves every rule's thread: the cache locks itself.
        self.known = cache or BoundedCache(CACHE_ENTRIES, CACHE_BYTES, CACHE_TTL_S)

    def processes(self, guids: Iterable[str], context) -> dict[str, dict]:
        """{guid: {"command_line", "parent_image", "parent_command_line", "process_image", "original_file_name"}}
        for the GUIDs whose process creation was found. Raises QRadarError when a search fails and
        CorrelationUnavailable when this console cannot be asked."""
        wanted = sorted({g for g in guids if g})
        bad = [g for g in wanted if not valid_guid(g)]
        if bad:
            log.warning("%d process GUID(s) are not GUIDs and are not correlated, e.g. %r", len(bad), bad[0][:80])
            wanted = [g for g in wanted if valid_guid(g)]
        found = {}
        for guid in wanted:
            process = self.known.get(guid)
            if process is not None:
                found[guid] = process
        missing = [g for g in wanted if g not in found]
        window = context.window
        for i in range(0, len(missing), self.batch_size):
            batch = missing[i:i + self.batch_size]
            aql = correlation_aql(context.fields, batch, window.start_ms - self.lookback_ms, window.end_ms)
            for row in context.search_factory().rows(aql):
                guid = row.get("ew_guid")
                if guid in batch and guid not in found:
                    found[guid] = self._remember(guid, {
                        "command_line": row.get("ew_command_line"),
                        "parent_image": row.get("ew_parent_image"),
                        "parent_command_line": row.get("ew_parent_command_line"),
                        "process_image": row.get("ew_process_path") or row.get("ew_process_image"),
                        "original_file_name": row.get("ew_original_file_name"),
                    })
        return found

    def _remember(self, guid: str, process: dict) -> dict:
        self.known.put(guid, process)
        return process
