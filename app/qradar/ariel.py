"""ArielSearch: one AQL query from submission to the last row, and nothing left behind on the console.

    search = ArielSearch(client, page_size=1000)
    for row in search.rows("SELECT sourceip FROM events LIMIT 10 START 1700000000000 STOP 1700000060000"):
        ...

The life of one search, and why each step is there:

1. ``POST api/ariel/searches?query_expression=<AQL>`` (201). The AQL is a URL
   parameter, as the console wants it.
2. Sleep ``initial_wait_s`` (small searches finish in about a second, and polling
   at once only costs a call), then poll ``GET searches/{id}`` with
   ``Prefer: wait=<poll_wait_s>`` so the console holds the answer until the search
   is done or the wait runs out (200 = done, 206 = not yet).
3. ``COMPLETED``: page the results with ``Range: items=x-y``, one page in memory
   at a time, until ``Content-Range``'s total (or an empty page). Pages are sized by
   bytes, not only rows: the first asks for a few rows, and each next one for as many
   rows as fit ``page_bytes`` at the size the last page measured (at most ``page_size``),
   so kilobyte-long command lines cannot make one page hold hundreds of megabytes.
   ``total`` is the console's row count for the search once its first page arrived
   (None before, or when the console sends no ``Content-Range``). With ``prefetch``, the
   next page is asked for in a background thread while the caller works on this one
   (the GIL is free while a thread waits on its socket, and a console's latency is
   hidden behind the caller's work): two pages in memory at most, never more.
4. ``DELETE searches/{id}`` (202; 404 means it is gone already), so results do not
   sit on the console for a day.

``ERROR`` raises :class:`SearchFailedError` with the console's messages; a search
``CANCELED`` by someone else raises :class:`SearchCanceledError`; no completion
within ``timeout_s`` cancels and deletes it and raises :class:`SearchTimeoutError`.
Whatever ends the iteration (an error, the caller breaking out, the generator
being closed), a search still running is canceled and every search is deleted.

A search can vanish (404/1002): the console expires results after about a day
and may drop them sooner under pressure. Then the query is **submitted again
from scratch**, up to ``max_recreates`` times, and the rows come again from the
first one: **rows yielded before a restart may be yielded again**, so callers
de-duplicate (the pipeline keys hits on their content). ``restarts`` counts
them for the latest :meth:`rows` call and ``on_restart(aql, restarts, error)`` is
called on each. An ``ArielSearch`` is cheap: use one per run, not one per thread.

:meth:`start` submits a query ahead, so that the console searches while the caller is busy with the rows of
another search: the next :meth:`rows` of that query takes it over (steps 2-4 as above, its errors raised there),
and :meth:`abandon` cancels and deletes it if it is not read.
"""
import math
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from .errors import (MalformedResponseError, NotFoundError, QRadarError, ResultsNotReadyError, SearchCanceledError,
                     SearchFailedError, SearchNotFoundError, SearchTimeoutError)

SEARCHES = "api/ariel/searches"
TERMINAL = ("COMPLETED", "ERROR", "CANCELED", "CANCELLED")
_CONTENT_RANGE = re.compile(r"items\s+(?:\d+-\d+|\*)/(\d+)")
# The first page is small because nothing is known yet about the size of a row.
FIRST_PAGE_ROWS = 20
_UNWAITED = object()   # a search submitted by this call of rows(), not yet waited for


class SearchInterrupted(Exception):
    """The process is stopping: the search was canceled and deleted, and its window is owed again."""


class InFlight:
    """The Ariel searches this process has on the console, so that a shutdown (SIGTERM) can cancel and
    delete them at once from the signal-handling thread instead of waiting for a poll to come back.

    A console answers a query posted again while the same text still runs with the earlier search id (two
    rules whose AQL is the same for a window: the analyzer's nets). The ids are therefore counted: the search
    is shared, and only the last of its holders to finish may cancel or delete it; the first would otherwise
    pull the results from under the other, which would see it vanish and search again."""

    def __init__(self):
        self.stop = threading.Event()
        self._holders = {}
        self._lock = threading.Lock()

    def add(self, search_id):
        with self._lock:
            self._holders[search_id] = self._holders.get(search_id, 0) + 1

    def discard(self, search_id) -> bool:
        """Gives up one hold; True when nobody else in this process holds the search (it may be deleted)."""
        with self._lock:
            left = self._holders.get(search_id, 1) - 1
            if left > 0:
                self._holders[search_id] = left
                return False
            self._holders.pop(search_id, None)
            return True

    def cancel_all(self, client):
        """Stops new searches and cancels and deletes the running ones; returns their ids. Never raises."""
        self.stop.set()
        with self._lock:
            ids = sorted(self._holders)
        for search_id in ids:
            path = f"{SEARCHES}/{search_id}"
            try:
                client.request("POST", path, params={"status": "CANCELED"}, expected=(200, 202), idempotent=True)
                client.request("DELETE", path, expected=(200, 202, 204))
            except NotFoundError:
                pass
            except Exception as error:   # shutting down: log and go on with the others
                client.platform.log(f"could not cancel Ariel search {search_id} at shutdown: {error}", "WARNING")
        return ids


class _Search:
    """The state of one submitted search."""

    def __init__(self, body, deadline):
        self.id = body["search_id"]
        self.status = str(body.get("status") or "").upper()
        self.body = body
        self.deadline = deadline
        self.gone = False  # vanished on the console: nothing left to cancel or delete

    def update(self, body):
        self.body = body
        self.status = str(body.get("status") or "").upper()


class ArielSearch:
    """Runs AQL through a :class:`~app.qradar.client.QRadarClient` (see the module doc)."""

    # When a console answers a Prefer: wait poll at once without being done (it ignores
    # the header), wait this long before asking again rather than spinning.
    MIN_POLL_INTERVAL_S = 1.0

    def __init__(self, client, *, page_size=1000, page_bytes=4_000_000, initial_wait_s=1.0, poll_wait_s=10,
                 timeout_s=600, max_recreates=2, clock=time.monotonic, sleep=time.sleep, on_restart=None,
                 inflight=None, prefetch=False):
        if page_size < 1 or page_bytes < 1:
            raise ValueError("page_size and page_bytes must be at least 1")
        self.client = client
        self.page_size = page_size
        self.page_bytes = page_bytes
        self.total = None
        self.initial_wait_s = initial_wait_s
        self.poll_wait_s = poll_wait_s
        self.timeout_s = timeout_s
        self.max_recreates = max_recreates
        self.on_restart = on_restart
        self.restarts = 0
        self.inflight = inflight
        # Off by default: a page asked for in another thread is asked without a browser request's context
        # (qpylib forwards its cookies), and scripted tests expect one request at a time.
        self.prefetch = prefetch
        self._clock = clock
        self._sleep = sleep
        self._started = None   # (aql, Future of (search, error of its wait)) from start()

    def rows(self, aql):
        """Yields every result row of ``aql`` as a dict (column name -> value)."""
        self.restarts = 0
        while True:
            try:
                yield from self._run_once(aql)
                return
            except SearchNotFoundError as error:
                self._check_stop()   # deleted by a shutdown, not vanished: do not submit it again
                if self.restarts >= self.max_recreates:
                    self._log(f"Ariel search vanished again after {self.restarts} restarts; giving up: {error}",
                              "ERROR")
                    raise
                self.restarts += 1
                self._log(f"Ariel search vanished ({error}); submitting it again "
                          f"(restart {self.restarts} of {self.max_recreates}); rows may repeat", "WARNING")
                if self.on_restart is not None:
                    self.on_restart(aql, self.restarts, error)

    def validate(self, aql):
        """The console's complaints about ``aql`` (empty when it is valid)."""
        body = self.client.request_json("POST", "api/ariel/validators/aql", params={"query_expression": aql},
                                        expected=(200, 201), idempotent=True).data
        return _messages(body.get("error_messages"))

    def start(self, aql):
        """Submits ``aql`` now and waits for it in a background thread, so that the console searches while the
        caller works on something else. The next :meth:`rows` of the same ``aql`` takes the search over (an
        error of the submission or of the wait is raised there, as if it had happened then); :meth:`abandon`
        cancels and deletes it when it will not be read."""
        self.abandon()
        started: Future = Future()

        def submit_and_wait():
            try:
                search = self._submit(aql)
            except BaseException as error:
                started.set_exception(error)
                return
            try:
                self._wait(search)
            except Exception as error:   # raised by rows(), where the search is cleaned up as usual
                started.set_result((search, error))
                return
            started.set_result((search, None))

        self._started = (aql, started)
        threading.Thread(target=submit_and_wait, name="ariel-ahead", daemon=True).start()

    def abandon(self):
        """Cancels and deletes a search :meth:`start` submitted that :meth:`rows` did not take over, once its
        submission has an answer (in whichever thread has it then). Never raises; returns a Future that is done
        when the search is cleaned up (None when there was none)."""
        if self._started is None:
            return None
        _, started = self._started
        self._started = None
        cleaned: Future = Future()

        def clean_up(done: Future):
            try:
                if done.exception() is None:
                    search, error = done.result()
                    search.gone = isinstance(error, SearchNotFoundError)
                    self._discard(search)
            finally:
                cleaned.set_result(None)
        started.add_done_callback(clean_up)
        return cleaned

    def _take_started(self, aql):
        """(search, error of its wait) of a search start() submitted for ``aql``; None when there is none."""
        if self._started is None:
            return None
        if self._started[0] != aql:
            self.abandon()
            return None
        _, started = self._started
        self._started = None
        return started.result()   # the submission's error, if it failed, is raised here

    # -- one submission ----------------------------------------------------
    def _run_once(self, aql):
        self.total = None
        search, error = self._take_started(aql) or (self._submit(aql), _UNWAITED)
        try:
            if error is _UNWAITED:
                self._wait(search)
            elif error is not None:
                raise error
            yield from self._pages(search)
        except SearchNotFoundError:
            search.gone = True
            raise
        finally:
            self._discard(search)

    def _check_stop(self):
        if self.inflight is not None and self.inflight.stop.is_set():
            raise SearchInterrupted("the app is stopping: the Ariel search was canceled and its window is owed")

    def _submit(self, aql):
        self._check_stop()
        # Sending the POST again after a dropped connection is allowed (idempotent=True): the
        # worst case is one orphan search the console expires by itself, far better than a
        # missed window.
        body = self.client.request_json("POST", SEARCHES, params={"query_expression": aql},
                                        expected=(200, 201), idempotent=True).data
        if not isinstance(body.get("search_id"), str) or not body["search_id"]:
            raise MalformedResponseError("search created without a search_id", method="POST", path=SEARCHES)
        if self.inflight is not None:
            self.inflight.add(body["search_id"])
        return _Search(body, self._clock() + self.timeout_s)

    def _wait(self, search):
        """Returns once the search is COMPLETED; raises for ERROR, CANCELED and timeout."""
        first = True
        while search.status not in TERMINAL:
            self._check_stop()
            remaining = search.deadline - self._clock()
            if remaining <= 0:
                progress = search.body.get("progress")
                raise SearchTimeoutError(
                    f"search {search.id} did not complete in {self.timeout_s}s "
                    f"(status {search.status or '?'}, progress {progress if progress is not None else '?'}%)",
                    method="GET", path=f"{SEARCHES}/{search.id}")
            if first:
                first = False
                self._sleep(min(self.initial_wait_s, remaining))
                remaining = max(search.deadline - self._clock(), 0)
            wait_s = max(1, min(self.poll_wait_s, math.ceil(remaining)))
            asked_at = self._clock()
            reply = self.client.request_json("GET", f"{SEARCHES}/{search.id}", headers={"Prefer": f"wait={wait_s}"},
                                             expected=(200, 206), timeout=wait_s + 30)
            search.update(reply.data)
            self._check_stop()   # a shutdown canceled it while this poll was held
            if search.status not in TERMINAL and self._clock() - asked_at < self.MIN_POLL_INTERVAL_S:
                self._sleep(min(self.MIN_POLL_INTERVAL_S, max(search.deadline - self._clock(), 0)))

        if search.status == "ERROR":
            messages = _messages(search.body.get("error_messages"))
            raise SearchFailedError(f"search {search.id} failed: " + ("; ".join(messages) or "no reason given"),
                                    error_messages=messages, method="GET", path=f"{SEARCHES}/{search.id}")
        if search.status in ("CANCELED", "CANCELLED"):
            raise SearchCanceledError(f"search {search.id} was canceled on the console before it completed",
                                      method="GET", path=f"{SEARCHES}/{search.id}")

    def _pages(self, search):
        start, total, size = 0, None, min(self.page_size, FIRST_PAGE_ROWS)
        # One thread per search (its keep-alive session is per thread); `ahead` is the page it is fetching.
        pool = ThreadPoolExecutor(1, thread_name_prefix="ariel-page") if self.prefetch else None
        ahead = None
        try:
            while total is None or start < total:
                self._check_stop()
                fetching, ahead = ahead, None
                try:
                    if fetching is not None and fetching[:2] == (start, size):
                        reply = fetching[2].result()
                    else:
                        reply = self._fetch_page(search, start, size)
                except ResultsNotReadyError:
                    # Status said COMPLETED but the results are not there yet: wait again.
                    search.status = ""
                    self._wait(search)
                    continue
                rows = _result_rows(reply.data, search.id)
                match = _CONTENT_RANGE.search(reply.headers.get("Content-Range", ""))
                if match:
                    total = self.total = int(match.group(1))
                if not rows:
                    return
                size = self._next_size(reply, rows)
                start += len(rows)
                del reply   # the decoded page is all that stays in memory while the caller works on it
                if pool is not None and (total is None or start < total):
                    ahead = (start, size, pool.submit(self._fetch_page, search, start, size))
                yield from rows
                del rows
        finally:
            if pool is not None:
                # Waits for a page still being fetched, so that no request of this search is in flight
                # when it is deleted; its answer (or error) is dropped.
                pool.shutdown(wait=True, cancel_futures=True)

    def _fetch_page(self, search, start, size):
        return self.client.request_json("GET", f"{SEARCHES}/{search.id}/results",
                                        headers={"Range": f"items={start}-{start + size - 1}"}, expected=(200, 206))

    def _next_size(self, reply, rows):
        """Rows for the next page so that it stays near page_bytes at the size this page measured."""
        try:
            page_bytes = int(reply.headers.get("Content-Length") or 0)
        except ValueError:
            page_bytes = 0
        if page_bytes <= 0:   # no length (chunked): count characters, two bytes each
            page_bytes = 2 * sum(len(v) if isinstance(v, str) else 8 for row in rows for v in row.values())
        per_row = max(page_bytes / len(rows), 1.0)
        return max(1, min(self.page_size, int(self.page_bytes / per_row)))

    def _discard(self, search):
        """Cancel (if still running) and delete; never raises, so it cannot hide the real error."""
        if self.inflight is not None and not self.inflight.discard(search.id):
            return   # shared with another search of this process that is still reading it
        if search.gone:
            return
        path = f"{SEARCHES}/{search.id}"
        try:
            if search.status not in TERMINAL:
                self.client.request("POST", path, params={"status": "CANCELED"}, expected=(200, 202),
                                    idempotent=True)
            self.client.request("DELETE", path, expected=(200, 202, 204))
        except NotFoundError:
            pass
        except QRadarError as error:
            self._log(f"could not clean up Ariel search {search.id}: {error}", "WARNING")

    def _log(self, msg, level):
        self.client.platform.log(msg, level)


def _result_rows(body, search_id):
    # {"events": [...]} for events, {"flows": [...]} for flows: take the one list.
    lists = [v for v in body.values() if isinstance(v, list)]
    if len(lists) != 1 or not all(isinstance(r, dict) for r in lists[0]):
        raise MalformedResponseError(f"results of search {search_id} are not one list of rows",
                                     method="GET", path=f"{SEARCHES}/{search_id}/results")
    return lists[0]


def _messages(items):
    out = []
    for item in items or ():
        if isinstance(item, dict):
            out.append(str(item.get("message") or item))
        else:
            out.append(str(item))
    return out
