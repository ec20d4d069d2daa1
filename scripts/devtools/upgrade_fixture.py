"""Makes tests/base_image/fixtures/release-00064f7/: a store written by the previous release.

    .venv/bin/python scripts/devtools/upgrade_fixture.py [--commit 00064f7] [--out DIR]

The previous release's app (`git archive` of the commit into a temporary folder) hunts the bundled dataset's
first hours against the stand-in, then gets what an administrator would have left in it: a setting, a tuning
exception, the console token stored encrypted, offense groups and a window still owed. It runs on this
machine's own SQLite (not the base image's 3.26.0, where that release could not create its store), exactly
as it ran on developers' machines. The folder receives the store (`store/exfilwatch.db`, `store/exfilwatch_e.db`)
and `expected.json`: every row of every table as that release read it back, the app UUID and the token.
tests/base_image/test_upgrade.py opens a copy with the current app and compares.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "tests" / "base_image" / "fixtures" / "release-00064f7"
HUNT_START_MS, HUNT_END_MS = 1793498000000, 1793515000000   # the bundled dataset's first malicious scenarios
APP_UUID = "0f5e2a8c-5b0d-4c4e-8d3e-6a1f9b2c7d40"
TOKEN = "fixture-console-token-0f5e"


def drive(app_root: str, sim_json: str) -> None:
    """Runs inside the previous release's tree (its app/ and scripts/ first on sys.path)."""
    from types import SimpleNamespace

    from app.runtime import TOKEN_SECRET
    from devtools.appenv import app_runtime

    sim = SimpleNamespace(**json.loads(sim_json))
    os.environ["QRADAR_APP_UUID"] = APP_UUID
    runtime = app_runtime(sim, app_root, initial_wait_s=0.05, poll_wait_s=1)
    now = HUNT_END_MS + 3_600_000
    runtime.platform.encryption(*TOKEN_SECRET).encrypt(TOKEN)
    runtime.exceptions.create({"name": "ftps test host", "rule_id": None, "reason": "sanctioned FTPS transfer test",
                               "conditions": [{"field": "source_ip", "op": "cidr", "value": "10.20.2.223/32"}]},
                              actor="admin", now_ms=now)
    runtime.store.settings.set("rules.enabled", {"t1048-002-staging-signals": False}, actor="admin", now_ms=now)
    for rule in runtime.enabled_rules():
        runtime.hunt(rule.id, HUNT_START_MS, HUNT_END_MS)
    runtime.offenses.dispatch()
    # Two hits whose asset lookup failed, as that release stored them: partial, queued for a retry.
    from app.store.enrichment import EnrichmentRepository
    repository = EnrichmentRepository(runtime.store.db)
    for row in runtime.store.db.query("SELECT id, enrichment_json, risk_score FROM hits ORDER BY id LIMIT 2"):
        enrichment = dict(json.loads(row["enrichment_json"]), state="partial", errors=["asset lookup: HTTP 503"])
        repository.save_enrichment(row["id"], enrichment, row["risk_score"], now_ms=now)
    # A scheduled run planned but never searched: the window it owes stays pending in the ledger.
    rule = runtime.rules["t1048-002-seed"]
    runtime.store.ledger.plan(rule.id, "scheduled", [(HUNT_END_MS, HUNT_END_MS + 600_000)], now,
                              checkpoint_ms=HUNT_END_MS + 600_000)
    conn = runtime.store.db.connection()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    dump = {t: [dict(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')] for t in tables}
    print(json.dumps({"schema_version": conn.execute("PRAGMA user_version").fetchone()[0],
                      "sqlite_version": conn.execute("SELECT sqlite_version()").fetchone()[0],
                      "tables": dump}))
    runtime.store.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commit", default="00064f7")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "scripts"))
    from devtools.simproc import SimProcess

    with tempfile.TemporaryDirectory(prefix="exfilwatch-old-") as tmp:
        old = Path(tmp) / "tree"
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.commit, "app", "scripts"],
                                 check=True, capture_output=True).stdout
        tarfile.open(fileobj=BytesIO(archive)).extractall(old)
        app_root = Path(tmp) / "app-root"
        with SimProcess(tls_dir=Path(tmp) / "tls") as sim:
            info = {"url": sim.url, "token": sim.token, "ca_path": sim.ca_path}
            env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "PYTHONPATH")}
            env["PYTHONPATH"] = f"{old}:{old / 'scripts'}"
            out = subprocess.run([sys.executable, __file__, "--drive", str(app_root), json.dumps(info)],
                                 cwd=old, env=env, check=True, capture_output=True, text=True).stdout
        expected = json.loads(out.strip().splitlines()[-1])
        expected.update({"commit": args.commit, "app_uuid": APP_UUID, "token": TOKEN})
        if args.out.exists():
            shutil.rmtree(args.out)
        (args.out / "store").mkdir(parents=True)
        for name in ("exfilwatch.db", "exfilwatch_e.db"):
            shutil.copy2(app_root / "store" / name, args.out / "store" / name)
        (args.out / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    counts = {t: len(rows) for t, rows in expected["tables"].items()}
    print(json.dumps({"out": str(args.out), "sqlite_version": expected["sqlite_version"], "rows": counts}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--drive":
        drive(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(main())
