"""The generator's contracts: determinism, labels, spans, profiles, real Sysmon shapes, bundled files."""
import filecmp
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from scenarios import catalog, generate
from scenarios.profiles import NORMALIZED, PROFILE_NAMES, property_names

from .conftest import BUNDLED_DIR

SEED_IDS = ["seed-1-rclone-sftp", "seed-2-pscp", "seed-3-powershell-webclient-https", "seed-4-rclone-mega",
            "seed-5-powershell-smtps"]
FP_IDS = ["fp-1-admin-winscp", "fp-2-backup-rclone", "fp-3-devops-curl-artifacts", "fp-4-security-saas-callback"]
SMALL = replace(generate.BUNDLED, seed=7, background_events=600, hours=6)


def files_of(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith((".jsonl", ".json")))


def test_same_seed_gives_byte_identical_output(tmp_path):
    generate.write(str(tmp_path / "a"), SMALL)
    generate.write(str(tmp_path / "b"), SMALL)
    names = files_of(tmp_path / "a")
    assert len(names) == 7
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert mismatch == [] and errors == []


def test_other_seed_gives_other_background_but_same_scenario_ids(tmp_path):
    generate.write(str(tmp_path / "a"), SMALL)
    generate.write(str(tmp_path / "b"), replace(SMALL, seed=8))
    a = (tmp_path / "a" / "events-seed.jsonl").read_bytes()
    b = (tmp_path / "b" / "events-seed.jsonl").read_bytes()
    assert a != b
    ids = lambda d: [s["id"] for s in json.loads((d / "scenarios.json").read_text()) if not s["id"].startswith("bg-")]
    assert ids(tmp_path / "a") == ids(tmp_path / "b")


def test_bundled_files_equal_a_fresh_generation(bundled):
    """Nobody edits the bundled dataset by hand: regenerate with scripts/make-dataset --out scripts/scenarios/data."""
    names = files_of(bundled.dir)
    assert files_of(BUNDLED_DIR) == names
    match, mismatch, errors = filecmp.cmpfiles(BUNDLED_DIR, bundled.dir, names, shallow=False)
    assert mismatch == [] and errors == [], "bundled dataset is stale: run scripts/make-dataset --out scripts/scenarios/data"


def test_bundled_dataset_stays_small(bundled):
    for p in PROFILE_NAMES:
        assert 2500 <= len(bundled.events[p]) <= 6000
        assert os.path.getsize(bundled.dir / f"events-{p}.jsonl") < 4_500_000   # 3.6-3.9 MB with issue 12's families


def test_sorted_by_starttime(bundled):
    for p in PROFILE_NAMES:
        times = [e["starttime"] for e in bundled.events[p]]
        assert times == sorted(times)


def test_scenario_file_format(bundled):
    keys = {"id", "malicious", "technique", "description", "sourceip", "start", "end"}
    ids = [s["id"] for s in bundled.scenarios]
    assert len(ids) == len(set(ids))
    for s in bundled.scenarios:
        assert set(s) == keys
        assert isinstance(s["malicious"], bool) and isinstance(s["start"], int) and s["start"] <= s["end"]
        assert s["description"] and s["technique"]
    ips = [s["sourceip"] for s in bundled.scenarios]
    assert len(ips) == len(set(ips)), "each scenario has a host IP of its own"


def test_every_event_belongs_to_a_scenario_and_lies_in_its_span(bundled):
    seen = set()
    for e in bundled.events["seed"]:
        s = bundled.by_id[e["_scenario"]]
        seen.add(s["id"])
        assert e["sourceip"] == s["sourceip"]
        assert s["start"] <= e["devicetime"] <= e["starttime"] == e["endtime"] <= s["end"]
    assert seen == set(bundled.by_id), "every scenario has events"


def test_whole_dataset_inside_the_window(bundled):
    lo, hi = generate.BUNDLED.start_ms, generate.BUNDLED.end_ms
    assert all(lo <= e["devicetime"] and e["starttime"] < hi for e in bundled.events["seed"])


def test_scenario_catalogue(bundled):
    ids = list(bundled.by_id)
    assert ids[:5] == SEED_IDS
    assert all(bundled.by_id[i]["malicious"] for i in SEED_IDS)
    arts = [i for i in ids if i.startswith("art-")]
    assert len(arts) >= 12 and all(bundled.by_id[i]["malicious"] for i in arts)
    for i in FP_IDS:
        assert bundled.by_id[i]["malicious"] is False
        assert "Exception:" in bundled.by_id[i]["description"]
    bgs = [i for i in ids if i.startswith("bg-")]
    assert len(bgs) >= 8 and not any(bundled.by_id[i]["malicious"] for i in bgs)


def test_normalized_fields(bundled):
    qids = json.loads(catalog.CATALOG_PATH.read_text())["qids"]
    for e in bundled.events["seed"]:
        assert all(k in e for k in NORMALIZED)
        assert e["devicetype"] == 12 and e["eventcount"] == 1
        assert str(e["qid"]) in qids and qids[str(e["qid"])]["category"] == e["category"]
        assert e["qid"] == catalog.KINDS[e["EventID"]].qid
        assert "\\" in e["username"]
        # short lines; only a long command line (kept whole, e.g. -EncodedCommand) makes one longer
        assert len(e["payload"]) - len(e.get("CommandLine") or "") < 700 and f"EventID={e['EventID']}" in e["payload"]
        if e["EventID"] == "3":
            assert e["protocolid"] == 6 and e["destinationport"] > 0 and e["sourceport"] >= 49152
        else:
            assert e["destinationport"] == 0 and e["destinationip"] == e["sourceip"]
        assert all(k in NORMALIZED or k.startswith("_") or k[0].isupper() for k in e)


def test_sysmon_shapes(bundled):
    for e in bundled.events["seed"]:
        eid = e["EventID"]
        if eid == "3":
            assert "CommandLine" not in e and "ParentImage" not in e
            assert e["ProcessGuid"] and e["DestinationHostname"]
        if eid == "4688":
            assert "ProcessGuid" not in e and "OriginalFileName" not in e and e["CommandLine"]
        if eid == "1":
            assert {"CommandLine", "ParentImage", "ParentCommandLine", "ProcessGuid", "OriginalFileName"} <= set(e)
        if eid == "11":
            assert e["TargetFilename"] and "CommandLine" not in e
        if eid == "22":
            assert e["QueryName"] and "CommandLine" not in e
    for e in bundled.events["ibm-windows"]:
        if e["Event ID"] == "3":
            assert "Command" not in e


def test_profiles_differ_only_in_property_names_and_path_form(bundled):
    seed, full, ibm = (bundled.events[p] for p in ("seed", "sysmon-fullpath", "ibm-windows"))
    assert len(seed) == len(full) == len(ibm)
    renamed = {"EventID": "Event ID", "CommandLine": "Command", "ParentImage": "Parent Process Path",
               "ParentCommandLine": "Parent Command", "ProcessGuid": "Process GUID", "OriginalFileName": "Filename",
               "DestinationHostname": "Destination Hostname", "TargetFilename": "Target Filename",
               "QueryName": "Query Name"}
    for p in PROFILE_NAMES:
        columns = set(property_names(p))
        assert all(k in columns for e in bundled.events[p] for k in e if k not in NORMALIZED and k[0] != "_")
    for s, f, i in zip(seed, full, ibm):
        common = {k: v for k, v in s.items() if k != "Process Name"}
        assert {k: v for k, v in f.items() if k != "Process Name"} == common
        if "Process Name" in s:
            assert "\\" not in s["Process Name"] and f["Process Name"].endswith("\\" + s["Process Name"])
            assert i["Process Name"] == s["Process Name"] and i["Process Path"] == f["Process Name"]
        else:
            assert "Process Name" not in f and "Process Path" not in i
        translated = {renamed.get(k, k): v for k, v in common.items()}
        assert {k: v for k, v in i.items() if k not in ("Process Name", "Process Path")} == translated


def test_context_file(bundled):
    ctx = bundled.context
    assert set(ctx) == {"log_sources", "assets", "dns", "network_hierarchy"}
    # IBM's network object: id, network_id, group, name, cidr, description, domain_id
    assert all({"id", "network_id", "group", "name", "cidr", "description", "domain_id"} <= set(n)
               for n in ctx["network_hierarchy"])
    assert {"10.10.0.0/16", "198.51.100.224/28"} <= {n["cidr"] for n in ctx["network_hierarchy"]}
    sources = {ls["id"]: ls for ls in ctx["log_sources"]}
    assert all(ls["type_id"] == 12 and ls["name"].startswith("WindowsAuthServer @ ") for ls in sources.values())
    asset_ips = {ip["value"] for a in ctx["assets"] for i in a["interfaces"] for ip in i["ip_addresses"]}
    for a in ctx["assets"]:
        names = {p["name"] for p in a["properties"]}
        assert {"Given Name", "Owner", "Business Criticality", "Unified Name"} <= names
        assert {"id", "domain_id", "hostnames", "interfaces", "users", "risk_score_sum", "vulnerability_count"} <= set(a)
    for s in bundled.scenarios:
        assert s["sourceip"] in asset_ips
    for e in bundled.events["seed"]:
        assert e["logsourceid"] in sources
        if e["EventID"] == "3" and e["DestinationHostname"] != "-":
            assert ctx["dns"][e["destinationip"]], e
    for p in PROFILE_NAMES:
        assert (bundled.dir / f"events-{p}.context.json").read_bytes() == (bundled.dir / "events-seed.context.json").read_bytes()


def test_process_guid_links_for_malicious_network_events(bundled):
    for s in bundled.scenarios:
        if not s["malicious"]:
            continue
        events = bundled.of(s["id"])
        created = {e["ProcessGuid"]: e for e in events if e["EventID"] == "1"}
        linked = [e for e in events if e["EventID"] == "3" and e["ProcessGuid"] in created]
        assert linked, f"{s['id']}: no connection joins a process creation of the scenario"
        for e in linked:
            assert created[e["ProcessGuid"]]["devicetime"] <= e["devicetime"]
            assert created[e["ProcessGuid"]]["Process Name"] == e["Process Name"]


def _creations(events, name):
    return [e for e in events if e["EventID"] == "1" and e["Process Name"].lower() == name]


def _connections(events, guid):
    return [e for e in events if e["EventID"] == "3" and e["ProcessGuid"] == guid]


def test_seed_1_rclone_sftp(bundled):
    ev = bundled.of("seed-1-rclone-sftp")
    [p] = _creations(ev, "rclone.exe")
    for part in (" copy ", "sftp", "192.0.2.1", "--sftp-pass"):
        assert part in p["CommandLine"]
    assert [(c["destinationip"], c["destinationport"]) for c in _connections(ev, p["ProcessGuid"])] == [("192.0.2.1", 22)]
    full = bundled.of("seed-1-rclone-sftp", "sysmon-fullpath")
    assert any(e.get("Process Name") == r"C:\Tools\rclone.exe" for e in full)


def test_seed_2_pscp(bundled):
    ev = bundled.of("seed-2-pscp")
    [p] = _creations(ev, "pscp.exe")
    assert "-pw " in p["CommandLine"] and "198.51.100.1:/home/" in p["CommandLine"]
    assert [(c["destinationip"], c["destinationport"]) for c in _connections(ev, p["ProcessGuid"])] == [("198.51.100.1", 22)]
    sec = [e for e in ev if e["EventID"] == "4688" and e["Process Name"] == "pscp.exe"]
    assert sec and "-pw " in sec[0]["CommandLine"]


def test_seed_3_webclient_uploaddata(bundled):
    ev = bundled.of("seed-3-powershell-webclient-https")
    [p] = [e for e in _creations(ev, "powershell.exe") if "UploadData" in e["CommandLine"]]
    assert "Net.WebClient" in p["CommandLine"] and "https://" in p["CommandLine"]
    assert [(c["destinationip"], c["destinationport"]) for c in _connections(ev, p["ProcessGuid"])] == [("127.0.0.1", 4443)]


def test_seed_4_rclone_mega(bundled):
    ev = bundled.of("seed-4-rclone-mega")
    conf = [e for e in ev if e["EventID"] == "11" and e["TargetFilename"].endswith(r"\AppData\Local\Temp\rclone_test.conf")]
    assert conf
    [p] = _creations(ev, "rclone.exe")
    assert "--config" in p["CommandLine"] and "rclone_test.conf" in p["CommandLine"] and "mega_remote:" in p["CommandLine"]
    assert conf[0]["devicetime"] < p["devicetime"]
    assert any(e["EventID"] == "22" and e["QueryName"] == "g.api.mega.co.nz" and e["ProcessGuid"] == p["ProcessGuid"]
               for e in ev)
    conns = _connections(ev, p["ProcessGuid"])
    assert any(c["DestinationHostname"] == "g.api.mega.co.nz" and c["destinationport"] == 443 for c in conns)


def test_seed_5_smtps(bundled):
    ev = bundled.of("seed-5-powershell-smtps")
    [p] = [e for e in _creations(ev, "powershell.exe") if "SmtpClient" in e["CommandLine"]]
    assert "EnableSsl = $true" in p["CommandLine"] and "587" in p["CommandLine"]
    assert "smtp.attacker-controlled.com" in p["CommandLine"]
    assert any(e["EventID"] == "22" and e["QueryName"] == "smtp.attacker-controlled.com" for e in ev)
    conns = _connections(ev, p["ProcessGuid"])
    assert [(c["DestinationHostname"], c["destinationport"]) for c in conns] == [("smtp.attacker-controlled.com", 587)]


def test_renamed_rclone_keeps_its_original_file_name(bundled):
    ev = bundled.of("art-renamed-rclone")
    [p] = [e for e in ev if e["EventID"] == "1" and e["OriginalFileName"] == "rclone.exe"]
    assert p["Process Name"] == "svchost-helper.exe"


def test_noise_on_scenario_hosts_uses_no_transfer_tools(bundled):
    """Scoring credits any hit in a scenario's span, so the noise around an attack must not look like one."""
    tools = {"curl.exe", "wget.exe", "winscp.exe", "scp.exe", "ssh.exe", "sftp.exe", "pscp.exe", "rclone.exe",
             "powershell.exe", "cmd.exe"}
    for s in bundled.scenarios:
        if s["id"].startswith("bg-"):
            continue
        events = bundled.of(s["id"])
        noise = [e for e in events if e.get("_note") == generate.NOISE_NOTE]
        own = [e for e in events if e.get("_note") != generate.NOISE_NOTE]
        assert noise and own
        for e in noise:
            assert e["EventID"] != "1" and e.get("Process Name", "").lower() not in tools, e
            assert e["destinationport"] in (0, 443, 587, 993), e
        assert any(e["EventID"] == "1" for e in own) and any(e["EventID"] == "3" for e in own)


def test_background_volume_follows_the_option(tmp_path):
    result = generate.write(str(tmp_path), replace(SMALL, background_events=5000), ("seed",))
    labelled = sum(1 for line in open(tmp_path / "events-seed.jsonl") if '"_scenario":"bg-' not in line)
    assert abs((result["events"] - labelled) - 5000) < 500
    assert files_of(tmp_path) == ["events-seed.context.json", "events-seed.jsonl", "scenarios.json"]


def test_cli_writes_the_requested_profile(tmp_path):
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=f"{root}{os.pathsep}{root / 'scripts'}")
    out = subprocess.run([sys.executable, "-m", "scenarios", "--out", str(tmp_path), "--seed", "3",
                          "--start", "2026-12-01T08:00:00Z", "--hours", "2", "--background-events", "300",
                          "--profile", "ibm-windows"], env=env, capture_output=True, text=True, check=True)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["events"] > 300
    first = json.loads((tmp_path / "events-ibm-windows.jsonl").open().readline())
    assert first["devicetime"] >= 1796112000000 and "Event ID" in first
    scen = json.loads((tmp_path / "scenarios.json").read_text())
    assert all(1796112000000 <= s["start"] <= s["end"] < 1796112000000 + 2 * 3_600_000 for s in scen)


@pytest.mark.slow
def test_hundred_thousand_events_stream_quickly(tmp_path):
    result = generate.write(str(tmp_path), replace(generate.BUNDLED, background_events=100_000), ("seed",))
    assert 95_000 <= result["events"] <= 106_000
    assert result["seconds"] < 60, result
    previous = 0
    with open(tmp_path / "events-seed.jsonl", encoding="utf-8") as fh:
        for line in fh:
            t = json.loads(line)["starttime"]
            assert t >= previous
            previous = t
