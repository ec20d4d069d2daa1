"""The real QRadarClient and ArielSearch against the real console stand-in, over HTTPS.

Nothing is mocked: the stand-in runs as a subprocess (scripts/qradar-sim --tls-dir), the client
verifies its certificate through REQUESTS_CA_BUNDLE like in a container, faults are injected
through /sim/faults, and what the console received is read back from /sim/requests.
"""
import json
from urllib.parse import urlsplit

import pytest

from app.qradar.ariel import InFlight
from app.qradar import (AdapterPlatform, ArielSearch, AuthenticationError, ConsoleUnavailableError,
                        InvalidQueryError, QRadarClient, SearchFailedError, SearchTimeoutError, TLSError,
                        UnsupportedVersionError, resolve_fields)

T0 = 1_700_000_000_000  # epoch ms of the first test event
WINDOW = f"START {T0 - 60_000} STOP {T0 + 3_600_000}"
AQL = f"SELECT sourceip, starttime FROM events WHERE destinationport = 443 {WINDOW}"


def events(n):
    return [{"starttime": T0 + i * 1000, "devicetime": T0 + i * 1000, "logsourceid": 65, "devicetype": 12,
             "category": 18001, "qid": 5001829, "eventcount": 1, "username": "CORP\\alice",
             "sourceip": f"10.0.0.{i + 1}", "destinationip": "203.0.113.9", "sourceport": 50000 + i,
             "destinationport": 443, "EventID": "3", "Process Name": "rclone.exe"} for i in range(n)]


@pytest.fixture
def console(start_sim, tmp_path):
    sim = start_sim(empty=True, tls_dir=str(tmp_path / "tls"))
    body = "\n".join(json.dumps(e) for e in events(7))
    assert sim.admin("POST", "/sim/events", data=body.encode())["added"] == 7
    return sim


def platform_for(sim, tmp_path, **env):
    base = {"QRADAR_CONSOLE_FQDN": urlsplit(sim.url).netloc, "APP_ROOT": str(tmp_path / "app")}
    if sim.ca_path:
        base["REQUESTS_CA_BUNDLE"] = sim.ca_path
    base.update(env)
    return AdapterPlatform({k: v for k, v in base.items() if v is not None})


def client_for(sim, tmp_path, **options):
    options.setdefault("backoff_base", 0.01)
    options.setdefault("backoff_max", 0.05)
    return QRadarClient(platform_for(sim, tmp_path), lambda: sim.token, **options)


def ariel_for(client, **options):
    options.setdefault("initial_wait_s", 0.05)
    options.setdefault("poll_wait_s", 2)
    options.setdefault("timeout_s", 30)
    return ArielSearch(client, **options)


def calls(sim, route=None):
    logged = sim.admin("GET", "/sim/requests")
    return [c for c in logged if route is None or f"{c['method']} {c['route']}" == route]


def ips(rows):
    return sorted(r["sourceip"] for r in rows)


ALL_IPS = sorted(f"10.0.0.{i + 1}" for i in range(7))


def test_connection_test_and_field_discovery_over_tls(console, tmp_path):
    client = client_for(console, tmp_path)
    about = client.about()
    assert about.get("external_version")
    fields = resolve_fields(client.event_columns(), {})
    assert fields["event_id"] == "EventID" and fields["process_image"] == "Process Name"
    assert fields["command_line"] == "CommandLine"
    # The first call asks which API versions the console has; every later one names the chosen one.
    first, *later = calls(console)
    assert first["path"] == "/api/help/versions" and "Version" not in first["headers"]
    assert later and all(c["sec_present"] and c["headers"]["Version"] == "20.0" for c in later)


def test_untrusted_ca_fails_loudly_and_once(console, tmp_path):
    platform = platform_for(console, tmp_path, REQUESTS_CA_BUNDLE=None)  # system roots only
    client = QRadarClient(platform, lambda: console.token, backoff_base=0.01)
    with pytest.raises(TLSError, match="REQUESTS_CA_BUNDLE"):
        client.about()
    assert calls(console) == []  # nothing got past the handshake, and nothing was retried


def test_ca_bundle_of_another_ca_fails_loudly(console, tmp_path):
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_bytes(self_signed_ca_pem("Some Other CA"))
    platform = platform_for(console, tmp_path, REQUESTS_CA_BUNDLE=str(other_ca))
    with pytest.raises(TLSError, match="not trusted"):
        QRadarClient(platform, lambda: console.token).event_columns()
    assert calls(console) == []


def self_signed_ca_pem(name):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def test_unsupported_version_is_typed(console, tmp_path):
    with pytest.raises(UnsupportedVersionError, match="not a supported API version"):
        client_for(console, tmp_path, version="99.0").about()


def test_paging_prefer_wait_and_delete(console, tmp_path):
    ariel = ariel_for(client_for(console, tmp_path), page_size=3)
    assert ips(ariel.rows(AQL)) == ALL_IPS
    assert ariel.restarts == 0
    log = calls(console)
    created = [c for c in log if c["method"] == "POST" and c["route"] == "/api/ariel/searches"]
    assert len(created) == 1 and created[0]["status"] == 201
    assert created[0]["query"]["query_expression"] == AQL  # the AQL travels as a URL parameter
    polls = [c for c in log if c["method"] == "GET" and c["route"] == "/api/ariel/searches/{id}"]
    assert polls and all(c["headers"]["Prefer"] == "wait=2" for c in polls)
    pages = [c for c in log if c["route"] == "/api/ariel/searches/{id}/results"]
    assert [c["headers"]["Range"] for c in pages] == ["items=0-2", "items=3-5", "items=6-8"]
    assert all(c["status"] == 200 for c in pages)
    assert [(c["method"], c["status"]) for c in log][-1] == ("DELETE", 202)


def test_a_search_the_console_shares_between_two_readers_is_deleted_once_both_are_done(console, tmp_path):
    """Two rules posting the same AQL get one search id from the console; the first to finish must not delete
    it under the other (which would see it vanish and search again)."""
    client, inflight = client_for(console, tmp_path), InFlight()
    first, second = (ariel_for(client, page_size=3, inflight=inflight) for _ in range(2))
    reading = first.rows(AQL)
    rows = [next(reading)]                           # the first reader is paging ...
    assert ips(second.rows(AQL)) == ALL_IPS          # ... when the second reads the same search to the end
    rows.extend(reading)
    assert ips(rows) == ALL_IPS and first.restarts == second.restarts == 0
    assert len(calls(console, "POST /api/ariel/searches")) == 2
    pages = calls(console, "GET /api/ariel/searches/{id}/results")
    assert len({c["path"] for c in pages}) == 1      # both read the one search the console gave them
    deletes = calls(console, "DELETE /api/ariel/searches/{id}")
    assert len(deletes) == 1 and deletes[0]["status"] == 202
    assert [(c["method"], c["status"]) for c in calls(console)][-1] == ("DELETE", 202)   # after the last page


def test_prefetched_pages_are_the_same_pages_and_none_outlives_the_delete(console, tmp_path):
    """With prefetch (the pipeline's searches), the next page is asked for while the caller works on this one:
    the same ranges and rows, and the search deleted only once no page request is in flight, also when the caller
    stops early."""
    ariel = ariel_for(client_for(console, tmp_path), page_size=3, prefetch=True)
    assert ips(ariel.rows(AQL)) == ALL_IPS
    pages = calls(console, "GET /api/ariel/searches/{id}/results")
    assert [c["headers"]["Range"] for c in pages] == ["items=0-2", "items=3-5", "items=6-8"]
    assert [(c["method"], c["status"]) for c in calls(console)][-1] == ("DELETE", 202)
    rows = ariel_for(client_for(console, tmp_path), page_size=2, prefetch=True).rows(AQL)
    assert next(rows) and next(rows) and next(rows)    # the third row: page 2 was prefetched, page 3 is asked
    rows.close()
    log = calls(console)
    deleted = max(i for i, c in enumerate(log) if c["method"] == "DELETE")
    assert deleted == len(log) - 1 and log[deleted - 1]["route"] == "/api/ariel/searches/{id}/results"


def test_a_search_started_ahead_is_read_by_rows_not_searched_twice(console, tmp_path):
    """The pipeline submits the next window's search while it works on this one (start): rows() of that query
    reads it, and it is deleted after its last page like any other."""
    ariel = ariel_for(client_for(console, tmp_path), page_size=3, prefetch=True)
    ariel.start(AQL)
    assert ips(ariel.rows(AQL)) == ALL_IPS
    assert len(calls(console, "POST /api/ariel/searches")) == 1
    assert [(c["method"], c["status"]) for c in calls(console)][-1] == ("DELETE", 202)
    # Another query than the one started: that one is searched, and its rows are the ones returned.
    ariel.start(AQL)
    other = AQL.replace("destinationport = 443", "sourceip = '10.0.0.3'")
    assert ips(ariel.rows(other)) == ["10.0.0.3"]
    posted = [c["query"]["query_expression"] for c in calls(console, "POST /api/ariel/searches")]
    assert sorted(posted[1:]) == sorted([AQL, other])   # the started one's POST may come second: its own thread


def test_a_search_started_ahead_and_not_read_is_canceled_and_deleted(console, tmp_path):
    ariel = ariel_for(client_for(console, tmp_path), page_size=3, prefetch=True)
    assert ariel.abandon() is None   # nothing started: nothing to do
    ariel.start(AQL)
    ariel.abandon().result(timeout=30)
    log = [c for c in calls(console) if c["route"].startswith("/api/ariel/searches")]
    assert log[0]["method"] == "POST" and log[-1]["method"] == "DELETE" and log[-1]["status"] == 202
    assert not [c for c in log if c["route"].endswith("/results")]
    assert console.api("GET", "/api/ariel/searches").json() == []


@pytest.mark.parametrize("fault, error", [
    ({"route": "POST /api/ariel/searches", "count": -1, "status": 503}, ConsoleUnavailableError),
    ({"kind": "search_error", "count": 1}, SearchFailedError)])
def test_an_error_of_a_search_started_ahead_is_raised_by_rows(console, tmp_path, fault, error):
    """What went wrong while the search was submitted or waited for in the background is raised where its rows
    are read, as if it had happened then, and whatever was created on the console is deleted."""
    console.admin("POST", "/sim/faults", json=fault)
    try:
        ariel = ariel_for(client_for(console, tmp_path, retries=1), page_size=3, prefetch=True)
        ariel.start(AQL)
        with pytest.raises(error):
            list(ariel.rows(AQL))
    finally:
        console.admin("DELETE", "/sim/faults")
    assert console.api("GET", "/api/ariel/searches").json() == []


def test_burst_of_503_is_ridden_out(console, tmp_path):
    console.admin("POST", "/sim/faults", json={"route": "GET /api/ariel/searches/{id}", "count": 3,
                                              "status": 503, "code": 1010})
    assert ips(ariel_for(client_for(console, tmp_path)).rows(AQL)) == ALL_IPS
    statuses = [c["status"] for c in calls(console, "GET /api/ariel/searches/{id}")]
    assert statuses[:3] == [503, 503, 503] and statuses[-1] in (200, 206)


def test_dropped_connection_is_recovered(console, tmp_path):
    console.admin("POST", "/sim/faults", json={"route": "GET /api/ariel/searches/{id}/results", "count": 1,
                                              "drop": True})
    assert ips(ariel_for(client_for(console, tmp_path), page_size=4).rows(AQL)) == ALL_IPS
    pages = calls(console, "GET /api/ariel/searches/{id}/results")
    assert pages[0]["dropped"] and pages[1]["headers"]["Range"] == "items=0-3"


def test_too_many_failures_give_up(console, tmp_path):
    console.admin("POST", "/sim/faults", json={"route": "GET /api/system/about", "count": -1, "status": 503})
    with pytest.raises(ConsoleUnavailableError):
        client_for(console, tmp_path, retries=2).about()
    assert len(calls(console, "GET /api/system/about")) == 3


def test_vanished_search_is_submitted_again(console, tmp_path):
    console.admin("POST", "/sim/faults", json={"kind": "search_vanish", "count": 1})
    restarts = []
    ariel = ariel_for(client_for(console, tmp_path), on_restart=lambda aql, n, err: restarts.append(n))
    assert ips(ariel.rows(AQL)) == ALL_IPS
    assert ariel.restarts == 1 and restarts == [1]
    assert len(calls(console, "POST /api/ariel/searches")) == 2


def test_search_in_error_raises_with_the_console_message(console, tmp_path):
    console.admin("POST", "/sim/faults", json={"kind": "search_error", "count": 1})
    with pytest.raises(SearchFailedError, match="injected fault") as info:
        list(ariel_for(client_for(console, tmp_path)).rows(AQL))
    assert info.value.error_messages
    assert calls(console)[-1]["method"] == "DELETE"


def test_revoked_token_surfaces_at_once(console, tmp_path):
    console.admin("POST", "/sim/faults", json={"kind": "revoke_token"})
    client = client_for(console, tmp_path)
    with pytest.raises(AuthenticationError, match="invalid, expired or revoked") as info:
        list(ariel_for(client).rows(AQL))
    assert info.value.status == 401
    assert len(calls(console)) == 1


def test_invalid_aql_surfaces_at_once_with_the_console_message(console, tmp_path):
    ariel = ariel_for(client_for(console, tmp_path))
    with pytest.raises(InvalidQueryError) as info:
        list(ariel.rows(f'SELECT "No Such Property" FROM events {WINDOW}'))
    assert info.value.status == 422 and info.value.code == 2000
    assert "No Such Property" in str(info.value)
    assert len(calls(console, "POST /api/ariel/searches")) == 1


def test_validate(console, tmp_path):
    ariel = ariel_for(client_for(console, tmp_path))
    assert ariel.validate(AQL) == []
    assert ariel.validate("SELECT FROM WHERE") != []


def test_timeout_cancels_and_deletes(console, tmp_path):
    console.admin("POST", "/sim/config", json={"latency_ms": 20_000})
    ariel = ariel_for(client_for(console, tmp_path), timeout_s=1.5, poll_wait_s=1)
    with pytest.raises(SearchTimeoutError):
        list(ariel.rows(AQL))
    tail = [(c["method"], c["route"], c["query"].get("status"), c["status"]) for c in calls(console)[-2:]]
    assert tail == [("POST", "/api/ariel/searches/{id}", "CANCELED", 200),
                    ("DELETE", "/api/ariel/searches/{id}", None, 202)]


def test_reference_sets_assets_and_dns(console, tmp_path):
    client = client_for(console, tmp_path)
    assert client.get_reference_set("ExfilWatch Allow/List") is None
    client.create_reference_set("ExfilWatch Allow/List", "IP")
    client.add_to_reference_set("ExfilWatch Allow/List", "10.9.9.9", source="test")
    got = client.get_reference_set("ExfilWatch Allow/List")
    assert [d["value"] for d in got["data"]] == ["10.9.9.9"]

    console.admin("POST", "/sim/assets", json=[{"id": 42, "hostnames": [{"name": "ws-1"}], "interfaces": [
        {"mac_address": "00:11:22:33:44:55", "ip_addresses": [{"value": "10.0.0.1", "type": "IPV4"}]}]}])
    assert [a["id"] for a in client.find_assets_by_ip("10.0.0.1")] == [42]
    assert client.find_assets_by_ip("10.0.0.2") == []

    console.admin("POST", "/sim/dns", json={"10.0.0.1": "ws-1.corp.example"})
    assert "ws-1.corp.example" in (client.dns_lookup("10.0.0.1", interval_s=0.05) or "")
    assert client.get_offenses(filter='status="OPEN"', range=(0, 9)) == []


def test_plain_http_for_a_local_stand_in(start_sim, tmp_path):
    sim = start_sim(empty=True)
    platform = platform_for(sim, tmp_path, QRADAR_CONSOLE_SCHEME="http")
    assert QRadarClient(platform, lambda: sim.token).about()
