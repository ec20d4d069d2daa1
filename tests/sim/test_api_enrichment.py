"""Asset model, reference sets, DNS/whois lookups and log sources: the endpoints enrichment uses."""
import json

import pytest
import requests

from devtools.simproc import SimProcess, write_events

ASSET = {"id": 1001, "hostnames": [{"name": "ws1.corp.example", "type": "DNS"}],
         "interfaces": [{"mac_address": "00:11:22:33:44:55",
                         "ip_addresses": [{"value": "10.1.2.3", "type": "IPV4"}]}],
         "properties": [{"name": "Given Name", "value": "WS1"}, {"name": "Technical Owner", "value": "alice"}]}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    folder = tmp_path_factory.mktemp("enrich")
    events = write_events(folder / "events.jsonl", [])
    (folder / "events.context.json").write_text(json.dumps({
        "log_sources": [{"id": 65, "name": "WinCollect @ ws1", "type_id": 12}],
        "assets": [ASSET], "dns": {"10.1.2.3": "ws1.corp.example"}}))
    with SimProcess(events=events) as process:
        yield process


def test_assets_from_context_filtered_by_ip(sim):
    response = sim.api("GET", "/api/asset_model/assets",
                       params={"filter": 'interfaces contains ip_addresses contains value="10.1.2.3"'})
    assert response.status_code == 200
    assets = response.json()
    assert len(assets) == 1 and assets[0]["id"] == 1001
    assert {"domain_id", "hostnames", "interfaces", "properties", "users", "risk_score_sum",
            "vulnerability_count"} <= set(assets[0])
    none = sim.api("GET", "/api/asset_model/assets",
                   params={"filter": 'interfaces contains ip_addresses contains value="10.9.9.9"'})
    assert none.json() == []


def test_assets_added_at_run_time(sim):
    sim.admin("POST", "/sim/assets", json={"id": 1002, "interfaces": [
        {"ip_addresses": [{"value": "10.1.2.4", "type": "IPV4"}]}]})
    found = sim.api("GET", "/api/asset_model/assets",
                    params={"filter": 'interfaces contains ip_addresses contains value="10.1.2.4"'}).json()
    assert [a["id"] for a in found] == [1002]


def test_reference_set_lifecycle(sim):
    created = sim.api("POST", "/api/reference_data/sets", params={"name": "ExfilWatch Allowed Hosts",
                                                                   "element_type": "IP"})
    assert created.status_code == 201 and created.json()["element_type"] == "IP"
    again = sim.api("POST", "/api/reference_data/sets", params={"name": "ExfilWatch Allowed Hosts",
                                                                 "element_type": "IP"})
    assert again.status_code == 409
    name = "ExfilWatch%20Allowed%20Hosts"
    added = sim.api("POST", f"/api/reference_data/sets/{name}", params={"value": "192.0.2.10", "source": "test"})
    assert added.status_code == 200 and added.json()["number_of_elements"] == 1
    assert sim.api("POST", f"/api/reference_data/sets/{name}", params={"value": "not-an-ip"}).status_code == 422
    one = sim.api("GET", f"/api/reference_data/sets/{name}").json()
    assert one["name"] == "ExfilWatch Allowed Hosts" and one["number_of_elements"] == 1
    element = one["data"][0]
    assert element["value"] == "192.0.2.10" and element["source"] == "test"
    assert {"first_seen", "last_seen"} <= set(element)
    listed = sim.api("GET", "/api/reference_data/sets").json()
    assert "ExfilWatch Allowed Hosts" in [s["name"] for s in listed] and "data" not in listed[0]
    removed = sim.api("DELETE", f"/api/reference_data/sets/{name}/192.0.2.10")
    assert removed.status_code == 200 and removed.json()["number_of_elements"] == 0
    assert sim.api("DELETE", f"/api/reference_data/sets/{name}/192.0.2.10").status_code == 404
    assert sim.api("DELETE", f"/api/reference_data/sets/{name}").status_code == 202
    missing = sim.api("GET", f"/api/reference_data/sets/{name}")
    assert missing.status_code == 404 and missing.json()["code"] == 1002
    assert missing.json()["message"] == "ExfilWatch Allowed Hosts does not exist"


def test_reference_set_values_with_slashes_and_bad_type(sim):
    sim.api("POST", "/api/reference_data/sets", params={"name": "paths", "element_type": "ALN"})
    value = "C:\\Tools\\a/b.exe"
    assert sim.api("POST", "/api/reference_data/sets/paths", params={"value": value}).status_code == 200
    encoded = requests.utils.quote(value, safe="")
    assert sim.api("DELETE", f"/api/reference_data/sets/paths/{encoded}").status_code == 200
    bad = sim.api("POST", "/api/reference_data/sets", params={"name": "x", "element_type": "BLOB"})
    assert bad.status_code == 422


def test_dns_lookup_answers_from_the_context(sim):
    started = sim.api("POST", "/api/services/dns_lookups", params={"IP": "10.1.2.3"})
    assert started.status_code == 201
    lookup = started.json()
    assert set(lookup) == {"id", "ip", "status", "message"} and lookup["ip"] == "10.1.2.3"
    done = sim.api("GET", f"/api/services/dns_lookups/{lookup['id']}").json()
    assert done["status"] == "COMPLETED" and "ws1.corp.example" in done["message"]
    unknown = sim.api("POST", "/api/services/dns_lookups", params={"IP": "10.9.9.9"}).json()
    assert sim.api("GET", f"/api/services/dns_lookups/{unknown['id']}").json()["message"] == ""
    assert sim.api("POST", "/api/services/dns_lookups", params={"IP": "nope"}).status_code == 422
    assert sim.api("GET", "/api/services/dns_lookups/9999").status_code == 404


def test_whois_lookup_completes(sim):
    lookup = sim.api("POST", "/api/services/whois_lookups", params={"IP": "192.0.2.1"}).json()
    done = sim.api("GET", f"/api/services/whois_lookups/{lookup['id']}").json()
    assert done["status"] == "COMPLETED" and done["message"]


def test_log_sources_from_the_context(sim):
    response = sim.api("GET", "/api/config/event_sources/log_source_management/log_sources",
                       params={"filter": "type_id=12"})
    assert response.status_code == 200
    source = response.json()[0]
    assert (source["id"], source["name"], source["type_id"], source["enabled"]) == (65, "WinCollect @ ws1", 12, True)
