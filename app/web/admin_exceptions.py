"""Tuning exceptions on the admin page: list, add, edit, expire, delete, history, and a form pre-filled from
a hit an analyst marked as a false positive. Validation is app/store/exception_spec.py's and audit
the repository's (app/store/exceptions.py); this maps its messages onto the form's fields."""
from __future__ import annotations

import ipaddress
import re

from flask import jsonify, request

from ..store.exception_spec import FIELDS, SPEC_KEYS, ExceptionError
from . import runtime
from .admin import Invalid, actor, body, bp
from .present import present_hit

_CONDITION = re.compile(r"^condition (\d+)")


def field_of(message: str) -> str:
    """The form field an ExceptionError message is about (its messages start with the part at fault)."""
    found = _CONDITION.match(message)
    if found:
        return f"conditions.{int(found.group(1)) - 1}"
    for key in sorted(SPEC_KEYS | {"conditions"}, key=len, reverse=True):
        if message.startswith(key) or message.startswith(f"{key} "):
            return "expires" if key == "expires_ms" else key
    if "expiry" in message:
        return "expires"
    if "already exists" in message:
        return "name"
    return "_"


def state(exception, now_ms: int) -> str:
    if exception.deleted_ms is not None:
        return "deleted"
    if not exception.enabled:
        return "disabled"
    if exception.expires_ms is not None and exception.expires_ms <= now_ms:
        return "expired"
    return "active"


def view(exception, counts: dict, now_ms: int) -> dict:
    return exception.as_dict() | {"suppressed": counts.get(exception.id, {"hits": 0, "pushed_down": 0, "total": 0}),
                                  "state": state(exception, now_ms)}


def spec_from(data: dict) -> dict:
    spec = {k: v for k, v in data.items() if k != "author"}   # the author is the signed-in administrator
    return spec


def _changed(call, *args, status=200, now_ms=None):
    rt = runtime()
    now_ms = rt.clock() if now_ms is None else now_ms
    try:
        exception = call(*args, actor=actor(), now_ms=now_ms)
    except ExceptionError as error:
        raise Invalid({field_of(str(error)): str(error)}) from None
    except KeyError as error:
        return jsonify({"error": str(error.args[0]) if error.args else "no such exception"}), 404
    return jsonify(view(exception, rt.exceptions.suppression_counts(), max(now_ms + 1, rt.clock()))), status


@bp.get("/api/admin/exceptions")
def list_exceptions():
    rt = runtime()
    counts, now = rt.exceptions.suppression_counts(), rt.clock()
    include_deleted = request.args.get("deleted") in ("1", "true")
    return jsonify({"exceptions": [view(e, counts, now) for e in rt.exceptions.list(include_deleted=include_deleted)],
                    "fields": {name: op for name, (op, _) in FIELDS.items()}, "rules": list(rt.rules)})


@bp.post("/api/admin/exceptions")
def create_exception():
    rt = runtime()
    data = body()
    return _changed(lambda spec, **kw: rt.exceptions.create(spec | {"author": kw["actor"]}, **kw),
                    spec_from(data), status=201)


@bp.put("/api/admin/exceptions/<int:exception_id>")
def edit_exception(exception_id: int):
    rt = runtime()
    return _changed(rt.exceptions.update, exception_id, spec_from(body()))


@bp.post("/api/admin/exceptions/<int:exception_id>/expire")
def expire_exception(exception_id: int):
    """Stops the exception from now on; it stays listed (expired) with its history and what it suppressed."""
    rt = runtime()
    # The repository refuses an expiry that is already past, so it is set one millisecond ahead.
    return _changed(lambda i, **kw: rt.exceptions.update(i, {"expires_ms": kw["now_ms"] + 1}, **kw), exception_id)


@bp.delete("/api/admin/exceptions/<int:exception_id>")
def delete_exception(exception_id: int):
    return _changed(runtime().exceptions.delete, exception_id)


@bp.get("/api/admin/exceptions/<int:exception_id>/history")
def exception_history(exception_id: int):
    rt = runtime()
    if rt.exceptions.get(exception_id) is None:
        return jsonify({"error": f"no exception {exception_id}"}), 404
    return jsonify(rt.exceptions.history(exception_id))


def _host(value) -> str | None:
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None


@bp.get("/api/admin/exceptions/from-hit/<int:hit_id>")
def exception_from_hit(hit_id: int):
    """A proposed exception built from a hit's values: every condition the hit offers, with the ones that
    describe "this tool, this user, this host, this destination" ticked. Nothing is saved."""
    hit = runtime().store.hits.get(hit_id)
    if hit is None:
        return jsonify({"error": f"no hit {hit_id}"}), 404
    shown = present_hit(hit)          # credentials masked: a pre-filled value must not carry a password
    enrichment = hit.get("enrichment") or {}
    tool = ((enrichment.get("tool") or {}).get("name")) if isinstance(enrichment.get("tool"), dict) else None
    destination = enrichment.get("destination") if isinstance(enrichment.get("destination"), dict) else {}
    image = (hit.get("process_image") or "").replace("/", "\\").rpartition("\\")[2] or None
    offered = [
        ("username", hit.get("username"), True),
        ("source_ip", _host(hit.get("source_ip")), True),
        ("tool", tool, bool(tool)),
        ("process_image", image, not tool and bool(image)),
        ("destination_domain", destination.get("hostname"), bool(destination.get("hostname"))),
        # A process event carries its own host as destination: not a destination worth an exception.
        ("destination_ip", None if hit.get("destination_ip") == hit.get("source_ip") else _host(hit.get("destination_ip")),
         not destination.get("hostname")),
        ("destination_port", hit.get("destination_port"), False),
    ]
    conditions = [{"field": f, "op": FIELDS[f][0], "value": v, "checked": bool(checked)}
                  for f, v, checked in offered if v not in (None, "", "-")]
    reason = str(hit.get("triage_reason") or "")   # the analyst's false-positive reason, when triaged so
    return jsonify({"hit": {"id": hit_id, "rule_id": hit.get("rule_id"), "command_line": shown.get("command_line"),
                            "source_ip": hit.get("source_ip"), "username": hit.get("username")},
                    "spec": {"name": f"False positive from hit {hit_id}", "rule_id": hit.get("rule_id"),
                             "reason": reason, "conditions": conditions}})
