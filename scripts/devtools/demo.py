"""`scripts/demo`: the console stand-in with the bundled dataset, the app on :5000, one full cycle.

The last line of `--once` is the contract's JSON: {"hits", "suppressed", "offenses", "rules"}.
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import threading
import time
from pathlib import Path

from werkzeug.serving import make_server

from app import create_app
from app.pipeline.offenses import SETTINGS_KEY as OFFENSES_KEY
from app.scheduler import build_scheduler
from app.store.offenses import OffenseGroups

from .appenv import app_runtime, hunt_all
from .simproc import SimProcess

ROOT = Path(__file__).resolve().parents[2]
EXCEPTIONS = ROOT / "scripts" / "scenarios" / "exceptions-example.json"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="scripts/demo", description=__doc__)
    parser.add_argument("--once", action="store_true", help="exit 0 after the first full cycle")
    parser.add_argument("--profile", default="seed", help="console profile of the stand-in (default seed)")
    parser.add_argument("--port", type=int, default=5000, help="port of the app (default 5000; 0 = any free port)")
    parser.add_argument("--workdir", default=str(ROOT / "var" / "demo"),
                        help="where the app's store and the stand-in's TLS files go (emptied first)")
    return parser.parse_args(argv)


def summary_line(runtime) -> dict:
    counts = runtime.store.hits.counts()
    rules = {rule.id: counts["rules"].get(rule.id, {"hits": 0, "suppressed": 0}) for rule in runtime.enabled_rules()}
    offenses = OffenseGroups(runtime.store.db).counts()["offenses"]
    return {"hits": counts["hits"], "suppressed": counts["suppressed"], "offenses": offenses, "rules": rules}


def raise_offenses(runtime, sim, deadline_s: float = 60.0) -> None:
    """Sends the hits' offense events to the stand-in's syslog intake and waits until QRadar shows each
    offense and the app has noted it (the dispatcher is idempotent: calling it again sends nothing twice)."""
    runtime.store.settings.set(OFFENSES_KEY, {"host": "127.0.0.1", "port": sim.syslog_port, "protocol": "tcp",
                                               "rate_per_minute": 600},
                               actor="demo", now_ms=runtime.clock())
    deadline = time.monotonic() + deadline_s
    while True:
        summary = runtime.offenses.dispatch()
        if (summary.pending == 0 and summary.awaiting_note == 0) or time.monotonic() > deadline:
            break
        time.sleep(0.5)   # QRadar's rule engine works asynchronously; polled, bounded by the deadline
    print(f"[demo] offenses: {summary.as_dict()}", flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    workdir = Path(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "tls").mkdir(parents=True)
    print(f"[demo] starting the QRadar console stand-in (profile {args.profile}, bundled dataset, TLS)", flush=True)
    with SimProcess(profile=args.profile, tls_dir=str(workdir / "tls"), latency_ms=50) as sim:
        info = sim.admin("GET", "/sim/info")
        print(f"[demo] stand-in at {sim.url} with {info['events']} events", flush=True)
        # No console puts a user's SEC cookie in the demo's browser: the app uses a login session of the
        # stand-in's built-in administrator instead, and still asks the stand-in who that is (docs/admin.md).
        session = sim.admin("POST", "/sim/sessions", json={"username": "admin"})["sec"]
        runtime = app_runtime(sim, str(workdir / "app"), local_session=session)
        # The exceptions the administrator of the dataset's fictional company configured for its four
        # known false-positive classes (docs/tuning.md).
        imported = runtime.exceptions.import_file(EXCEPTIONS, actor="demo", now_ms=runtime.clock())
        print(f"[demo] tuning exceptions loaded: {imported}", flush=True)
        server = make_server("127.0.0.1", args.port, create_app(runtime), threaded=True)
        threading.Thread(target=server.serve_forever, name="web", daemon=True).start()
        print(f"[demo] ExfilWatch at http://127.0.0.1:{server.server_port}/", flush=True)
        start, end = info["span"]
        print("[demo] hunting every enabled rule over the dataset span", flush=True)
        for rule_id, run in hunt_all(runtime, start, end + 1).items():
            print(f"[demo]   {rule_id:<40} {run.status:<8} windows {run.windows_done:>3} done "
                  f"{run.windows_failed:>2} failed  {run.new_hits:>5} new hits", flush=True)
            for error in run.errors:
                print(f"[demo]     error: {error}", flush=True)
        raise_offenses(runtime, sim)
        line = summary_line(runtime)
        if not args.once:
            scheduler = build_scheduler(runtime)
            scheduler.start()
            print("[demo] scheduler running; serving until Ctrl-C", flush=True)
            print(json.dumps(line), flush=True)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
            scheduler.shutdown(wait=False)
        server.shutdown()
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
