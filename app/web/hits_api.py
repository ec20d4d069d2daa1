"""The hits API of the tab: filtered, sorted, keyset-paged list; CSV export; one hit's detail; triage.

Filters (query string, all optional): since, until (epoch ms), rule (ids, comma-separated), severity (rule
severities, comma-separated), risk_min, risk_max, host (source IP or host name), user, tool, destination
(host name or IP), status (triage states, comma-separated), suppressed (false | true | all; default false),
q (text in the masked command line). Order: sort (time | risk | rule | host | user | tool | destination |
status), order (desc | asc). Paging: limit (1-500) and cursor (the `next` of the previous page).
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request, stream_with_context

from ..store.hit_query import SORTS, TRIAGE_STATES, HitFilter, QueryError
from ..store.hits import TRIAGE_ACTIONS
from . import runtime
from .csv_export import CSV_COLUMNS, csv_lines
from .auth import AuthError, current_user, viewer_is_admin
from .present import hit_detail, hit_row

bp = Blueprint("hits_api", __name__)

MAX_REASON = 1000


def int_arg(name: str, *, low: int, high: int) -> int | None:
    """A whole-number query argument within [low, high], None when absent; anything else is a 400."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"{name} must be a whole number, not {raw[:40]!r}")
    if not low <= value <= high:
        abort(400, description=f"{name} must be between {low} and {high}")
    return value


def _list(name: str) -> list[str] | None:
    values = [v.strip() for v in request.args.get(name, "").split(",") if v.strip()]
    return values or None


def _text(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    if len(value) > 200:
        abort(400, description=f"{name} is limited to 200 characters")
    return value or None


def hit_filter() -> HitFilter:
    """The HitFilter of this request's query string; a bad value is a 400 naming the parameter."""
    rules = runtime().rules
    rule_ids = _list("rule")
    if rule_ids:
        unknown = [r for r in rule_ids if r not in rules]
        if unknown:
            abort(400, description=f"rule: no rule {unknown[0]!r}")
    severities = _list("severity")
    if severities:
        known = {r.severity for r in rules.values()} | {"low", "medium", "high", "critical"}
        bad = [s for s in severities if s not in known]
        if bad:
            abort(400, description=f"severity must be low, medium, high or critical, not {bad[0]!r}")
        by_severity = [r.id for r in rules.values() if r.severity in severities]
        rule_ids = [r for r in rule_ids if r in by_severity] if rule_ids else by_severity
    suppressed_arg = request.args.get("suppressed", "false")
    if suppressed_arg not in ("true", "false", "all"):
        abort(400, description="suppressed must be true, false or all")
    statuses = _list("status")
    if statuses and any(s not in TRIAGE_STATES for s in statuses):
        abort(400, description=f"status must be among {', '.join(TRIAGE_STATES)}")
    return HitFilter(
        since_ms=int_arg("since", low=0, high=10**14), until_ms=int_arg("until", low=0, high=10**14),
        rule_ids=rule_ids, risk_min=int_arg("risk_min", low=0, high=100), risk_max=int_arg("risk_max", low=0, high=100),
        host=_text("host"), user=_text("user"), tool=_text("tool"), destination=_text("destination"),
        statuses=statuses, suppressed={"true": True, "false": False, "all": None}[suppressed_arg], text=_text("q"))


def _order() -> tuple[str, bool]:
    sort = request.args.get("sort", "time")
    if sort not in SORTS:
        abort(400, description=f"sort must be one of {', '.join(SORTS)}")
    order = request.args.get("order", "desc")
    if order not in ("asc", "desc"):
        abort(400, description="order must be asc or desc")
    return sort, order == "desc"


@bp.get("/hits")
def hits():
    rt = runtime()
    flt = hit_filter()
    sort, descending = _order()
    limit = int_arg("limit", low=1, high=500) or 50
    try:
        items, next_cursor = rt.store.hits.page(flt, sort=sort, descending=descending,
                                                cursor=request.args.get("cursor") or None, limit=limit)
        count, more = rt.store.hits.count(flt) if not request.args.get("cursor") else (None, None)
    except QueryError as error:
        abort(400, description=str(error))
    return jsonify({"items": [hit_row(h, rt.rules) for h in items], "next": next_cursor,
                    "count": count, "count_is_lower_bound": more})


@bp.get("/hits.csv")
def hits_csv():
    rt = runtime()
    flt = hit_filter()
    sort, descending = _order()
    try:
        rows = rt.store.hits.iterate(flt, sort=sort, descending=descending)
        first = next(rows, None)   # a bad filter fails here, before the 200 is sent
    except QueryError as error:
        abort(400, description=str(error))

    def everything():
        if first is not None:
            yield first
            yield from rows

    response = Response(stream_with_context(csv_lines(everything(), rt.rules)), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="exfilwatch-hits.csv"'
    response.headers["X-Columns"] = ",".join(CSV_COLUMNS)
    return response


@bp.get("/hits/<int:hit_id>")
def hit(hit_id: int):
    rt = runtime()
    found = rt.store.hits.get(hit_id)
    if found is None:
        abort(404, description=f"no hit {hit_id} (it may have been purged by retention)")
    return jsonify(detail_for_viewer(found, rt))


@bp.post("/hits/<int:hit_id>/triage")
def triage(hit_id: int):
    rt = runtime()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="send a JSON object: {\"action\": ..., \"reason\": ...}")
    action = body.get("action")
    if action not in TRIAGE_ACTIONS:
        abort(400, description=f"action must be one of {', '.join(TRIAGE_ACTIONS)}")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        abort(400, description="reason must be text")
    reason = (reason or "").strip() or None
    if action == "false_positive" and not reason:
        abort(400, description="a false positive needs a reason (what makes this activity legitimate)")
    if reason and len(reason) > MAX_REASON:
        abort(400, description=f"reason is limited to {MAX_REASON} characters")
    try:
        updated = rt.store.hits.triage(hit_id, action, actor=current_actor(), now_ms=rt.clock(), reason=reason)
    except KeyError:
        abort(404, description=f"no hit {hit_id}")
    return jsonify(detail_for_viewer(updated, rt))


def detail_for_viewer(hit: dict, rt) -> dict:
    """The detail view, with whether this viewer may turn the hit into an exception: the page offers the admin
    page's link only then. Asked here, not by the page calling /api/admin/me, whose 403 for every analyst
    would be an error in each analyst's browser console. The admin page checks again on its own."""
    return hit_detail(hit, rt) | {"viewer_is_admin": viewer_is_admin()}


def current_actor() -> str:
    """Who did it: the signed-in console user (auth.current_user, cached per session), else "local" (the
    demo without a console session, or a console whose user lookup is unavailable)."""
    try:
        return current_user().name
    except AuthError:
        return "local"

