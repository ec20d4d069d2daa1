"""Enrichment end to end: the real app client against the real console stand-in loaded with the bundled
dataset, the Enricher as the runner's processor, hits read back from the store."""
import json
from collections import Counter

import pytest

from .conftest import span, with_window

# Secrets on the scenario command lines (scripts/scenarios/malicious.py and benign.py).
SECRETS = ("Xp9vR2qLm7", "Summer2026!", "Dr0pP4ss", "Atomic-Red-T3am", "Wq8zT3", "%ARTIFACT_TOKEN%")


def enriched_runtime(make_runtime, sim, name, **config):
    """The Runtime a console runs, with its own processors (the command-line analyzer, then its Enricher ...)."""
    runtime = make_runtime(sim, name, **config)
    runtime.rules = with_window(runtime.rules, 360)
    return runtime, runtime.enricher


def scenario_hits(hits, scenario):
    return sorted((h for h in hits if h["source_ip"] == scenario["sourceip"]
                   and scenario["start"] <= h["event_time_ms"] <= scenario["end"]),
                  key=lambda h: (h["event_time_ms"], h["rule_id"], h["event_id"]))


def asset_owner(dataset_dir, ip):
    context = json.loads((dataset_dir / "events-seed.context.json").read_text())
    for asset in context["assets"]:
        if any(a["value"] == ip for i in asset["interfaces"] for a in i["ip_addresses"]):
            return {p["name"]: p["value"] for p in asset["properties"]}["Owner"]
    raise AssertionError(f"no asset for {ip} in the context file")


@pytest.fixture(scope="module")
def scenarios(live_dataset):
    return {s["id"]: s for s in live_dataset["scenarios"]}


def test_every_hit_of_the_dataset_is_enriched(live_sim, live_dataset, make_runtime, scenarios):
    runtime, _ = enriched_runtime(make_runtime, live_sim, "all")
    live_sim.admin("DELETE", "/sim/requests")
    start, end = span(live_dataset["scenarios"])
    for rule in runtime.enabled_rules():
        assert runtime.hunt(rule.id, start, end).status == "ok"
    hits = runtime.store.hits.list(limit=100000, suppressed=None)
    assert hits
    for hit in hits:
        e = hit["enrichment"]
        assert hit["enrichment_state"] == e["state"] == "complete", e.get("errors")
        assert hit["risk_score"] == e["risk"]["score"] and 0 <= hit["risk_score"] <= 100
        claimed = "T1048.003" if hit["rule_id"] == "t1048-003-plaintext-upload" else "T1048.002"
        assert e["attack"]["subtechnique"].startswith(claimed) and e["indicators"]
        assert not any(secret in json.dumps(e) for secret in SECRETS), hit["command_line"]

    # seed-2: pscp -pw, credentials masked, the owner of the source host from the asset model
    seed2 = scenario_hits(hits, scenarios["seed-2-pscp"])
    pscp = [h for h in seed2 if h["event_id"] == "1" and h["rule_id"] == "t1048-002-transfer-credentials"]
    assert pscp
    e = pscp[0]["enrichment"]
    assert e["credentials"] == [{"kind": "-pw", "masked": "-pw ********"}]
    assert "-pw ********" in e["command_line_masked"] and "Summer2026!" in pscp[0]["command_line"]
    assert e["asset"]["owner"] == asset_owner(live_dataset["dir"], scenarios["seed-2-pscp"]["sourceip"])
    assert e["destination"]["ip"] == "198.51.100.1" and e["destination"]["public"] is True
    assert e["protocol"] == "scp" and e["tool"]["name"] == "pscp"

    # seed-1: the Sysmon 3 connection has no command line; it gets rclone's by ProcessGuid
    (connection, *_) = [h for h in scenario_hits(hits, scenarios["seed-1-rclone-sftp"]) if h["event_id"] == "3"]
    assert connection["command_line"] is None
    process = connection["enrichment"]["process"]
    assert process["source"] == "correlated" and process["guid"] == connection["process_guid"]
    assert process["command_line"].startswith("rclone.exe copy") and "--sftp-pass ********" in process["command_line"]
    assert connection["enrichment"]["credentials"][0]["kind"] == "--sftp-pass"
    assert connection["enrichment"]["destination"]["port"] == 22 and connection["enrichment"]["protocol"] == "sftp"

    # seed-4: rclone to MEGA
    mega = [h["enrichment"]["destination"] for h in scenario_hits(hits, scenarios["seed-4-rclone-mega"])
            if h["event_id"] == "3"]
    assert mega and all(d["service"] == {"name": "MEGA", "category": "cloud-storage"} and d["public"] for d in mega)
    assert {d["hostname"] for d in mega} >= {"g.api.mega.co.nz"}

    # first contact: fp-1's administrator uploads to the same server twice a day
    winscp = [h["enrichment"]["destination"] for h in scenario_hits(hits, scenarios["fp-1-admin-winscp"])
              if h["rule_id"] == "t1048-002-seed" and h["event_id"] == "1"]
    assert len(winscp) >= 2 and {d["hostname"] for d in winscp} == {"sftp.mft.example-corp.com"}
    assert [d["first_time"] for d in winscp] == [True] + [False] * (len(winscp) - 1)
    assert len({d["first_seen_ms"] for d in winscp}) == 1

    # the asset model was asked at most once per IP in the whole run (every rule, every window)
    asked = Counter(r["query"].get("filter") for r in live_sim.admin("GET", "/sim/requests")
                    if r["path"] == "/api/asset_model/assets")
    assert asked and max(asked.values()) == 1, asked


def test_a_failing_asset_api_keeps_the_hits_and_retry_completes_them(live_sim, live_dataset, make_runtime, scenarios):
    runtime, enricher = enriched_runtime(make_runtime, live_sim, "faulty", request_retries=1)
    start, end = span(live_dataset["scenarios"])
    live_sim.admin("POST", "/sim/faults", json={"route": "GET /api/asset_model/assets", "count": -1, "status": 503})
    try:
        assert runtime.hunt("t1048-002-transfer-credentials", start, end).status == "ok"
        hits = runtime.store.hits.list(limit=100000, suppressed=None)
        assert hits
        for hit in hits:
            e = hit["enrichment"]
            assert hit["enrichment_state"] == "partial" and "asset" not in e
            assert any(error.startswith("asset lookup") and "503" in error for error in e["errors"])
            assert e["credentials"] and e["risk"]["score"] == hit["risk_score"]
        assert enricher.retry_partial() == 0            # still failing: nothing completes
    finally:
        live_sim.admin("DELETE", "/sim/faults")
    assert enricher.retry_partial(limit=1000) == len(hits)
    after = runtime.store.hits.list(limit=100000, suppressed=None)
    assert {h["enrichment_state"] for h in after} == {"complete"}
    seed2 = [h for h in scenario_hits(after, scenarios["seed-2-pscp"]) if h["event_id"] == "1"]
    assert seed2[0]["enrichment"]["asset"]["owner"] == asset_owner(live_dataset["dir"], scenarios["seed-2-pscp"]["sourceip"])
    assert seed2[0]["enrichment"]["credentials"] == [{"kind": "-pw", "masked": "-pw ********"}]
    before = {h["id"]: h["risk_score"] for h in hits}
    assert all(h["risk_score"] >= before[h["id"]] for h in after)     # criticality points came back
