"""Every rule file's own true-positive and true-negative events, run through the real pipeline against the
stand-in on every console profile: a rule change that breaks one of its examples fails here."""
from __future__ import annotations

import json

import pytest

from app.detection.rule import load_rules
from devtools.appenv import app_runtime
from devtools.simproc import SimProcess

from .conftest import FAST, MINUTE

# The console profiles of DESIGN.md: logical field -> property name, and whether "Process Name" holds the
# image's file name or its full path. Written here from the design table, not imported from the stand-in.
PROFILES = {
    "seed": ({"event_id": "EventID", "process_image": "Process Name", "command_line": "CommandLine",
              "parent_image": "ParentImage", "parent_command_line": "ParentCommandLine",
              "process_guid": "ProcessGuid", "original_file_name": "OriginalFileName",
              "destination_hostname": "DestinationHostname", "target_filename": "TargetFilename",
              "query_name": "QueryName"}, "file"),
    "sysmon-fullpath": ({"event_id": "EventID", "process_image": "Process Name", "command_line": "CommandLine",
                         "parent_image": "ParentImage", "parent_command_line": "ParentCommandLine",
                         "process_guid": "ProcessGuid", "original_file_name": "OriginalFileName",
                         "destination_hostname": "DestinationHostname", "target_filename": "TargetFilename",
                         "query_name": "QueryName"}, "path"),
    "ibm-windows": ({"event_id": "Event ID", "process_image": "Process Name", "process_path": "Process Path",
                     "command_line": "Command", "parent_image": "Parent Process Path",
                     "parent_command_line": "Parent Command", "process_guid": "Process GUID",
                     "original_file_name": "Filename", "destination_hostname": "Destination Hostname",
                     "target_filename": "Target Filename", "query_name": "Query Name"}, "file"),
}
# Rules claim to be right whether a console's MATCHES is a full-value or a substring match: both are run.
REGEX_MODES = ("full", "substring")
BASE_TIME = 1_793_000_000_000   # 2026-10-27, any fixed time works: the hunt covers it


def materialize(event: dict, profile: str, sourceip: str, time_ms: int) -> dict:
    names, image_form = PROFILES[profile]
    out = {"starttime": time_ms, "devicetime": time_ms, "logsourceid": 101, "qid": 5001828, "category": 8110,
           "eventcount": 1, "sourceip": sourceip, "payload": json.dumps(event)}
    for key, value in event.items():
        if key == "process_image":
            path = event.get("process_path") or value
            out[names["process_image"]] = path if image_form == "path" else value
        elif key == "process_path":
            if "process_path" in names:
                out[names["process_path"]] = value
        elif key in names:
            out[names[key]] = value
        else:
            out[key] = value
    out["sourceip"] = sourceip   # the case's identity, whatever the example says
    return out


def cases():
    for rule in load_rules().values():
        for number, test in enumerate(rule.tests):
            for profile in PROFILES:
                if test.profiles and profile not in test.profiles:
                    continue
                for mode in REGEX_MODES:
                    yield pytest.param(rule.id, number, profile, mode, id=f"{rule.id}-{number}-{profile}-{mode}")


@pytest.fixture(scope="module")
def hunted(tmp_path_factory):
    """Per profile: all test events of all rules in one stand-in, one hunt; source IPs of hits per rule."""
    rules = load_rules()
    results = {}
    for profile, mode in ((p, m) for p in PROFILES for m in REGEX_MODES):
        directory = tmp_path_factory.mktemp(f"{profile}-{mode}")
        events, expected = [], {}
        for rule in rules.values():
            for number, test in enumerate(rule.tests):
                ip = f"10.99.{len(expected) // 250}.{len(expected) % 250 + 1}"
                expected[(rule.id, number)] = ip
                events.append(materialize(test.event, profile, ip, BASE_TIME + len(expected) * 1000))
        path = directory / "events.jsonl"
        path.write_text("".join(json.dumps(e) + "\n" for e in events))
        with SimProcess(events=str(path), profile=profile, regex_mode=mode, tls_dir=str(directory / "tls")) as sim:
            runtime = app_runtime(sim, str(directory / "app"), **FAST)
            sources = {}
            for rule in rules.values():
                summary = runtime.hunt(rule.id, BASE_TIME, BASE_TIME + (len(expected) + 2) * 1000 + MINUTE)
                assert summary.status == "ok", (rule.id, profile, summary.errors)
                sources[rule.id] = {h["source_ip"] for h in runtime.store.hits.list(rule_id=rule.id, limit=10000)}
            runtime.store.close()
        results[profile, mode] = (expected, sources)
    return results


@pytest.mark.parametrize("rule_id, number, profile, mode", list(cases()))
def test_rule_matches_its_own_examples(rule_id, number, profile, mode, hunted):
    expected, sources = hunted[profile, mode]
    test = load_rules()[rule_id].tests[number]
    matched = expected[(rule_id, number)] in sources[rule_id]
    assert matched == test.expect, f"{test.description} ({profile}, {mode} MATCHES): expected {'a hit' if test.expect else 'no hit'}"
