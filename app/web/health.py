"""Run health: what each rule's last runs and window ledger say, and the banners every page shows.

Error texts of runs can quote the rendered AQL (stored queries are admin-only data), so what leaves here for
every user is the kind of a problem, what to do about it, and the error's redacted text (`shown_error`), never
the raw error.
"""
from __future__ import annotations

import re

from ..store.redact import HIDDEN, public_error

TOKEN_REFUSED = "console refused the token"
NO_TOKEN = "no console token"


# public_error cuts a text where quoted AQL starts, found by keyword; a query quoted some other way (URL-encoded,
# a fragment with its literals) would get past it. So a text is shown to everyone only when it also is plain
# prose: no quote, operator or percent-escape, none of AQL's words. Anything else becomes the generic sentence.
_PLAIN = re.compile(r"[A-Za-z0-9 .,:;()/_-]{0,300}")
_AQL_WORDS = re.compile(r"(?i)\b(?:select|where|i?like|i?matches|incidr|referencesetcontains|order|group|having|"
                        r"limit|events|flows|union|utf8|qidname|logsourcename|categoryname|devicetypename)\b")


def shown_error(text: str | None) -> str | None:
    """A stored error as every user may read it: the redacted text if it is provably free of AQL, else None."""
    public = public_error(text)
    if not public:
        return None
    hidden = public.endswith(HIDDEN)
    body = public[:-len(HIDDEN)].rstrip() if hidden else public
    if not _PLAIN.fullmatch(body) or _AQL_WORDS.search(body):
        return None
    return f"{body} {HIDDEN}".strip() if hidden else body


def rule_state(runtime, rule) -> dict:
    """{"state": ok|failing|paused|disabled|off|never, "reason", "action"} for one rule."""
    store = runtime.store
    if not runtime.rule_enabled(rule):
        return {"state": "off", "reason": "turned off by an administrator", "action": ""}
    disabled = store.ledger.disabled_reason(rule.id)
    if disabled:
        return {"state": "disabled", "reason": disabled,
                "action": "Add the missing event properties on the console, or map them on the admin page."}
    runs = store.ledger.runs(rule.id, limit=1)
    if not runs:
        return {"state": "never", "reason": "no run yet", "action": ""}
    last = runs[0]
    error = last.get("error") or ""
    if TOKEN_REFUSED in error or NO_TOKEN in error:
        return {"state": "paused", "reason": "the console refused the app's token (revoked, expired or missing)",
                "action": "An administrator must authorize the app again or enter a new authorized service token "
                          "on the admin page; missed time is searched when it works again."}
    if last["status"] in ("failed", "partial"):
        said = shown_error(error)
        return {"state": "failing", "reason": f"the last run {last['status']}: {last['windows_failed']} window(s) "
                                              "failed and will be searched again" + (f" ({said})" if said else ""),
                "action": "Check the console's health and the Run health page; an administrator sees the error text."}
    return {"state": "ok", "reason": "", "action": ""}


def banners(runtime) -> list[dict]:
    out = []
    titles = {"failing": "Rule failing", "paused": "Rule paused", "disabled": "Rule disabled"}
    for rule in runtime.rules.values():
        state = rule_state(runtime, rule)
        if state["state"] in titles:
            out.append({"kind": "error" if state["state"] != "failing" else "warning", "rule_id": rule.id,
                        "title": f"{titles[state['state']]}: {rule.name}", "text": state["reason"] + ".",
                        "action": state["action"]})
    return out


WINDOW_STATUSES = ("done", "failed", "pending", "running", "split")


def public_window(window: dict) -> dict:
    """A ledger row as every user may see it: a failure's text can quote the rendered AQL, so it is replaced
    by its redacted text when that is plain prose (shown_error), else by what it means; the truncation note (no
    query in it) stays."""
    shown = {k: v for k, v in window.items() if k != "reason_public"}
    if shown.get("status") in ("failed", "pending", "running") and shown.get("reason"):
        said = shown_error(shown["reason"])
        shown["reason"] = (f"search failed ({shown.get('attempts', 0)} attempt(s)); searched again on the next run"
                           + (f": {said}" if said else ""))
    if shown.get("started_ms") and shown.get("finished_ms"):
        shown["duration_ms"] = shown["finished_ms"] - shown["started_ms"]
    return shown


def public_run(run: dict) -> dict:
    """A run as every user may see it: whether it had an error, and the error only as shown_error allows."""
    return ({k: v for k, v in run.items() if k not in ("error", "error_public")}
            | {"had_error": bool(run.get("error")), "error_public": shown_error(run.get("error"))})


def rule_health(runtime, rule, *, windows: int = 50) -> dict:
    """The ledger of one rule: window counts per status, time still owed, splits, durations, rows, last runs,
    next run (scheduled interval after the last scheduled run started)."""
    db = runtime.store.db
    by_status = {s: 0 for s in WINDOW_STATUSES}
    for row in db.query("SELECT status, COUNT(*) AS n FROM windows WHERE rule_id = ? GROUP BY status", (rule.id,)):
        by_status[row["status"]] = row["n"]
    (owed,) = db.query("SELECT COUNT(*) AS n, COALESCE(SUM(end_ms - start_ms), 0) AS ms, MIN(start_ms) AS oldest "
                       "FROM windows WHERE rule_id = ? AND status IN ('pending', 'running', 'failed')", (rule.id,))
    (done,) = db.query("SELECT COALESCE(SUM(rows), 0) AS rows, COALESCE(SUM(hits), 0) AS hits, "
                       "AVG(finished_ms - started_ms) AS avg_ms, MAX(finished_ms - started_ms) AS max_ms "
                       "FROM windows WHERE rule_id = ? AND status = 'done' AND started_ms IS NOT NULL", (rule.id,))
    runs = [public_run(r) for r in runtime.store.ledger.runs(rule.id, limit=10)]
    last_scheduled = next((r for r in runs if r["kind"] == "scheduled"), None)
    interval_ms = rule.schedule.interval_minutes * 60_000
    return {
        "rule_id": rule.id, "name": rule.name, "severity": rule.severity, **rule_state(runtime, rule),
        "checkpoint_ms": runtime.store.ledger.checkpoint(rule.id),
        "interval_minutes": rule.schedule.interval_minutes,
        "next_run_ms": last_scheduled["started_ms"] + interval_ms if last_scheduled else None,
        "windows_by_status": by_status, "splits": by_status["split"],
        "owed": {"windows": owed["n"], "ms": owed["ms"], "oldest_ms": owed["oldest"]},
        "rows": done["rows"], "hits": done["hits"],
        "duration_ms": {"avg": int(done["avg_ms"]) if done["avg_ms"] is not None else None, "max": done["max_ms"]},
        "runs": runs,
        "windows": [public_window(w) for w in runtime.store.ledger.windows(rule.id, limit=windows)],
    }
