"""The tab's overview and run-health API: counts, the hits-over-time series, top values, offenses, rule health."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify

from ..store.offenses import OffenseGroups
from . import health, runtime
from .pivot import offense_url

bp = Blueprint("overview", __name__)

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
BUCKETS = (HOUR_MS, 6 * HOUR_MS, DAY_MS, 7 * DAY_MS)
MAX_BUCKETS = 90


def _bucket(span_ms: int) -> int:
    return next((b for b in BUCKETS if span_ms / b <= MAX_BUCKETS), BUCKETS[-1])


@bp.get("/overview")
def overview():
    rt = runtime()
    hits = rt.store.hits
    now = rt.clock()
    counts = {name: hits.counts_since(now - days * DAY_MS) for name, days in (("24h", 1), ("7d", 7), ("30d", 30))}
    totals = hits.counts()
    counts["all"] = {"hits": totals["hits"], "suppressed": totals["suppressed"]}
    span = hits.span()
    series = {"bucket_ms": None, "points": []}
    if span:
        # The chart covers the stored hits themselves (retention bounds them), bucketed to at most 90 bars.
        bucket = _bucket(span[1] - span[0] + 1)
        start = span[0] - span[0] % bucket
        series = {"bucket_ms": bucket, "points": hits.series(start, span[1] + 1, bucket)}
    groups = OffenseGroups(rt.store.db)
    offenses = [{"group_id": g["id"], "status": g["status"], "offense_id": g.get("offense_id"),
                 "offense_url": offense_url(g["offense_id"]) if g.get("offense_id") else None,
                 "source_ip": g.get("source_ip"), "username": g.get("username"), "tool": g.get("tool"),
                 "destination": g.get("destination"), "hit_count": g["hit_count"], "max_risk": g.get("max_risk"),
                 "first_event_ms": g["first_event_ms"], "last_event_ms": g["last_event_ms"],
                 "rule_ids": g["rule_ids"]} for g in groups.list(limit=10)]
    rules = [{"rule_id": r.id, "name": r.name, "severity": r.severity, **health.rule_state(rt, r),
              "last_run": next((health.public_run(run) for run in rt.store.ledger.runs(r.id, limit=1)), None)}
             for r in rt.rules.values()]
    return jsonify({"now_ms": now, "counts": counts, "series": series, "top": hits.top(limit=5),
                    "offenses": {"counts": groups.counts(), "recent": offenses}, "rules": rules})


@bp.get("/health")
def run_health():
    rt = runtime()
    return jsonify([health.rule_health(rt, r) for r in rt.rules.values()])


@bp.get("/health/<rule_id>")
def rule_health(rule_id: str):
    rt = runtime()
    rule = rt.rules.get(rule_id)
    if rule is None:
        abort(404, description=f"no rule {rule_id!r}")
    return jsonify(health.rule_health(rt, rule, windows=500))


@bp.get("/facets")
def facets():
    """Values offered in the hits filters: the most frequent hosts, users, tools and destinations, and the rules."""
    rt = runtime()
    return jsonify({**rt.store.hits.top(limit=50),
                    "rules": [{"id": r.id, "name": r.name, "severity": r.severity} for r in rt.rules.values()]})
