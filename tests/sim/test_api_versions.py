"""The stand-in as a console of a chosen QRadar release (--release): GET /api/help/versions and the Version
header follow IBM's table (scripts/qradar_sim/releases.py)."""
import subprocess

from devtools.simproc import SIM_SCRIPT


def test_a_75_up10_console_lists_its_versions_and_refuses_removed_ones(start_sim, tmp_path):
    sim = start_sim(empty=True, release="7.5.0-UP10")
    listed = {v["version"]: v for v in sim.api("GET", "/api/help/versions").json()}
    assert max(listed, key=lambda v: tuple(map(int, v.split(".")))) == "24.0"
    assert [v for v in ("24.0", "23.0", "22.0") if listed[v]["deprecated"] or listed[v]["removed"]] == []
    assert listed["21.0"]["deprecated"] and not listed["21.0"]["removed"]
    assert listed["20.0"]["removed"] and "25.0" not in listed
    assert sim.api("GET", "/api/system/about", headers={"Version": "24.0"}).status_code == 200
    assert sim.api("GET", "/api/system/about", headers={"Version": "21.0"}).status_code == 200
    refused = sim.api("GET", "/api/system/about", headers={"Version": "20.0"})
    assert refused.status_code == 422 and "20.0" in refused.json()["message"]


def test_without_a_release_the_old_answer_stays(start_sim):
    sim = start_sim(empty=True)
    listed = {v["version"]: v for v in sim.api("GET", "/api/help/versions").json()}
    assert [v for v, row in listed.items() if not row["removed"]][-1] == "20.0"
    assert sim.api("GET", "/api/system/about", headers={"Version": "12.0"}).status_code == 200


def test_an_unknown_release_is_refused_by_name():
    done = subprocess.run([SIM_SCRIPT, "--port", "0", "--release", "7.5.0-UP99"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "7.5.0-UP99" in done.stderr and "7.5.0-UP14" in done.stderr
