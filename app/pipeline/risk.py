"""The risk score of a hit, 0-100, and the reasons that built it.

Additive on purpose: an analyst can read every point and argue with it. The rule's severity and
confidence give the base; what enrichment found about the hit adds to or takes from it. The table is
documented in docs/enrichment.md; keep them together.
"""
from __future__ import annotations

SEVERITY_POINTS = {"low": 10, "medium": 20, "high": 30, "critical": 40}
CONFIDENCE_POINTS = {"low": 0, "medium": 5, "high": 10}
CREDENTIALS_POINTS = 15
PUBLIC_POINTS = 10
PRIVATE_POINTS = -10
SERVICE_POINTS = {"cloud-storage": 15, "file-sharing": 15, "mail": 5}
FIRST_TIME_POINTS = 10
RENAMED_POINTS = 20
CRITICALITY_POINTS = {"low": 0, "medium": 5, "high": 10, "very high": 15, "critical": 15}
ALLOWLIST_POINTS = -30
ALLOWLIST_FLOOR = -60          # several allowlists agreeing do not make a hit negative beyond this


def score(rule, enrichment: dict) -> dict:
    """{"score": 0-100, "reasons": [{"reason", "points"}]} from the rule and the enrichment so far."""
    reasons = []

    def add(reason: str, points: int):
        if points:
            reasons.append({"reason": reason, "points": points})

    add(f"rule severity {rule.severity}", SEVERITY_POINTS.get(rule.severity, 20))
    add(f"rule confidence {rule.confidence}", CONFIDENCE_POINTS.get(rule.confidence, 5))
    kinds = sorted({c["kind"] for c in enrichment.get("credentials") or []})
    if kinds:
        add(f"credentials exposed on the command line ({', '.join(kinds)})", CREDENTIALS_POINTS)
    tool = enrichment.get("tool") or {}
    if tool.get("renamed"):
        add(f"renamed binary ({tool.get('original_file_name')} running as {_file(tool.get('image'))})",
            RENAMED_POINTS)
    destination = enrichment.get("destination") or {}
    where = destination.get("hostname") or destination.get("ip")
    if destination.get("public") is True:
        add(f"public destination {where}", PUBLIC_POINTS)
    elif destination.get("public") is False:
        add(f"private destination {where}", PRIVATE_POINTS)
    service = destination.get("service")
    if service:
        add(f"{service['category']} service {service['name']}", SERVICE_POINTS.get(service["category"], 10))
    if destination.get("first_time"):
        add(f"first contact of this host with {where}", FIRST_TIME_POINTS)
    asset = enrichment.get("asset") or {}
    criticality = str(asset.get("criticality") or "").strip().lower()
    if criticality in CRITICALITY_POINTS:
        add(f"asset business criticality {asset['criticality']}", CRITICALITY_POINTS[criticality])
    allowlisted = enrichment.get("allowlisted") or []
    budget = ALLOWLIST_FLOOR
    for entry in allowlisted:
        points = max(ALLOWLIST_POINTS, budget)
        budget -= points
        add(f"allowlisted: {entry['field']} {entry['value']} in reference set {entry['reference_set']}", points)
    total = max(0, min(100, sum(r["points"] for r in reasons)))
    return {"score": total, "reasons": reasons}


def _file(path) -> str:
    return str(path or "?").replace("/", "\\").rsplit("\\", 1)[-1]
