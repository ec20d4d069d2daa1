import json
from pathlib import Path

import pytest

from scenarios import generate
from scenarios.profiles import PROFILE_NAMES

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "scripts" / "scenarios" / "data"


def read_jsonl(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


class Generated:
    """A dataset written to a temporary directory, with its files parsed."""

    def __init__(self, out_dir, result):
        self.dir, self.result = Path(out_dir), result
        self.scenarios = json.loads((self.dir / "scenarios.json").read_text(encoding="utf-8"))
        self.by_id = {s["id"]: s for s in self.scenarios}
        self.events = {p: read_jsonl(self.dir / f"events-{p}.jsonl") for p in PROFILE_NAMES}
        self.context = json.loads((self.dir / "events-seed.context.json").read_text(encoding="utf-8"))

    def of(self, scenario_id, profile="seed"):
        return [e for e in self.events[profile] if e["_scenario"] == scenario_id]


@pytest.fixture(scope="session")
def bundled(tmp_path_factory):
    """A fresh generation with the bundled parameters (what scripts/scenarios/data must equal)."""
    out = tmp_path_factory.mktemp("bundled")
    return Generated(out, generate.write(str(out), generate.BUNDLED))
