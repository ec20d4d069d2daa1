"""What the web layer shows of a stored hit: credentials on the command line are masked everywhere they
appear (the command line, the raw payload, the rule's display columns, the parent command line), because
anyone with the tab open would otherwise read the passwords an attacker typed. The store keeps the event as
the console returned it. Everything here is data for the browser, which renders it as text only."""
from __future__ import annotations

from ..pipeline.tools import mask
from ..store.offenses import OffenseGroups
from .pivot import log_activity_pivot


def present_hit(hit: dict) -> dict:
    shown = dict(hit)
    shown["command_line"] = mask(hit.get("command_line"))
    shown["payload"] = mask(hit.get("payload"))
    shown["fields"] = {k: mask(v) if isinstance(v, str) else v for k, v in (hit.get("fields") or {}).items()}
    enrichment = dict(hit.get("enrichment") or {})
    # Masked again with today's table: a hit enriched by an older version was masked with fewer rows.
    if isinstance(enrichment.get("command_line_masked"), str):
        enrichment["command_line_masked"] = mask(enrichment["command_line_masked"])
    if isinstance(enrichment.get("process"), dict):
        process = dict(enrichment["process"])
        for key in ("command_line", "parent_command_line"):
            if isinstance(process.get(key), str):
                process[key] = mask(process[key])
        enrichment["process"] = process
    shown["enrichment"] = enrichment
    return shown


def _rule_facts(rule_id: str, rules: dict) -> dict:
    rule = rules.get(rule_id)
    return {"rule_name": rule.name if rule else rule_id, "severity": rule.severity if rule else None}


def hit_row(hit: dict, rules: dict) -> dict:
    """One line of the hits table (and of the CSV): no payload, fields or enrichment JSON."""
    return {"id": hit["id"], "event_time_ms": hit["event_time_ms"], "rule_id": hit["rule_id"],
            **_rule_facts(hit["rule_id"], rules), "risk_score": hit.get("risk_score"),
            "source_ip": hit.get("source_ip"), "host_name": hit.get("host_name"), "username": hit.get("username"),
            "tool": hit.get("tool"), "destination": hit.get("destination") or hit.get("destination_ip"),
            "destination_port": hit.get("destination_port"), "process_image": hit.get("process_image"),
            "command_line": mask(hit.get("command_line")), "status": hit.get("status"),
            "suppressed": bool(hit.get("suppressed")), "exception_id": hit.get("exception_id"),
            "triage_by": hit.get("triage_by"), "triage_ms": hit.get("triage_ms")}


def hit_detail(hit: dict, rt) -> dict:
    """Everything the detail view shows: the hit, its rule and guide, triage history, the other hits of the
    same process, the offense it joined and the Log Activity pivot."""
    store, rules = rt.store, rt.rules
    shown = present_hit(hit)
    rule = rules.get(hit["rule_id"])
    shown["rule"] = None if rule is None else {
        "id": rule.id, "name": rule.name, "severity": rule.severity, "confidence": rule.confidence,
        "technique": rule.subtechnique,
        "guide": {"triage": list(rule.guide.triage), "false_positives": list(rule.guide.false_positives),
                  "response": list(rule.guide.response)}}
    shown["triage_history"] = store.hits.triage_history(hit["id"])
    shown["same_process"] = [hit_row(h, rules) | {"event_id": h.get("event_id")} for h in store.hits.same_process(hit)]
    group_id = hit.get("offense_group_id")
    group = OffenseGroups(store.db).get(group_id) if group_id else None
    shown["offense"] = None if group is None else {
        "group_id": group["id"], "status": group["status"], "offense_id": group.get("offense_id"),
        "hit_count": group["hit_count"], "grouping": group["grouping"], "sent_ms": group.get("sent_ms"),
        "first_event_ms": group["first_event_ms"], "last_event_ms": group["last_event_ms"]}
    shown["pivot"] = log_activity_pivot(hit)
    return shown
