"""HTTP(S) server of the stand-in: routing, SEC auth, the Version header, console JSON errors,
fault injection (status, latency, dropped connection, garbage or truncated body) and the request log.

Built on the stdlib ThreadingHTTPServer rather than a framework so the stand-in controls its sockets:
a `drop` fault closes the connection without writing a byte, as a console behind a failing proxy can.
"""
import json
import socket
import sys
import time
import traceback
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .admin_routes import admin
from .api_routes import api
from .errors import ApiError, CODE_BAD_VERSION, CODE_UNAUTHORIZED
from .routing import Reply, Request
from .tls import serve_over_tls
from .users import SERVICE

LOGGED_HEADERS = ("Version", "Range", "Prefer", "Accept", "Content-Type")


def _normalized_version(value):
    value = value.strip()
    return value + ".0" if value.isdigit() else value


class ConsoleRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "QRadarSim/1.0"
    timeout = 120                       # an idle keep-alive connection gives its thread back eventually
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's delayed ACK
    # (~40 ms a response on loopback). A console answers without that stall, so neither does the stand-in.
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # the request log at /sim/requests replaces stderr noise
        pass

    def do_GET(self):
        self._dispatch()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    # ---- plumbing ---------------------------------------------------------------------------------
    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, reply):
        if reply.raw is not None:
            body, content_type = reply.raw, "text/html;charset=UTF-8"
        else:
            body = b"" if reply.body is None else json.dumps(reply.body).encode("utf-8")
            content_type = "application/json;charset=UTF-8"
        self.send_response(reply.status)
        if "Content-Type" not in reply.headers:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _drop(self):
        """Close the connection without any response."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _sec_token(self):
        if self.headers.get("SEC"):
            return self.headers["SEC"]
        cookie = SimpleCookie()
        try:
            cookie.load(self.headers.get("Cookie") or "")
        except Exception:
            return None
        return cookie["SEC"].value if "SEC" in cookie else None

    # ---- one call ---------------------------------------------------------------------------------
    def _dispatch(self):
        console = self.server.console
        split = urlsplit(self.path)
        path = split.path
        params = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        body = self._read_body()
        if path.startswith("/sim/") or path == "/sim":
            return self._send(self._run(admin, console, path, params, body, is_api=False)[0])
        started = time.monotonic()
        # Logged on arrival (status filled in after), so the log keeps the order calls came in.
        entry = {"time_ms": int(time.time() * 1000), "method": self.command, "path": path, "route": None,
                 "query": params, "headers": {h: self.headers[h] for h in LOGGED_HEADERS if h in self.headers},
                 "sec_present": self._sec_token() is not None, "status": None, "dropped": False,
                 "fault": None, "duration_ms": None}
        console.requests.add(entry)
        reply, entry["route"], entry["fault"] = self._run(api, console, path, params, body, is_api=True)
        if reply is None:
            entry["dropped"] = True
            self._drop()
        else:
            entry["status"] = reply.status
            self._send(reply)
        entry["duration_ms"] = int((time.monotonic() - started) * 1000)

    def _run(self, router, console, path, params, body, is_api):
        """-> (reply or None when dropped, route template, fault kind applied)."""
        route, found = router.resolve(self.command, path)
        template = route.template if route else None
        fault = principal = None
        try:
            if route is None:
                if found:
                    raise ApiError(405, 1009,
                                   f"Method {self.command} is not supported on {path}",
                                   f"Allowed: {', '.join(found)}")
                raise ApiError(404, 1002, f"No route {self.command} {path}", "The requested URL does not exist.")
            if is_api:
                fault = console.faults.take_route_fault(self.command, template, path)
                if fault and fault.get("drop"):
                    return None, template, "drop"
                if fault and fault.get("latency_ms"):
                    time.sleep(fault["latency_ms"] / 1000.0)
                if fault and fault.get("garbage") is not None:
                    raw = fault["garbage"].encode(fault.get("encoding", "utf-8"))
                    return Reply(fault["status"], raw=raw), template, "garbage"
                if fault and fault.get("status"):
                    raise ApiError(fault["status"], fault["code"], fault.get("message"),
                                   fault.get("description"))
                principal = self._authorize(console)
                self._check_version(console)
            request = Request(self.command, path, params, self.headers, body, found, console)
            request.principal = principal
            reply = route.handler(request)
            if fault and fault.get("truncate") is not None:   # the real answer, cut short (valid HTTP, broken JSON)
                whole = reply.raw if reply.raw is not None else json.dumps(reply.body).encode("utf-8")
                headers = {"Content-Type": "application/json;charset=UTF-8"} | reply.headers
                reply = Reply(reply.status, headers=headers, raw=whole[:fault["truncate"]])
                return reply, template, "truncate"
            return reply, template, _fault_kind(fault)
        except ApiError as exc:
            return Reply(exc.status, exc.body()), template, _fault_kind(fault)
        except Exception as exc:  # a stand-in bug must still answer like a console: JSON 500
            traceback.print_exc(file=sys.stderr)
            error = ApiError(500, 1020, f"Internal error in the stand-in: {exc}", "Unexpected internal error.")
            return Reply(500, error.body()), template, None

    def _authorize(self, console):
        token = self._sec_token()
        if token is None:
            raise ApiError(401, CODE_UNAUTHORIZED,
                           'No SEC header present in request. Please provide it via "SEC: token". You may also '
                           'use BASIC authentication parameters if this host supports it. e.g. '
                           '"Authorization: Basic base64Encoding"', "")
        if token == console.config.token and not console.config.token_revoked:
            return SERVICE
        user = console.users.principal(token)   # a console user's login session (the SEC cookie)
        if user is None:
            raise ApiError(401, CODE_UNAUTHORIZED, "The security token is invalid, expired or revoked.", "")
        return user

    def _check_version(self, console):
        # Which versions are accepted: the console's release (--release; releases.py), or the list a test set
        # with POST /sim/config {"versions": [...]}.
        versions = console.api_versions
        supported = set(console.config.versions) if console.config.versions else versions.accepted
        raw = self.headers.get("Version")
        if raw is None:
            return max(supported, key=float) if console.config.versions else versions.latest
        version = _normalized_version(raw)
        if version not in supported:
            raise ApiError(422, CODE_BAD_VERSION, f"Version {raw!r} is not a supported API version.",
                           f"Supported versions: {', '.join(sorted(supported, key=float))}")
        return version


def _fault_kind(fault):
    if not fault:
        return None
    return "status" if fault.get("status") else "latency" if fault.get("latency_ms") else None


class ConsoleHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, console, ssl_context=None):
        super().__init__(address, ConsoleRequestHandler)
        self.console = console
        self.ssl_context = ssl_context

    def finish_request(self, request, client_address):
        # TLS is negotiated here, in the connection's own thread, so a slow or broken client never
        # holds up the accept loop.
        if self.ssl_context is None:
            return super().finish_request(request, client_address)
        serve_over_tls(self.ssl_context, request, lambda tls: super(ConsoleHTTPServer, self).finish_request(
            tls, client_address))
