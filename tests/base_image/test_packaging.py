"""The zip scripts/package builds, installed and run the way a QRadar console does it.

An empty app root receives the zip; a fresh Python 3.11 gets exactly the base image's packages
(requirements-base-image.txt, supervisor 4.2.5) and then only the zip's wheels, each installed offline in
container/pip/ordering.txt's order; the container's build ordering runs, then its run ordering; a real
supervisord runs the app's programs (container/conf/supervisord.d) beside Flask, which the platform itself
starts on port 5000 (here: 5000 when free, else another). Then: /debug and the tab answer, the scheduler
hunts the stand-in and the offense is raised, and stopping the container (cleanup.sh, then SIGTERM to
supervisord) ends everything within QRadar's 10 s with the search in flight canceled and deleted.

Select it alone with `scripts/test -m packaging`.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests

from devtools.appenv import app_environ
from devtools.simproc import wait_until

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
BASE_WHEELS = ROOT / ".cache" / "base-image-wheels"
# Also in the image (IBM's package list), beside requirements-base-image.txt: supervisord, and the
# setuptools it imports (pkg_resources).
BASE_IMAGE_EXTRAS = ("supervisor==4.2.5", "setuptools==65.5.1")
OPT = "/opt/app-root"
SCENARIO_IP = "10.20.1.231"   # seed-1-rclone-sftp of the bundled dataset
MINUTE = 60_000


def run(command, **kw):
    done = subprocess.run(command, capture_output=True, text=True, **kw)
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


def free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError("no free port")


@pytest.fixture(scope="module")
def base_python(tmp_path_factory):
    """A fresh Python with only the base image's packages, installed offline from a local wheel folder."""
    pins = [ROOT / "requirements-base-image.txt"]
    wanted = pins[0].read_text() + "\n".join(BASE_IMAGE_EXTRAS)
    stamp = BASE_WHEELS / "downloaded.txt"
    if not stamp.exists() or stamp.read_text() != wanted:   # once per change of the pins (needs PyPI)
        run([sys.executable, "-m", "pip", "download", "--quiet", "--only-binary=:all:", "-d", str(BASE_WHEELS),
             "-r", str(pins[0]), *BASE_IMAGE_EXTRAS])
        stamp.write_text(wanted)
    venv = tmp_path_factory.mktemp("base-image") / "python"
    # Without its own pip (this run's pip installs into it: --python), which saves a bootstrap per run.
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    pip(python, "install", "--quiet", "--no-index", "--find-links", str(BASE_WHEELS), "-r", str(pins[0]),
        *BASE_IMAGE_EXTRAS)
    return python


def pip(python: Path, *args: str) -> str:
    return run([sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check", *args])


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    last = run([str(ROOT / "scripts" / "package"), "--out", str(out)]).strip().splitlines()[-1]
    return Path(json.loads(last)["zip"])


def freeze(python: Path) -> dict:
    lines = pip(python, "list", "--format", "json")
    return {p["name"].lower(): p["version"] for p in json.loads(lines)}


def ordering(root: Path, folder: str) -> list[str]:
    path = root / "container" / folder / "ordering.txt"
    return [line.strip() for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def events_near_now(path: Path) -> None:
    """The bundled seed-1 scenario's events, moved to end 10 minutes ago (inside a first scheduled run)."""
    source = ROOT / "scripts" / "scenarios" / "data" / "events-seed.jsonl"
    chosen = [e for e in map(json.loads, source.read_text().splitlines())
              if e["sourceip"] == SCENARIO_IP and 1793506711973 <= e["starttime"] <= 1793507025404]
    shift = int(time.time() * 1000) - 10 * MINUTE - max(e["starttime"] for e in chosen)
    with path.open("w") as handle:
        for event in chosen:
            for key in ("starttime", "devicetime", "endtime"):
                if isinstance(event.get(key), int):
                    event[key] += shift
            handle.write(json.dumps(event) + "\n")


def supervisord_conf(root: Path, etc: Path, port: int) -> Path:
    """The platform's part: its master supervisord.conf, Flask on `port`, and the app's supervisord.d files
    copied in (the platform copies container/conf/supervisord.d/*.conf to /etc/supervisord.d)."""
    included = etc / "supervisord.d"
    included.mkdir(parents=True)
    for conf in (root / "container" / "conf" / "supervisord.d").glob("*.conf"):
        (included / conf.name).write_text(conf.read_text().replace(OPT, str(root)))
    conf = etc / "supervisord.conf"
    conf.write_text(f"""[supervisord]
nodaemon=true
logfile={root}/store/log/supervisord.log
pidfile={etc}/supervisord.pid
[unix_http_server]
file={etc}/supervisor.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://{etc}/supervisor.sock
[program:flask]
command=python3 -m flask --app app run --host 127.0.0.1 --port {port}
directory={root}
stdout_logfile={root}/store/log/flask.log
redirect_stderr=true
[include]
files = {included}/*.conf
""")
    return conf


@pytest.fixture(scope="module")
def installed(package, base_python, tmp_path_factory):
    """The image build: the zip in an empty app root, its wheels installed offline in order over the base
    image's packages (nothing of those replaced), its build ordering run. Returns the app root."""
    root = tmp_path_factory.mktemp("image") / "opt-app-root"
    root.mkdir()
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        archive.extractall(root)
        for name in names:   # zipfile does not restore modes
            mode = archive.getinfo(name).external_attr >> 16
            if mode:
                os.chmod(root / name, mode & 0o777)
    pip_dir = root / "container" / "pip"
    assert not (pip_dir / "requirements.txt").exists()
    assert sorted(ordering(root, "pip")) == sorted(p.name for p in pip_dir.glob("*.whl"))
    for data in ("app/store/migrations/0001_pipeline.sql", "app/detection/rules/t1048-002-seed.toml",
                 "app/pipeline/data/services.json", "app/web/templates/tab.html", "app/web/static/js/api.js",
                 "app/web/static/vendor/carbon.css", "manifest.json"):
        assert data in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]

    before = freeze(base_python)
    assert "apscheduler" not in before
    for wheel in ordering(root, "pip"):
        pip(base_python, "install", "--quiet", "--no-index", "--find-links", str(pip_dir), str(pip_dir / wheel))
    after = freeze(base_python)
    assert {k: v for k, v in after.items() if before.get(k) != v} == {"tzlocal": "5.4.5", "apscheduler": "3.11.3"}

    for line in ordering(root, "build"):
        run(["bash", line.replace(OPT, str(root))], cwd=root, env=container_env(base_python, {}))
    assert list((root / "app").glob("__pycache__/*.pyc")), "the build step byte-compiles the app"
    return root


def container_env(base_python: Path, platform_env: dict) -> dict:
    """What the platform gives the container's programs: its variables, the manifest's
    environment_variables, and the image's Python first on PATH."""
    env = {k: v for k, v in (platform_env or os.environ).items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    manifest = json.loads((ROOT / "manifest.json").read_text())
    env.update({e["name"]: e["value"] for e in manifest.get("environment_variables", [])})
    env["PATH"] = f"{base_python.parent}:{os.environ['PATH']}"
    return env


def test_the_zip_installs_offline_on_the_base_image_and_runs_under_supervisord(
        installed, base_python, start_sim, tmp_path):
    root = tmp_path / "opt-app-root"
    shutil.copytree(installed, root, symlinks=True)
    bin_dir = base_python.parent

    # -- the console, then container start: run ordering, supervisord -------------------------------------
    events = tmp_path / "events.jsonl"
    events_near_now(events)
    sim = start_sim(events=str(events), tls_dir=str(tmp_path / "tls"))
    env = dict(container_env(base_python, app_environ(sim, str(root))), EXFILWATCH_OFFENSE_INTERVAL_S="2",
               EXFILWATCH_INITIAL_WAIT_S="0.1")
    for line in ordering(root, "run"):
        assert "ready at schema" in run(["bash", line.replace(OPT, str(root))], cwd=root, env=env)
    # The admin's offense setting (the admin page's job): send to the stand-in's syslog intake.
    run([str(base_python), "-c", "import sys, time; from app.store import Store; "
         "Store(sys.argv[1]).settings.set('offenses', {'host': '127.0.0.1', 'port': int(sys.argv[2]), "
         "'protocol': 'tcp'}, actor='admin', now_ms=int(time.time() * 1000))",
         str(root / "store" / "exfilwatch.db"), str(sim.syslog_port)], cwd=root, env=env)

    port = free_port(5000)
    etc = tmp_path / "etc"
    conf = supervisord_conf(root, etc, port)
    supervisord = subprocess.Popen([str(bin_dir / "supervisord"), "-c", str(conf)], cwd=root, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctl = [str(bin_dir / "supervisorctl"), "-c", str(conf)]
    try:
        base = f"http://127.0.0.1:{port}"

        def answers(path):
            try:
                return requests.get(base + path, timeout=5)
            except requests.ConnectionError:
                return None
        debug = wait_until(lambda: answers("/debug"), timeout=60, message="Flask answering /debug")
        assert debug.status_code == 200
        tab = answers("/index")
        assert tab.status_code == 200 and "ExfilWatch" in tab.text

        # -- the scheduler hunts the console and the offense is raised ------------------------------------
        offenses = wait_until(lambda: sim.api("GET", "/api/siem/offenses").json(), timeout=120,
                              message="an offense raised from the app's LEEF events")
        assert {o["offense_source"] for o in offenses} == {SCENARIO_IP}

        # -- a search in flight, then the container stops ---------------------------------------------------
        sim.admin("POST", "/sim/config", json={"latency_ms": 120_000})
        owed_from = int(time.time() * 1000) - 30 * MINUTE   # as if the app had been down for half an hour
        run([str(base_python), "-c", "import sys; from app.store import Store; s = Store(sys.argv[1]); "
             "[s.ledger.set_checkpoint(r, int(sys.argv[2]), 0) for (r,) in "
             "s.db.query('SELECT rule_id FROM rule_state')]", str(root / "store" / "exfilwatch.db"),
             str(owed_from)], cwd=root, env=env)
        run(ctl + ["restart", "exfilwatch-scheduler"], env=env)
        in_flight = wait_until(lambda: sim.api("GET", "/api/ariel/searches").json(), timeout=60,
                               message="the restarted scheduler searching")
        shim = tmp_path / "shim"
        shim.mkdir()
        (shim / "supervisorctl").write_text(f"#!/bin/sh\nexec {' '.join(ctl)} \"$@\"\n")
        (shim / "supervisorctl").chmod(0o755)
        started = time.monotonic()
        run(["bash", str(root / "container" / "clean" / "cleanup.sh")], env=dict(env, PATH=f"{shim}:{env['PATH']}"))
        supervisord.send_signal(signal.SIGTERM)
        supervisord.wait(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        if supervisord.poll() is None:
            supervisord.kill()
    assert elapsed < 10, f"stopping took {elapsed:.1f} s; QRadar kills the container at 10 s"
    assert sim.api("GET", "/api/ariel/searches").json() == []
    deleted = {c["path"].rsplit("/", 1)[1] for c in sim.admin("GET", "/sim/requests") if c["method"] == "DELETE"}
    assert set(in_flight) <= deleted
    scheduler_log = (root / "store" / "log" / "scheduler.log").read_text()
    assert "canceled and deleted" in scheduler_log
    supervisor_log = (root / "store" / "log" / "supervisord.log").read_text()
    assert "stopped: exfilwatch-scheduler (exit status 0)" in supervisor_log   # on its own, not SIGKILLed
    assert "FATAL" not in supervisor_log
    # The windows it was searching are owed, nothing half-done: pending, none running.
    statuses = json.loads(run([str(base_python), "-c", "import json, sys, sqlite3; print(json.dumps(dict("
                               "sqlite3.connect(sys.argv[1]).execute('SELECT status, COUNT(*) FROM windows "
                               "GROUP BY status').fetchall())))", str(root / "store" / "exfilwatch.db")]))
    assert statuses.get("pending", 0) >= len(in_flight) and "running" not in statuses


def test_a_scheduler_switched_off_is_running_not_fatal_under_supervisord(installed, base_python, start_sim, tmp_path):
    root = tmp_path / "opt-app-root"
    shutil.copytree(installed, root, symlinks=True)
    sim = start_sim(empty=True, tls_dir=str(tmp_path / "tls"))
    env = dict(container_env(base_python, app_environ(sim, str(root))), EXFILWATCH_SCHEDULER_ENABLED="false")
    for line in ordering(root, "run"):
        run(["bash", line.replace(OPT, str(root))], cwd=root, env=env)
    conf = supervisord_conf(root, tmp_path / "etc", free_port(5000))
    ctl = [str(base_python.parent / "supervisorctl"), "-c", str(conf)]
    supervisord = subprocess.Popen([str(base_python.parent / "supervisord"), "-c", str(conf)], cwd=root, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def state():   # supervisorctl status exits non-zero while a program is not RUNNING
            done = subprocess.run(ctl + ["status", "exfilwatch-scheduler"], capture_output=True, text=True, env=env)
            return done.stdout.split()[1] if len(done.stdout.split()) > 1 else None
        # RUNNING only once it has stayed up for startsecs (5 s); one that exits earlier ends BACKOFF, then FATAL.
        settled = wait_until(lambda: (lambda now: now if now in ("RUNNING", "FATAL", "EXITED") else None)(state()),
                             timeout=60, message="the scheduler program to settle")
        assert settled == "RUNNING"
        run(ctl + ["stop", "exfilwatch-scheduler"], env=env)
        assert state() == "STOPPED"
    finally:
        supervisord.send_signal(signal.SIGTERM)
        supervisord.wait(timeout=30)
    assert "EXFILWATCH_SCHEDULER_ENABLED is off" in (root / "store" / "log" / "scheduler.log").read_text()
    assert not [c for c in sim.admin("GET", "/sim/requests") if c["path"].startswith("/api/ariel")]
