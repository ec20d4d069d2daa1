"""Scores rule hits against labelled scenarios (DESIGN.md, `scripts/evaluate` contract).

A malicious scenario is detected by a rule when at least one un-suppressed hit of that rule has the
scenario's host IP as source and an event time inside the scenario's span (inclusive); a benign scenario
with such a hit is a false positive.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping


@dataclass(frozen=True)
class Scenario:
    id: str
    malicious: bool
    sourceip: str
    start: int
    end: int
    technique: str = ""
    description: str = ""

    @classmethod
    def from_json(cls, data: Mapping) -> "Scenario":
        missing = {"id", "malicious", "sourceip", "start", "end"} - set(data)
        if missing:
            raise ValueError(f"scenario {data.get('id', '?')} lacks {sorted(missing)}")
        return cls(str(data["id"]), bool(data["malicious"]), str(data["sourceip"]), int(data["start"]),
                   int(data["end"]), str(data.get("technique", "")), str(data.get("description", "")))

    def covers(self, hit: Mapping) -> bool:
        return hit.get("source_ip") == self.sourceip and self.start <= hit["event_time_ms"] <= self.end


def score(scenarios: list[Scenario], hits: Iterable[Mapping], rule_ids: Iterable[str],
          events_per_scenario: Mapping[str, int] | None = None) -> dict:
    """Per rule: detected / missed / false_positives (scenario ids), recall, and hits per 1,000 events of the
    benign background scenarios (ids starting with 'bg-')."""
    by_rule: dict[str, list[Mapping]] = {rule_id: [] for rule_id in rule_ids}
    for hit in hits:
        if not hit.get("suppressed") and hit["rule_id"] in by_rule:
            by_rule[hit["rule_id"]].append(hit)
    background = [s for s in scenarios if not s.malicious and s.id.startswith("bg-")]
    background_events = sum((events_per_scenario or {}).get(s.id, 0) for s in background)
    malicious = [s for s in scenarios if s.malicious]
    result = {}
    for rule_id, rule_hits in by_rule.items():
        touched = {s.id for s in scenarios for h in rule_hits if s.covers(h)}
        background_hits = sum(1 for h in rule_hits for s in background if s.covers(h))
        result[rule_id] = {
            "detected": [s.id for s in malicious if s.id in touched],
            "missed": [s.id for s in malicious if s.id not in touched],
            "false_positives": [s.id for s in scenarios if not s.malicious and s.id in touched],
            "recall": round(sum(s.id in touched for s in malicious) / len(malicious), 4) if malicious else None,
            "hits": len(rule_hits),
            "background_hits_per_1000_events": (round(1000 * background_hits / background_events, 3)
                                                if background_events else None),
        }
    return result


def count_events(lines: Iterable[str]) -> Counter:
    counts = Counter()
    for line in lines:
        if line.strip():
            counts[json.loads(line).get("_scenario")] += 1
    return counts
