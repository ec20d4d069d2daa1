"""The syslog sender: header and framing bytes exactly as RFC 5424 / 3164 / 6587 write them, and real
UDP, TCP and TLS sockets (small listeners in the test) for delivery, reconnection, verification and errors."""
import select
import socket
import ssl
import threading
import time

import pytest

from devtools.simproc import wait_until

from app.qradar.syslog import (SyslogConfigError, SyslogError, SyslogSender, SyslogTarget, format_syslog, frame,
                               syslog_severity)
from qradar_sim.tls import server_context

T = 1768734473520   # 2026-01-18T11:07:53.520Z


# -- bytes ----------------------------------------------------------------------------------------------
def test_rfc5424_header():
    assert format_syslog("LEEF:2.0|x", header="rfc5424", hostname="exfilwatch", app_name="ExfilWatch",
                         timestamp_ms=T, severity=4, facility=13) == \
        "<108>1 2026-01-18T11:07:53.520Z exfilwatch ExfilWatch - - - LEEF:2.0|x"


def test_rfc3164_header_pads_the_day_with_a_space():
    assert format_syslog("LEEF:1.0|x", header="rfc3164", hostname="exfilwatch", app_name="ExfilWatch",
                         timestamp_ms=T - 17 * 86_400_000, severity=2, facility=13) == \
        "<106>Jan  1 11:07:53 exfilwatch LEEF:1.0|x"


def test_framing():
    assert frame("ä x".encode(), "octet") == b"4 \xc3\xa4 x"       # RFC 6587: length in octets, not characters
    assert frame(b"abc", "newline") == b"abc\n"
    with pytest.raises(ValueError):
        frame(b"a\nb", "newline")


def test_header_is_what_the_stand_in_parses():
    from qradar_sim.leef import parse_syslog
    for header in ("rfc5424", "rfc3164"):
        parsed = parse_syslog(format_syslog("LEEF:2.0|ExfilWatch|ExfilWatch|1|E|x09|src=1.2.3.4", header=header,
                                            hostname="exfilwatch", app_name="ExfilWatch", timestamp_ms=T))
        assert parsed["format"] == header and parsed["hostname"] == "exfilwatch"
        assert parsed["msg"].startswith("LEEF:2.0|")


def test_severity_mapping():
    assert [syslog_severity(s) for s in (1, 3, 4, 6, 7, 8, 9, 10)] == [5, 5, 4, 4, 3, 3, 2, 2]


@pytest.mark.parametrize("change, message", [
    ({"protocol": "smtp"}, "protocol"), ({"framing": "cr"}, "framing"), ({"header": "rfc3339"}, "header"),
    ({"port": 0}, "port"), ({"identifier": "has space"}, "identifier"), ({"host": ""}, "host"),
    ({"protocol": "tls", "ca_file": "/nonexistent/ca.pem"}, "CA file")])
def test_bad_targets_are_refused_with_the_reason(change, message):
    with pytest.raises(SyslogConfigError, match=message):
        SyslogTarget(**({"host": "127.0.0.1"} | change)).validate()


# -- listeners --------------------------------------------------------------------------------------------
class StreamListener:
    """Accepts connections (optionally TLS) and keeps every byte received, per connection."""

    def __init__(self, context=None):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.context = context
        self.connections = []
        self.live = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            if self.context:
                try:
                    conn = self.context.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    conn.close()
                    continue
            buffer = bytearray()
            self.connections.append(buffer)
            self.live.append(conn)
            threading.Thread(target=self._read, args=(conn, buffer), daemon=True).start()

    @staticmethod
    def _read(conn, buffer):
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer.extend(chunk)

    def data(self):
        return b"".join(bytes(c) for c in self.connections)

    def wait_for(self, predicate, timeout=5):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.data()):
                return self.data()
            time.sleep(0.01)
        raise AssertionError(f"listener got {self.data()!r}")

    def drop_connections(self):
        for conn in self.live:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self.live.clear()

    def close(self):
        self.drop_connections()
        self.server.close()


@pytest.fixture
def tcp_listener():
    listener = StreamListener()
    yield listener
    listener.close()


@pytest.fixture
def tls_listener(tmp_path):
    context, ca = server_context(str(tmp_path / "tls"))
    listener = StreamListener(context)
    listener.ca = ca
    yield listener
    listener.close()


def target(port, **kw):
    return SyslogTarget(**({"host": "127.0.0.1", "port": port, "connect_timeout_s": 2, "send_timeout_s": 2} | kw))


@pytest.mark.parametrize("framing", ["newline", "octet"])
def test_tcp_sends_framed_messages_on_one_connection(tcp_listener, framing):
    with SyslogSender(target(tcp_listener.port, framing=framing), clock=lambda: T / 1000) as sender:
        sender.send("LEEF:2.0|a", severity=4)
        sender.send("LEEF:2.0|b", severity=2)
    one = b"<108>1 2026-01-18T11:07:53.520Z exfilwatch ExfilWatch - - - LEEF:2.0|a"
    two = b"<106>1 2026-01-18T11:07:53.520Z exfilwatch ExfilWatch - - - LEEF:2.0|b"
    expected = (one + b"\n" + two + b"\n") if framing == "newline" else \
        (b"%d %s%d %s" % (len(one), one, len(two), two))
    assert tcp_listener.wait_for(lambda d: len(d) >= len(expected)) == expected
    assert len(tcp_listener.connections) == 1


def test_tcp_reconnects_when_the_collector_closed_the_connection(tcp_listener):
    sender = SyslogSender(target(tcp_listener.port))
    sender.send("first")
    tcp_listener.wait_for(lambda d: d.endswith(b"first\n"))
    tcp_listener.drop_connections()
    # The collector's FIN has reached the sender's socket once it reads as readable (end of stream).
    wait_until(lambda: select.select([sender._sock], [], [], 0)[0], timeout=10, message="the FIN at the sender")
    sender.send("second")
    tcp_listener.wait_for(lambda d: d.endswith(b"second\n"))
    assert len(tcp_listener.connections) == 2
    sender.close()


def test_refused_connection_is_a_retryable_error():
    port = _closed_port()
    with pytest.raises(SyslogError, match="refused") as caught:
        SyslogSender(target(port)).send("x")
    assert caught.value.retryable


def test_udp_sends_one_datagram_per_message():
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    with SyslogSender(target(server.getsockname()[1], protocol="udp", header="rfc3164"),
                      clock=lambda: T / 1000) as sender:
        sender.send("LEEF:1.0|a")
        sender.send("LEEF:1.0|b")
    assert server.recv(9000) == b"<108>Jan 18 11:07:53 exfilwatch LEEF:1.0|a"
    assert server.recv(9000) == b"<108>Jan 18 11:07:53 exfilwatch LEEF:1.0|b"
    server.close()


def test_udp_to_a_closed_local_port_is_noticed():
    sender = SyslogSender(target(_closed_port(), protocol="udp", udp_check_s=0.5))
    with pytest.raises(SyslogError, match="refused"):
        sender.send("x")
        sender.send("y")    # the ICMP answer to the first datagram may come back on the second


def test_udp_refuses_oversized_messages():
    with pytest.raises(SyslogError, match="too large") as caught:
        SyslogSender(target(_closed_port(), protocol="udp")).send("x" * 9000)
    assert not caught.value.retryable


def test_tls_verifies_against_the_ca_file(tls_listener):
    with SyslogSender(target(tls_listener.port, protocol="tls", framing="octet", ca_file=tls_listener.ca)) as sender:
        sender.send("LEEF:2.0|secret")
        sender.send("LEEF:2.0|again")
    data = tls_listener.wait_for(lambda d: d.endswith(b"LEEF:2.0|again"))
    assert data.startswith(b"75 <108>1 ") and b"LEEF:2.0|secret74 <108>1 " in data
    assert len(tls_listener.connections) == 1     # TLS 1.3 session tickets are not taken for a closed peer


def test_tls_refuses_an_untrusted_certificate(tls_listener):
    with pytest.raises(SyslogError, match="not trusted") as caught:
        SyslogSender(target(tls_listener.port, protocol="tls")).send("x")     # system trust store only
    assert not caught.value.retryable
    assert tls_listener.data() == b""


def test_tls_refuses_a_certificate_for_another_name(tls_listener):
    with pytest.raises(SyslogError, match="not trusted"):
        SyslogSender(target(tls_listener.port, protocol="tls", ca_file=tls_listener.ca,
                            server_name="qradar.example.com")).send("x")


def test_tls_handshake_that_never_comes_times_out(tcp_listener):
    started = time.monotonic()
    with pytest.raises(SyslogError, match="timed out"):
        SyslogSender(target(tcp_listener.port, protocol="tls", connect_timeout_s=0.3)).send("x")
    assert time.monotonic() - started < 30, "the connect timeout bounds the handshake, not a system default"


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
