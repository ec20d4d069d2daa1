"""Ariel search lifecycle: WAIT -> EXECUTE -> SORTING -> COMPLETED (or CANCELED / ERROR).

Each search runs the AQL engine in its own worker thread; at most MAX_CONCURRENT execute at once and
the rest stay in WAIT, as on a busy console. The configured latency is spread over the run by pacing
the engine's progress callback, so a search cancelled half way really holds half of its results.
"""
import threading
import time
import uuid

from .errors import ApiError, CODE_NOT_FOUND, CODE_STILL_RUNNING

MAX_CONCURRENT = 4
DEDUP_WINDOW_S = 2.0           # identical query text posted again within this returns the earlier search
SORTING_SHARE = 0.1            # share of the latency spent in SORTING
FINISHED = ("COMPLETED", "CANCELED", "ERROR")
HAS_RESULTS = ("COMPLETED", "CANCELED")


def now_ms():
    return int(time.time() * 1000)


class Search:
    def __init__(self, query_text, compiled, created_ms):
        self.search_id = str(uuid.uuid4())
        self.query_text = query_text
        self.compiled = compiled
        self.created_ms = created_ms
        self.created_monotonic = time.monotonic()
        self.status = "WAIT"
        self.progress = 0
        self.processed = 0
        self.rows = []
        self.error_messages = []
        self.save_results = False
        self.execution_ms = 0
        self.finished_ms = None
        self.cancel_requested = threading.Event()
        self.finished = threading.Event()
        self.lock = threading.Lock()

    @property
    def database(self):
        return getattr(self.compiled, "database", "events") or "events"

    def finish(self, status, rows=None, error=None):
        with self.lock:
            if self.finished.is_set():
                return
            self.status = status
            if rows is not None:
                self.rows = list(rows)
            if error:
                self.error_messages = [{"code": "ARIEL.SEARCH.FAILED", "contexts": [], "message": error,
                                        "severity": "ERROR"}]
            self.progress = 100 if status == "COMPLETED" else self.progress
            self.execution_ms = int((time.monotonic() - self.created_monotonic) * 1000)
            self.finished_ms = now_ms()
        self.finished.set()

    def to_json(self, retention_ms):
        with self.lock:
            done = self.status in FINISHED
            record_count = len(self.rows) if self.status in HAS_RESULTS else 0
            elapsed = self.execution_ms if done else int((time.monotonic() - self.created_monotonic) * 1000)
            return {
                "cursor_id": self.search_id,
                "search_id": self.search_id,
                "status": self.status,
                "progress": self.progress,
                "progress_details": [],
                "record_count": record_count,
                "processed_record_count": self.processed,
                "completed": self.status in HAS_RESULTS,
                "query_execution_time": elapsed,
                "query_string": self.query_text,
                "save_results": self.save_results,
                "desired_retention_time_msec": retention_ms,
                "error_messages": list(self.error_messages),
                # Storage statistics: plausible figures derived from the work done, not measurements.
                "data_file_count": 1 + self.processed // 50000,
                "data_total_size": self.processed * 600,
                "index_file_count": 0,
                "index_total_size": 0,
                "compressed_data_file_count": 0,
                "compressed_data_total_size": 0,
                "snapshot": None,
                "subsearch_ids": [],
            }


class ArielSearches:
    """All searches of the console, their workers and their retention."""

    def __init__(self, config, store, compile_query, aql_error, faults):
        self.config = config              # SimConfig: latency_ms, regex_mode, retention_s, column types
        self.store = store
        self.compile_query = compile_query
        self.aql_error = aql_error
        self.faults = faults
        self._searches = {}
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(MAX_CONCURRENT)

    # ---- creation -----------------------------------------------------------------------------
    def compile(self, text):
        """Engine compile, mapped to the console's 422/2000 for invalid AQL."""
        try:
            return self.compile_query(text, self.config.column_types)
        except self.aql_error as exc:
            raise ApiError(422, 2000, getattr(exc, "message", str(exc)),
                           "The query expression is not valid AQL.")

    def create(self, text):
        """-> (search, its object as of creation): the 201 body shows WAIT even if a worker starts at once."""
        compiled = self.compile(text)
        self.sweep()
        with self._lock:
            for earlier in self._searches.values():
                if (earlier.query_text == text and not earlier.cancel_requested.is_set()
                        and time.monotonic() - earlier.created_monotonic <= DEDUP_WINDOW_S):
                    return earlier, self.snapshot(earlier)
            fault = self.faults.take_search_fault()
            search = Search(text, compiled, now_ms())
            created = self.snapshot(search)
            if fault == "search_vanish":
                return search, created   # answered once, never registered: every later call is 404/1002
            self._searches[search.search_id] = search
        threading.Thread(target=self._run, args=(search, fault),
                         name=f"ariel-{search.search_id[:8]}", daemon=True).start()
        return search, created

    # ---- worker -------------------------------------------------------------------------------
    def _run(self, search, fault):
        while not self._slots.acquire(timeout=0.05):
            if search.cancel_requested.is_set():
                search.finish("CANCELED", rows=[])
                return
        try:
            self._execute(search, fault)
        except Exception as exc:  # an engine failure is a search in ERROR, never a dead worker
            search.finish("ERROR", error=f"Search execution failed: {exc}")
        finally:
            self._slots.release()

    def _execute(self, search, fault):
        latency_s = max(0, self.config.latency_ms) / 1000.0
        execute_budget = latency_s * (1 - SORTING_SHARE)
        started = time.monotonic()
        with search.lock:
            search.status = "EXECUTE"
        cancel = search.cancel_requested

        def on_progress(processed, total):
            fraction = processed / total if total else 1.0
            with search.lock:
                search.processed = processed
                search.progress = min(90, int(fraction * 90))
            delay = started + execute_budget * fraction - time.monotonic()
            if delay > 0:
                cancel.wait(delay)

        if fault == "search_stall":   # never finishes: EXECUTE at 0 % until someone cancels it
            cancel.wait()
            search.finish("CANCELED", rows=[])
            return
        if fault == "search_error":
            cancel.wait(execute_budget / 2)
            search.finish("ERROR", error="Ariel query server failed while executing the search (injected fault)")
            return
        rows = search.compiled.execute(self.store, search.created_ms, regex_mode=self.config.regex_mode,
                                       cancelled=cancel.is_set, progress=on_progress)
        remaining = started + execute_budget - time.monotonic()
        if not cancel.is_set() and remaining > 0:
            cancel.wait(remaining)
        if cancel.is_set():
            search.finish("CANCELED", rows=rows)
            return
        with search.lock:
            search.status = "SORTING"
            search.progress = 95
        if cancel.wait(latency_s * SORTING_SHARE):
            search.finish("CANCELED", rows=rows)
            return
        search.finish("COMPLETED", rows=rows)

    # ---- lookups and actions --------------------------------------------------------------------
    def retention_ms(self):
        return int(self.config.retention_s * 1000)

    def sweep(self):
        """Forget finished searches older than the retention unless saved (then they answer 404/1002)."""
        limit = now_ms() - self.retention_ms()
        with self._lock:
            for sid, search in list(self._searches.items()):
                if search.finished_ms is not None and not search.save_results and search.finished_ms < limit:
                    del self._searches[sid]

    def get(self, search_id):
        self.sweep()
        with self._lock:
            search = self._searches.get(search_id)
        if search is None:
            raise ApiError(404, CODE_NOT_FOUND, f"Search {search_id} does not exist.",
                           "The search does not exist or has expired.")
        return search

    def ids(self):
        self.sweep()
        with self._lock:
            return list(self._searches)

    def wait(self, search, seconds):
        """Prefer: wait=N. True when the search finished within the wait."""
        return search.finished.wait(max(0.0, seconds))

    def results(self, search):
        with search.lock:
            status, rows = search.status, search.rows
        if status not in HAS_RESULTS:
            if status == "ERROR":
                message = f"Search {search.search_id} ended in ERROR and has no results."
            else:
                message = f"Search {search.search_id} is still in progress."
            raise ApiError(404, CODE_STILL_RUNNING, message, "The search results are not available.")
        return search.database, rows

    def cancel(self, search):
        if not search.finished.is_set():
            search.cancel_requested.set()
            # The worker notices within one engine step; answer once its partial results are stored.
            search.finished.wait(10)
        return search

    def save(self, search):
        with search.lock:
            search.save_results = True
        return search

    def delete(self, search):
        self.cancel(search)
        with self._lock:
            self._searches.pop(search.search_id, None)
        return search

    def snapshot(self, search):
        return search.to_json(self.retention_ms())
