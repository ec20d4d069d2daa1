"""JSON API over the store: summaries, rules, exceptions, the window ledger, banners (hits: hits_api.py;
overview and run health: overview.py)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from . import health, runtime
from .hits_api import int_arg

bp = Blueprint("api", __name__)


@bp.get("/summary")
def summary():
    rt = runtime()
    counts = rt.store.hits.counts()
    # Run errors can quote the rendered AQL (admin-only data): the run health page says what failed instead.
    runs = [health.public_run(run) for run in rt.store.ledger.runs(limit=10)]
    return jsonify(counts | {"runs": runs})


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
    return jsonify([health.public_window(w) for w in runtime().store.ledger.windows(
        request.args.get("rule") or None, statuses=statuses, limit=int_arg("limit", low=1, high=5000) or 500)])


@bp.get("/banners")
def banners():
    """What every page shows above its content: rules failing, paused or disabled, and what to do."""
    return jsonify(health.banners(runtime()))


def init_app(app) -> None:
    """Errors under /api/ answer JSON ({"error": message}) so that api.js can show the message."""
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(HTTPException)
    def json_error(error):
        if request.path.startswith("/api/"):
            response = jsonify({"error": error.description})
            response.status_code = error.code
            return response
        return error
