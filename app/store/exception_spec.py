"""A tuning exception as data: its conditions, what each one matches, and the validation of a definition.

An exception is an AND of conditions on a hit (user, hosts, destination, tool, image, command line, a
QRadar reference set), for one rule or for every rule. Everything is validated before it is stored, with a
message naming the condition at fault (validate_spec, validate_condition).

Each condition also defines, here and only here, the regular expression that decides it: the hit filter
(app/pipeline/exceptions.py) applies it in Python and the AQL push-down sends the same expression to the
console (IMATCHES), so the two ways of applying an exception cannot disagree. Storing them: exceptions.py.
"""
from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from . import regex_safety
from .exception_patterns import _capped, glob_regex, regex_literal
from .exception_text import ANY_DOMAIN, MAX_MATCH_CHARS, describe_condition, is_bare_name

# field -> (operator, can the console evaluate it against the event itself)
FIELDS = {
    "username": ("equals", True),           # DOMAIN\user exactly; *\user: any domain or none; user: no domain
    "source_ip": ("cidr", True),
    "destination_ip": ("cidr", True),
    "destination_port": ("equals", True),
    "destination_domain": ("domain", True),  # exact host name, or *.suffix for any sub-domain
    "process_image": ("glob", True),        # a path: the full path; a bare name: file name AND the PE name agree
    "parent_image": ("glob", True),
    "command_line": ("regex", True),        # case-insensitive search anywhere in the command line
    "source_host": ("glob", False),         # the asset model's host name for the source IP (not the endpoint's)
    "tool": ("equals", False),              # the tool enrichment identified, never a renamed binary
    "reference_set": ("in_set", False),     # {"field": <one of the above>, "set": <reference set name>}
}
SET_FIELDS = ("username", "source_ip", "destination_ip", "destination_port", "destination_domain",
              "process_image", "parent_image", "source_host", "tool")
SPEC_KEYS = {"name", "rule_id", "conditions", "reason", "author", "expires_ms", "expires", "enabled", "push_down"}
MAX_CONDITIONS = 20
MAX_TEXT = 4096
_LEADING_FLAGS = re.compile(r"^\(\?([imsx]+)\)")
_PYTHON_ONLY = ("(?P<", "(?P=", "(?#")



class ExceptionError(ValueError):
    """An exception definition that cannot be used; the message names the part at fault."""


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: object          # str, int, or {"field", "set"} for reference_set

    def as_dict(self) -> dict:
        return {"field": self.field, "op": self.op, "value": self.value}

    @property
    def pushable(self) -> bool:
        return FIELDS[self.field][1]

    def pattern(self) -> str | None:
        """The expression that decides this condition on text values, matched whole and ignoring case
        (IMATCHES on the console, re.fullmatch(..., re.I) here); None for non-text conditions."""
        limit = MAX_MATCH_CHARS.get(self.field)
        if self.op == "equals" and self.field == "username":
            if self.value.startswith(ANY_DOMAIN):
                return _capped(rf"(?:[^\\]+\\)?{regex_literal(self.value[2:])}", limit)
            return _capped(regex_literal(self.value), limit)
        if self.op == "equals" and self.field == "tool":
            return _capped(regex_literal(self.value), limit)
        if self.op == "domain":
            if self.value.startswith("*."):
                return _capped(rf".+\.{regex_literal(self.value[2:])}\.?", limit)
            return _capped(rf"{regex_literal(self.value)}\.?", limit)
        if self.op == "glob":
            return glob_regex(self.value, path=self.field != "source_host", limit=limit)
        if self.op == "regex":
            match = _LEADING_FLAGS.match(self.value)
            flags, body = ("s" + match.group(1), self.value[match.end():]) if match else ("s", self.value)
            # \Z, not $: an administrator's (?m) would make $ stop at the first line break and let the cap pass.
            return f"(?{''.join(sorted(set(flags)))})\\A(?=.{{0,{limit}}}\\Z).*(?:{body}).*"
        return None

    def original_name_pattern(self) -> str | None:
        """For a bare image name: what the PE original file name must match too, when the event has one.
        A renamed binary (pscp.exe saved as rclone.exe) then never matches a name exception."""
        if self.field == "process_image" and is_bare_name(str(self.value)):
            return glob_regex(self.value, path=False, limit=255, optional_extension=True)
        return None

    def describe(self) -> str:
        """What the condition matches, in words (the admin page shows it)."""
        return describe_condition(self)


@dataclass(frozen=True)
class TuningException:
    id: int
    name: str
    rule_id: str | None
    conditions: tuple[Condition, ...]
    reason: str
    author: str
    created_ms: int
    updated_ms: int
    updated_by: str
    expires_ms: int | None = None
    enabled: bool = True
    push_down: bool = False
    deleted_ms: int | None = None

    def is_active(self, now_ms: int) -> bool:
        return self.enabled and self.deleted_ms is None and (self.expires_ms is None or now_ms < self.expires_ms)

    def applies_to(self, rule_id: str) -> bool:
        return self.rule_id is None or self.rule_id == rule_id

    def spec(self) -> dict:
        """The definition an administrator writes (the import/export file format)."""
        return {"name": self.name, "rule_id": self.rule_id, "conditions": [c.as_dict() for c in self.conditions],
                "reason": self.reason, "author": self.author, "expires_ms": self.expires_ms,
                "enabled": self.enabled, "push_down": self.push_down}

    def as_dict(self) -> dict:
        return {"id": self.id, **self.spec(), "created_ms": self.created_ms, "updated_ms": self.updated_ms,
                "updated_by": self.updated_by, "deleted_ms": self.deleted_ms, "matches": self.matches(),
                "problems": self.problems()}

    def problems(self) -> list[str]:
        """Why a stored exception (written before today's checks) is not applied: a command-line pattern that
        crafted text could make slow would let any endpoint stall the pipeline. Empty: it applies."""
        return [f"condition {n} (command_line): {why}; the exception is not applied until it is edited"
                for n, c in enumerate(self.conditions, 1) if c.op == "regex" for why in [_unsafe(c.value)] if why]

    def matches(self) -> str:
        """Exactly what the exception suppresses, in words: every condition, joined by AND."""
        scope = f"hits of rule {self.rule_id}" if self.rule_id else "hits of every rule"
        return f"{scope} where " + " AND ".join(c.describe() for c in self.conditions)


# -- validation -------------------------------------------------------------------------------------------
def _text(value, what: str, *, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ExceptionError(f"{what} must be non-empty text")
    if len(value) > limit:
        raise ExceptionError(f"{what} is longer than {limit} characters")
    if any(ord(c) < 32 for c in value):
        raise ExceptionError(f"{what} contains a control character (newline, tab, NUL...)")
    return value.strip()


@functools.lru_cache(maxsize=256)
def _unsafe(pattern: str) -> str | None:
    try:
        regex_safety.check(pattern)
    except (regex_safety.UnsafePattern, re.error) as exc:
        return f"this pattern could take very long on crafted command lines: {exc}"
    return None


def _check_pattern(pattern: str, what: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ExceptionError(f"{what}: not a valid regular expression ({exc})") from None


def _check_username(value: str, where: str) -> None:
    account = value[2:] if value.startswith(ANY_DOMAIN) else value
    domain, _, user = account.rpartition("\\")
    if "*" in account or "?" in account:
        raise ExceptionError(f"{where}: {value!r}: the only wildcard is a leading *\\ (any domain), "
                             "e.g. *\\svc_backup")
    if not user or (account.count("\\") and not domain) or account.count("\\") > 1 or \
            (value.startswith(ANY_DOMAIN) and domain):
        raise ExceptionError(f"{where}: {value!r} must be DOMAIN\\user, *\\user or a user name without a domain")


def validate_condition(raw, where: str) -> Condition:
    if not isinstance(raw, Mapping):
        raise ExceptionError(f"{where}: expected an object {{field, op, value}}")
    unknown = set(raw) - {"field", "op", "value"}
    if unknown:
        raise ExceptionError(f"{where}: unknown keys {sorted(unknown)}")
    name = raw.get("field")
    if name not in FIELDS:
        raise ExceptionError(f"{where}: unknown field {name!r} (known: {', '.join(FIELDS)})")
    op = FIELDS[name][0]
    if raw.get("op", op) != op:
        raise ExceptionError(f"{where}: field {name} takes the operator {op!r}, not {raw.get('op')!r}")
    where = f"{where} ({name})"
    value = raw.get("value")
    if op == "cidr":
        try:
            value = str(ipaddress.ip_network(_text(value, where), strict=False))
        except ValueError:
            raise ExceptionError(f"{where}: {value!r} is not an IP address or CIDR block") from None
    elif name == "destination_port":
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
            raise ExceptionError(f"{where}: {value!r} is not a port number (0-65535)")
    elif op == "in_set":
        if not isinstance(value, Mapping) or set(value) != {"field", "set"}:
            raise ExceptionError(f"{where}: value must be {{\"field\": ..., \"set\": ...}}")
        if value["field"] not in SET_FIELDS:
            raise ExceptionError(f"{where}: cannot look up field {value['field']!r} (known: {', '.join(SET_FIELDS)})")
        value = {"field": value["field"], "set": _text(value["set"], f"{where} set name", limit=255)}
    elif op == "regex":
        value = raw.get("value")
        if not isinstance(value, str) or not value or "\x00" in value or len(value) > MAX_TEXT:
            raise ExceptionError(f"{where}: a regular expression of 1 to {MAX_TEXT} characters is needed")
        _check_pattern(value, where)
        if _unsafe(value):
            raise ExceptionError(f"{where}: {_unsafe(value)}")
        if any(token in value for token in _PYTHON_ONLY):
            raise ExceptionError(f"{where}: (?P<..>), (?P=..) and (?#..) are not understood by the console's "
                                 "regular expressions; use (?<name>..) or plain groups")
    else:
        value = _text(value, where)
        if name == "username":
            _check_username(value, where)
        if op == "domain":
            value = value.lower().rstrip(".")
            if "*" in value[2:] or ("*" in value and not value.startswith("*.")) or len(value) < 3:
                raise ExceptionError(f"{where}: {value!r} must be a host name or *.suffix")
    condition = Condition(name, op, value)
    if condition.pattern() is not None:
        _check_pattern(condition.pattern(), where)
    return condition


def _expiry(spec: Mapping):
    if spec.get("expires") not in (None, ""):
        try:
            moment = datetime.fromisoformat(str(spec["expires"]))
        except ValueError:
            raise ExceptionError(f"expires {spec['expires']!r} is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise ExceptionError(f"expires {spec['expires']!r} needs a time zone (e.g. Z)")
        return int(moment.timestamp() * 1000)
    value = spec.get("expires_ms")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ExceptionError(f"expires_ms must be epoch milliseconds, not {value!r}")
    return value


def validate_spec(spec: Mapping, *, now_ms: int, rule_ids: Iterable[str] | None = None,
                  check_expiry: bool = True) -> dict:
    """A definition checked and normalized, ready to store; raises ExceptionError naming the problem."""
    if not isinstance(spec, Mapping):
        raise ExceptionError("an exception must be an object")
    unknown = set(spec) - SPEC_KEYS
    if unknown:
        raise ExceptionError(f"unknown keys {sorted(unknown)} (known: {', '.join(sorted(SPEC_KEYS))})")
    name = _text(spec.get("name"), "name", limit=200)
    rule_id = spec.get("rule_id") or None
    if rule_id is not None:
        rule_id = _text(rule_id, "rule_id", limit=64)
        if rule_ids is not None and rule_id not in set(rule_ids):
            raise ExceptionError(f"rule_id {rule_id!r} is not a known rule")
    conditions = spec.get("conditions")
    if not isinstance(conditions, list) or not 1 <= len(conditions) <= MAX_CONDITIONS:
        raise ExceptionError(f"conditions must be a list of 1 to {MAX_CONDITIONS} conditions")
    checked = tuple(validate_condition(c, f"condition {n}") for n, c in enumerate(conditions, 1))
    expires_ms = _expiry(spec)
    if check_expiry and expires_ms is not None and expires_ms <= now_ms:
        raise ExceptionError("the expiry is in the past")
    for flag in ("enabled", "push_down"):
        if not isinstance(spec.get(flag, flag == "enabled"), bool):
            raise ExceptionError(f"{flag} must be true or false")
    push_down = spec.get("push_down", False)
    if push_down:
        for number, condition in enumerate(checked, 1):
            if not condition.pushable:
                raise ExceptionError(f"condition {number} ({condition.field}) cannot be evaluated by the console: "
                                     "set push_down to false (the exception is then applied to the hits)")
    return {"name": name, "rule_id": rule_id, "conditions": checked,
            "reason": _text(spec.get("reason"), "reason"), "author": _text(spec.get("author"), "author", limit=200),
            "expires_ms": expires_ms, "enabled": spec.get("enabled", True), "push_down": push_down}


# -- the repository ---------------------------------------------------------------------------------------
