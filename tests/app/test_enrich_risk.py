"""The risk score: every point has a reason, allowlists lower it, the total stays within 0-100."""
from types import SimpleNamespace

from app.pipeline.risk import score

HIGH = SimpleNamespace(severity="high", confidence="high")
LOW = SimpleNamespace(severity="low", confidence="low")


def reasons(result):
    return {r["reason"]: r["points"] for r in result["reasons"]}


def test_base_from_rule_severity_and_confidence():
    result = score(HIGH, {})
    assert reasons(result) == {"rule severity high": 30, "rule confidence high": 10}
    assert result["score"] == 40


def test_every_finding_adds_a_reason():
    enrichment = {
        "credentials": [{"kind": "-pw", "masked": "-pw ********"}],
        "tool": {"renamed": True, "original_file_name": "rclone.exe", "image": r"C:\x\svchost-helper.exe"},
        "destination": {"ip": "31.216.148.11", "hostname": "g.api.mega.co.nz", "public": True, "first_time": True,
                        "service": {"name": "MEGA", "category": "cloud-storage"}},
        "asset": {"criticality": "High"},
    }
    result = score(HIGH, enrichment)
    assert reasons(result) == {
        "rule severity high": 30, "rule confidence high": 10,
        "credentials exposed on the command line (-pw)": 15,
        "renamed binary (rclone.exe running as svchost-helper.exe)": 20,
        "public destination g.api.mega.co.nz": 10,
        "cloud-storage service MEGA": 15,
        "first contact of this host with g.api.mega.co.nz": 10,
        "asset business criticality High": 10,
    }
    assert result["score"] == 100        # 120 clamped


def test_allowlists_lower_the_score_with_a_floor_and_never_below_zero():
    allowlisted = [{"reference_set": s, "field": "destination_hostname", "value": "x"} for s in ("a", "b", "c")]
    result = score(LOW, {"destination": {"ip": "10.0.0.5", "public": False}, "allowlisted": allowlisted})
    points = [r["points"] for r in result["reasons"] if r["reason"].startswith("allowlisted")]
    assert points == [-30, -30]           # the third adds nothing beyond the -60 floor
    assert "private destination 10.0.0.5" in reasons(result)
    assert result["score"] == 0


def test_unknowns_add_nothing():
    result = score(HIGH, {"destination": {"ip": "2001:db8::1", "public": None}, "asset": None, "credentials": []})
    assert result["score"] == 40
