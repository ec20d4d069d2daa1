"""LEEF formatting with hostile values: nothing a telemetry value holds may add, end or replace an
attribute, break the header, or start a second message. Parsed back with the stand-in's own LEEF parser
(written from the console facts, not from the app) as well as checked character by character."""
import pytest

from app.pipeline.leef import LeefFormatError, escape_header, escape_value, format_leef
from qradar_sim.leef import parse_leef

HOSTILE = [
    "CORP\\alice\tsrc=6.6.6.6",                       # tab + a pair that would override src
    "bob\nLEEF:2.0|ExfilWatch|ExfilWatch|1|X|x09|src=6.6.6.6",   # a second message over newline framing
    "carol\r\n<13>Jan 18 11:07:53 evil LEEF:1.0|Evil|Evil|1|1|src=6.6.6.6",
    "dave|with|pipes^and^carets",
    "eve=admin=root",
    "rclone.exe --sftp-pass=hunter2 --config=x=y",
    "unicode: Grüße ✓ 日本語 \u202e\u2028\u2029\u0085 end",
    "nul\x00bell\x07del\x7f c1\x9b",
    "trailing backslash\\",
    "",
]


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("delimiter", ["\t", "^"])
def test_hostile_values_stay_one_attribute(value, delimiter):
    text = format_leef("T1048.002", {"src": "10.1.2.3", "usrName": value, "exfilwatchTool": value, "sev": 7},
                       delimiter=delimiter)
    assert "\n" not in text and "\r" not in text
    assert not any(ord(c) < 0x20 and c != delimiter for c in text)
    assert "\u2028" not in text and "\u2029" not in text and "\u0085" not in text
    parsed = parse_leef(text)
    assert parsed["vendor"] == "ExfilWatch" and parsed["event_id"] == "T1048.002"
    assert parsed["delimiter"] == delimiter
    assert list(parsed["attributes"]) == ["src", "usrName", "exfilwatchTool", "sev"]
    assert parsed["attributes"]["src"] == "10.1.2.3" and parsed["attributes"]["sev"] == "7"
    assert parsed["attributes"]["usrName"] == escape_value(value, delimiter)
    assert delimiter not in parsed["attributes"]["usrName"]


def test_equals_and_backslash_in_values_arrive_verbatim():
    text = format_leef("T1048.002", {"usrName": "CORP\\alice", "exfilwatchLink": "https://c/app?a=b&c=d"})
    attributes = parse_leef(text)["attributes"]
    assert attributes == {"usrName": "CORP\\alice", "exfilwatchLink": "https://c/app?a=b&c=d"}


def test_escapes_are_visible_not_dropped():
    assert escape_value("a\tb\nc\rd", "\t") == "a\\tb\\nc\\rd"
    assert escape_value("a^b", "^") == "a\\x5eb"
    assert escape_value("a\tb", "^") == "a\\tb"
    assert escape_value("x\x00y\u2028z\ud800", "\t") == "x\\x00y\\u2028z\\ud800"
    assert escape_value("Grüße ✓") == "Grüße ✓"
    assert escape_value(True) == "true" and escape_value(42) == "42"


def test_long_values_are_cut_and_marked():
    value = escape_value("x" * 5000)
    assert len(value) == 1024 and value.endswith("...")


def test_header_fields_escape_pipe_and_backslash_and_drop_controls():
    assert escape_header("a|b\\c\nd\te") == "a\\|b\\\\cde"
    text = format_leef("T1048|002", {"src": "10.1.2.3"}, product_version="1.0|beta", vendor="Exfil|Watch")
    assert text.startswith("LEEF:2.0|Exfil\\|Watch|ExfilWatch|1.0\\|beta|T1048\\|002|x09|")
    parsed = parse_leef(text)
    assert (parsed["vendor"], parsed["product_version"], parsed["event_id"]) == ("Exfil|Watch", "1.0|beta",
                                                                                "T1048|002")
    assert parsed["attributes"] == {"src": "10.1.2.3"}


def test_exact_layouts():
    assert format_leef("T1048.002", {"src": "10.1.2.3", "sev": 5, "dst": None}, product_version="0.1.0") == \
        "LEEF:2.0|ExfilWatch|ExfilWatch|0.1.0|T1048.002|x09|src=10.1.2.3\tsev=5"
    assert format_leef("E", {"a": 1, "b": 2}, delimiter="^", product_version="1") == \
        "LEEF:2.0|ExfilWatch|ExfilWatch|1|E|^|a=1^b=2"
    assert format_leef("E", {"a": 1, "b": 2}, version="1.0", product_version="1") == \
        "LEEF:1.0|ExfilWatch|ExfilWatch|1|E|a=1\tb=2"


@pytest.mark.parametrize("bad", [{"bad key": 1}, {"a=b": 1}, {"1a": 1}, {"a\tb": 1}, {"": 1}])
def test_keys_are_refused_unless_plain(bad):
    with pytest.raises(LeefFormatError):
        format_leef("E", bad)


@pytest.mark.parametrize("delimiter", ["|", "=", "\\", "a", "5", " ", "ab", ""])
def test_unusable_delimiters_are_refused(delimiter):
    with pytest.raises(LeefFormatError):
        format_leef("E", {"a": 1}, delimiter=delimiter)


def test_leef1_needs_tab_and_versions_are_checked():
    with pytest.raises(LeefFormatError):
        format_leef("E", {"a": 1}, version="1.0", delimiter="^")
    with pytest.raises(LeefFormatError):
        format_leef("E", {"a": 1}, version="3.0")
