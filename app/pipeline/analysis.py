"""The command-line analyzer as the first processor of a window: rules with an `[analyzer]` table search a
broad, cheap net in AQL, and this step keeps only the hits whose command line the analyzer reads as an upload
of the rule's technique to a destination that is not internal. What decided it is stored on the hit
(enrichment `analysis`) so that the tab shows which arguments were read, and how.

The internal networks and domains are an administrator's setting (`analysis.internal`); QRadar's network
hierarchy adds the console's own networks when the console offers it.
"""
from __future__ import annotations

import ipaddress
import logging
from typing import Callable

from ..detection.analyzer import InternalNetworks, analyze, weigh
from .tools import MASK, find_credentials, mask

log = logging.getLogger(__name__)

INTERNAL_SETTING = "analysis.internal"


def validate_internal(value) -> list[str]:
    """Problems with an `analysis.internal` value: {"networks": [cidr], "domains": [suffix], "loopback_internal": bool}."""
    problems = []
    if not isinstance(value, dict):
        return ["analysis.internal must be an object"]
    for cidr in value.get("networks", []):
        try:
            ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            problems.append(f"not a network: {cidr!r}")
    for domain in value.get("domains", []):
        if not isinstance(domain, str) or not domain.strip(".* ") or " " in domain.strip():
            problems.append(f"not a domain suffix: {domain!r}")
    if not isinstance(value.get("loopback_internal", False), bool):
        problems.append("loopback_internal must be true or false")
    return problems


class CommandLineAnalysis:
    def __init__(self, settings, hierarchy: Callable[[], list[str]] = lambda: []):
        self.settings = settings
        self.hierarchy = hierarchy

    def internal(self) -> InternalNetworks:
        value = self.settings.get(INTERNAL_SETTING, {}) or {}
        if validate_internal(value):
            log.warning("ignoring an invalid %s setting", INTERNAL_SETTING)
            value = {}
        try:
            console = list(self.hierarchy())
        except Exception as error:     # the console's hierarchy is a default, never a reason to stop
            log.info("network hierarchy unavailable: %s", error)
            console = []
        return InternalNetworks.build(list(value.get("networks", [])) + console, value.get("domains", []),
                                      value.get("loopback_internal", False))

    def __call__(self, rule, hits: list, context) -> None:
        keep_technique = getattr(rule, "analyzer_keep", None)
        if not keep_technique or not hits:
            return
        internal = self.internal()
        kept = []
        for hit in hits:
            facts = hit.facts or {}
            image = facts.get("process_path") or hit.process_image
            verdicts = weigh(analyze(hit.command_line, image, facts.get("original_file_name")), internal)
            chosen = [v for v in verdicts if v.technique == keep_technique and v.destination_class != "internal"]
            if not chosen:
                continue
            analysis = {"decided_by": chosen[0].as_dict(),
                        "also_read": [v.as_dict() for v in verdicts if v is not chosen[0]][:10]}
            hit.enrichment = dict(hit.enrichment or {}, analysis=_scrub(analysis, _secrets(hit.command_line)))
            kept.append(hit)
        hits[:] = kept


def _secrets(command_line: str | None) -> list[str]:
    """The secrets the credential finder masks in the command line (the text its masks stand for)."""
    credentials = find_credentials(command_line)
    if not credentials.found or not command_line:
        return []
    pieces = credentials.masked_command_line.split(MASK)
    secrets, at = [], len(pieces[0])
    for piece in pieces[1:]:
        end = command_line.find(piece, at) if piece else len(command_line)
        if end < at:
            break
        secrets.append(command_line[at:end])
        at = end + len(piece)
    return [s for s in secrets if len(s) >= 3]


def _scrub(value, secrets):
    """The analysis as shown: every argument the credential finder would mask, masked (the arguments quote
    the command line, and a password read as part of a URL or a value must not be echoed back)."""
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return mask(value)
    return value
