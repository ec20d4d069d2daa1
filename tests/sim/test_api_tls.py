"""HTTPS with --tls-dir: DIR/ca.pem verifies the server certificate for 127.0.0.1 and localhost."""
import pytest
import requests

from devtools.simproc import SimProcess


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    with SimProcess(empty=True, tls_dir=str(tmp_path_factory.mktemp("tls"))) as process:
        yield process


def test_https_url_and_ca_written(sim):
    assert sim.url.startswith("https://127.0.0.1:")
    with open(sim.ca_path) as f:
        assert "BEGIN CERTIFICATE" in f.read()


def test_requests_verifies_with_the_ca(sim):
    response = requests.get(sim.url + "/api/system/about", headers={"SEC": sim.token}, verify=sim.ca_path,
                            timeout=30)
    assert response.status_code == 200


def test_localhost_name_is_in_the_certificate(sim):
    url = sim.url.replace("127.0.0.1", "localhost")
    response = requests.get(url + "/api/system/about", headers={"SEC": sim.token}, verify=sim.ca_path,
                            timeout=30)
    assert response.status_code == 200


def test_without_the_ca_verification_fails(sim):
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sim.url + "/api/system/about", headers={"SEC": sim.token}, verify=True, timeout=30)


def test_admin_api_is_served_over_https_too(sim):
    assert sim.admin("GET", "/sim/info")["url"] == sim.url


def test_plain_http_client_on_the_tls_port_does_not_hang_the_server(sim):
    plain = sim.url.replace("https://", "http://")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(plain + "/api/system/about", timeout=10)
    assert sim.api("GET", "/api/system/about").status_code == 200
