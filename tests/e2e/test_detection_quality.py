"""Detection quality on labelled data, for every console profile (issue 4's bar):
the hardened rules together detect every malicious scenario and raise nothing on the ordinary background;
and no rule ever loses a scenario it detected when the baseline was recorded (a rule change that lowers recall
on any scenario fails here; record a deliberate change with `python -m devtools.coverage`)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.coverage import BUNDLED, CLASSES, PLAINTEXT_RULE, PROFILES, class_of, generate_large, hardened_union
from devtools.evaluate import evaluate

BASELINE = json.loads((Path(__file__).with_name("detection_baseline.json")).read_text())


@pytest.fixture(scope="module")
def large_dataset(tmp_path_factory):
    return generate_large(tmp_path_factory.mktemp("large"))


def datasets(large):
    return {"bundled": BUNDLED, "generated 100k": large}


@pytest.mark.slow
@pytest.mark.parametrize("dataset", ["bundled", "generated 100k"])
@pytest.mark.parametrize("profile", PROFILES)
def test_hardened_rules_catch_every_attack_and_stay_quiet_on_background(dataset, profile, large_dataset):
    directory = datasets(large_dataset)[dataset]
    result = evaluate(str(directory / f"events-{profile}.jsonl"), str(directory / "scenarios.json"), profile)
    assert result["errors"] == []
    malicious = {s.id for s in result["scenarios"] if s.malicious}
    detected, benign = hardened_union(result)
    assert malicious - detected == set(), "hardened rules missed these attacks"
    assert {b for b in benign if not b.startswith("fp-")} == set(), "hardened rules fired on ordinary background"
    for rule_id, score in result["rules"].items():
        if "seed" not in rule_id:
            assert score["background_hits_per_1000_events"] == 0, rule_id
    # No rule loses a scenario it caught when the baseline was recorded.
    for rule_id, was_detected in BASELINE[f"{dataset}/{profile}"].items():
        lost = set(was_detected) - set(result["rules"][rule_id]["detected"])
        assert lost == set(), f"{rule_id} no longer detects {sorted(lost)} on {dataset}/{profile}"
    # Issue 12: every class has malicious scenarios and hard negatives, on every profile and dataset; plain-text
    # uploads are raised by the T1048.003 rule and by no T1048.002 rule (the seed rule aside: it stays as written).
    by_class = {c: [s for s in result["scenarios"] if class_of(s.id) == c] for c in CLASSES}
    assert all(any(s.malicious for s in found) and any(not s.malicious for s in found) for found in by_class.values())
    plain = {s.id for s in result["scenarios"] if class_of(s.id) and s.malicious and s.technique == "T1048.003"}
    assert plain and plain <= set(result["rules"][PLAINTEXT_RULE]["detected"])
    assert result["rules"][PLAINTEXT_RULE]["technique"] == "T1048.003"
    for rule_id, score in result["rules"].items():
        if "seed" not in rule_id and score["technique"] == "T1048.002":
            assert plain.isdisjoint(score["detected"]), f"{rule_id} claims T1048.002 for a plain-text upload"
        if rule_id != PLAINTEXT_RULE and "seed" not in rule_id:
            assert score["technique"] == "T1048.002"
    # The seed rule is reported as it is: on the full-path console it finds nothing (docs/detection-coverage.md).
    if profile == "sysmon-fullpath":
        assert result["rules"]["t1048-002-seed"]["detected"] == []


EXCEPTIONS = BUNDLED.parent / "exceptions-example.json"


@pytest.mark.parametrize("profile", PROFILES)
def test_with_the_administrators_exceptions_no_benign_scenario_is_left(profile):
    def tune(runtime):
        runtime.exceptions.import_file(EXCEPTIONS, actor="admin", now_ms=runtime.clock())

    result = evaluate(str(BUNDLED / f"events-{profile}.jsonl"), str(BUNDLED / "scenarios.json"), profile, setup=tune)
    assert result["errors"] == []
    malicious = {s.id for s in result["scenarios"] if s.malicious}
    detected, benign = hardened_union(result)
    assert benign == set(), "the four false-positive classes are suppressed, nothing else benign is hit"
    assert malicious - detected == set(), "no exception hides an attack"
