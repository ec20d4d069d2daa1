"""What telemetry can do to QRadar through the app's own output: bidi, zero-width, ESC and other controls never
reach a LEEF event or an offense note raw; a value is cut after escaping, so it never exceeds its limit; over
UDP an oversized event is cut to fit, and one that cannot go is skipped with a report while the others go; the
process-correlation cache stays within its bounds whatever the command lines hold."""
import socket

import pytest
from hypothesis import given, settings, strategies as st

from app.pipeline.cache import BoundedCache
from app.pipeline.leef import MAX_VALUE_CHARS, escape_value, format_leef
from app.pipeline.offense_text import note_text
from app.pipeline.offenses import OffenseDispatcher, SETTINGS_KEY
from app.pipeline.safe_text import cut_escaped, is_unsafe
from app.qradar.syslog import MAX_UDP_BYTES, MessageTooLarge, SyslogSender
from app.store.offenses import OffenseGroups
from qradar_sim.leef import parse_leef, parse_syslog
from tests.app.test_offenses import ENV, MIN, T0, Clock, Console, add_hit, store  # noqa: F401 (fixture)

TRICKS = ["\u202e", "\u2066", "\u2069", "\u200f", "\u061c", "\u200b", "\u200d", "\u2060", "\ufeff", "\x1b[31m",
          "\x00", "\x07", "\x85", "\u2028", "\u00ad"]


@pytest.mark.parametrize("trick", TRICKS)
def test_no_bidi_zero_width_or_control_character_reaches_leef_or_a_note(trick):
    user = f"CORP\\adm{trick}in"
    record = format_leef("T1048.002", {"src": "10.0.0.1", "usrName": user})
    assert trick[0] not in record and not any(is_unsafe(c) for c in record.replace("\t", ""))
    assert parse_leef(record)["attributes"]["usrName"].startswith("CORP\\adm\\")   # visible, not dropped
    group = {"group_key": "k" * 20, "source_ip": "10.0.0.1", "username": user, "first_event_ms": T0,
             "last_event_ms": T0}
    hit = {"id": 1, "rule_id": "r", "username": user, "process_image": f"C:\\x\\rc{trick}lone.exe",
           "enrichment": {"indicators": [f"DNS query for ev{trick}il.example"],
                          "command_line_masked": f"rclone copy a b{trick}c", "tool": {"name": f"rc{trick}lone"}}}
    note = note_text([(group, [hit], 1)], "https://app", marker="ExfilWatch groups:")
    assert trick[0] not in note.replace("\n", "") or trick == "\n"


@pytest.mark.reliability("bad input", "LEEF values: controls, bidi and zero-width made visible, cut after escaping, never over the limit")
@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(["a", "\t", "\x1b", "\u202e", "\u200b", "é", "\n", "|"]), max_size=3000),
       limit=st.integers(min_value=8, max_value=MAX_VALUE_CHARS))
def test_values_are_cut_after_escaping_and_never_exceed_their_limit(text, limit):
    value = escape_value(text, "\t", limit)
    assert len(value) <= limit
    assert "\t" not in value and not any(is_unsafe(c) for c in value)
    if value.endswith("...") and len(text) > 0:
        body = value[:-3]
        assert not body.endswith("\\") and not body.endswith("\\u202") and not body.endswith("\\x1")


def test_cut_keeps_short_text_whole():
    assert cut_escaped("abc", 10) == "abc" and cut_escaped("a\x1bb", 6) == "a\\x1bb"
    assert cut_escaped("a\x1bbcdefgh", 8) == "a\\x1b..."


# -- UDP: cut to fit, or skip with a report, and go on ------------------------------------------------------
@pytest.fixture
def udp_collector():
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    yield sock
    sock.close()


def test_an_oversized_udp_event_is_cut_to_one_datagram(store, udp_collector):
    huge = {"tool": {"name": "r" * 5000}, "asset": {"hostname": "h" * 5000},
            "destination": {"hostname": "d" * 5000, "ip": "203.0.113.5"}, "protocol": "p" * 5000}
    add_hit(store, T0, user="CORP\\" + "\u202e" * 3000, enrichment=huge)
    clock = Clock()
    store.settings.set(SETTINGS_KEY, {"protocol": "udp", "host": "127.0.0.1", "port": udp_collector.getsockname()[1]},
                       actor="t", now_ms=clock())
    summary = OffenseDispatcher(store, Console(), clock=clock, environ=ENV).dispatch()   # real UDP sender
    assert (summary.sent, summary.failed) == (1, 0), summary.errors
    assert "plain UDP" in summary.warnings[0]                # plaintext works, with a warning
    datagram, _ = udp_collector.recvfrom(65535)
    assert len(datagram) <= MAX_UDP_BYTES
    attributes = parse_leef(parse_syslog(datagram.decode())["msg"])["attributes"]
    assert attributes["src"] == "10.0.0.1" and attributes["exfilwatchTool"].endswith("...")


class TooLargeOnce(Console):
    """The first event cannot go over this transport; the rest can."""

    def send(self, message, *, severity, timestamp_ms):
        if not getattr(self, "refused", False):
            self.refused = True
            raise MessageTooLarge("message of 9000 bytes is too large for UDP; use TCP or TLS")
        super().send(message, severity=severity, timestamp_ms=timestamp_ms)


def test_an_event_that_cannot_go_is_skipped_with_a_report_and_the_rest_go(store):
    console, clock = TooLargeOnce(), Clock()
    for n in range(3):
        add_hit(store, T0 + n * MIN, src=f"10.0.0.{n + 1}")
    store.settings.set(SETTINGS_KEY, {}, actor="t", now_ms=clock())
    dispatcher = OffenseDispatcher(store, console, clock=clock, environ=ENV, sender_factory=console.sender_factory)
    summary = dispatcher.dispatch()
    assert (summary.sent, summary.failed) == (2, 1)
    assert "too large for UDP" in summary.errors[0]
    skipped = [g for g in OffenseGroups(store.db).list() if g["status"] == "failed"]
    assert len(skipped) == 1 and skipped[0]["next_attempt_ms"] >= clock() + 15 * MIN   # not retried in a loop
    assert dispatcher.dispatch().sent == 0                  # the next dispatch does not hammer it


# -- bounded cache --------------------------------------------------------------------------------------------
class Ticker:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_correlation_cache_is_bounded_by_count_bytes_and_age():
    ticker = Ticker()
    cache = BoundedCache(100, 200_000, 3600, monotonic=ticker)
    for n in range(1000):
        cache.put(f"{{{n}}}", {"command_line": "x" * 10})
    assert len(cache) == 100 and cache.get("{0}") is None and cache.get("{999}") is not None
    for n in range(50):
        cache.put(f"big{n}", {"command_line": "y" * 50_000})
    assert cache.bytes <= 200_000 and len(cache) <= 4
    cache.put("huge", {"command_line": "z" * 1_000_000})      # larger than the whole cache: not kept
    assert cache.get("huge") is None and cache.bytes <= 200_000
    ticker.now = 3601
    assert cache.get("big49") is None


def test_least_recently_used_goes_first():
    cache = BoundedCache(2, 10_000, 60, monotonic=Ticker())
    cache.put("a", "1")
    cache.put("b", "2")
    cache.get("a")
    cache.put("c", "3")
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("1", None, "3")
