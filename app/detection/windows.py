"""Plans the search windows of a rule: contiguous, exact, bounded.

The checkpoint is the end of the last planned window. Each run plans [checkpoint, now - delay) in chunks
of at most max_window_minutes, oldest first, so a long outage becomes many small searches instead of
one that reads days of events. Windows shorter than a minute are not planned: they would cost a search
for almost nothing and come back next run anyway. A window whose results reach the query's LIMIT is
split in halves and searched again, so nothing is cut off.
"""
from __future__ import annotations

from .aql import MINUTE_MS, Window
from .rule import Schedule

MIN_WINDOW_MS = MINUTE_MS


class WindowPlanner:
    def __init__(self, schedule: Schedule):
        self.schedule = schedule

    def horizon(self, now_ms: int) -> int:
        """The newest event time a run may search: events younger than the delay may not be indexed yet."""
        return now_ms - self.schedule.ingestion_delay_minutes * MINUTE_MS

    def plan(self, checkpoint_ms: int | None, now_ms: int) -> list[Window]:
        end = self.horizon(now_ms)
        start = checkpoint_ms if checkpoint_ms is not None else end - self.schedule.first_look_back_minutes * MINUTE_MS
        if end - start < MIN_WINDOW_MS:
            return []
        windows = self.chunk(start, end)
        overlap = self.schedule.overlap_minutes * MINUTE_MS
        if overlap and checkpoint_ms is not None:
            # Re-read the tail of the previous window for events indexed late; the store's hit identity
            # makes the repeated rows harmless.
            first = windows[0]
            windows[0] = Window(first.start_ms - overlap, first.end_ms)
        return windows

    def chunk(self, start_ms: int, end_ms: int, minutes: int | None = None) -> list[Window]:
        """[start, end) as consecutive windows of at most `minutes` (default max_window_minutes)."""
        size = (minutes or self.schedule.max_window_minutes) * MINUTE_MS
        windows = []
        cursor = start_ms
        while cursor < end_ms:
            windows.append(Window(cursor, min(cursor + size, end_ms)))
            cursor += size
        return windows

    @staticmethod
    def split(window: Window) -> tuple[Window, Window] | None:
        """Two halves of a window, or None when it is a single millisecond and cannot shrink further."""
        if window.end_ms - window.start_ms < 2:
            return None
        middle = window.start_ms + (window.end_ms - window.start_ms) // 2
        return Window(window.start_ms, middle), Window(middle, window.end_ms)
