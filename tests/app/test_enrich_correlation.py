"""Process correlation on a busy console: the searches a window costs do not grow with its hits.

The console is scripted: `Creations` holds process creations and answers the two correlation searches the
app makes (by log source and image, by GUID) from them, honouring the query's LIMIT. The real stand-in
answers the same searches in tests/e2e (test_enrichment.py, test_load.py), and its parser judges their
structure in tests/app/test_aql_structure.py.
"""
import re

import pytest

from app.detection.aql import Window
from app.detection.rule import load_rules
from app.pipeline.enrich import Enricher
from app.pipeline.hit import hits_from_rows
from app.pipeline.run import WindowContext
from app.store.enrichment import EnrichmentRepository

from .test_enrich_enricher import FIELDS, Console

MINUTE = 60_000
RULE = "t1048-002-encrypted-connection"


class Creations:
    """search_factory and search: answers a correlation search with the creations it selects."""

    def __init__(self, creations):
        self.creations = creations
        self.aql = []

    def __call__(self):
        return self

    def rows(self, aql):
        self.aql.append(aql)
        limit = int(re.search(r"LIMIT (\d+)", aql).group(1))
        pairs = re.search(r"logsourceid IN \(([^)]*)\)\n  AND \"Process Name\" IN \((.*)\)\n", aql)
        if pairs:
            sources = {int(s) for s in pairs.group(1).split(", ")}
            images = {m.replace("''", "'") for m in re.findall(r"'((?:[^']|'')*)'", pairs.group(2))}
            chosen = [c for c in self.creations if c["logsourceid"] in sources and c["ew_process_image"] in images]
        else:
            guids = set(re.findall(r"'(\{[^']*\})'", aql))
            chosen = [c for c in self.creations if c["ew_guid"] in guids]
        return iter([{k: v for k, v in c.items() if k != "logsourceid"} for c in chosen[:limit]])


def creation(guid, source, image="rclone.exe"):
    return {"ew_guid": guid, "logsourceid": source, "ew_process_image": image, "ew_time": 5 * MINUTE,
            "ew_command_line": f"{image} copy C:\\Finance {guid} remote:drop --sftp-pass Hunter2"}


def connection(t, guid, source, image="rclone.exe"):
    return {"ew_time": t, "ew_sourceip": f"10.30.0.{source % 250}", "ew_destinationip": "10.99.0.1",
            "ew_destinationport": 22, "ew_event_id": "3", "ew_process_image": image, "ew_process_guid": guid,
            "ew_logsourceid": source, "ew_payload": f"connection {guid}"}


def guid(n):
    return f"{{0000{n:04x}-0000-0000-0000-000000000000}}"


@pytest.fixture
def rules():
    return load_rules()


@pytest.fixture
def enricher(store, rules):
    return Enricher(Console(), EnrichmentRepository(store.db), store.settings, lambda: 1_000_000, rule_for=rules.get)


def window(searches, start=10 * MINUTE, end=11 * MINUTE):
    return WindowContext(Window(start, end), FIELDS, searches, lambda: 1_000_000)


def test_a_window_of_thousands_of_connections_costs_one_search(enricher, rules):
    """5,000 connections of 5,000 processes on 3 hosts with 2 tools: one search for the (log source, image)
    pairs, matched to GUIDs here; the processes it did not find are remembered, so a later part of the
    window, the next window's overlap and a retry search nothing again."""
    sources, images = (65, 66, 67), ("rclone.exe", "pscp.exe")
    plan = [(guid(n), sources[n % 3], images[n % 2]) for n in range(5000)]
    searches = Creations([creation(g, s, i) for g, s, i in plan[::50]])       # 100 were created in the look-back
    hits = hits_from_rows(RULE, [connection(10 * MINUTE + n, g, s, i) for n, (g, s, i) in enumerate(plan)])
    enricher(rules[RULE], hits, window(searches))
    (aql,) = searches.aql
    assert "logsourceid IN (65, 66, 67)" in aql and "\"Process Name\" IN ('pscp.exe', 'rclone.exe')" in aql
    correlated = [h for h in hits if h.enrichment["process"]["source"] == "correlated"]
    assert [h.process_guid for h in correlated] == [g for g, _, _ in plan[::50]]
    assert all("--sftp-pass ********" in h.enrichment["process"]["command_line"] for h in correlated)
    assert all(h.enrichment["state"] == "complete" for h in hits)

    # a second part of the same window: new GUIDs of pairs already searched whole
    more = hits_from_rows(RULE, [connection(10 * MINUTE + 30_000, guid(9000 + n), 65, "rclone.exe") for n in range(300)])
    enricher(rules[RULE], more, window(searches))
    # the next window overlaps this one, and a retry of this one: every GUID is known
    enricher(rules[RULE], hits_from_rows(RULE, [connection(10 * MINUTE + n, g, s, i) for n, (g, s, i) in
                                                 enumerate(plan)]), window(searches, 10 * MINUTE, 12 * MINUTE))
    assert len(searches.aql) == 1 and enricher.correlator.searches == 1


def test_a_search_that_reaches_its_limit_asks_for_the_rest_by_guid(enricher, rules):
    enricher.correlator.pair_limit = 20
    creations = [creation(guid(n), 65) for n in range(60)]        # more than the pair search may read
    searches = Creations(creations)
    hits = hits_from_rows(RULE, [connection(10 * MINUTE + n, guid(n), 65) for n in range(0, 60, 3)])
    enricher(rules[RULE], hits, window(searches))
    assert len(searches.aql) == 2 and "logsourceid" not in searches.aql[1]
    assert all(h.enrichment["process"]["source"] == "correlated" for h in hits)


def test_hits_without_a_usable_log_source_or_image_are_searched_by_guid(enricher, rules):
    searches = Creations([creation(guid(1), 65, "bad\nimage.exe"), creation(guid(2), 65)])
    hits = hits_from_rows(RULE, [connection(10 * MINUTE, guid(1), 65, "bad\nimage.exe"),
                                 {**connection(10 * MINUTE + 1, guid(2), 65), "ew_logsourceid": None}])
    enricher(rules[RULE], hits, window(searches))
    (aql,) = searches.aql
    assert "bad\nimage" not in aql and "logsourceid" not in aql
    assert all(h.enrichment["process"]["source"] == "correlated" for h in hits)


def test_a_console_without_an_image_property_searches_by_guid(enricher, rules):
    searches = Creations([creation(guid(1), 65)])
    hits = hits_from_rows(RULE, [connection(10 * MINUTE, guid(1), 65)])
    no_image = {k: v for k, v in FIELDS.items() if k != "process_image"}
    enricher(rules[RULE], hits, WindowContext(Window(10 * MINUTE, 11 * MINUTE), no_image, searches, lambda: 1))
    (aql,) = searches.aql
    assert "logsourceid" not in aql and hits[0].enrichment["process"]["source"] == "correlated"


def test_searches_beyond_the_budget_are_deferred_and_re_enrichment_finishes_them(enricher, rules, store):
    """A window that would need more searches than the budget leaves the rest to re-enrichment: the hits say
    so (partial, with the reason), and retry_partial correlates them in one search, not one per hit."""
    enricher.correlator.max_searches = 1
    enricher.correlator.max_pairs = 2
    plan = [(guid(n), 65 + n % 4, "rclone.exe") for n in range(40)]          # 4 pairs: 2 searches needed
    searches = Creations([creation(g, s) for g, s, _ in plan])
    enricher.search_factory = searches
    enricher.fields_for = lambda rule: FIELDS
    hits = hits_from_rows(RULE, [connection(10 * MINUTE + n, g, s) for n, (g, s, _) in enumerate(plan)])
    enricher(rules[RULE], hits, window(searches))
    assert len(searches.aql) == 1
    deferred = [h for h in hits if h.enrichment["state"] == "partial"]
    assert len(deferred) == 20 and all(h.enrichment["process"]["source"] == "event" for h in deferred)
    assert all("deferred" in h.enrichment["errors"][0] and "re-enrichment" in h.enrichment["errors"][0]
               for h in deferred)
    (stored,) = store.ledger.plan(RULE, "hunt", [(10 * MINUTE, 11 * MINUTE)], 1)
    store.ledger.complete(stored.id, [h.as_row() for h in hits], rows=40, restarts=0, truncated=False, now_ms=2)

    assert enricher.retry_partial() == 20
    assert len(searches.aql) == 2                        # the 20 deferred hits: one search by GUID
    rows = store.hits.list(limit=100, suppressed=None)
    assert all(r["enrichment_state"] == "complete" for r in rows)
    assert all(r["enrichment"]["process"]["source"] == "correlated" for r in rows)
    assert enricher.retry_partial() == 0
