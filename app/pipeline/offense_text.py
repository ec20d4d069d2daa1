"""What an offense group says to QRadar: the LEEF attributes of its event and the text of its offense note.

Both read the hits' enrichment (the schema in docs/architecture.md's contract: tool, destination, risk,
credentials masked, asset ...), any key of which may be missing. Neither ever writes a raw command line:
only the enrichment's masked one, because the raw line may hold the very password the rule found.
"""
from __future__ import annotations

import math
from datetime import datetime, timezone

from .credentials import mask
from .safe_text import escape

DEFAULT_EVENT_ID = "T1048.002"
LEEF_CATEGORY = "Exfiltration"
DEV_TIME_FORMAT = "MMM dd yyyy HH:mm:ss.SSS zzz"     # Java pattern QRadar reads devTime with
RULE_SEVERITY_TO_SEV = {"low": 3, "medium": 5, "high": 7, "critical": 9}
NOTE_MAX_CHARS = 4000
NOTE_GROUP_MAX_CHARS = 1600
NOTE_HIT_LINKS = 5


def hit_link(base_url: str, hit_id: int) -> str:
    """The app's page for one hit (the tab opens it from the hash)."""
    return f"{base_url}/#hit-{int(hit_id)}"


def tool_name(enrichment: dict, process_image: str | None) -> str | None:
    tool = enrichment.get("tool") or {}
    if tool.get("name"):
        return str(tool["name"])
    if process_image:
        return str(process_image).replace("/", "\\").rsplit("\\", 1)[-1] or None
    return None


def hit_risk(hit: dict) -> int | None:
    if hit.get("risk_score") is not None:
        return int(hit["risk_score"])
    score = (hit.get("enrichment", {}).get("risk") or {}).get("score")
    return int(score) if isinstance(score, (int, float)) else None


def leef_severity(group: dict, hits: list[dict], rule_severities: dict[str, str]) -> int:
    """LEEF sev 1-10: the group's highest risk / 10 (rounded up), else its rules' severity, else 5."""
    risks = [r for r in (hit_risk(h) for h in hits) if r is not None]
    if risks:
        return max(1, min(10, math.ceil(max(risks) / 10)))
    sevs = [RULE_SEVERITY_TO_SEV[rule_severities[r]] for r in group["rule_ids"]
            if rule_severities.get(r) in RULE_SEVERITY_TO_SEV]
    return max(sevs) if sevs else 5


def group_event_id(hits: list[dict]) -> str:
    attack = hits[0].get("enrichment", {}).get("attack") or {} if hits else {}
    return str(attack.get("subtechnique") or DEFAULT_EVENT_ID)


def _dev_time(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, timezone.utc)
    return moment.strftime("%b %d %Y %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


def _rules_in(hits: list[dict]) -> list[str]:
    seen = []
    for hit in hits:
        if hit["rule_id"] not in seen:
            seen.append(hit["rule_id"])
    return seen


def _destination(hit: dict | None) -> str | None:
    if hit is None:
        return None
    destination = hit.get("enrichment", {}).get("destination") or {}
    return destination.get("hostname") or hit.get("destination_ip")


def _network_hit(hits: list[dict]) -> dict | None:
    """The most telling hit with a real remote end: process events carry the host's own address (or none)
    as destination, which says nothing about where data went."""
    for hit in hits:
        d = hit.get("enrichment", {}).get("destination") or {}
        if d.get("hostname") or (d.get("ip") and d.get("ip") != hit.get("source_ip")):
            return hit
    for hit in hits:
        if hit.get("destination_ip") and hit["destination_ip"] != hit.get("source_ip") and hit.get("destination_port"):
            return hit
    return None


def _process_hit(hits: list[dict]) -> dict:
    for hit in hits:
        if (hit.get("enrichment", {}).get("tool") or {}).get("name") or hit.get("process_image"):
            return hit
    return hits[0]


def group_attributes(group: dict, hits: list[dict], hit_count: int, severity: int, base_url: str) -> dict:
    """The stable LEEF attributes of a group's event (docs/offenses.md lists them for the DSM mapping).
    `hits` are the group's live hits, the most telling (highest risk) first."""
    top, net, proc = hits[0], _network_hit(hits), _process_hit(hits)
    risks = [r for r in (hit_risk(h) for h in hits) if r is not None]
    asset = next((h["enrichment"]["asset"] for h in hits if (h.get("enrichment") or {}).get("asset")), None) or {}
    protocol = next((h["enrichment"]["protocol"] for h in hits if (h.get("enrichment") or {}).get("protocol")
                     not in (None, "unknown")), None)
    return {
        "devTime": _dev_time(group["first_event_ms"]),
        "devTimeFormat": DEV_TIME_FORMAT,
        "src": group["source_ip"],
        "usrName": group["username"] or top.get("username"),
        "dst": net and net.get("destination_ip"),
        "dstPort": net and net.get("destination_port"),
        "proto": "TCP" if net and net.get("destination_port") else None,
        "sev": severity,
        "cat": LEEF_CATEGORY,
        "identHostName": asset.get("hostname"),
        "exfilwatchRule": ",".join(_rules_in(hits)),
        "exfilwatchRisk": max(risks) if risks else None,
        "exfilwatchTool": tool_name(proc.get("enrichment") or {}, proc.get("process_image")),
        "exfilwatchProtocol": protocol,
        "exfilwatchDestination": _destination(net),
        "exfilwatchHits": hit_count,
        "exfilwatchGroup": group["group_key"],
        "exfilwatchLink": hit_link(base_url, top["id"]),
    }


# -- the offense note ---------------------------------------------------------------------------------
def _utc(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _one_line(value) -> str:
    """Telemetry as one line of a note: blanks folded, controls and bidi/zero-width characters made visible
    (app/pipeline/safe_text.py); no note holds more than NOTE_MAX_CHARS of it, so longer input is not read."""
    return escape(" ".join(str(value)[:NOTE_MAX_CHARS].split()))


def _group_section(group: dict, hits: list[dict], count: int, base_url: str) -> str:
    top = hits[0]
    e = top.get("enrichment") or {}
    lines = [f"Group {group['group_key']}: {count} hit(s) {_utc(group['first_event_ms'])} to "
             f"{_utc(group['last_event_ms'])}, user {_one_line(group['username'] or top.get('username') or '?')}"]
    rule_counts = {}
    for hit in hits:
        rule_counts[hit["rule_id"]] = rule_counts.get(hit["rule_id"], 0) + 1
    lines.append("Rules: " + ", ".join(f"{r} ({n})" for r, n in rule_counts.items()))
    risk = e.get("risk") or {}
    if hit_risk(top) is not None:
        reasons = ", ".join(f"{_one_line(r.get('reason'))} (+{r.get('points')})" for r in risk.get("reasons") or [])
        lines.append(f"Risk: {hit_risk(top)}/100" + (f": {reasons}" if reasons else ""))
    if e.get("indicators"):
        lines.append("Why it fired: " + "; ".join(_one_line(i) for i in e["indicators"]))
    proc = _process_hit(hits)
    tool = (proc.get("enrichment") or {}).get("tool") or {}
    name = tool_name(proc.get("enrichment") or {}, proc.get("process_image"))
    if name:
        image = tool.get("image") or proc.get("process_image")
        extra = [f"image {_one_line(image)}"] if image and image != name else []
        if tool.get("renamed"):
            extra.append(f"renamed from {_one_line(tool.get('original_file_name') or '?')}")
        lines.append(f"Tool: {_one_line(name)}" + (f" ({', '.join(extra)})" if extra else ""))
    if e.get("protocol"):
        lines.append(f"Protocol: {_one_line(e['protocol'])}")
    net = _network_hit(hits)
    lines.append("Destination: " + (_destination_text(net) if net else "not seen (no network event in the group)"))
    credentials = []
    for hit in hits:
        for credential in (hit.get("enrichment") or {}).get("credentials") or []:
            masked = _one_line(credential.get("masked") or "")
            if masked and masked not in credentials:
                credentials.append(masked)
    if credentials:
        lines.append("Credentials on the command line (masked): " + ", ".join(credentials))
    masked_line = next((h["enrichment"]["command_line_masked"] for h in hits
                        if (h.get("enrichment") or {}).get("command_line_masked")), None)
    if masked_line:   # masked again: a hit enriched by an older version was masked with fewer table rows
        lines.append(f"Command line (credentials masked): {_one_line(mask(masked_line[:NOTE_MAX_CHARS]))[:400]}")
    asset = next((h["enrichment"]["asset"] for h in hits if (h.get("enrichment") or {}).get("asset")), None)
    if asset:
        lines.append("Asset: " + ", ".join(f"{k} {_one_line(asset[k])}" for k in ("hostname", "owner", "criticality")
                                           if asset.get(k)))
    if e.get("state") == "partial":
        lines.append("Enrichment incomplete: " + "; ".join(_one_line(x) for x in e.get("errors") or []))
    links = [hit_link(base_url, h["id"]) for h in hits[:NOTE_HIT_LINKS]]
    more = f" (+{count - len(links)} more)" if count > len(links) else ""
    lines.append("Hits: " + " ".join(links) + more)
    text = "\n".join(lines)
    return text if len(text) <= NOTE_GROUP_MAX_CHARS else text[:NOTE_GROUP_MAX_CHARS - 4] + " ..."


def _destination_text(hit: dict) -> str:
    d = hit.get("enrichment", {}).get("destination") or {}
    ip, port = d.get("ip") or hit.get("destination_ip"), d.get("port") or hit.get("destination_port")
    where = f"{ip}:{port}" if ip and port else (ip or "?")
    parts = [f"{_one_line(d['hostname'])} ({where})" if d.get("hostname") else where]
    service = d.get("service") or {}
    if service.get("name"):
        parts.append(f"service {_one_line(service['name'])} ({_one_line(service.get('category') or '?')})")
    if d.get("public") is not None:
        parts.append("public" if d["public"] else "internal")
    if d.get("first_time"):
        parts.append("first time from this host")
    return ", ".join(parts)


def note_text(details: list[tuple[dict, list[dict], int]], base_url: str, *, marker: str) -> str:
    """One note for the groups of one offense: `details` = (group, its live hits best first, live count).
    Ends with `marker` and the group keys, which is how a later dispatch recognises the note as written."""
    source = details[0][0]["source_ip"]
    head = f"ExfilWatch: possible exfiltration over an encrypted protocol (T1048.002) from {source}"
    tail = f"{marker} {', '.join(g['group_key'] for g, _, _ in details)}"
    body, room = [], NOTE_MAX_CHARS - len(head) - len(tail) - 4
    for group, hits, count in details:
        section = _group_section(group, hits, count, base_url) if hits else f"Group {group['group_key']}: " \
                  "its hits were suppressed after it was sent"
        if len(section) + 2 > room:
            body.append(f"(+{len(details) - len(body)} more group(s): see the app)")
            break
        body.append(section)
        room -= len(section) + 2
    return "\n\n".join([head, *body, tail])
