"""The enrichment repository: lookup cache with a time limit, destination history, partial hits."""
import pytest

from app.pipeline.hit import hits_from_rows
from app.store.enrichment import EnrichmentRepository


@pytest.fixture
def repo(store):
    return EnrichmentRepository(store.db)


def test_cache_answers_until_the_time_limit(repo):
    assert repo.cached("asset", "10.0.0.1", now_ms=0, ttl_s=60) == (False, None)
    repo.remember("asset", "10.0.0.1", {"owner": "A"}, now_ms=1_000)
    repo.remember("asset", "10.0.0.2", None, now_ms=1_000)            # "the console knows none" is cached too
    assert repo.cached("asset", "10.0.0.1", now_ms=61_000, ttl_s=60) == (True, {"owner": "A"})
    assert repo.cached("asset", "10.0.0.2", now_ms=61_000, ttl_s=60) == (True, None)
    assert repo.cached("asset", "10.0.0.1", now_ms=61_001, ttl_s=60) == (False, None)
    assert repo.cached("dns", "10.0.0.1", now_ms=1_000, ttl_s=60) == (False, None)


def test_history_keeps_the_first_contact_by_ip_or_name(repo):
    assert repo.record_contacts([("10.0.0.1", ["198.51.100.1", None], 500)]) == [500]
    # a later contact by name and IP finds the earlier one by IP; the same window again changes nothing
    assert repo.record_contacts([("10.0.0.1", ["198.51.100.1", "drop.example.net"], 900),
                                 ("10.0.0.1", ["198.51.100.1"], 500)]) == [500, 500]
    # by name alone the history knows only the name (names and IPs are not linked: a CDN address is shared)
    assert repo.record_contacts([("10.0.0.1", ["DROP.example.net"], 700)]) == [700]
    assert repo.record_contacts([("10.0.0.2", ["drop.example.net"], 800)]) == [800]   # another source
    assert repo.record_contacts([("10.0.0.1", [], 100)]) == [100]
    rows = {r["destination"]: (r["first_seen_ms"], r["last_seen_ms"]) for r in repo.history("10.0.0.1")}
    assert rows == {"198.51.100.1": (500, 900), "drop.example.net": (700, 900)}


def test_a_window_of_repeated_contacts_is_answered_from_all_of_them(repo):
    """A window's contacts are written once per (source, destination) pair and asked once per set of keys; every
    contact still gets the earliest time of the window's contacts from its source to any of its destinations,
    and the history the earliest and latest time of each pair."""
    window = [(f"10.0.0.{n % 3}", [f"198.51.100.{n % 2}", ("a.example", "B.example", None)[n % 3]], 1000 - 7 * n)
              for n in range(40)] + [("10.0.0.9", [None], 5)]
    pairs: dict = {}
    for source, destinations, at in window:
        for key in {d.lower() for d in destinations if d}:
            pairs.setdefault((source, key), []).append(at)
    expected = [min((at for (s, key), times in pairs.items() if s == source and key in {d.lower() for d in dests if d}
                     for at in times), default=t) for source, dests, t in window]
    assert repo.record_contacts(window) == expected
    for source in ("10.0.0.0", "10.0.0.1", "10.0.0.2"):
        assert {r["destination"]: (r["first_seen_ms"], r["last_seen_ms"]) for r in repo.history(source)} == \
            {key: (min(times), max(times)) for (s, key), times in pairs.items() if s == source}


def store_hits(store, enrichments):
    (window,) = store.ledger.plan("r", "hunt", [(0, 100)], 1)
    hits = hits_from_rows("r", [{"ew_time": i + 1, "ew_sourceip": "10.0.0.1", "ew_payload": str(i)}
                                for i in range(len(enrichments))])
    for hit, enrichment in zip(hits, enrichments):
        hit.enrichment = enrichment
    store.ledger.complete(window.id, [h.as_row() for h in hits], rows=len(hits), restarts=0, truncated=False, now_ms=2)
    return {h["event_time_ms"]: h["id"] for h in store.hits.list(suppressed=None)}


def test_partial_hits_and_their_update(store, repo):
    ids = store_hits(store, [{"state": "partial", "errors": ["asset: 503"]}, {"state": "complete"}, {},
                             {"state": "partial", "errors": ["dns"]}])
    assert [h["id"] for h in repo.partial_hits()] == [ids[1], ids[4]]
    assert repo.partial_count() == 2
    # still partial: the attempt is counted and the hit goes to the back of the queue
    repo.save_enrichment(ids[1], {"state": "partial", "errors": ["asset: 503 again"]}, 40, now_ms=10)
    assert [h["id"] for h in repo.partial_hits()] == [ids[4], ids[1]]
    assert repo.partial_hits(max_attempts=1)[0]["id"] == ids[4] and len(repo.partial_hits(max_attempts=1)) == 1
    repo.save_enrichment(ids[1], {"state": "complete", "errors": []}, 55, now_ms=11)
    stored = store.hits.get(ids[1])
    assert (stored["enrichment_state"], stored["risk_score"], stored["enrichment"]["state"]) == ("complete", 55, "complete")
    assert [h["id"] for h in repo.partial_hits()] == [ids[4]]
    assert store.db.query("SELECT COUNT(*) AS n FROM enrichment_retries")[0]["n"] == 0
