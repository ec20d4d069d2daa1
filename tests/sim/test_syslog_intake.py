"""Syslog intake: UDP, TCP and TLS (newline and octet-counting framing), RFC 3164 / 5424 headers,
LEEF 1.0 / 2.0; events reach the event store and the offense rule engine."""
import socket
import ssl

import pytest
import requests

from devtools.simproc import SimProcess, run_search, wait_until

LEEF1 = ("<13>Jan 18 11:07:53 exfilwatch-app LEEF:1.0|ExfilWatch|ExfilWatch|1.0|ExfilHit|"
         "src={src}\tusrName=CORP\\alice\tsev={sev}\texfilwatchRule=rclone to SFTP")
LEEF2 = ("<14>1 2026-01-01T00:00:00.000Z exfilwatch-app exfilwatch - - - "
         "LEEF:2.0|ExfilWatch|ExfilWatch|1.0|ExfilHit|x5E|src={src}^dst=192.0.2.1^dstPort=22^sev={sev}")


@pytest.fixture(scope="module")
def sim():
    with SimProcess(empty=True, latency_ms=50) as process:
        yield process


def send_udp(sim, text):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(text.encode(), ("127.0.0.1", sim.syslog_port))


def send_tcp(sim, *frames, octet_counting=False):
    with socket.create_connection(("127.0.0.1", sim.syslog_port), timeout=10) as sock:
        for text in frames:
            data = text.encode()
            sock.sendall(b"%d %s" % (len(data), data) if octet_counting else data + b"\n")


def offenses_for(sim, source):
    return sim.api("GET", "/api/siem/offenses", params={"filter": f'offense_source="{source}"'}).json()


def received(sim, count):
    return wait_until(lambda: len(sim.admin("GET", "/sim/syslog")) >= count and sim.admin("GET", "/sim/syslog"),
                      timeout=10, message=f"{count} syslog messages")


def test_udp_leef1_creates_an_offense_then_tcp_leef2_updates_it(sim):
    before = len(sim.admin("GET", "/sim/syslog"))
    send_udp(sim, LEEF1.format(src="10.20.0.1", sev=6))
    offense = wait_until(lambda: offenses_for(sim, "10.20.0.1"), message="offense")[0]
    assert offense["status"] == "OPEN" and offense["event_count"] == 1
    assert offense["description"] == "rclone to SFTP"
    assert offense["offense_type"] == 0 and offense["severity"] == 6
    assert offense["categories"] == ["Potential Data Exfiltration"]
    assert offense["rules"][0]["type"] == "CRE_RULE"
    assert offense["log_sources"][0]["type_id"] == 4000

    send_tcp(sim, LEEF2.format(src="10.20.0.1", sev=8), octet_counting=True)
    updated = wait_until(lambda: offenses_for(sim, "10.20.0.1")[0]["event_count"] == 2
                         and offenses_for(sim, "10.20.0.1"), message="offense update")
    assert len(updated) == 1 and updated[0]["id"] == offense["id"]
    assert updated[0]["severity"] == 8
    assert updated[0]["last_updated_time"] >= offense["last_updated_time"]
    messages = received(sim, before + 2)[before:]
    assert [m["transport"] for m in messages] == ["udp", "tcp"]
    assert [m["leef"]["version"] for m in messages] == ["1.0", "2.0"]
    assert messages[1]["leef"]["delimiter"] == "^"
    assert messages[1]["leef"]["attributes"]["dstPort"] == "22"
    assert [m["syslog"]["format"] for m in messages] == ["rfc3164", "rfc5424"]


def test_tcp_newline_framing_carries_several_messages(sim):
    before = len(sim.admin("GET", "/sim/syslog"))
    send_tcp(sim, LEEF1.format(src="10.20.0.2", sev=3), LEEF1.format(src="10.20.0.3", sev=3))
    messages = received(sim, before + 2)[before:]
    assert [m["leef"]["attributes"]["src"] for m in messages] == ["10.20.0.2", "10.20.0.3"]


def test_closed_offense_is_not_reused(sim):
    send_udp(sim, LEEF1.format(src="10.20.0.9", sev=5))
    first = wait_until(lambda: offenses_for(sim, "10.20.0.9"), message="offense")[0]
    closed = sim.api("POST", f"/api/siem/offenses/{first['id']}", params={"status": "CLOSED",
                                                                         "closing_reason_id": "2"})
    assert closed.status_code == 200
    send_udp(sim, LEEF1.format(src="10.20.0.9", sev=5))
    both = wait_until(lambda: len(offenses_for(sim, "10.20.0.9")) == 2 and offenses_for(sim, "10.20.0.9"),
                      message="second offense")
    fresh = [o for o in both if o["id"] != first["id"]][0]
    assert fresh["status"] == "OPEN" and fresh["event_count"] == 1


def test_intake_events_are_searchable_with_aql(sim):
    send_udp(sim, LEEF1.format(src="10.20.0.42", sev=4))
    wait_until(lambda: offenses_for(sim, "10.20.0.42"), message="offense")

    def found():
        _, rows = run_search(sim, "SELECT sourceip, username, devicetype, qid FROM events "
                                  "WHERE sourceip = '10.20.0.42' LAST 10 MINUTES")
        return rows
    rows = wait_until(found, timeout=15, message="event in the store")
    assert rows[0] == {"sourceip": "10.20.0.42", "username": "CORP\\alice", "devicetype": 4000, "qid": 88000001}


def test_other_vendors_are_stored_but_raise_no_offense(sim):
    before = len(sim.admin("GET", "/sim/syslog"))
    send_udp(sim, "<13>Jan 18 11:07:53 fw1 LEEF:1.0|Acme|Firewall|2.1|deny|src=10.20.1.1\tdst=10.0.0.1")
    send_udp(sim, "<13>Jan 18 11:07:53 host plain text, not LEEF")
    messages = received(sim, before + 2)[before:]
    assert {m["error"] for m in messages} == {None, "no LEEF header"}
    assert offenses_for(sim, "10.20.1.1") == []


def test_offense_rules_can_index_on_another_field(sim):
    rules = sim.admin("GET", "/sim/offense_rules")
    assert rules[0]["vendor"] == "ExfilWatch" and rules[0]["index_key"] == "src"
    try:
        sim.admin("POST", "/sim/offense_rules", json=[{"id": 200, "name": "by user", "vendor": "ExfilWatch",
                                                      "index_key": "usrName"}])
        send_udp(sim, LEEF1.format(src="10.20.0.77", sev=5))
        offense = wait_until(lambda: offenses_for(sim, "CORP\\alice"), message="username offense")[0]
        assert offense["offense_type"] == 3 and offense["rules"] == [{"id": 200, "type": "CRE_RULE"}]
    finally:
        sim.admin("POST", "/sim/offense_rules", json=rules)
    bad = requests.post(sim.url + "/sim/offense_rules", json=[{"name": "no id"}])
    assert bad.status_code == 400


# -- TLS syslog (only with --tls-dir) ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def tls_sim(tmp_path_factory):
    with SimProcess(empty=True, latency_ms=50, tls_dir=str(tmp_path_factory.mktemp("syslog-tls"))) as process:
        yield process


def send_tls(sim, *frames, octet_counting=False):
    """A client that verifies the intake's certificate against the stand-in's CA, as a sender must."""
    context = ssl.create_default_context(cafile=sim.ca_path)
    with socket.create_connection(("127.0.0.1", sim.syslog_tls_port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            for text in frames:
                data = text.encode()
                sock.sendall(b"%d %s" % (len(data), data) if octet_counting else data + b"\n")


def test_tls_port_is_announced_only_with_a_tls_dir(sim, tls_sim):
    assert sim.syslog_tls_port is None and sim.admin("GET", "/sim/info")["syslog_tls_port"] is None
    assert isinstance(tls_sim.syslog_tls_port, int) and tls_sim.syslog_tls_port not in (0, tls_sim.syslog_port)
    assert tls_sim.admin("GET", "/sim/info")["syslog_tls_port"] == tls_sim.syslog_tls_port


def test_tls_leef_creates_an_offense(tls_sim):
    before = len(tls_sim.admin("GET", "/sim/syslog"))
    send_tls(tls_sim, LEEF1.format(src="10.30.0.1", sev=7))
    offense = wait_until(lambda: offenses_for(tls_sim, "10.30.0.1"), message="offense")[0]
    assert offense["status"] == "OPEN" and offense["event_count"] == 1 and offense["severity"] == 7
    assert offense["description"] == "rclone to SFTP"

    send_tls(tls_sim, LEEF2.format(src="10.30.0.1", sev=8), LEEF2.format(src="10.30.0.2", sev=2),
             octet_counting=True)
    messages = received(tls_sim, before + 3)[before:]
    assert [m["transport"] for m in messages] == ["tls"] * 3
    assert [m["leef"]["attributes"]["src"] for m in messages] == ["10.30.0.1", "10.30.0.1", "10.30.0.2"]
    assert wait_until(lambda: offenses_for(tls_sim, "10.30.0.1")[0]["event_count"] == 2, message="update")


def test_plain_tcp_on_the_tls_port_neither_crashes_nor_blocks_the_intake(tls_sim):
    before = len(tls_sim.admin("GET", "/sim/syslog"))
    idle = socket.create_connection(("127.0.0.1", tls_sim.syslog_tls_port), timeout=10)   # never says a word
    try:
        with socket.create_connection(("127.0.0.1", tls_sim.syslog_tls_port), timeout=10) as plain:
            plain.sendall(LEEF1.format(src="10.30.0.66", sev=9).encode() + b"\n")
            # The stand-in ends the failed handshake: read until it closes (an alert may come first).
            try:
                while plain.recv(4096):
                    pass
            except ConnectionResetError:
                pass
        send_tls(tls_sim, LEEF1.format(src="10.30.0.67", sev=4))
        wait_until(lambda: offenses_for(tls_sim, "10.30.0.67"), message="offense after the plain client")
    finally:
        idle.close()
    messages = tls_sim.admin("GET", "/sim/syslog")[before:]
    assert [m["leef"]["attributes"]["src"] for m in messages] == ["10.30.0.67"], "plain text is not a message"
    assert offenses_for(tls_sim, "10.30.0.66") == []
