"""`scripts/evaluate --hits-out FILE` (DESIGN.md contract): every stored hit as the tab shows it, enrichment
included and credentials masked, one JSON object a line, so masking and enrichment can be checked from outside."""
from __future__ import annotations

import json
import subprocess

from app.pipeline.tools import MASK

from .conftest import DATA, ROOT

SCENARIOS = ("art-pscp-pw-loopback", "seed-1-rclone-sftp", "fp-2-backup-rclone")


def test_hits_out_writes_every_hit_as_the_tab_shows_it(tmp_path):
    scenarios = [s for s in json.loads((DATA / "scenarios.json").read_text()) if s["id"] in SCENARIOS]
    hosts = {s["sourceip"] for s in scenarios}
    lines = [line for line in (DATA / "events-seed.jsonl").read_text().splitlines()
             if json.loads(line).get("sourceip") in hosts]
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "events.context.json").write_text((DATA / "events-seed.context.json").read_text())
    (tmp_path / "scenarios.json").write_text(json.dumps(scenarios))
    hits_file = tmp_path / "hits.jsonl"
    done = subprocess.run([str(ROOT / "scripts" / "evaluate"), "--events", str(tmp_path / "events.jsonl"),
                           "--scenarios", str(tmp_path / "scenarios.json"), "--hits-out", str(hits_file)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    contract = json.loads(done.stdout.strip().splitlines()[-1])
    hits = [json.loads(line) for line in hits_file.read_text().splitlines()]
    assert hits and all(isinstance(h, dict) for h in hits)
    # Every detection the score counts is in the file: each detected scenario has a live hit from its host.
    detected = {sid for rule in contract["rules"].values() for sid in rule["detected"]}
    assert "art-pscp-pw-loopback" in detected
    by_ip = {s["id"]: s["sourceip"] for s in scenarios}
    for sid in detected:
        assert any(h["source_ip"] == by_ip[sid] and not h["suppressed"] for h in hits), sid
    assert len({h["identity"] for h in hits}) == len(hits), "each stored hit once"
    # As the tab shows it: the password typed on the command line is masked everywhere, enrichment is there.
    pscp = [h for h in hits if h["command_line"] and "pscp" in h["command_line"]]
    assert pscp and all(f"-pw {MASK}" in h["command_line"] for h in pscp)
    assert "-pw atomic" not in hits_file.read_text()
    assert all(h["enrichment"] and "risk" in json.dumps(h["enrichment"]) for h in hits)
