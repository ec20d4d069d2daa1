"""EventStore: the stand-in's events, compact and ordered by starttime.

Each event is a tuple indexed by column position (the profile's column order), so a compiled query
reads a value with one index operation. Short strings (event ids, names, IPs, users) are interned:
they repeat across millions of events, which saves memory and makes the AQL engine's per-value memos
hit on identical objects. A parallel sorted list of starttimes gives the time range by bisection.
"""
from __future__ import annotations

import gc
import json
import sys
import threading
from bisect import bisect_left
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable, Optional

from .catalog import Catalog
from .profiles import Profile, column_types

INTERN_MAX_LEN = 64
LOAD_BATCH = 100_000
INTEGER_TYPES = {"NUMERICAL", "TIMESTAMP", "PORT"}


def _to_int(value: Any) -> Optional[int]:
    if type(value) is int:
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        try:
            return int(float(value))
        except (TypeError, ValueError):
            return None  # not a number: the field is absent, as on a console that failed to parse it


def _to_text(value: Any) -> str:
    if type(value) is not str:
        value = value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)
    return sys.intern(value) if len(value) <= INTERN_MAX_LEN else value


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while building many small objects that hold no cycles: its
    generation scans otherwise cost about a third of loading time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class EventStore:
    def __init__(self, profile: Profile, catalog: Catalog):
        self.profile = profile
        self.catalog = catalog
        self.column_types = column_types(profile)
        self.columns = list(self.column_types)
        self.column_index = {name: i for i, name in enumerate(self.columns)}
        self._is_integer = [kind in INTEGER_TYPES for kind in self.column_types.values()]
        self._width = len(self.columns)
        self._start_position = self.column_index["starttime"]
        self._rows: list[tuple] = []
        self._times: list[int] = []
        self._lock = threading.Lock()

    # ---- input -------------------------------------------------------------------------------
    def _row(self, event: dict) -> Optional[tuple]:
        # the hot loop of loading: type checks inline, conversion calls only for unusual input
        row = [None] * self._width
        index, is_integer, intern = self.column_index, self._is_integer, sys.intern
        for key, value in event.items():
            position = index.get(key)  # metadata ('_scenario') and unknown properties are not columns
            if position is None or value is None:
                continue
            if is_integer[position]:
                row[position] = value if type(value) is int else _to_int(value)
            elif type(value) is str:
                row[position] = intern(value) if len(value) <= INTERN_MAX_LEN else value
            else:
                row[position] = _to_text(value)
        if row[self._start_position] is None:
            return None  # an event without a start time cannot be searched
        return tuple(row)

    def add(self, events: Iterable[dict]) -> int:
        """Add events (dicts keyed by column name); returns how many were stored."""
        with _collector_paused():
            rows = [row for row in map(self._row, events) if row is not None]
        if not rows:
            return 0
        key = itemgetter(self._start_position)
        rows.sort(key=key)  # linear when already ordered
        with self._lock:
            if not self._times or key(rows[0]) >= self._times[-1]:
                self._rows.extend(rows)
                self._times.extend(map(key, rows))
            else:  # late events: merge (stable, so equal times keep arrival order)
                merged = self._rows + rows
                merged.sort(key=key)
                self._rows, self._times = merged, list(map(key, merged))
        return len(rows)

    def load_jsonl(self, path: str | Path) -> int:
        """Add the events of a JSON Lines file; returns how many were stored."""
        added, batch = 0, []
        with open(path, encoding="utf-8") as lines, _collector_paused():
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    batch.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: not a JSON event: {exc}") from None
                if len(batch) >= LOAD_BATCH:
                    added += self.add(batch)
                    batch = []
            return added + self.add(batch)

    # ---- reading -----------------------------------------------------------------------------
    def discard_before(self, start_ms: int) -> int:
        """Forgets events older than start_ms (a long-running feed keeps the stand-in's memory bounded)."""
        with self._lock:
            cut = bisect_left(self._times, start_ms)
            del self._rows[:cut], self._times[:cut]
            return cut

    def __len__(self) -> int:
        return len(self._rows)

    def span(self) -> Optional[tuple[int, int]]:
        """(earliest, latest) starttime, or None when empty."""
        with self._lock:
            return (self._times[0], self._times[-1]) if self._times else None

    def rows_between(self, start_ms: int, stop_ms: int) -> list[tuple]:
        """A snapshot of the rows with start_ms <= starttime < stop_ms, in starttime order."""
        with self._lock:
            low = bisect_left(self._times, start_ms)
            high = bisect_left(self._times, stop_ms, low)
            return self._rows[low:high]

    def as_dict(self, row: tuple) -> dict:
        """A stored row back as {column: value}, without the absent values (for debugging and tests)."""
        return {name: value for name, value in zip(self.columns, row) if value is not None}
