"""Test-only admin API under /sim/ (no SEC; the stand-in only listens on loopback).

Admin errors are plain {"error": "..."} bodies with 400/404, so they can never be mistaken for the
console's own error shape in a test."""
import json

from .faults import FaultError
from .routing import Reply, Router

admin = Router()


def _bad(message):
    return Reply(400, {"error": message})


def _body(req):
    try:
        return req.json(), None
    except ValueError as exc:
        return None, _bad(str(exc))


@admin.add("GET", "/sim/info")
def info(req):
    return Reply(200, req.console.info())


@admin.add("POST", "/sim/events")
def add_events(req):
    try:
        text = req.body.decode("utf-8")
        events = [json.loads(line) for line in text.splitlines() if line.strip()]
    except (UnicodeDecodeError, ValueError) as exc:
        return _bad(f"body must be JSON Lines: {exc}")
    if not all(isinstance(e, dict) for e in events):
        return _bad("each line must be a JSON object")
    added = req.console.store.add(iter(events))
    return Reply(200, {"added": added, "events": len(req.console.store)})


@admin.add("DELETE", "/sim/events")
def discard_events(req):
    try:
        before = int(req.params["before"])
    except (KeyError, ValueError):
        return _bad("DELETE /sim/events needs before=<epoch ms>")
    discarded = req.console.store.discard_before(before)
    return Reply(200, {"discarded": discarded, "events": len(req.console.store)})


@admin.add("GET", "/sim/faults")
def list_faults(req):
    return Reply(200, req.console.faults.active())


@admin.add("GET", "/sim/faults/fired")
def fired_faults(req):
    return Reply(200, req.console.faults.fired())


@admin.add("POST", "/sim/faults")
def add_faults(req):
    body, error = _body(req)
    if error:
        return error
    try:
        added = req.console.faults.add(body)
    except FaultError as exc:
        return _bad(str(exc))
    return Reply(200, {"added": added, "faults": req.console.faults.active()})


@admin.add("DELETE", "/sim/faults")
def clear_faults(req):
    req.console.faults.clear()
    return Reply(200, {"faults": []})


@admin.add("GET", "/sim/config")
def get_config(req):
    return Reply(200, req.console.config.public())


@admin.add("POST", "/sim/config")
def set_config(req):
    body, error = _body(req)
    if error:
        return error
    try:
        req.console.config.update(body)
    except ValueError as exc:
        return _bad(str(exc))
    return Reply(200, req.console.config.public())


@admin.add("GET", "/sim/requests")
def list_requests(req):
    return Reply(200, req.console.requests.all())


@admin.add("DELETE", "/sim/requests")
def clear_requests(req):
    req.console.requests.clear()
    return Reply(200, [])


@admin.add("GET", "/sim/syslog")
def list_syslog(req):
    return Reply(200, req.console.intake.messages())


@admin.add("GET", "/sim/offense_rules")
def get_rules(req):
    return Reply(200, req.console.rules.get())


@admin.add("POST", "/sim/offense_rules")
def set_rules(req):
    body, error = _body(req)
    if error:
        return error
    try:
        return Reply(200, req.console.rules.set(body))
    except ValueError as exc:
        return _bad(str(exc))


@admin.add("POST", "/sim/assets")
def add_assets(req):
    body, error = _body(req)
    if error:
        return error
    try:
        added = req.console.assets.add(body)
    except ValueError as exc:
        return _bad(str(exc))
    return Reply(200, {"added": added})


@admin.add("POST", "/sim/dns")
def add_dns(req):
    body, error = _body(req)
    if error:
        return error
    if not isinstance(body, dict):
        return _bad('body is {"<ip>": "<hostname>", ...}')
    req.console.dns.set_names(body)
    return Reply(200, {"added": len(body)})
