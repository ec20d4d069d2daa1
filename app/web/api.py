"""Read-only JSON API over the store: what the tab and outside tools read."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from . import health, runtime
from .present import present_hit

bp = Blueprint("api", __name__)


def _int_arg(name: str, default: int, *, low: int = 0, high: int = 10_000) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"{name} must be a whole number")
    if not low <= value <= high:
        abort(400, description=f"{name} must be between {low} and {high}")
    return value


@bp.get("/summary")
def summary():
    rt = runtime()
    counts = rt.store.hits.counts()
    return jsonify(counts | {"runs": rt.store.ledger.runs(limit=10)})


@bp.get("/hits")
def hits():
    rt = runtime()
    suppressed = {"true": True, "false": False, "all": None}.get(request.args.get("suppressed", "false"))
    return jsonify([present_hit(h) for h in rt.store.hits.list(
        rule_id=request.args.get("rule") or None, source_ip=request.args.get("source_ip") or None,
        suppressed=suppressed, limit=_int_arg("limit", 200, low=1, high=1000),
        offset=_int_arg("offset", 0, high=1_000_000))])


@bp.get("/hits/<int:hit_id>")
def hit(hit_id: int):
    found = runtime().store.hits.get(hit_id)
    if found is None:
        abort(404, description="no such hit")
    return jsonify(present_hit(found))


@bp.get("/rules")
def rules():
    rt = runtime()
    return jsonify([{"id": r.id, "name": r.name, "severity": r.severity, "confidence": r.confidence,
                     "enabled": rt.rule_enabled(r), "disabled_reason": rt.store.ledger.disabled_reason(r.id),
                     "checkpoint_ms": rt.store.ledger.checkpoint(r.id), "technique": r.subtechnique}
                    for r in rt.rules.values()])


@bp.get("/exceptions")
def exceptions():
    """The tuning exceptions in force (read-only here; editing is the admin page's) with what each suppressed,
    so an analyst can see why a hit is missing from the default view."""
    repository = runtime().exceptions
    counts = repository.suppression_counts()
    return jsonify([e.as_dict() | {"suppressed": counts.get(e.id, {})} for e in repository.list()])


@bp.get("/windows")
def windows():
    statuses = [s for s in request.args.get("status", "").split(",") if s] or None
    return jsonify(runtime().store.ledger.windows(request.args.get("rule") or None, statuses=statuses,
                                                  limit=_int_arg("limit", 500, low=1, high=5000)))


@bp.get("/banners")
def banners():
    """What every page shows above its content: rules failing, paused or disabled, and what to do."""
    return jsonify(health.banners(runtime()))


@bp.errorhandler(400)
@bp.errorhandler(404)
def json_error(error):
    return jsonify({"error": error.description}), error.code
