"""The API version: the newest one both the console (GET /api/help/versions) and the app know, unless configured.
Against the stand-in serving the version table of a chosen QRadar release (scripts/qradar-sim --release)."""
import pytest

from app.config import AppConfig, ConfigError
from app.qradar.client import KNOWN_API_VERSIONS, QRadarClient, negotiate_version
from app.qradar.errors import ConfigurationError
from tests.app.test_qradar_e2e import calls, platform_for


def client_for(sim, tmp_path, **options):
    return QRadarClient(platform_for(sim, tmp_path), lambda: sim.token, backoff_base=0.01, backoff_max=0.05,
                        **options)


@pytest.mark.parametrize("release, expected", [("7.5.0-UP7", "21.0"), ("7.5.0-UP10", "24.0"),
                                               ("7.5.0-UP13", "26.0"), ("7.5.0-UP14", "27.0")])
def test_every_call_names_the_newest_version_the_console_offers(start_sim, tmp_path, release, expected):
    sim = start_sim(empty=True, tls_dir=str(tmp_path / "tls"), release=release)
    client = client_for(sim, tmp_path)
    assert client.about()["release_name"].startswith(release.replace("-UP", " UpdatePackage "))
    client.event_columns()
    first, *later = calls(sim)
    assert first["path"] == "/api/help/versions"
    assert [c["headers"]["Version"] for c in later] == [expected, expected]
    assert sum(c["path"] == "/api/help/versions" for c in calls(sim)) == 1   # asked once


def test_a_console_on_up9_gets_23_not_the_deprecated_20(start_sim, tmp_path):
    sim = start_sim(empty=True, tls_dir=str(tmp_path / "tls"), release="7.5.0-UP9")
    listed = {v["version"]: v for v in sim.api("GET", "/api/help/versions").json()}
    assert listed["20.0"]["deprecated"] and not listed["20.0"]["removed"] and not listed["23.0"]["deprecated"]
    assert client_for(sim, tmp_path).version == "23.0"


def test_a_configured_version_is_used_as_is_and_a_removed_one_is_refused(start_sim, tmp_path):
    sim = start_sim(empty=True, tls_dir=str(tmp_path / "tls"), release="7.5.0-UP14")
    client = client_for(sim, tmp_path, version="26.0")
    client.about()
    assert [c["headers"].get("Version") for c in calls(sim)] == ["26.0"]   # no negotiation
    with pytest.raises(Exception, match="not a supported API version"):
        client_for(sim, tmp_path, version="20.0").about()


def test_a_console_too_old_for_the_app_is_named_clearly(start_sim, tmp_path):
    sim = start_sim(empty=True, tls_dir=str(tmp_path / "tls"), release="7.5.0-UP3")
    with pytest.raises(ConfigurationError, match="none in common") as failure:
        client_for(sim, tmp_path).about()
    assert "19.0" in str(failure.value) and "EXFILWATCH_API_VERSION" in str(failure.value)


def test_negotiation_prefers_a_current_version_over_a_newer_deprecated_one():
    offered = [{"version": "22.0", "deprecated": False, "removed": False},
               {"version": "23.0", "deprecated": True, "removed": False},
               {"version": "24.0", "deprecated": False, "removed": True}]
    assert negotiate_version(offered) == "22.0"
    assert negotiate_version([{"version": "21.0", "deprecated": True, "removed": False}]) == "21.0"
    assert negotiate_version([{"version": v} for v in ("99.0", *KNOWN_API_VERSIONS)]) == KNOWN_API_VERSIONS[-1]


def test_the_override_setting_is_checked():
    assert AppConfig.from_env({"EXFILWATCH_API_VERSION": "25.0"}).api_version == "25.0"
    assert AppConfig.from_env({}).api_version == ""
    with pytest.raises(ConfigError, match="EXFILWATCH_API_VERSION"):
        AppConfig.from_env({"EXFILWATCH_API_VERSION": "latest"})
