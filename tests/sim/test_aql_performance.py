"""The seed AQL over a day of 1,000,000 Windows/Sysmon-like events must run well under 10 s, and a day's
JSON Lines file must load in reasonable time. Events are built in-process from a few templates.

Both run in this process, so they are timed in this process's CPU time, not wall time: another job on a busy
machine (CI, a second test run) must not fail them. scripts/bench reports the wall time over REST."""
from __future__ import annotations

import json
import time

import pytest

from tests.sim.test_aql_support import T0, make_store, run, seed_query
from qradar_sim.eventstore import EventStore

DAY_MS = 86_400_000
EVENTS = 1_000_000
HOSTS = [f"10.{20 + h // 250}.{h % 250}.{10 + h % 200}" for h in range(600)]
PUBLIC = [f"{a}.{b}.{c}.{d}" for a, b, c, d in
          ((52, 1, 2, 3), (104, 16, 9, 1), (151, 101, 1, 69), (203, 0, 113, 50), (198, 51, 100, 7),
           (142, 250, 74, 46), (13, 107, 42, 14), (185, 199, 108, 153))]
INTERNAL = [f"10.0.{i}.{j}" for i in range(4) for j in (5, 10, 53)] + ["192.168.1.1", "172.20.0.4", "127.0.0.1"]
BENIGN_IMAGES = ["svchost.exe", "chrome.exe", "msedge.exe", "explorer.exe", "OneDrive.exe", "Teams.exe",
                 "outlook.exe", "powershell.exe", "cmd.exe", "conhost.exe", "taskhostw.exe", "SearchApp.exe"]
TOOLS = ["rclone.exe", "pscp.exe", "winscp.exe", "curl.exe"]


def synthetic_day(count: int = EVENTS, start: int = T0) -> list[dict]:
    """count events spread over one day: mostly benign process, network, file and DNS events, one in
    ~2000 an exfiltration tool. Command lines carry a per-event counter, as real ones carry paths and ids."""
    step = DAY_MS // count
    events = []
    for i in range(count):
        host = HOSTS[i % len(HOSTS)]
        kind = i % 10
        malicious = i % 1999 == 0
        image = TOOLS[i % len(TOOLS)] if malicious else BENIGN_IMAGES[(i // 10) % len(BENIGN_IMAGES)]
        event = {"starttime": start + i * step, "devicetime": start + i * step - 300, "logsourceid": 100 + i % 50,
                 "devicetype": 12 if i % 17 else 18, "eventcount": 1, "sourceip": host,
                 "username": f"CORP\\user{i % 400}", "ProcessGuid": f"{{{i:08x}-aaaa-bbbb-cccc-000000000000}}",
                 "_scenario": "bench"}
        if kind < 4:  # process creation (Sysmon 1 / Security 4688)
            event.update({"EventID": "4688" if kind == 3 else "1", "category": 8110, "qid": 5001828,
                          "Process Name": image, "ParentImage": "C:\\Windows\\explorer.exe",
                          "CommandLine": f"{image} --job {i} C:\\Users\\user{i % 400}\\Documents\\report-{i % 977}.docx"})
        elif kind < 7:  # network connection (Sysmon 3)
            public = malicious or i % 3 == 0
            event.update({"EventID": "3", "category": 18001, "qid": 5001829, "Process Name": image,
                          "destinationip": PUBLIC[i % len(PUBLIC)] if public else INTERNAL[i % len(INTERNAL)],
                          "destinationport": (22, 443, 80, 445, 53, 8443)[i % 6], "sourceport": 49152 + i % 16000})
        elif kind < 9:  # file created (Sysmon 11)
            event.update({"EventID": "11", "category": 8016, "qid": 5001838, "Process Name": image,
                          "TargetFilename": f"C:\\Users\\user{i % 400}\\AppData\\Local\\Temp\\tmp{i % 5000}.tmp"})
        else:  # DNS query (Sysmon 22)
            event.update({"EventID": "22", "category": 7042, "qid": 5001849, "Process Name": image,
                          "QueryName": f"host{i % 3000}.example.com"})
        events.append(event)
    return events


@pytest.fixture(scope="module")
def day_events():
    return synthetic_day()


@pytest.mark.slow
def test_seed_query_over_a_million_events_is_fast(day_events):
    started = time.perf_counter()
    store = make_store(day_events)
    built = time.perf_counter() - started
    assert len(store) == EVENTS

    started = time.process_time()
    rows = run(store, seed_query(T0, T0 + DAY_MS), now=T0 + DAY_MS)
    elapsed = time.process_time() - started
    print(f"\n[perf] store of {EVENTS} events built in {built:.1f} s; seed query in {elapsed:.2f} s CPU, {len(rows)} rows")

    assert elapsed < 10.0, f"seed query took {elapsed:.2f} s of CPU over {EVENTS} events"
    # every hit is a tool event, and some of each kind were found
    assert rows and {r["ProcessName"] for r in rows} <= set(TOOLS)
    assert {"1", "4688", "3"} <= {r["EventID"] for r in rows}
    assert all(r["destinationip"] in PUBLIC for r in rows if r["EventID"] == "3")
    assert [r["EventTime"] for r in rows] == sorted((r["EventTime"] for r in rows), reverse=True)


@pytest.mark.slow
def test_loading_a_million_events_from_jsonl_is_reasonable(day_events, tmp_path):
    path = tmp_path / "day.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(e) + "\n" for e in day_events)
    store = make_store([])
    started = time.process_time()
    loaded = store.load_jsonl(path)
    elapsed = time.process_time() - started
    print(f"\n[perf] loaded {loaded} events from JSONL in {elapsed:.1f} s CPU")
    assert loaded == EVENTS and len(store) == EVENTS
    assert isinstance(store, EventStore) and store.span() == (T0, day_events[-1]["starttime"])
    assert elapsed < 40.0, f"loading took {elapsed:.1f} s of CPU"
