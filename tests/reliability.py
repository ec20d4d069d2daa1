"""Records the outcome of every reliability case (fault matrix, SIGKILL loop, load, outages) for
docs/reliability.md, which `python -m devtools.reliability` generates from the file written here.

A test opts in with `@pytest.mark.reliability("<suite>", "<case>")` and may note what happened through the
`reliability` fixture (a dict: faults fired, windows retried, hits, RSS...). The results file keeps the latest
outcome of every case ever run in this checkout, so a partial run updates its cases and leaves the others.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(os.environ.get("EXFILWATCH_RELIABILITY_RESULTS", ROOT / "build" / "reliability.json"))
_FACTS = pytest.StashKey[dict]()
_SESSION: dict[str, dict] = {}


@pytest.fixture
def reliability(request) -> dict:
    """Facts about this case for docs/reliability.md (JSON-able values)."""
    facts = request.node.stash.setdefault(_FACTS, {})
    return facts


def record(item, report) -> None:
    marker = item.get_closest_marker("reliability")
    if marker is None or (report.when != "call" and report.passed):
        return
    suite, case = marker.args
    outcome = "skipped" if report.skipped else "passed" if report.passed else "failed"
    _SESSION[f"{suite} / {case}"] = {
        "suite": suite, "case": case, "test": item.nodeid, "outcome": outcome,
        "seconds": round(report.duration, 1), "facts": item.stash.get(_FACTS, {}),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "error": None if report.passed else _failure(report),
    }


def _failure(report) -> str | None:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    return " ".join(text.split())[:300] or None


def flush() -> None:
    if not _SESSION:
        return
    try:
        known = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        known = {}
    known.update(_SESSION)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(known, indent=1, sort_keys=True))
