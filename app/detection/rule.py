"""Detection rules as data: one TOML file per rule in app/detection/rules/.

A rule file carries everything an analyst and the pipeline need: identity, ATT&CK mapping, severity,
the schedule, the AQL pieces (select list and condition, with ${field} placeholders for console field
names), the investigation guide, and true-positive / true-negative test events. Files are validated at
load so that a broken rule is refused at start-up with a message naming the file and the problem.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

RULES_DIR = Path(__file__).with_name("rules")

SEVERITIES = ("low", "medium", "high", "critical")
CONFIDENCES = ("low", "medium", "high")
PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")

# Logical fields a template may name; the console's own names are discovered at run time
# (app/qradar/properties.py). Normalized Ariel columns are written directly in templates.
LOGICAL_FIELDS = (
    "event_id", "process_image", "process_path", "command_line", "parent_image",
    "parent_command_line", "process_guid", "original_file_name", "destination_hostname",
    "target_filename", "query_name",
)


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Schedule:
    interval_minutes: int = 15
    ingestion_delay_minutes: int = 5
    overlap_minutes: int = 0
    max_window_minutes: int = 60
    first_look_back_minutes: int = 60
    result_limit: int = 10000
    # Retro-hunts read settled history in larger chunks; a chunk that reaches the LIMIT is split anyway.
    hunt_window_minutes: int = 360
    # Windows one run may search when catching up; 0 = the app's EXFILWATCH_MAX_WINDOWS_PER_RUN.
    catch_up_windows: int = 0


@dataclass(frozen=True)
class Guide:
    triage: tuple[str, ...]
    false_positives: tuple[str, ...]
    response: tuple[str, ...]


@dataclass(frozen=True)
class TestEvent:
    """A rule's own example event; `expect` says whether the rule must match it."""
    expect: bool
    description: str
    event: dict
    profiles: tuple[str, ...] = ()   # console profiles the expectation holds on; empty = all


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    description: str
    severity: str
    confidence: str
    risk_score: int
    tactic: str
    technique: str
    subtechnique: str
    enabled: bool
    select: tuple[str, ...]
    where: str
    order_by: str
    required_fields: tuple[str, ...]
    optional_fields: tuple[str, ...]
    schedule: Schedule
    guide: Guide
    tests: tuple[TestEvent, ...] = ()
    references: tuple[str, ...] = ()
    source: str = ""
    changes_from_seed: tuple[str, ...] = field(default=())
    # [analyzer] keep = "T1048.002": the AQL is a broad net and the command-line analyzer decides; only hits
    # whose upload it reads as this technique, to a destination that is not internal, are kept.
    analyzer_keep: str | None = None

    @property
    def fields_used(self) -> set[str]:
        text = " ".join(self.select) + " " + self.where + " " + self.order_by
        return set(PLACEHOLDER.findall(text))


def _need(table: dict, key: str, kind, where: str):
    if key not in table:
        raise RuleError(f"{where}: missing '{key}'")
    value = table[key]
    if not isinstance(value, kind):
        raise RuleError(f"{where}: '{key}' must be {getattr(kind, '__name__', kind)}")
    return value


def _strings(table: dict, key: str, where: str, *, required: bool = True) -> tuple[str, ...]:
    if key not in table and not required:
        return ()
    values = _need(table, key, list, where)
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise RuleError(f"{where}: '{key}' must be a list of non-empty strings")
    return tuple(values)


def parse_rule(data: dict, source: str) -> Rule:
    meta = _need(data, "rule", dict, source)
    attack = _need(data, "attack", dict, source)
    query = _need(data, "query", dict, source)
    guide = _need(data, "guide", dict, source)
    rule_id = _need(meta, "id", str, source)
    if not RULE_ID.match(rule_id):
        raise RuleError(f"{source}: id {rule_id!r} must be 3-64 lower-case letters, digits and dashes")
    severity = _need(meta, "severity", str, source)
    if severity not in SEVERITIES:
        raise RuleError(f"{source}: severity must be one of {SEVERITIES}")
    confidence = _need(meta, "confidence", str, source)
    if confidence not in CONFIDENCES:
        raise RuleError(f"{source}: confidence must be one of {CONFIDENCES}")
    risk = _need(meta, "risk_score", int, source)
    if not 0 <= risk <= 100:
        raise RuleError(f"{source}: risk_score must be 0-100")
    schedule_table = data.get("schedule", {})
    try:
        schedule = Schedule(**schedule_table)
    except TypeError as exc:
        raise RuleError(f"{source}: [schedule] {exc}") from None
    for name, value in vars(schedule).items():
        if not isinstance(value, int) or value < 0 or (value == 0 and name in (
                "interval_minutes", "max_window_minutes", "result_limit", "first_look_back_minutes",
                "hunt_window_minutes")):
            raise RuleError(f"{source}: schedule.{name} must be a positive whole number")
    rule = Rule(
        id=rule_id,
        name=_need(meta, "name", str, source),
        description=_need(meta, "description", str, source).strip(),
        severity=severity,
        confidence=confidence,
        risk_score=risk,
        tactic=_need(attack, "tactic", str, source),
        technique=_need(attack, "technique", str, source),
        subtechnique=_need(attack, "subtechnique", str, source),
        enabled=meta.get("enabled", True) is True,
        select=_strings(query, "select", source),
        where=_need(query, "where", str, source).strip(),
        order_by=query.get("order_by", "").strip(),
        required_fields=_strings(query, "required_fields", source, required=False),
        optional_fields=_strings(query, "optional_fields", source, required=False),
        schedule=schedule,
        guide=Guide(
            triage=_strings(guide, "triage", source),
            false_positives=_strings(guide, "false_positives", source),
            response=_strings(guide, "response", source),
        ),
        tests=tuple(
            TestEvent(expect=bool(_need(t, "expect", bool, source)),
                      description=_need(t, "description", str, source),
                      event=_need(t, "event", dict, source),
                      profiles=_strings(t, "profiles", source, required=False))
            for t in data.get("tests", [])
        ),
        references=_strings(meta, "references", source, required=False),
        source=source,
        changes_from_seed=_strings(meta, "changes_from_seed", source, required=False),
        analyzer_keep=_analyzer(data, source),
    )
    unknown = rule.fields_used - set(LOGICAL_FIELDS)
    if unknown:
        raise RuleError(f"{source}: unknown field placeholder(s) {sorted(unknown)}")
    declared = set(rule.required_fields) | set(rule.optional_fields)
    if rule.fields_used - declared:
        raise RuleError(f"{source}: fields {sorted(rule.fields_used - declared)} are used but not "
                        "declared in required_fields or optional_fields")
    if rule.analyzer_keep and not rule.subtechnique.startswith(rule.analyzer_keep):
        raise RuleError(f"{source}: [analyzer] keep {rule.analyzer_keep} is not the technique the rule's hits claim "
                        f"({rule.subtechnique})")
    if not any(t.expect for t in rule.tests) or all(t.expect for t in rule.tests):
        raise RuleError(f"{source}: needs at least one true-positive and one true-negative test event")
    return rule


ANALYZER_TECHNIQUES = ("T1048.002", "T1048.003")


def _analyzer(data: dict, source: str) -> str | None:
    table = data.get("analyzer")
    if table is None:
        return None
    keep = _need(table, "keep", str, f"{source} [analyzer]")
    if keep not in ANALYZER_TECHNIQUES:
        raise RuleError(f"{source}: [analyzer] keep must be one of {ANALYZER_TECHNIQUES}")
    if "seed" in _need(data, "rule", dict, source).get("id", ""):
        raise RuleError(f"{source}: the seed rule stays pure AQL (no [analyzer])")
    return keep


def load_rules(directory: Path = RULES_DIR) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise RuleError(f"{path.name}: not valid TOML: {exc}") from None
        rule = parse_rule(data, path.name)
        if rule.id in rules:
            raise RuleError(f"{path.name}: duplicate rule id {rule.id!r} (also in {rules[rule.id].source})")
        rules[rule.id] = rule
    if not rules:
        raise RuleError(f"no rule files in {directory}")
    return rules
