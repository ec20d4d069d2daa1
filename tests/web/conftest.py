"""The web layer over a real store on a temporary file; the rules are the shipped rule files."""
import pytest

from app import create_app
from app.detection.rule import load_rules
from app.pipeline.hit import hits_from_rows
from app.store import Store


class WebRuntime:
    """What the web layer reads of a Runtime: the store and the rules (no console behind it)."""
    def __init__(self, store, rules):
        self.store, self.rules = store, rules

    def rule_enabled(self, rule):
        return rule.enabled


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "w.db")
    yield s
    s.close()


@pytest.fixture
def web(store):
    return WebRuntime(store, load_rules())


@pytest.fixture
def client(web):
    return create_app(web).test_client()


def add_hits(store, rule_id, rows, *, start=0, end=10**13):
    """Stores rows (the rule's result columns) as one completed hunt window of rule_id; returns the hits' ids."""
    (window,) = store.ledger.plan(rule_id, "hunt", [(start, end)], 1)
    hits = [h.as_row() for h in hits_from_rows(rule_id, rows)]
    store.ledger.complete(window.id, hits, rows=len(rows), restarts=0, truncated=False, now_ms=2)
    return [h["id"] for h in store.hits.list(rule_id=rule_id, suppressed=None, limit=100000)]
