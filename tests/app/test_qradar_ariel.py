"""ArielSearch's lifecycle logic against a scripted platform and a fake clock (no real waiting).
The same against the real console stand-in over a socket: test_qradar_e2e.py."""
import pytest

from app.qradar import errors
from app.qradar.ariel import ArielSearch
from app.qradar.client import QRadarClient
from tests.app.qradar_fakes import FakeClock, ScriptedPlatform, console_error, response

AQL = "SELECT sourceip FROM events LAST 5 MINUTES"


def search(status, **extra):
    return {"search_id": "s-1", "status": status, "progress": 50, **extra}


def page(rows, first, total):
    last = first + len(rows) - 1
    rng = f"items {first}-{last}/{total}" if rows else f"items */{total}"
    return response(200, {"events": rows}, headers={"Content-Range": rng})


def make(*answers, **options):
    clock = FakeClock()
    platform = ScriptedPlatform(*answers)
    client = QRadarClient(platform, lambda: "tok", version="20.0", sleep=clock.sleep, random=lambda: 0.5)
    ariel = ArielSearch(client, clock=clock, sleep=clock.sleep, **options)
    return ariel, platform, clock


def routes(platform):
    out = []
    for c in platform.calls:
        query = "&".join(f"{k}={v}" for k, v in (c["params"] or {}).items() if k != "query_expression")
        out.append(f"{c['method']} {c['path']}" + (f"?{query}" if query else ""))
    return out


def test_happy_path_waits_polls_pages_and_deletes():
    ariel, platform, clock = make(
        response(201, search("WAIT")),
        response(206, search("EXECUTE")),
        response(200, search("COMPLETED", record_count=3)),
        page([{"n": 0}, {"n": 1}], 0, 3),
        page([{"n": 2}], 2, 3),
        response(202, search("COMPLETED")),
        page_size=2, initial_wait_s=1.5, poll_wait_s=10)
    assert [r["n"] for r in ariel.rows(AQL)] == [0, 1, 2]
    assert routes(platform) == ["POST api/ariel/searches", "GET api/ariel/searches/s-1",
                                "GET api/ariel/searches/s-1", "GET api/ariel/searches/s-1/results",
                                "GET api/ariel/searches/s-1/results", "DELETE api/ariel/searches/s-1"]
    assert platform.calls[0]["params"] == {"query_expression": AQL}
    assert platform.calls[1]["headers"]["Prefer"] == "wait=10"
    assert platform.calls[1]["timeout"] >= 10 + 30  # the HTTP timeout outlasts the console's wait
    assert [c["headers"]["Range"] for c in platform.calls[3:5]] == ["items=0-1", "items=2-3"]
    assert clock.sleeps[0] == 1.5  # the initial wait, before the first poll
    assert ariel.restarts == 0


def test_empty_page_ends_paging_even_without_a_total():
    ariel, platform, _ = make(response(201, search("COMPLETED")),
                              response(200, {"events": [{"n": 0}]}), response(200, {"events": []}),
                              response(202, {}), page_size=1)
    assert list(ariel.rows(AQL)) == [{"n": 0}]
    assert routes(platform)[-1] == "DELETE api/ariel/searches/s-1"


def test_console_ignoring_prefer_wait_is_not_hammered():
    ariel, platform, clock = make(response(201, search("WAIT")), response(206, search("EXECUTE")),
                                  response(200, search("COMPLETED")), page([], 0, 0), response(202, {}))
    list(ariel.rows(AQL))
    assert clock.sleeps == [1.0, ArielSearch.MIN_POLL_INTERVAL_S]


def test_error_status_raises_with_the_console_messages():
    failed = search("ERROR", error_messages=[{"code": "x", "message": "Ariel ran out of disk", "severity": "ERROR"}])
    ariel, platform, _ = make(response(201, search("WAIT")), response(200, failed), response(202, {}))
    with pytest.raises(errors.SearchFailedError, match="Ariel ran out of disk") as info:
        list(ariel.rows(AQL))
    assert info.value.error_messages == ["Ariel ran out of disk"]
    assert routes(platform)[-1] == "DELETE api/ariel/searches/s-1"  # not canceled: it had ended


def test_canceled_by_someone_else_raises():
    ariel, _, _ = make(response(201, search("WAIT")), response(200, search("CANCELED")), response(202, {}))
    with pytest.raises(errors.SearchCanceledError):
        list(ariel.rows(AQL))


def test_timeout_cancels_then_deletes():
    ariel, platform, clock = make(response(201, search("WAIT")), *[response(206, search("EXECUTE"))] * 3,
                                  response(200, search("CANCELED")), response(202, {}), timeout_s=25, poll_wait_s=10)

    def console_holds_the_poll(call):  # as a console honouring Prefer: wait=N with a slow search does
        if "Prefer" in call["headers"]:
            clock.now += int(call["headers"]["Prefer"].split("=")[1])

    platform.on_call = console_holds_the_poll
    with pytest.raises(errors.SearchTimeoutError, match="did not complete in 25s"):
        list(ariel.rows(AQL))
    # 1 s initial wait, then polls of 10, 10 and the 4 s left: never past the deadline.
    assert [c["headers"].get("Prefer") for c in platform.calls[1:4]] == ["wait=10", "wait=10", "wait=4"]
    assert clock.sleeps == [1.0]
    assert routes(platform)[-2:] == ["POST api/ariel/searches/s-1?status=CANCELED", "DELETE api/ariel/searches/s-1"]


def test_vanished_search_is_recreated_and_reported():
    seen = []
    ariel, platform, _ = make(
        response(201, search("WAIT")), console_error(404, 1002, "gone"),
        response(201, {"search_id": "s-2", "status": "COMPLETED"}), page([{"n": 0}], 0, 1), response(202, {}),
        on_restart=lambda aql, n, error: seen.append((aql, n, type(error).__name__)))
    assert list(ariel.rows(AQL)) == [{"n": 0}]
    assert ariel.restarts == 1 and seen == [(AQL, 1, "SearchNotFoundError")]
    assert routes(platform) == ["POST api/ariel/searches", "GET api/ariel/searches/s-1", "POST api/ariel/searches",
                                "GET api/ariel/searches/s-2/results", "DELETE api/ariel/searches/s-2"]


def test_vanishing_mid_paging_restarts_from_the_first_row():
    ariel, _, _ = make(
        response(201, search("COMPLETED")), page([{"n": 0}], 0, 2), console_error(404, 1002, "expired"),
        response(201, search("COMPLETED")), page([{"n": 0}], 0, 2), page([{"n": 1}], 1, 2), response(202, {}),
        page_size=1)
    assert [r["n"] for r in ariel.rows(AQL)] == [0, 0, 1]  # documented: rows may repeat after a restart
    assert ariel.restarts == 1


def test_recreates_are_bounded():
    gone = console_error(404, 1002, "gone")
    ariel, platform, _ = make(response(201, search("WAIT")), gone, response(201, search("WAIT")), gone,
                              max_recreates=1)
    with pytest.raises(errors.SearchNotFoundError):
        list(ariel.rows(AQL))
    assert ariel.restarts == 1 and len(platform.calls) == 4


def test_results_not_ready_goes_back_to_waiting():
    ariel, platform, _ = make(response(201, search("COMPLETED")), console_error(404, 1003, "still running"),
                              response(200, search("COMPLETED")), page([{"n": 0}], 0, 1), response(202, {}))
    assert list(ariel.rows(AQL)) == [{"n": 0}]
    assert routes(platform)[2] == "GET api/ariel/searches/s-1"


def test_caller_stopping_early_still_deletes():
    ariel, platform, _ = make(response(201, search("COMPLETED")), page([{"n": 0}, {"n": 1}], 0, 4),
                              response(202, {}), page_size=2)
    rows = ariel.rows(AQL)
    assert next(rows) == {"n": 0}
    rows.close()
    assert routes(platform)[-1] == "DELETE api/ariel/searches/s-1"


def test_invalid_aql_raises_at_once_and_leaves_nothing_to_clean():
    ariel, platform, _ = make(console_error(422, 2000, "Unknown column 'Proces Name'"))
    with pytest.raises(errors.InvalidQueryError, match="Proces Name"):
        list(ariel.rows(AQL))
    assert len(platform.calls) == 1


def test_cleanup_failure_does_not_hide_the_real_error():
    failed = search("ERROR", error_messages=[{"message": "bad"}])
    ariel, platform, _ = make(response(201, search("WAIT")), response(200, failed),
                              console_error(403, 1, "not allowed to delete"))
    with pytest.raises(errors.SearchFailedError):
        list(ariel.rows(AQL))
    assert any("could not clean up" in msg for _, msg in platform.logs)


def test_validate_returns_the_console_messages():
    ariel, platform, _ = make(response(200, {"error_messages": [{"message": "Unexpected token 'FORM'"}]}),
                              response(200, {"error_messages": []}))
    assert ariel.validate("SELECT * FORM events") == ["Unexpected token 'FORM'"]
    assert ariel.validate(AQL) == []
    assert routes(platform)[0] == "POST api/ariel/validators/aql"
    assert platform.calls[0]["params"] == {"query_expression": "SELECT * FORM events"}
