"""One run of one rule, end to end: plan windows, search each, turn rows into hits, store them.

The same `RuleRunner` serves the scheduler (`run_scheduled`), retro-hunts over a fixed span (`hunt`, used by
`scripts/demo` and `scripts/evaluate`) and the tests, so every path exercises the code a console runs.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from ..detection.aql import RenderError, Window, render
from ..detection.rule import Rule
from ..detection.windows import WindowPlanner
from ..qradar.errors import AuthenticationError, AuthorizationError, QRadarError
from ..store import LedgerWindow, Store, StoreFullError
from .hit import Hit, MalformedRowError, hits_from_rows

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class WindowContext:
    """What a processor may use about the window being processed: its span, this console's field names,
    and a way to run more Ariel searches (e.g. to correlate a connection with its process creation)."""
    window: Window
    fields: Mapping[str, str | None]
    search_factory: Callable[[], object]
    clock: Callable[[], int]


# Processors see a window's hits before they are stored (enrichment, then exceptions) and change them in
# place. A processor must not raise for a lookup that failed: it records what it could not do on the hit.
HitProcessor = Callable[[Rule, list[Hit], WindowContext], None]


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class RunSummary:
    rule_id: str
    kind: str
    windows_done: int = 0
    windows_failed: int = 0
    windows_split: int = 0
    new_hits: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.windows_failed and not self.errors:
            return "ok"
        return "partial" if self.windows_done else "failed"


class RunAborted(Exception):
    """Stops a run: the console refuses us (auth) or is down; the remaining windows stay in the ledger."""


class RuleRunner:
    def __init__(self, store: Store, search_factory: Callable[[], object],
                 fields_for: Callable[[Rule], Mapping[str, str | None]], *,
                 processors: Iterable[HitProcessor] = (), clock: Callable[[], int] = wall_clock_ms,
                 max_windows_per_run: int = 48, exclusions_for: Callable[[Rule], list[str]] = lambda rule: []):
        self.store = store
        self.search_factory = search_factory
        self.fields_for = fields_for
        self.processors = list(processors)
        self.clock = clock
        self.max_windows_per_run = max_windows_per_run
        self.exclusions_for = exclusions_for

    # -- entry points ----------------------------------------------------------------------------
    def run_scheduled(self, rule: Rule) -> RunSummary:
        """Plans [checkpoint, now - delay) and searches every window still owed, oldest first."""
        ledger, now = self.store.ledger, self.clock()
        planned = WindowPlanner(rule.schedule).plan(ledger.checkpoint(rule.id), now)
        if planned:
            ledger.plan(rule.id, "scheduled", [(w.start_ms, w.end_ms) for w in planned], now,
                        checkpoint_ms=planned[-1].end_ms)
        return self.resume(rule, "scheduled")

    def hunt(self, rule: Rule, start_ms: int, end_ms: int) -> RunSummary:
        """Searches a fixed span (retro-hunt); does not move the rule's schedule checkpoint."""
        windows = WindowPlanner(rule.schedule).chunk(start_ms, end_ms, rule.schedule.hunt_window_minutes)
        self.store.ledger.plan(rule.id, "hunt", [(w.start_ms, w.end_ms) for w in windows], self.clock())
        return self.resume(rule, "hunt")

    # -- the work ----------------------------------------------------------------------------------
    def resume(self, rule: Rule, kind: str) -> RunSummary:
        """Searches the windows of this kind still owed (pending, failed, left running by a crash)."""
        ledger = self.store.ledger
        summary = RunSummary(rule.id, kind)
        run_id = ledger.start_run(rule.id, kind, self.clock())
        try:
            fields = self.fields_for(rule)
            queue = ledger.open_windows(rule.id, kind)[: self.max_windows_per_run]
            while queue:
                queue = self._search_window(rule, fields, queue.pop(0), summary) + queue
        except RunAborted as exc:
            summary.errors.append(str(exc))
        except (AuthenticationError, AuthorizationError) as exc:   # before any window: all stay owed
            summary.errors.append(f"console refused the token: {exc}")
        except QRadarError as exc:   # field discovery failed: nothing was searched, everything stays owed
            summary.errors.append(f"console: {exc}")
        except RenderError as exc:
            summary.errors.append(f"rule cannot be rendered: {exc}")
        except StoreFullError as exc:   # the window's hits were rolled back: it stays owed
            summary.errors.append(str(exc))
        ledger.finish_run(run_id, status=summary.status, done=summary.windows_done, failed=summary.windows_failed,
                          new_hits=summary.new_hits, error="; ".join(summary.errors)[:2000] or None, now_ms=self.clock())
        log.info("rule %s %s run: %s windows done, %s failed, %s new hits", rule.id, kind,
                 summary.windows_done, summary.windows_failed, summary.new_hits)
        return summary

    def _search_window(self, rule: Rule, fields, window: LedgerWindow, summary: RunSummary) -> list[LedgerWindow]:
        """Searches one window; returns the halves to search next when its results reached the LIMIT."""
        ledger = self.store.ledger
        ledger.mark_running(window.id, self.clock())
        limit = rule.schedule.result_limit
        span = Window(window.start_ms, window.end_ms)
        aql = render(rule, fields, span, exclusions=self.exclusions_for(rule), limit=limit)
        search = self.search_factory()
        try:
            # The client pages without holding the whole result; the window's rows are gathered here because
            # they commit in one transaction, and the LIMIT bounds them (a window reaching it is split).
            rows = list(search.rows(aql))
            hits = hits_from_rows(rule.id, rows)
            if len(rows) >= limit:
                halves = WindowPlanner.split(span)
                if halves:   # searched again in halves: enriching this cut-off result would be wasted
                    summary.windows_split += 1
                    return ledger.split(window, [(h.start_ms, h.end_ms) for h in halves], len(rows), self.clock())
            context = WindowContext(span, fields, self.search_factory, self.clock)
            for process in self.processors:
                process(rule, hits, context)
        except (AuthenticationError, AuthorizationError) as exc:
            ledger.fail(window.id, f"console refused the token: {exc}", self.clock())
            summary.windows_failed += 1
            raise RunAborted(f"console refused the token: {exc}") from exc
        except QRadarError as exc:
            ledger.fail(window.id, str(exc), self.clock())
            summary.windows_failed += 1
            if exc.retryable:   # the console is struggling: leave the rest for the next run
                raise RunAborted(f"console unavailable: {exc}") from exc
            summary.errors.append(str(exc))
            return []
        except MalformedRowError as exc:
            ledger.fail(window.id, f"malformed results: {exc}", self.clock())
            summary.windows_failed += 1
            summary.errors.append(f"malformed results: {exc}")   # the run says why, after the retry too
            return []
        summary.new_hits += ledger.complete(window.id, [h.as_row() for h in hits], rows=len(rows),
                                            restarts=getattr(search, "restarts", 0),
                                            truncated=len(rows) >= limit, now_ms=self.clock())
        summary.windows_done += 1
        return []
