"""Run health: what each rule's last runs and window ledger say, and the banners every page shows.

Error texts of runs can quote the rendered AQL (stored queries are admin-only data), so what leaves here for
every user is the kind of a problem and what to do about it, never the raw error.
"""
from __future__ import annotations

TOKEN_REFUSED = "console refused the token"
NO_TOKEN = "no console token"


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
        return {"state": "failing", "reason": f"the last run {last['status']}: {last['windows_failed']} window(s) "
                                              "failed and will be searched again",
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
