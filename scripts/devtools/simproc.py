"""Start the QRadar console stand-in as a subprocess (scripts/qradar-sim) and talk to it.

    with SimProcess(events="x.jsonl", tls_dir=tmp) as sim:
        requests.get(sim.url + "/api/system/about", headers={"SEC": sim.token}, verify=sim.verify)
        sim.admin("POST", "/sim/faults", json={...})

The stand-in prints one JSON "ready" line when it listens: that line is the only synchronization.
"""
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIM_SCRIPT = os.path.join(ROOT, "scripts", "qradar-sim")


class SimStartError(RuntimeError):
    pass


class SimProcess:
    def __init__(self, events=None, profile=None, token=None, tls_dir=None, latency_ms=None, regex_mode=None,
                 retention_s=None, faults=None, extra_args=(), start_timeout=60.0, empty=False, release=None):
        """`empty=True` starts with no events (an empty file) instead of the bundled dataset."""
        self.events = events
        self.profile = profile
        self.token = token
        self.tls_dir = tls_dir
        self.options = {"--latency-ms": latency_ms, "--regex-mode": regex_mode, "--retention-s": retention_s,
                        "--faults": faults, "--release": release}
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.empty = empty
        self.proc = None
        self.ready = None
        self._stderr = None
        self._scratch = None

    # ---- lifecycle ------------------------------------------------------------------------------
    def command(self):
        cmd = [SIM_SCRIPT, "--port", "0", "--syslog-port", "0"]
        if self.tls_dir is not None:
            cmd += ["--syslog-tls-port", "0"]        # the TLS syslog listener exists only with --tls-dir
        events = self.events
        if events is None and self.empty:
            self._scratch = tempfile.TemporaryDirectory(prefix="qradar-sim-")
            events = os.path.join(self._scratch.name, "empty.jsonl")
            open(events, "w").close()
        for flag, value in (("--events", events), ("--profile", self.profile), ("--token", self.token),
                            ("--tls-dir", self.tls_dir), *self.options.items()):
            if value is not None:
                cmd += [flag, str(value)]
        return cmd + self.extra_args

    def start(self):
        # stderr goes to a file, not a pipe: a chatty stand-in can never block on a full pipe buffer.
        self._stderr = tempfile.TemporaryFile(mode="w+b")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=self._stderr, cwd=ROOT)
        self.ready = self._read_ready_line()
        return self

    def _read_ready_line(self):
        deadline = time.monotonic() + self.start_timeout
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        line = b""
        try:
            while not line.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._fail(f"no ready line within {self.start_timeout:.0f} s")
                if not selector.select(timeout=min(remaining, 0.5)):
                    if self.proc.poll() is not None:
                        self._fail(f"exited with code {self.proc.returncode} before it was ready")
                    continue
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    self._fail(f"closed stdout (exit code {self.proc.wait(5)}) before it was ready")
                line += chunk
        finally:
            selector.close()
        try:
            ready = json.loads(line.split(b"\n", 1)[0])
        except ValueError:
            self._fail(f"printed a ready line that is not JSON: {line!r}")
        if not ready.get("ready"):
            self._fail(f"ready line without ready=true: {ready}")
        return ready

    def stderr_text(self):
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", errors="replace")

    def _fail(self, why):
        self.stop()
        raise SimStartError(f"qradar-sim {why}\ncommand: {' '.join(self.command())}\nstderr:\n{self.stderr_text()}")

    def stop(self, timeout=10.0):
        """terminate, then kill; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self.proc.stdout:
            self.proc.stdout.close()
        if self._scratch:
            self._scratch.cleanup()
            self._scratch = None
        return self.proc.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        if self._stderr:
            self._stderr.close()

    # ---- access ---------------------------------------------------------------------------------
    @property
    def url(self):
        return self.ready["url"]

    @property
    def token(self):
        return self.ready["token"] if self.ready else self._token

    @token.setter
    def token(self, value):
        self._token = value

    @property
    def syslog_port(self):
        return self.ready["syslog_port"]

    @property
    def syslog_tls_port(self):
        """The TLS syslog port (certificate signed by ca_path); None when started without tls_dir."""
        return self.ready.get("syslog_tls_port")

    @property
    def ca_path(self):
        return os.path.join(self.tls_dir, "ca.pem") if self.tls_dir else None

    @property
    def verify(self):
        """What to give requests as `verify`: the stand-in's CA under TLS."""
        return self.ca_path or True

    def api(self, method, path, headers=None, **kw):
        """A console call with the SEC token (and whatever else the test passes)."""
        headers = dict({"SEC": self.token}, **(headers or {}))
        kw.setdefault("timeout", 60)
        return requests.request(method, self.url + path, headers=headers, verify=self.verify, **kw)

    def admin(self, method, path, **kw):
        """A /sim/ admin call; returns the parsed JSON body (raises on an HTTP error)."""
        kw.setdefault("timeout", 60)
        response = requests.request(method, self.url + path, verify=self.verify, **kw)
        response.raise_for_status()
        return response.json()


def wait_until(predicate, timeout=10.0, interval=0.05, message="condition"):
    """Poll observable state until predicate() is truthy; returns its value (never a blind sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def write_events(path, events):
    """Write events as JSON Lines (the stand-in's --events format); returns the path as a string."""
    with open(path, "w", encoding="utf-8") as f:
        for event in events:
            f.write(json.dumps(event) + "\n")
    return str(path)


def run_search(sim, aql, timeout=60.0):
    """Submit, wait (Prefer: wait), fetch every row. Returns (final search object, rows).
    Raises AssertionError with the console's error body when a step fails."""
    created = sim.api("POST", "/api/ariel/searches", params={"query_expression": aql})
    assert created.status_code == 201, created.text
    search_id = created.json()["search_id"]
    deadline = time.monotonic() + timeout
    while True:
        status = sim.api("GET", f"/api/ariel/searches/{search_id}", headers={"Prefer": "wait=5"})
        assert status.status_code in (200, 206), status.text
        search = status.json()
        if search["status"] in ("COMPLETED", "CANCELED", "ERROR"):
            break
        assert time.monotonic() < deadline, f"search still {search['status']} after {timeout} s"
    if search["status"] == "ERROR":
        return search, None
    results = sim.api("GET", f"/api/ariel/searches/{search_id}/results")
    assert results.status_code == 200, results.text
    body = results.json()
    return search, body.get("events", body.get("flows"))


if __name__ == "__main__":   # handy by hand: python -m devtools.simproc  -> prints the ready line
    with SimProcess(*sys.argv[1:2]) as sim:
        print(sim.ready)
