"""Console error bodies -> typed errors."""
import pytest

from app.qradar import errors
from tests.app.qradar_fakes import console_error, response


@pytest.mark.parametrize("status, code, path, cls", [
    (401, 1, "api/system/about", errors.AuthenticationError),
    (403, 1, "api/siem/offenses", errors.AuthorizationError),
    (422, 2000, "api/ariel/searches", errors.InvalidQueryError),
    (422, 1005, "api/ariel/searches", errors.BadRequestError),
    (410, 0, "api/old/thing", errors.UnsupportedVersionError),
    (404, 1002, "api/ariel/searches/abc", errors.SearchNotFoundError),
    (404, 1002, "api/reference_data/sets/x", errors.NotFoundError),
    (404, 1003, "api/ariel/searches/abc/results", errors.ResultsNotReadyError),
    (409, 1004, "api/ariel/searches", errors.BadRequestError),
    (503, 1010, "api/ariel/searches", errors.ConsoleUnavailableError),
    (500, 1020, "api/ariel/searches", errors.ConsoleUnavailableError),
])
def test_status_and_code_pick_the_class(status, code, path, cls):
    error = errors.error_from_response(console_error(status, code, "the console says"), method="GET", path=path)
    assert type(error) is cls
    assert (error.status, error.code, error.message) == (status, code, "the console says")


def test_invalid_query_carries_the_console_message_and_description():
    error = errors.error_from_response(
        console_error(422, 2000, "Invalid AQL", "Unknown column 'Proces Name'"), method="POST",
        path="api/ariel/searches")
    assert not error.retryable
    assert "Unknown column 'Proces Name'" in str(error)
    assert "POST api/ariel/searches" in str(error) and "HTTP 422" in str(error) and "code 2000" in str(error)


def test_unsupported_version_is_told_apart_from_other_422():
    body = console_error(422, 1005, "Version 99.0 is not a supported version")
    assert type(errors.error_from_response(body)) is errors.UnsupportedVersionError


def test_only_unavailable_and_malformed_are_retryable():
    assert errors.ConsoleUnavailableError("x").retryable
    assert errors.MalformedResponseError("x").retryable
    for cls in (errors.AuthenticationError, errors.InvalidQueryError, errors.SearchNotFoundError, errors.TLSError):
        assert not cls("x").retryable


def test_503_was_not_applied_but_500_may_have_been():
    assert errors.error_from_response(console_error(503, 1010, "down")).maybe_applied is False
    assert errors.error_from_response(console_error(500, 1020, "oops")).maybe_applied is True


def test_non_json_error_body_is_described_not_crashed_on():
    error = errors.error_from_response(response(502, text="<html><body>Bad Gateway</body></html>"))
    assert isinstance(error, errors.ConsoleUnavailableError)
    assert error.code is None and "Bad Gateway" in error.message


def test_empty_error_body():
    error = errors.error_from_response(response(401, text=""))
    assert isinstance(error, errors.AuthenticationError)
    assert "empty body" in error.message


def test_message_falls_back_to_http_response_message():
    r = response(403, {"http_response": {"code": 403, "message": "Your account is not authorized"}})
    assert errors.error_from_response(r).message == "Your account is not authorized"


def test_retry_after_is_read():
    r = response(503, {"code": 1010, "message": "busy"}, headers={"Retry-After": "7"})
    assert errors.error_from_response(r).retry_after == 7.0
