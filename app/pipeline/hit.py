"""Rows from Ariel become `Hit`s: one shape whatever the rule displays and whatever this console calls
its properties (the renderer returns the facts the pipeline needs under reserved `ew_` names).

A hit's identity is a hash of the rule and the event's content, plus the event's rank among identical
rows of the same search: re-running a window, overlapping windows and recreated searches therefore give
the same identities, while two genuinely identical events (same millisecond, same payload) stay two hits.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping   # not typing's aliases: isinstance() on them is slow
from dataclasses import dataclass, field

from ..store import json_encoder, to_json

IDENTITY_FIELDS = ("ew_time", "ew_logsourceid", "ew_qid", "ew_sourceip", "ew_destinationip",
                   "ew_destinationport", "ew_username", "ew_payload", "ew_process_guid",
                   "ew_command_line", "ew_process_image", "ew_event_id")


# json.dumps(..., default=str) with its encoder built once (dumps builds one per call when given an option):
# the same text, so identities stay those of stores written before.
_IDENTITY_JSON = json_encoder(default=str)


class MalformedRowError(ValueError):
    """A result row the pipeline cannot use (no event time): the window is failed and retried, not half-stored."""


@dataclass
class Hit:
    identity: str
    rule_id: str
    event_time_ms: int
    source_ip: str | None
    destination_ip: str | None
    destination_port: int | None
    username: str | None
    event_id: str | None
    process_image: str | None
    command_line: str | None
    process_guid: str | None
    log_source_id: int | None
    qid: int | None
    payload: str | None
    fields: dict
    facts: dict                      # every ew_* value, by logical name
    enrichment: dict = field(default_factory=dict)
    risk_score: int | None = None
    suppressed: bool = False
    exception_id: int | None = None

    def as_row(self) -> dict:
        return {
            "identity": self.identity, "rule_id": self.rule_id, "event_time_ms": self.event_time_ms,
            "source_ip": self.source_ip, "destination_ip": self.destination_ip,
            "destination_port": self.destination_port, "username": self.username, "event_id": self.event_id,
            "process_image": self.process_image, "command_line": self.command_line,
            "process_guid": self.process_guid, "log_source_id": self.log_source_id, "qid": self.qid,
            "payload": self.payload, "fields_json": to_json(self.fields),
            "enrichment_json": to_json(self.enrichment) if self.enrichment else None,
            # The same enrichment as a dict, so the store derives the browse facets without parsing the JSON
            # it was just given (not a column: the ledger writes only its HIT_COLUMNS).
            "enrichment": self.enrichment or None,
            "enrichment_state": self.enrichment.get("state") if self.enrichment else None,
            "risk_score": self.risk_score, "suppressed": int(self.suppressed), "exception_id": self.exception_id,
        }


def _int(value):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("boolean where a number was expected")
    return int(value)


def _text(value):
    return None if value is None else str(value)


class HitBuilder:
    """Turns the rows of one search into hits one at a time, so a window can be processed in parts.

    The rank among identical rows counts over the whole search (not per part), so identities do not depend
    on where parts were cut. Ranks are keyed by a digest of the content, not the content itself: a window of
    wide rows must not be held twice. `restart()` forgets the ranks when the search is submitted again and its
    rows come again from the first one (they then get the same identities as before)."""

    def __init__(self, rule_id: str):
        self.rule_id = rule_id
        self.number = 0
        self._seen: Counter = Counter()

    def restart(self) -> None:
        self.number = 0
        self._seen.clear()

    def hit(self, row: Mapping) -> Hit:
        self.number += 1
        number, rule_id = self.number, self.rule_id
        if not isinstance(row, Mapping):
            raise MalformedRowError(f"result row {number} is {type(row).__name__}, not an object")
        try:
            event_time = _int(row.get("ew_time"))
        except (TypeError, ValueError):
            event_time = None
        if event_time is None:
            raise MalformedRowError(f"result row {number} has no usable event time (ew_time={row.get('ew_time')!r})")
        content = _IDENTITY_JSON([rule_id] + [row.get(k) for k in IDENTITY_FIELDS]).encode()
        digest = hashlib.sha256(content).digest()
        self._seen[digest] += 1
        identity = hashlib.sha256(content + b"#%d" % self._seen[digest]).hexdigest()
        facts, fields = {}, {}
        for key, value in row.items():   # one pass: split the reserved ew_* facts from the displayed fields
            if key[:3] == "ew_":
                facts[key[3:]] = value
            else:
                fields[key] = value
        try:
            port, log_source, qid = _int(facts.get("destinationport")), _int(facts.get("logsourceid")), _int(facts.get("qid"))
        except (TypeError, ValueError) as exc:
            raise MalformedRowError(f"result row {number}: {exc}") from None
        return Hit(
            identity=identity, rule_id=rule_id, event_time_ms=event_time,
            source_ip=_text(facts.get("sourceip")), destination_ip=_text(facts.get("destinationip")),
            destination_port=port, username=_text(facts.get("username")), event_id=_text(facts.get("event_id")),
            process_image=_text(facts.get("process_image") or facts.get("process_path")),
            command_line=_text(facts.get("command_line")), process_guid=_text(facts.get("process_guid")),
            log_source_id=log_source, qid=qid, payload=_text(facts.get("payload")),
            fields=fields, facts=facts,
        )


def hits_from_rows(rule_id: str, rows: Iterable[Mapping]) -> list[Hit]:
    builder = HitBuilder(rule_id)
    return [builder.hit(row) for row in rows]
