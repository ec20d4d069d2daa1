"""Fault injection: route faults (error status, latency, dropped connection, garbage body) and search faults.

Faults come from `--faults FILE` (a JSON list) at start and from POST /sim/faults at run time.
A fault with `count` N applies to the next N matching calls, then retires; `count: -1` never retires.
Every application is counted (GET /sim/faults/fired), so a test can prove the faults it armed really fired.
"""
import collections
import fnmatch
import threading

SEARCH_KINDS = ("search_error", "search_vanish", "search_stall")
ROUTE_ACTIONS = ("status", "latency_ms", "drop", "garbage", "truncate")


class FaultError(ValueError):
    """A fault definition that cannot be applied (reported as 400 by the admin API)."""


def _validate(fault):
    if not isinstance(fault, dict):
        raise FaultError("a fault is a JSON object")
    fault = dict(fault)
    fault.setdefault("count", 1)
    if not isinstance(fault["count"], int) or fault["count"] == 0 or fault["count"] < -1:
        raise FaultError("count must be a positive integer, or -1 for unlimited")
    kind = fault.get("kind")
    if kind in SEARCH_KINDS or kind == "revoke_token":
        return fault
    if kind is not None:
        raise FaultError(f"unknown fault kind {kind!r}")
    route = fault.get("route")
    if not isinstance(route, str) or " " not in route.strip():
        raise FaultError('a route fault needs "route": "METHOD /path" (templates like {id} and * allowed)')
    actions = [k for k in ROUTE_ACTIONS if fault.get(k) not in (None, False)]
    if "garbage" in actions and "status" in actions:
        actions.remove("status")   # garbage may carry its own HTTP status (default 200)
    if len(actions) != 1:
        raise FaultError("a route fault needs exactly one of status, latency_ms, drop, garbage, truncate")
    if "garbage" in fault:
        if not isinstance(fault["garbage"], str):
            raise FaultError("garbage is the raw text the console answers instead of JSON")
        try:   # latin-1 turns "\u00e9" into the byte 0xE9: a body that is not UTF-8
            fault["garbage"].encode(fault.setdefault("encoding", "utf-8"))
        except (LookupError, UnicodeError) as exc:
            raise FaultError(f"garbage cannot be encoded as {fault['encoding']!r}: {exc}")
        fault.setdefault("status", 200)
    elif "truncate" in fault:
        if not isinstance(fault["truncate"], int) or isinstance(fault["truncate"], bool) or fault["truncate"] < 0:
            raise FaultError("truncate is how many bytes of the real answer are sent (0 or more)")
    elif "status" in fault:
        fault.setdefault("code", 1010 if fault["status"] == 503 else 1020)
    return fault


def action(fault):
    """The fault's kind as counted by /sim/faults/fired: the search kind, or the route action."""
    if fault.get("kind"):
        return fault["kind"]
    return next(k for k in ("garbage", "truncate", "drop", "latency_ms", "status") if fault.get(k) not in (None, False))


def route_matches(pattern, method, template, path):
    """`GET /api/ariel/searches/{id}` matches by route template; `*` patterns match the real path."""
    p_method, p_path = pattern.strip().split(None, 1)
    if p_method != "*" and p_method.upper() != method.upper():
        return False
    p_path = p_path.strip().rstrip("/") or "/"
    return p_path == template or fnmatch.fnmatchcase(path.rstrip("/") or "/", p_path)


class FaultInjector:
    def __init__(self, on_revoke_token):
        self._lock = threading.Lock()
        self._faults = []
        self._fired = collections.Counter()
        self._on_revoke_token = on_revoke_token   # revoke_token acts at once instead of waiting in a queue

    def add(self, faults):
        faults = faults if isinstance(faults, list) else [faults]
        checked = [_validate(f) for f in faults]   # all or nothing
        with self._lock:
            for fault in checked:
                if fault.get("kind") == "revoke_token":
                    self._on_revoke_token()
                else:
                    self._faults.append(fault)
        return len(checked)

    def clear(self):
        """Disarms every fault and resets the fired counts."""
        with self._lock:
            self._faults.clear()
            self._fired.clear()

    def fired(self):
        with self._lock:
            return {"total": sum(self._fired.values()), "by_kind": dict(self._fired)}

    def active(self):
        with self._lock:
            return [dict(f) for f in self._faults]

    def _consume(self, matches):
        with self._lock:
            for fault in self._faults:
                if matches(fault):
                    self._fired[action(fault)] += 1
                    if fault["count"] > 0:
                        fault["count"] -= 1
                        if fault["count"] == 0:
                            self._faults.remove(fault)
                    return dict(fault)
        return None

    def take_route_fault(self, method, template, path):
        """The first live route fault for this call, consumed; None when the call runs normally."""
        return self._consume(lambda f: "route" in f and route_matches(f["route"], method, template, path))

    def take_search_fault(self):
        """For a new search: one of SEARCH_KINDS, or None."""
        fault = self._consume(lambda f: f.get("kind") in SEARCH_KINDS)
        return fault["kind"] if fault else None
