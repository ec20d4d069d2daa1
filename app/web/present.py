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
    return shown
