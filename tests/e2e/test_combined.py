"""Issue 5 end to end with nothing marked by hand: the administrator's exceptions, enrichment and the offense
dispatcher wired as the Runtime wires them, over the bundled dataset: one offense per malicious scenario, none
for any benign one, each noted once; a second hunt and a restart on the same store raise nothing new."""
from __future__ import annotations

from collections import Counter

from .conftest import DATA, span, with_window
from .test_offenses import notes, offenses, ours

EXCEPTIONS = DATA.parent / "exceptions-example.json"


def dispatch_until_quiet(runtime, rounds=60):
    for _ in range(rounds):
        summary = runtime.offenses.dispatch()
        assert summary.failed == 0, summary.errors
        if summary.pending == 0 and summary.awaiting_note == 0:
            return summary
    raise AssertionError(f"offenses still pending: {summary}")


def test_exceptions_enrichment_and_offenses_together(live_sim, live_dataset, make_runtime, tmp_path):
    before = {o["id"] for o in offenses(live_sim)}
    runtime = make_runtime(live_sim, name="combined")
    runtime.rules = with_window(runtime.rules, 360)
    runtime.exceptions.import_file(EXCEPTIONS, actor="admin", now_ms=runtime.clock())
    runtime.store.settings.set("offenses", {"host": "127.0.0.1", "port": live_sim.syslog_port,
                                            "protocol": "tcp", "rate_per_minute": 600}, actor="admin", now_ms=runtime.clock())
    start, end = span(live_dataset["scenarios"])
    for rule in runtime.enabled_rules():
        assert runtime.hunt(rule.id, start, end).status == "ok"
    dispatch_until_quiet(runtime)

    scenarios = live_dataset["scenarios"]
    malicious = {s["sourceip"] for s in scenarios if s["malicious"]}
    raised = [o for o in offenses(live_sim) if o["id"] not in before]
    assert Counter(o["offense_source"] for o in raised) == Counter({ip: 1 for ip in malicious})
    assert all(len(notes(live_sim, o["id"])) == 1 for o in raised)
    stored = runtime.store.hits.list(limit=100000, suppressed=None)
    assert all(h["enrichment"].get("risk") for h in stored), "every hit is enriched"
    fp_ips = {s["sourceip"] for s in scenarios if s["id"].startswith("fp-")}
    assert all(h["suppressed"] for h in stored if h["source_ip"] in fp_ips and h["rule_id"] != "t1048-002-seed")

    # A second hunt over the same span, then a restart on the same store: nothing new reaches QRadar.
    messages = len(ours(live_sim))
    for rule in runtime.enabled_rules():
        runtime.hunt(rule.id, start, end)
    assert runtime.offenses.dispatch().sent == 0
    db_path = runtime.store.db.path
    runtime.store.close()
    restarted = make_runtime(live_sim, name="combined-restarted", db_path=db_path)
    summary = restarted.offenses.dispatch()
    assert (summary.sent, summary.noted, summary.pending) == (0, 0, 0)
    assert len(ours(live_sim)) == messages
    assert len([o for o in offenses(live_sim) if o["id"] not in before]) == len(malicious)


def test_exceptions_and_their_counts_are_visible_to_analysts(live_sim, live_dataset, make_runtime):
    from app import create_app
    runtime = make_runtime(live_sim, name="visible")
    runtime.rules = with_window(runtime.rules, 360)
    runtime.exceptions.import_file(EXCEPTIONS, actor="admin", now_ms=runtime.clock())
    start, end = span(live_dataset["scenarios"])
    runtime.hunt("t1048-002-web-upload", start, end)
    listed = create_app(runtime).test_client().get("/api/exceptions").get_json()
    assert len(listed) == 8 and all(e["reason"] and e["author"] for e in listed)
    suppressed = sum(e["suppressed"]["hits"] for e in listed)
    assert suppressed == runtime.store.hits.counts()["suppressed"] > 0
