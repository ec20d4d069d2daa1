"""Typed errors for everything that can go wrong talking to the console.

The console answers errors with a JSON body whatever the Accept header:

    {"http_response": {"code": 404, "message": "We could not find ..."},
     "code": 1002, "message": "...", "description": "...", "details": {}}

:func:`error_from_response` turns that (or a body that is not JSON at all, as a
proxy or a crashed console sends) into one exception class per way a caller
reacts: give up and tell the admin (401/403), fix the query (422/2000), start
over (404/1002 on a search), wait and retry (5xx, dropped connections).
"""
import json

# Console error codes this client reacts to (QRadar REST API reference).
CODE_NOT_FOUND = 1002  # unknown resource, or an Ariel search that expired
CODE_RESULTS_NOT_READY = 1003  # results asked for while the search still runs
CODE_INVALID_QUERY = 2000  # AQL did not parse / names an unknown column
CODE_ARIEL_UNAVAILABLE = 1010  # 503: Ariel query server unavailable


class QRadarError(Exception):
    """Anything the console (or the way to it) refused.

    ``status`` is the HTTP status (None when no answer came back), ``code`` the
    console's own error code, ``message`` its human message and ``description``
    its longer explanation. ``retryable`` says whether trying the same request
    again later may succeed.
    """

    retryable = False

    def __init__(self, message, *, status=None, code=None, description=None, method=None, path=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.description = description
        self.method = method
        self.path = path

    def __str__(self):
        where = f"{self.method} {self.path}: " if self.method and self.path else ""
        bits = [f"HTTP {self.status}"] if self.status is not None else []
        if self.code is not None:
            bits.append(f"code {self.code}")
        tail = f" ({', '.join(bits)})" if bits else ""
        text = self.message
        if self.description and self.description != self.message:
            text = f"{text}: {self.description}"
        return f"{where}{text}{tail}"


class ConfigurationError(QRadarError):
    """The client or platform is not set up to talk to a console (no token, no console address)."""


class TLSError(QRadarError):
    """The console's certificate was not trusted. Never retried: it will not fix itself,
    and hiding it behind "console unavailable" would send the admin looking in the wrong place."""


class AuthenticationError(QRadarError):
    """401: the SEC token is missing, wrong, expired or revoked."""


class AuthorizationError(QRadarError):
    """403: the token is valid but its security profile may not do this."""


class BadRequestError(QRadarError):
    """4xx the caller must fix: bad parameter, conflict, unsupported input."""


class InvalidQueryError(BadRequestError):
    """422 with code 2000: the console rejected the AQL; ``message`` says why."""


class UnsupportedVersionError(BadRequestError):
    """The ``Version`` header names an API version this console does not serve (422),
    or the endpoint was removed in it (410)."""


class NotFoundError(QRadarError):
    """404: no such resource (reference set, offense, lookup ...)."""


class SearchNotFoundError(NotFoundError):
    """404/1002 on an Ariel search: unknown, expired or deleted. Start the search again."""


class ResultsNotReadyError(NotFoundError):
    """404/1003: results asked for before the search finished."""


class ConsoleUnavailableError(QRadarError):
    """The console did not answer usefully: 5xx, 429, refused or dropped connection, timeout.

    ``maybe_applied`` is False when the console certainly did not act on the
    request (connection never made, 503 "unavailable", 429), True when it may
    have (read timeout, connection dropped after sending, 500). Only idempotent
    requests are retried when it may have been applied.
    """

    retryable = True

    def __init__(self, message, *, maybe_applied=True, retry_after=None, **kwargs):
        super().__init__(message, **kwargs)
        self.maybe_applied = maybe_applied
        self.retry_after = retry_after


class MalformedResponseError(QRadarError):
    """A success status with a body that is not JSON or not the documented shape.
    Usually a proxy page or a truncated answer, so worth one or two more tries."""

    retryable = True
    maybe_applied = True


class SearchFailedError(QRadarError):
    """The Ariel search ended in status ERROR; ``error_messages`` are the console's."""

    def __init__(self, message, *, error_messages=(), **kwargs):
        super().__init__(message, **kwargs)
        self.error_messages = list(error_messages)


class SearchCanceledError(QRadarError):
    """The Ariel search was canceled by someone else (an analyst, another app)."""


class SearchTimeoutError(QRadarError):
    """The Ariel search did not complete within the allowed time; it was canceled and deleted."""


def parse_error_body(text):
    """``(code, message, description)`` from a console error body, or Nones when it is not one."""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        return None, None, None
    if not isinstance(body, dict):
        return None, None, None
    http = body.get("http_response") if isinstance(body.get("http_response"), dict) else {}
    code = body.get("code")
    message = body.get("message") or http.get("message")
    description = body.get("description")
    return (code if isinstance(code, int) else None,
            message if isinstance(message, str) else None,
            description if isinstance(description, str) and description else None)


def _retry_after(response):
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # absent, or an HTTP date: use our own back-off


def error_from_response(response, *, method=None, path=None):
    """The :class:`QRadarError` subclass that describes an unexpected ``requests.Response``."""
    status = response.status_code
    code, message, description = parse_error_body(response.text)
    if message is None:
        # Not a console error body (a proxy page, an empty body): say so, with a peek at it.
        snippet = " ".join((response.text or "").split())[:200]
        message = f"unexpected HTTP {status} answer" + (f": {snippet}" if snippet else " with an empty body")
    where = {"status": status, "code": code, "description": description, "method": method, "path": path}

    if status == 401:
        return AuthenticationError(message, **where)
    if status == 403:
        return AuthorizationError(message, **where)
    if status == 404:
        if code == CODE_RESULTS_NOT_READY:
            return ResultsNotReadyError(message, **where)
        if path and path.strip("/").startswith("api/ariel/searches"):
            return SearchNotFoundError(message, **where)
        return NotFoundError(message, **where)
    if status == 410:
        return UnsupportedVersionError(message, **where)
    if status == 422:
        if code == CODE_INVALID_QUERY:
            return InvalidQueryError(message, **where)
        if "version" in f"{message} {description or ''}".lower():
            return UnsupportedVersionError(message, **where)
        return BadRequestError(message, **where)
    if status == 429:
        return ConsoleUnavailableError(message, maybe_applied=False, retry_after=_retry_after(response), **where)
    if status >= 500:
        # 503 means the console refused the work before doing any; other 5xx may
        # have failed half way through.
        return ConsoleUnavailableError(message, maybe_applied=status != 503,
                                       retry_after=_retry_after(response), **where)
    if 400 <= status < 500:
        return BadRequestError(message, **where)
    # A 2xx/3xx the caller did not expect (e.g. 206 where 200 was due).
    return MalformedResponseError(message, **where)
