"""Offense dispatching with a fake clock, a scripted syslog sender and a scripted console: grouping,
one event per group ever, the rate cap, retries of failed sends, and one note per offense.
(The end-to-end version against the real stand-in is tests/e2e/test_offenses.py.)"""
import re

import pytest

from app.pipeline.offenses import (OffenseDispatcher, OffenseSettings, OffenseSettingsError, SETTINGS_KEY,
                                   default_app_base_url)
from app.qradar.errors import ConsoleUnavailableError
from app.qradar.syslog import SyslogError
from app.store import Store
from app.store.offenses import OffenseGroups
from qradar_sim.leef import parse_leef, parse_syslog

MIN = 60_000
T0 = 1_767_225_600_000      # 2026-01-01T00:00:00Z
ENV = {"QRADAR_CONSOLE_IP": "192.0.2.10", "QRADAR_CONSOLE_FQDN": "qradar.example.com", "QRADAR_APP_ID": "1101"}


class Clock:
    def __init__(self, now=T0 + 600 * MIN):
        self.now = now

    def __call__(self):
        return self.now


class Console:
    """The parts of QRadar a dispatch touches: a CRE that opens one offense per source IP for our events,
    the offense list (filter by source), and notes."""

    def __init__(self):
        self.offenses, self.notes, self.messages = [], {}, []
        self.visible = True           # False: QRadar has not shown the offense yet
        self.fail_sends = 0
        self.note_calls = 0

    # the sender side
    def sender_factory(self, target):
        self.target = target
        return self

    def send(self, message, *, severity, timestamp_ms):
        if self.fail_sends:
            self.fail_sends -= 1
            raise SyslogError("connection refused")
        self.messages.append(message)
        leef = parse_leef(message)
        src = leef["attributes"].get("src")
        if src and not any(o["offense_source"] == src for o in self.offenses):
            self.offenses.append({"id": len(self.offenses) + 1, "offense_source": src, "status": "OPEN",
                                  "description": leef["attributes"]["exfilwatchRule"], "last_updated_time": 1,
                                  "rules": [{"id": 100001}],
                                  "log_sources": [{"name": "ExfilWatch @ exfilwatch", "type_name": "Universal LEEF"}]})

    def close(self):
        pass

    # the client side
    def get_offenses(self, filter=None, fields=None, range=None, sort=None):
        source = re.search(r'offense_source="([^"]+)"', filter).group(1)
        return [o for o in self.offenses if self.visible and o["offense_source"] == source and o["status"] == "OPEN"]

    def get_json(self, path, params=None, shape=dict, **kw):
        offense_id = int(re.match(r"api/siem/offenses/(\d+)/notes", path).group(1))
        return list(self.notes.get(offense_id, []))

    def add_offense_note(self, offense_id, text):
        self.note_calls += 1
        note = {"id": 1000 + self.note_calls, "note_text": text}
        self.notes.setdefault(offense_id, []).append(note)
        return note

    def events(self):
        return [parse_leef(parse_syslog(m)["msg"] if m.startswith("<") else m)["attributes"] for m in self.messages]


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "app.db")
    s.db.connection().execute("INSERT INTO windows (id, rule_id, kind, start_ms, end_ms, status, planned_ms) "
                              "VALUES (1, 'r', 'hunt', 0, 1, 'done', 0)")
    yield s
    s.close()


_counter = iter(range(1, 1_000_000))


def add_hit(store, t, *, src="10.0.0.1", user="CORP\\alice", rule="t1048-002-rclone", dst="203.0.113.5", port=22,
            image="C:\\Tools\\rclone.exe", risk=None, enrichment=None, suppressed=False):
    import json
    n = next(_counter)
    cursor = store.db.connection().execute(
        "INSERT INTO hits (identity, rule_id, window_id, event_time_ms, source_ip, destination_ip, destination_port, "
        "username, process_image, command_line, fields_json, enrichment_json, risk_score, suppressed, created_ms) "
        "VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, 0)",
        (f"id-{n}", rule, t, src, dst, port, user, image, "rclone copy x sftp: --sftp-pass hunter2",
         json.dumps(enrichment) if enrichment else None, risk, int(suppressed)))
    return cursor.lastrowid


def dispatcher(store, console, clock, **settings):
    store.settings.set(SETTINGS_KEY, settings, actor="test", now_ms=clock())
    return OffenseDispatcher(store, console, clock=clock, environ=ENV, sender_factory=console.sender_factory,
                             rule_severities={"t1048-002-rclone": "high"})


# -- grouping -------------------------------------------------------------------------------------------------
def test_hits_group_by_source_and_user_within_the_window(store):
    console, clock = Console(), Clock()
    add_hit(store, T0)
    add_hit(store, T0 + 59 * MIN, user="corp\\ALICE")                # same user, other case: same group
    add_hit(store, T0 + 60 * MIN)                                    # window is [T0, T0 + 60 min)
    add_hit(store, T0 + 5 * MIN, user="CORP\\bob")
    add_hit(store, T0 + 5 * MIN, src="10.0.0.2")
    add_hit(store, T0 - 30 * MIN, src="10.0.0.2")                   # found late, just before: joins
    add_hit(store, T0 + 6 * MIN, src="10.0.0.3", suppressed=True)   # never grouped, never sent
    summary = dispatcher(store, console, clock).dispatch()
    assert (summary.hits_grouped, summary.groups_created, summary.sent) == (6, 4, 4)
    groups = OffenseGroups(store.db).list()
    assert sorted(g["hit_count"] for g in groups) == [1, 1, 2, 2]
    assert {e["src"] for e in console.events()} == {"10.0.0.1", "10.0.0.2"}
    assert all(e["src"] != "10.0.0.3" for e in console.events())


@pytest.mark.parametrize("grouping, expected", [("source_tool", 2), ("source_destination", 3)])
def test_other_groupings(store, grouping, expected):
    add_hit(store, T0, image="C:\\a\\rclone.exe", dst="198.51.100.1")
    add_hit(store, T0 + MIN, image="C:\\b\\RCLONE.EXE", dst="198.51.100.2", user="x")
    add_hit(store, T0 + 2 * MIN, image="C:\\b\\pscp.exe", dst="198.51.100.3")
    summary = dispatcher(store, Console(), Clock(), grouping=grouping).dispatch()
    assert summary.groups_created == expected


def test_event_fields(store):
    console, clock = Console(), Clock()
    enrichment = {"attack": {"subtechnique": "T1048.002"}, "tool": {"name": "rclone", "renamed": False},
                  "protocol": "sftp", "destination": {"ip": "203.0.113.5", "port": 22, "hostname": "sftp.evil.example"},
                  "asset": {"hostname": "WS-FIN-1", "owner": "j.doe"}, "risk": {"score": 83, "reasons": []}}
    first = add_hit(store, T0, risk=83, enrichment=enrichment)
    add_hit(store, T0 + MIN, risk=40, rule="t1048-002-web-upload")
    dispatcher(store, console, clock).dispatch()
    message = console.messages[0]
    leef = parse_leef(message)
    assert (leef["version"], leef["vendor"], leef["product"], leef["event_id"]) == ("2.0", "ExfilWatch",
                                                                                    "ExfilWatch", "T1048.002")
    a = leef["attributes"]
    group = OffenseGroups(store.db).list()[0]
    assert a == {"devTime": "Jan 01 2026 00:00:00.000 UTC", "devTimeFormat": "MMM dd yyyy HH:mm:ss.SSS zzz",
                 "src": "10.0.0.1", "usrName": "CORP\\alice", "dst": "203.0.113.5", "dstPort": "22", "proto": "TCP",
                 "sev": "9", "cat": "Exfiltration", "identHostName": "WS-FIN-1",
                 "exfilwatchRule": "t1048-002-rclone,t1048-002-web-upload", "exfilwatchRisk": "83",
                 "exfilwatchTool": "rclone", "exfilwatchProtocol": "sftp", "exfilwatchDestination": "sftp.evil.example",
                 "exfilwatchHits": "2", "exfilwatchGroup": group["group_key"],
                 "exfilwatchLink": f"https://qradar.example.com/console/plugins/1101/app_proxy/#hit-{first}"}
    assert console.target.host == "192.0.2.10" and (console.target.protocol, console.target.port) == ("tls", 6514)
    assert "hunter2" not in message


def test_excluded_rules_raise_no_offense_by_default_the_seed_rule(store):
    console = Console()
    add_hit(store, T0, rule="t1048-002-seed")
    add_hit(store, T0, rule="t1048-002-seed", src="10.0.0.2")
    add_hit(store, T0 + 1, rule="t1048-002-rclone", src="10.0.0.2")
    summary = dispatcher(store, console, Clock()).dispatch()
    assert (summary.hits_grouped, summary.sent) == (1, 1)
    assert [e["exfilwatchRule"] for e in console.events()] == ["t1048-002-rclone"]
    summary = dispatcher(store, console, Clock(), exclude_rules=[]).dispatch()
    assert (summary.hits_grouped, summary.groups_created, summary.sent) == (2, 1, 1)   # 10.0.0.2 joins its group


def test_severity_falls_back_to_the_rule_then_5(store):
    console = Console()
    add_hit(store, T0)                                   # no risk: rule severity high -> 7
    add_hit(store, T0, src="10.0.0.9", rule="unknown")   # nothing known -> 5
    dispatcher(store, console, Clock()).dispatch()
    assert sorted(e["sev"] for e in console.events()) == ["5", "7"]


# -- once per group, rate cap, retries -----------------------------------------------------------------------
def test_a_sent_group_is_never_sent_again_even_when_hits_join_it(store):
    console, clock = Console(), Clock()
    add_hit(store, T0)
    d = dispatcher(store, console, clock)
    assert d.dispatch().sent == 1
    add_hit(store, T0 + 10 * MIN)
    summary = d.dispatch()
    assert (summary.hits_grouped, summary.sent) == (1, 0)
    assert OffenseGroups(store.db).list()[0]["hit_count"] == 2
    restarted = OffenseDispatcher(store, console, clock=clock, environ=ENV, sender_factory=console.sender_factory)
    assert restarted.dispatch().sent == 0
    assert len(console.messages) == 1


def test_rate_cap_holds_across_dispatches_and_restarts(store):
    console, clock = Console(), Clock()
    for n in range(7):
        add_hit(store, T0 + n, src=f"10.0.1.{n}")
    summary = dispatcher(store, console, clock, rate_per_minute=3).dispatch()
    assert (summary.sent, summary.rate_limited, summary.pending) == (3, 4, 4)
    clock.now += 30_000
    restarted = OffenseDispatcher(store, console, clock=clock, environ=ENV, sender_factory=console.sender_factory)
    assert restarted.dispatch().sent == 0                  # same minute, even after a restart
    clock.now += 30_000
    assert restarted.dispatch().sent == 3
    clock.now += 60_000
    summary = restarted.dispatch()
    assert (summary.sent, summary.pending) == (1, 0)
    sources = [e["src"] for e in console.events()]
    assert sources == [f"10.0.1.{n}" for n in range(7)]    # oldest first, each once


def test_failed_send_is_reported_backed_off_and_retried_nothing_lost(store):
    console, clock = Console(), Clock()
    for n in range(3):
        add_hit(store, T0 + n, src=f"10.0.2.{n}")
    console.fail_sends = 1
    d = dispatcher(store, console, clock)
    summary = d.dispatch()
    assert (summary.sent, summary.failed, summary.pending) == (0, 1, 3)
    assert "connection refused" in summary.errors[0]
    failed = OffenseGroups(store.db).list(status="failed")[0]
    assert failed["attempts"] == 1 and failed["next_attempt_ms"] == clock.now + 30_000
    assert "connection refused" in failed["last_error"]
    summary = d.dispatch()                      # the other two go; the failed one waits for its back-off
    assert (summary.sent, summary.pending) == (2, 1)
    clock.now += 30_000
    summary = d.dispatch()
    assert (summary.sent, summary.pending, summary.failed) == (1, 0, 0)
    assert sorted(e["src"] for e in console.events()) == ["10.0.2.0", "10.0.2.1", "10.0.2.2"]
    assert OffenseGroups(store.db).by_key(failed["group_key"])["attempts"] == 2


def test_backoff_grows_and_is_capped(store):
    console, clock = Console(), Clock()
    add_hit(store, T0)
    console.fail_sends = 100
    d = dispatcher(store, console, clock)
    waits = []
    for _ in range(8):
        d.dispatch()
        group = OffenseGroups(store.db).list()[0]
        waits.append(group["next_attempt_ms"] - clock.now)
        clock.now = group["next_attempt_ms"]
    assert waits == [30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]


def test_a_group_whose_hits_were_all_suppressed_before_sending_is_not_sent(store):
    console, clock = Console(), Clock()
    hit = add_hit(store, T0)
    store.settings.set(SETTINGS_KEY, {"rate_per_minute": 1}, actor="t", now_ms=clock())
    add_hit(store, T0 - 1, src="10.9.9.9")                       # older: takes the one slot
    d = OffenseDispatcher(store, console, clock=clock, environ=ENV, sender_factory=console.sender_factory)
    d.dispatch()
    store.db.connection().execute("UPDATE hits SET suppressed = 1 WHERE id = ?", (hit,))
    clock.now += MIN
    assert d.dispatch().sent == 0
    assert [g["status"] for g in OffenseGroups(store.db).list(source_ip="10.0.0.1")] == ["suppressed"]


# -- notes ----------------------------------------------------------------------------------------------------
def test_one_note_per_offense_once_qradar_shows_it(store):
    console, clock = Console(), Clock()
    enrichment = {"credentials": [{"kind": "--sftp-pass", "masked": "--sftp-pass ********"}],
                  "command_line_masked": "rclone copy x sftp: --sftp-pass ********",
                  "risk": {"score": 90, "reasons": [{"reason": "password on the command line", "points": 30}]},
                  "indicators": ["--sftp-pass on the command line"], "tool": {"name": "rclone"}}
    add_hit(store, T0, risk=90, enrichment=enrichment)
    add_hit(store, T0 + MIN, user="CORP\\bob")                    # second group, same source: same offense
    console.visible = False
    d = dispatcher(store, console, clock)
    summary = d.dispatch()
    assert (summary.sent, summary.noted, summary.awaiting_note) == (2, 0, 2)
    console.visible = True
    summary = d.dispatch()
    assert (summary.noted, summary.awaiting_note) == (2, 0)
    assert console.note_calls == 1
    text = console.notes[1][0]["note_text"]
    assert "Risk: 90/100: password on the command line (+30)" in text
    assert "--sftp-pass ********" in text and "hunter2" not in text
    assert "/app_proxy/#hit-" in text and "CORP\\bob" in text
    keys = [g["group_key"] for g in OffenseGroups(store.db).list()]
    assert text.endswith("ExfilWatch groups: " + ", ".join(sorted(keys, key=text.index)))
    assert {g["offense_id"] for g in OffenseGroups(store.db).list()} == {1}
    d.dispatch()
    OffenseDispatcher(store, console, clock=clock, environ=ENV, sender_factory=console.sender_factory).dispatch()
    assert console.note_calls == 1


def test_a_note_written_before_a_crash_is_recognised_not_written_again(store):
    console, clock = Console(), Clock()
    add_hit(store, T0)
    console.visible = False
    d = dispatcher(store, console, clock)
    d.dispatch()
    key = OffenseGroups(store.db).list()[0]["group_key"]
    console.notes[1] = [{"id": 77, "note_text": f"...\nExfilWatch groups: {key}"}]
    console.visible = True
    assert d.dispatch().noted == 1
    assert console.note_calls == 0
    assert OffenseGroups(store.db).list()[0]["note_id"] == 77


def test_offenses_of_other_rules_on_the_same_source_get_no_note(store):
    console, clock = Console(), Clock()
    console.offenses.append({"id": 50, "offense_source": "10.0.0.1", "status": "OPEN", "description": "Port scan",
                             "last_updated_time": 9, "rules": [{"id": 5}], "log_sources": [{"name": "fw",
                                                                                            "type_name": "Firewall"}]})
    add_hit(store, T0)
    d = dispatcher(store, console, clock)
    d.dispatch()
    assert 50 not in console.notes and OffenseGroups(store.db).list()[0]["status"] == "sent"   # ours not opened
    console.offenses.append(dict(console.offenses[0], id=51, description="t1048-002-rclone",
                                 log_sources=[{"name": "ExfilWatch @ exfilwatch", "type_name": "Universal LEEF"}]))
    d.dispatch()
    assert list(console.notes) == [51]


def test_offense_rule_id_narrows_which_offense_is_ours(store):
    console, clock = Console(), Clock()
    add_hit(store, T0)
    d = dispatcher(store, console, clock, offense_rule_id=424242)
    d.dispatch()
    assert console.note_calls == 0
    console.offenses[0]["rules"] = [{"id": 424242}]
    d.dispatch()
    assert console.note_calls == 1


def test_note_lookups_back_off_then_give_up(store):
    console, clock = Console(), Clock()
    add_hit(store, T0)
    console.visible = False
    d = dispatcher(store, console, clock, note_wait_minutes=30)
    for _ in range(4):                          # the first retries come on the very next dispatches
        d.dispatch()
    group = OffenseGroups(store.db).list()[0]
    assert group["note_attempts"] == 4 and group["next_note_ms"] == clock.now + 30_000
    clock.now += 30 * MIN
    d.dispatch()
    group = OffenseGroups(store.db).list()[0]
    assert group["status"] == "no_offense" and "docs/offenses.md" in group["last_error"]


def test_console_errors_while_noting_are_reported_and_retried(store):
    console, clock = Console(), Clock()
    add_hit(store, T0)
    calls = []

    def broken(*a, **kw):
        calls.append(1)
        raise ConsoleUnavailableError("console down", status=503)
    console.get_offenses, original = broken, console.get_offenses
    d = dispatcher(store, console, clock)
    summary = d.dispatch()
    assert summary.sent == 1 and "console down" in summary.errors[0] and summary.awaiting_note == 1
    console.get_offenses = original
    assert d.dispatch().noted == 1


# -- settings -------------------------------------------------------------------------------------------------
def test_settings_defaults_and_validation():
    s = OffenseSettings.from_value(None, ENV)
    assert (s.host, s.effective_port, s.protocol, s.framing, s.header, s.rate_per_minute, s.grouping,
            s.group_window_minutes) == ("192.0.2.10", 6514, "tls", "newline", "rfc5424", 30, "source_user", 60)
    assert s.warnings() == []
    plain = OffenseSettings.from_value({"protocol": "tcp"}, ENV)
    assert plain.effective_port == 514 and "forge" in plain.warnings()[0]
    with pytest.raises(OffenseSettingsError) as caught:
        OffenseSettings.from_value({"protcol": "tcp", "port": "514", "grouping": "user", "rate_per_minute": 0,
                                    "enabled": "yes"}, ENV)
    message = str(caught.value)
    assert "unknown setting 'protcol'" in message and "port must be a whole number" in message
    assert "enabled must be true or false" in message
    with pytest.raises(OffenseSettingsError, match="grouping must be one of.*rate_per_minute must be 1-6000"):
        OffenseSettings.from_value({"grouping": "user", "rate_per_minute": 0}, ENV)
    with pytest.raises(OffenseSettingsError, match="protocol must be one of"):
        OffenseSettings.from_value({"protocol": "http"}, ENV)
    with pytest.raises(OffenseSettingsError, match="exclude_rules must be a list"):
        OffenseSettings.from_value({"exclude_rules": "t1048-002-seed"}, ENV)
    assert OffenseSettings.from_value({"exclude_rules": []}, ENV).exclude_rules == ()
    with pytest.raises(OffenseSettingsError, match="QRADAR_CONSOLE_IP"):
        OffenseSettings.from_value({}, {})


def test_bad_or_disabled_settings_send_nothing(store):
    console, clock = Console(), Clock()
    add_hit(store, T0)
    summary = dispatcher(store, console, clock, protocol="carrier-pigeon").dispatch()
    assert summary.sent == 0 and "protocol must be one of" in summary.errors[0]
    summary = dispatcher(store, console, clock, enabled=False).dispatch()
    assert not summary.enabled and summary.hits_grouped == 0
    assert console.messages == []


def test_app_base_url():
    assert default_app_base_url(ENV) == "https://qradar.example.com/console/plugins/1101/app_proxy"
    assert default_app_base_url({}) == ""


def test_destination_comes_from_a_network_hit_not_a_process_start(store):
    console = Console()
    add_hit(store, T0, risk=80, dst="10.0.0.1", port=0)                      # Sysmon 1: the host's own address
    add_hit(store, T0 + 1, risk=50, dst="203.0.113.9", port=443, image=None)  # Sysmon 3: the upload
    add_hit(store, T0, src="10.0.0.7", dst=None, port=None)                   # no network event at all
    dispatcher(store, console, Clock()).dispatch()
    events = {e["src"]: e for e in console.events()}
    assert (events["10.0.0.1"]["dst"], events["10.0.0.1"]["dstPort"], events["10.0.0.1"]["exfilwatchTool"]) == \
        ("203.0.113.9", "443", "rclone.exe")
    assert "dst" not in events["10.0.0.7"] and "proto" not in events["10.0.0.7"]
    notes = {n["note_text"].split(" from ")[1].split("\n")[0]: n["note_text"] for ns in console.notes.values() for n in ns}
    assert "Destination: 203.0.113.9:443" in notes["10.0.0.1"]
    assert "Destination: not seen" in notes["10.0.0.7"]
