"""The real app served over HTTP (werkzeug, a thread) against the real stand-in (a subprocess), with
console users and their login sessions created on the stand-in: the admin check asks the stand-in who
each SEC cookie belongs to, as it asks a console."""
from __future__ import annotations

import threading
import time

import pytest
import requests
from werkzeug.serving import make_server

from app import create_app
from devtools.appenv import app_runtime
from devtools.simproc import SimProcess
from tests.e2e.conftest import shift_dataset

FAST = {"initial_wait_s": 0.02, "poll_wait_s": 2}


class Browser:
    """requests with a console session cookie and, for changes, the CSRF cookie and header pair."""

    def __init__(self, base: str, sec: str | None):
        self.base = base
        self.session = requests.Session()
        if sec:
            self.session.cookies.set("SEC", sec)
        self.session.cookies.set("QRadarCSRF", "csrf-test-value")

    seen: list[str] = []      # every response body any browser received (secrets must never be in one)

    def call(self, method: str, path: str, *, csrf: bool = True, **kw):
        headers = dict(kw.pop("headers", {}) or {})
        if csrf and method.upper() not in ("GET", "HEAD"):
            headers["QRadarCSRF"] = "csrf-test-value"
        response = self.session.request(method, self.base + path, headers=headers, timeout=120, **kw)
        Browser.seen.append(response.text)
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def put(self, path, **kw):
        return self.call("PUT", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """The bundled seed dataset ending 10 minutes ago: hits to preview, triage and except."""
    directory = tmp_path_factory.mktemp("data")
    path, _, _ = shift_dataset("seed", directory, int(time.time() * 1000) - 10 * 60_000)
    return path


@pytest.fixture(scope="module")
def console(dataset):
    with SimProcess(events=str(dataset), profile="seed", latency_ms=0) as sim:
        sim.admin("POST", "/sim/users", json={"username": "ana", "role": "SOC Analyst"})
        sim.admin("POST", "/sim/users", json={"username": "root2", "role": "Admin"})
        yield sim


@pytest.fixture(scope="module")
def served(console, tmp_path_factory):
    runtime = app_runtime(console, str(tmp_path_factory.mktemp("app")), **FAST)
    app = create_app(runtime)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "runtime": runtime, "app": app}
    server.shutdown()
    runtime.store.close()


def session_for(console, username: str) -> str:
    return console.admin("POST", "/sim/sessions", json={"username": username})["sec"]


@pytest.fixture(scope="module")
def admin(console, served):
    return Browser(served["url"], session_for(console, "admin"))


@pytest.fixture(scope="module")
def analyst(console, served):
    return Browser(served["url"], session_for(console, "ana"))


@pytest.fixture(scope="module")
def hunted(served, console):
    """t1048-002-rclone hunted over the dataset by the app itself: stored hits to build exceptions from."""
    runtime = served["runtime"]
    start, end = console.admin("GET", "/sim/info")["span"]
    runtime.hunt("t1048-002-rclone", start - start % 60_000, end + 60_000)
    return runtime
