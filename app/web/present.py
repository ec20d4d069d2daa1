"""What the web layer shows of a stored hit: credentials on the command line are masked everywhere they
appear (the command line, the raw payload, the rule's display columns), because anyone with the tab open
would otherwise read the passwords an attacker typed. The store keeps the event as the console returned it."""
from __future__ import annotations

from ..pipeline.tools import mask


def present_hit(hit: dict) -> dict:
    shown = dict(hit)
    shown["command_line"] = mask(hit.get("command_line"))
    shown["payload"] = mask(hit.get("payload"))
    shown["fields"] = {k: mask(v) if isinstance(v, str) else v for k, v in (hit.get("fields") or {}).items()}
    shown["enrichment"] = remask_enrichment(hit.get("enrichment"))
    return shown


def remask_enrichment(enrichment):
    """The enrichment's command lines masked again with today's table: a hit enriched by an older version
    was masked with fewer rows (masking a masked line again changes nothing else)."""
    if not isinstance(enrichment, dict):
        return enrichment
    shown = dict(enrichment)
    if isinstance(shown.get("command_line_masked"), str):
        shown["command_line_masked"] = mask(shown["command_line_masked"])
    if isinstance(shown.get("process"), dict):
        shown["process"] = {k: mask(v) if k in ("command_line", "parent_command_line") and isinstance(v, str) else v
                            for k, v in shown["process"].items()}
    return shown
