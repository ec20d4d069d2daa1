"""One run of one rule, end to end: plan windows, search each, turn rows into hits, store them.

The same `RuleRunner` serves the scheduler (`run_scheduled`), retro-hunts over a fixed span (`hunt`, used by
`scripts/demo` and `scripts/evaluate`) and the tests, so every path exercises the code a console runs.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping   # typing's aliases make isinstance() slow
from dataclasses import dataclass, field

from ..detection.aql import RenderError, Window, render
from ..detection.rule import Rule
from ..detection.windows import WindowPlanner
from ..qradar.ariel import SearchInterrupted
from ..qradar.errors import AuthenticationError, AuthorizationError, QRadarError
from ..store import LedgerWindow, Store, StoreFullError
from .hit import Hit, HitBuilder, MalformedRowError

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


class _NextSearch:
    """The next window's Ariel search, submitted as soon as this window's rows begin (ArielSearch.start): the
    console searches while the app works on this window. It is abandoned (canceled and deleted) when the run
    ends without reading it; a window that goes another way (split) keeps it for the window it was made for."""

    def __init__(self):
        self.window_id: int | None = None
        self.search = None

    def start(self, window_id: int, search, aql: str) -> None:
        self.abandon()
        search.start(aql)
        self.window_id, self.search = window_id, search

    def take(self, window_id: int):
        if self.search is None or window_id != self.window_id:
            return None
        search, self.window_id, self.search = self.search, None, None
        return search

    def abandon(self) -> None:
        if self.search is not None:
            self.search.abandon()
            self.window_id, self.search = None, None


class _Commits:
    """The one window (or part) of a run whose hits the store is committing on its own thread while the run
    searches and processes the next (Ledger.complete_later). Its outcome is taken before the next one is handed
    over, and before the run ends, so a run reports every window it stored and nothing it did not."""

    def __init__(self, ledger, summary: RunSummary, clock: Callable[[], int]):
        self.ledger, self.summary, self.clock = ledger, summary, clock
        self.future = None
        self.window_id: int | None = None
        self.on_done: Callable[[int], None] | None = None
        self.marked_running: int | None = None   # the window the pending commit also marks running

    def hand_over(self, future, window_id: int, on_done: Callable[[int], None], marked_running: int | None = None):
        self.future, self.window_id, self.on_done, self.marked_running = future, window_id, on_done, marked_running

    def settle(self) -> None:
        """Waits for the pending commit; a store that is full fails its window and stops the run."""
        if self.future is None:
            return
        future, self.future = self.future, None
        try:
            new = future.result()
        except StoreFullError:
            self.marked_running = None   # rolled back with it
            try:
                self.ledger.fail(self.window_id, "the store is full", self.clock())
            except StoreFullError:
                pass
            raise
        self.on_done(new)

    def settle_quietly(self) -> None:
        """settle() after the run stopped for another reason: a full store is one more error of the run."""
        try:
            self.settle()
        except StoreFullError as exc:
            self.summary.errors.append(str(exc))


class RuleRunner:
    def __init__(self, store: Store, search_factory: Callable[[], object],
                 fields_for: Callable[[Rule], Mapping[str, str | None]], *,
                 processors: Iterable[HitProcessor] = (), clock: Callable[[], int] = wall_clock_ms,
                 max_windows_per_run: int = 48, exclusions_for: Callable[[Rule], list[str]] = lambda rule: [],
                 part_bytes: int = 8_000_000):
        self.store = store
        self.search_factory = search_factory
        self.fields_for = fields_for
        self.processors = list(processors)
        self.clock = clock
        self.max_windows_per_run = max_windows_per_run
        self.exclusions_for = exclusions_for
        self.part_bytes = part_bytes

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
        commits, following = _Commits(ledger, summary, self.clock), _NextSearch()
        try:
            fields = self.fields_for(rule)
            queue = ledger.open_windows(rule.id, kind)[: rule.schedule.catch_up_windows or self.max_windows_per_run]
            try:
                while queue:
                    queue = self._search_window(rule, fields, queue.pop(0), summary, commits, queue,
                                                following) + queue
            finally:
                following.abandon()
            commits.settle()
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
        commits.settle_quietly()
        ledger.finish_run(run_id, status=summary.status, done=summary.windows_done, failed=summary.windows_failed,
                          new_hits=summary.new_hits, error="; ".join(summary.errors)[:2000] or None, now_ms=self.clock())
        log.info("rule %s %s run: %s windows done, %s failed, %s new hits", rule.id, kind,
                 summary.windows_done, summary.windows_failed, summary.new_hits)
        return summary

    def _search_window(self, rule: Rule, fields, window: LedgerWindow, summary: RunSummary, commits: _Commits,
                       queue: list[LedgerWindow], following: _NextSearch) -> list[LedgerWindow]:
        """Searches one window; returns the halves to search next when it is split.

        Rows stream from the console page by page and become hits in parts of about `part_bytes`, each
        processed and stored before the next is read, so memory does not grow with the window's rows or
        their width. A window whose results reach the LIMIT is split (as soon as the first page tells the
        total, before any processing), and so is a window a previous process left `running`: that process
        died while holding it (killed for memory, perhaps), and searching it whole again could repeat that.

        The next window's search is submitted once this window's rows begin (`following`), and this window's
        last hits are committed on the store's own thread while the next window is searched (`commits`); that
        commit also marks the next window running, so the next one starts without waiting."""
        ledger = self.store.ledger
        limit = rule.schedule.result_limit
        span = Window(window.start_ms, window.end_ms)
        if window.status == "running" and WindowPlanner.split(span):
            summary.windows_split += 1
            return ledger.split(window, [(h.start_ms, h.end_ms) for h in WindowPlanner.split(span)], None,
                                self.clock(), reason=f"left running by a process that stopped during attempt "
                                                     f"{window.attempts}; searched again in halves")
        if commits.marked_running == window.id:
            commits.marked_running = None   # by the previous window's commit
        else:
            ledger.mark_running(window.id, self.clock())
        aql = render(rule, fields, span, exclusions=self.exclusions_for(rule), limit=limit)
        search = following.take(window.id) or self.search_factory()   # a different AQL is searched anew
        context = WindowContext(span, fields, self.search_factory, self.clock)
        builder, restarts = HitBuilder(rule.id), 0
        part, part_size, stored = [], 0, 0
        earlier_new = [0]   # new hits among the parts stored so far, counted as their commits settle
        results = search.rows(aql)
        try:
            for row in results:
                if getattr(search, "restarts", 0) != restarts:
                    # Submitted again: rows come again from the first one, with the same identities; the
                    # unstored part is dropped (it comes again), stored parts are skipped by identity.
                    restarts = search.restarts
                    builder.restart()
                    part, part_size = [], 0
                if builder.number == 0:
                    total = getattr(search, "total", None)
                    if total is not None and total >= limit and WindowPlanner.split(span):
                        results.close()   # cancels and deletes the search: the halves read it again
                        summary.windows_split += 1
                        return ledger.split(window, [(h.start_ms, h.end_ms) for h in WindowPlanner.split(span)],
                                            total, self.clock())
                    self._search_ahead(rule, fields, queue, following)
                part.append(builder.hit(row))
                part_size += _row_size(row)
                if part_size >= self.part_bytes:
                    self._store_part(rule, part, context, window.id, commits, earlier_new)
                    stored += len(part)
                    part, part_size = [], 0
            rows = builder.number
            if rows >= limit and WindowPlanner.split(span):   # the console gave no total: found out at the end
                summary.windows_split += 1
                return ledger.split(window, [(h.start_ms, h.end_ms) for h in WindowPlanner.split(span)], rows,
                                    self.clock())
            self._process(rule, part, context)
            commits.settle()   # the previous window's or part's commit: its failure is this window's too
        except SearchInterrupted as exc:   # SIGTERM: the search is canceled; the window is owed, as planned
            ledger.release(window.id, str(exc))
            raise RunAborted(str(exc)) from exc
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
        except StoreFullError:
            # Parts stored so far stay (they are skipped when the window is searched again). Failed, not left
            # running: a window left running is split as if its process had died holding it.
            try:
                ledger.fail(window.id, "the store is full", self.clock())
            except StoreFullError:
                pass
            raise
        finally:
            results.close()
        following = queue[0].id if queue and queue[0].status != "running" else None

        def done(new: int) -> None:
            summary.new_hits += earlier_new[0] + new
            summary.windows_done += 1
        commits.hand_over(ledger.complete_later(window.id, [h.as_row() for h in part], rows=rows, restarts=restarts,
                                                truncated=rows >= limit, now_ms=self.clock(), earlier_hits=stored,
                                                earlier_new=earlier_new[0], next_running=following),
                          window.id, done, following)
        return []

    def _search_ahead(self, rule: Rule, fields, queue: list[LedgerWindow], following: _NextSearch) -> None:
        """Submits the next window's search now, unless it has one or will be split without one (a window left
        running by a process that died)."""
        if not queue or queue[0].status == "running" or following.search is not None:
            return
        search = self.search_factory()
        if not hasattr(search, "start"):
            return
        window = queue[0]
        following.start(window.id, search, render(rule, fields, Window(window.start_ms, window.end_ms),
                                                  exclusions=self.exclusions_for(rule),
                                                  limit=rule.schedule.result_limit))

    def _process(self, rule: Rule, hits: list[Hit], context: WindowContext) -> None:
        for process in self.processors:
            process(rule, hits, context)

    def _store_part(self, rule: Rule, hits: list[Hit], context: WindowContext, window_id: int,
                    commits: _Commits, earlier_new: list[int]) -> None:
        """Processes one part of a window that is still running and hands it to the store to commit."""
        self._process(rule, hits, context)
        commits.settle()

        def done(new: int) -> None:
            earlier_new[0] += new
        commits.hand_over(self.store.ledger.store_part_later(window_id, [h.as_row() for h in hits], self.clock()),
                          window_id, done)


def _row_size(row) -> int:
    """About how much a row weighs once it is a hit (its text counted twice: hit fields and stored JSON)."""
    if not isinstance(row, Mapping):
        return 8
    size = 0
    for value in row.values():   # a loop, not sum(generator): this runs for every row
        size += len(value) if isinstance(value, str) else 8
    return 2 * size
