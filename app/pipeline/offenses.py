"""Scheduled offense creation: group hits, send each group to QRadar as one LEEF event, note the offense.

Apps cannot create offenses over REST; QRadar's custom rule engine creates them from events. So each
dispatch (a scheduler job, after the rule runs):
1. attaches un-suppressed hits that have no group to one (app/store/offenses.py says how);
2. sends one LEEF event per group not yet sent, oldest first, at most `rate_per_minute` in any minute
   (counted from the store, so a restart does not reset it); a failed send marks the group failed with a
   back-off and a later dispatch sends it: nothing is dropped. A sent group is never sent again, even when
   later hits join it;
3. for sent groups, asks QRadar for the OPEN offense its rule indexed on the group's source IP and adds
   ONE note (the enrichment summary of every group of that IP waiting for a note). The note names its
   groups, and the offense's notes are read before writing, so a crash between "note written" and "note
   recorded" does not write it twice. If QRadar does not show the offense yet, the next dispatch asks again
   (then with a back-off) until `note_wait_minutes` after the send.
The one-time QRadar setup that turns these events into offenses is in docs/offenses.md.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field, fields, replace
from typing import Callable

from .. import __version__
from ..qradar.client import filter_string
from ..qradar.errors import AuthenticationError, AuthorizationError, QRadarError
from ..qradar.platform import console_address
from ..qradar.syslog import MAX_UDP_BYTES, MessageTooLarge, SyslogError, SyslogSender, SyslogTarget, syslog_severity
from ..store.offenses import OffenseGroups, Partition
from .leef import MAX_VALUE_CHARS, format_leef
from .offense_text import group_attributes, group_event_id, hit_link, leef_severity, note_text, tool_name

log = logging.getLogger(__name__)

SETTINGS_KEY = "offenses"
GROUPINGS = ("source_user", "source_tool", "source_destination")
MINUTE_MS = 60_000
SEND_BACKOFF_MS, SEND_BACKOFF_MAX_MS = 30_000, 15 * MINUTE_MS
NOTE_FREE_RETRIES, NOTE_BACKOFF_MS, NOTE_BACKOFF_MAX_MS = 3, 30_000, 15 * MINUTE_MS
NOTE_MARKER = "ExfilWatch groups:"
UDP_HEADER_ROOM = 256      # the syslog header in front of the LEEF record
_MARKER = re.compile(re.escape(NOTE_MARKER) + r"\s*([0-9a-f, ]+)")


class OffenseSettingsError(ValueError):
    """The stored "offenses" settings cannot be used; the message lists every problem."""


@dataclass(frozen=True)
class OffenseSettings:
    enabled: bool = True
    host: str | None = None              # default: the console (QRADAR_CONSOLE_IP)
    port: int | None = None              # default: 6514 for tls, 514 for tcp and udp
    # TLS by default: plain syslog can be read and forged by anyone who reaches the port (docs/offenses.md).
    protocol: str = "tls"                # tls | tcp | udp
    framing: str = "newline"             # newline | octet (RFC 6587), for tcp and tls
    header: str = "rfc5424"              # rfc5424 | rfc3164
    identifier: str = "exfilwatch"       # syslog HOSTNAME = the log source identifier in QRadar
    ca_file: str | None = None           # tls: the CA of the collector's certificate (else system trust)
    leef_version: str = "2.0"
    rate_per_minute: int = 30
    grouping: str = "source_user"        # source_user | source_tool | source_destination
    group_window_minutes: int = 60
    offense_rule_id: int | None = None   # the QRadar rule's id: only offenses of that rule get notes
    note_wait_minutes: int = 1440        # how long after sending to look for the offense
    # Rules whose hits show in the app but raise no offense. The seed rule is kept to compare the hardened
    # rules with and is noisy on ordinary hosts (docs/detection-coverage.md), so it is left out by default.
    exclude_rules: tuple[str, ...] = ("t1048-002-seed",)

    @classmethod
    def from_value(cls, value: dict | None, environ: dict | None = None) -> "OffenseSettings":
        value = dict(value or {})
        known = {f.name: f for f in fields(cls)}
        problems = [f"unknown setting {k!r}" for k in value if k not in known]
        kinds = {"enabled": bool, "port": int, "rate_per_minute": int, "group_window_minutes": int,
                 "offense_rule_id": int, "note_wait_minutes": int}
        for key, kind in kinds.items():
            v = value.get(key)
            if v is not None and (not isinstance(v, kind) or (kind is int and isinstance(v, bool))):
                problems.append(f"{key} must be {'true or false' if kind is bool else 'a whole number'}")
        for key in ("host", "protocol", "framing", "header", "identifier", "ca_file", "leef_version", "grouping"):
            if value.get(key) is not None and not isinstance(value[key], str):
                problems.append(f"{key} must be text")
        excluded = value.get("exclude_rules")
        if excluded is not None:
            if not isinstance(excluded, list) or not all(isinstance(r, str) for r in excluded):
                problems.append("exclude_rules must be a list of rule ids")
            else:
                value["exclude_rules"] = tuple(excluded)
        if problems:
            raise OffenseSettingsError("offense settings: " + "; ".join(problems))
        settings = cls(**{k: v for k, v in value.items() if k in known})
        if not settings.host:
            settings = replace(settings, host=console_address(environ or {}))
        return settings.validate()

    def validate(self) -> "OffenseSettings":
        problems = []
        if self.grouping not in GROUPINGS:
            problems.append(f"grouping must be one of {', '.join(GROUPINGS)}")
        if self.leef_version not in ("1.0", "2.0"):
            problems.append("leef_version must be 1.0 or 2.0")
        if not 1 <= self.rate_per_minute <= 6000:
            problems.append("rate_per_minute must be 1-6000")
        if not 1 <= self.group_window_minutes <= 7 * 24 * 60:
            problems.append("group_window_minutes must be 1-10080")
        if self.note_wait_minutes < 1:
            problems.append("note_wait_minutes must be at least 1")
        if not self.host:
            problems.append("no syslog target host (and QRADAR_CONSOLE_IP is not set)")
        if not problems:
            try:
                self.target()
            except SyslogError as error:
                problems.append(str(error))
        if problems:
            raise OffenseSettingsError("offense settings: " + "; ".join(problems))
        return self

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else (6514 if self.protocol == "tls" else 514)

    def warnings(self) -> list[str]:
        """What an administrator should know about these settings though they work (the admin page shows it)."""
        if self.protocol == "tls":
            return []
        return [f"offense events go over plain {self.protocol.upper()}: anyone who reaches {self.host}:"
                f"{self.effective_port} can read them, and forge events that QRadar takes as ExfilWatch's; use "
                "protocol tls with a TLS Syslog log source where the collector offers one (docs/offenses.md)"]

    def target(self) -> SyslogTarget:
        return SyslogTarget(host=self.host or "", port=self.effective_port, protocol=self.protocol,
                            framing=self.framing, header=self.header, identifier=self.identifier,
                            ca_file=self.ca_file).validate()


@dataclass
class DispatchSummary:
    enabled: bool = True
    hits_grouped: int = 0
    groups_created: int = 0
    sent: int = 0
    failed: int = 0
    rate_limited: int = 0         # due groups left for a later dispatch by the rate cap
    noted: int = 0
    pending: int = 0              # groups still to send (pending or failed), after this dispatch
    awaiting_note: int = 0        # sent groups whose offense QRadar has not shown yet
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)   # e.g. plaintext transport

    def as_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def default_app_base_url(environ: dict) -> str:
    """Where an analyst reaches the app: through the console's app proxy."""
    fqdn, app_id = environ.get("QRADAR_CONSOLE_FQDN"), environ.get("QRADAR_APP_ID")
    return f"https://{fqdn}/console/plugins/{app_id}/app_proxy" if fqdn and app_id else ""


def partition_for(grouping: str) -> Callable[[dict], Partition]:
    """How a stored hit row is grouped. Values are compared case-insensitively (Windows names are)."""
    def partition(row) -> Partition:
        enrichment = _json(row["enrichment_json"])
        source, user = row["source_ip"] or "", row["username"] or ""
        tool = tool_name(enrichment, row["process_image"])
        destination = ((enrichment.get("destination") or {}).get("hostname") or row["destination_ip"] or "")
        second = {"source_user": user, "source_tool": tool or "", "source_destination": destination}[grouping]
        return Partition(key=(source, second.lower()), source_ip=row["source_ip"], username=row["username"],
                         tool=tool, destination=destination or None)
    return partition


def _json(text):
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class OffenseDispatcher:
    def __init__(self, store, client, *, clock: Callable[[], int], app_base_url: str | None = None,
                 environ: dict | None = None, sender_factory: Callable[[SyslogTarget], object] = SyslogSender,
                 rule_severities: dict[str, str] | None = None):
        self.store = store
        self.groups = OffenseGroups(store.db)
        self.client = client
        self.clock = clock
        self.environ = dict(environ or {})
        self.app_base_url = (default_app_base_url(self.environ) if app_base_url is None else app_base_url).rstrip("/")
        self.sender_factory = sender_factory
        self.rule_severities = dict(rule_severities or {})
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def settings(self) -> OffenseSettings:
        return OffenseSettings.from_value(self.store.settings.get(SETTINGS_KEY), self.environ)

    def dispatch(self) -> DispatchSummary:
        """One pass of group, send, note. Never raises for a console or collector problem: it is in the
        summary (and on the group rows) and the next dispatch carries on."""
        summary = DispatchSummary()
        if not self._lock.acquire(blocking=False):
            summary.errors.append("a dispatch is already running")
            return summary
        try:
            try:
                settings = self.settings()
            except OffenseSettingsError as error:
                summary.errors.append(str(error))
                return summary
            if not settings.enabled:
                summary.enabled = False
                return summary
            summary.warnings = settings.warnings()
            for warning in summary.warnings:
                if warning not in self._warned:     # once per process, not every minute
                    self._warned.add(warning)
                    log.warning("%s", warning)
            now = self.clock()
            summary.hits_grouped, summary.groups_created = self.groups.group_new_hits(
                partition_for(settings.grouping), grouping=settings.grouping,
                window_ms=settings.group_window_minutes * MINUTE_MS, now_ms=now,
                exclude_rules=settings.exclude_rules)
            self._send(settings, summary)
            self._note(settings, summary)
            counts = self.groups.counts()["groups"]
            summary.pending = counts.get("pending", 0) + counts.get("failed", 0)
            summary.awaiting_note = counts.get("sent", 0)
            return summary
        finally:
            self._lock.release()

    # -- 2. send ---------------------------------------------------------------------------------------
    def _send(self, settings: OffenseSettings, summary: DispatchSummary) -> None:
        now = self.clock()
        budget = settings.rate_per_minute - self.groups.sent_since(now - MINUTE_MS + 1)
        due = self.groups.due_for_send(now, limit=max(budget, 0) + 1000)
        if not due:
            return
        if budget <= 0:
            summary.rate_limited = len(due)
            return
        sender = None
        try:
            for index, group in enumerate(due):
                if budget <= 0:
                    summary.rate_limited = len(due) - index
                    break
                hits = self.groups.live_hits(group["id"])
                if not hits:
                    self.groups.mark_suppressed(group["id"], now)
                    continue
                count = self.groups.live_count(group["id"])
                try:
                    sender = sender or self.sender_factory(settings.target())
                    severity = leef_severity(group, hits, self.rule_severities)
                    sender.send(self._leef(settings, group, hits, count, severity),
                                severity=syslog_severity(severity), timestamp_ms=now)
                except MessageTooLarge as error:
                    # This event cannot go over this transport however often it is tried; the others can. It is
                    # reported and tried again only after the longest back-off (the admin may switch to TCP/TLS).
                    self.groups.mark_failed(group["id"], now, str(error), now + SEND_BACKOFF_MAX_MS)
                    summary.failed += 1
                    summary.errors.append(f"group {group['group_key']} ({group['source_ip']}): {error}")
                    log.warning("offense event for group %s skipped: %s", group["group_key"], error)
                    continue
                except SyslogError as error:
                    wait = min(SEND_BACKOFF_MAX_MS, SEND_BACKOFF_MS * 2 ** group["attempts"])
                    self.groups.mark_failed(group["id"], now, str(error), now + wait)
                    summary.failed += 1
                    summary.errors.append(f"group {group['group_key']} ({group['source_ip']}): {error}")
                    log.warning("offense event for group %s not sent: %s", group["group_key"], error)
                    break   # the collector is down: the rest wait for the next dispatch, untried
                self.groups.mark_sent(group["id"], now, count)
                summary.sent += 1
                budget -= 1
        finally:
            if sender is not None:
                sender.close()

    def _leef(self, settings, group, hits, count, severity) -> str:
        """The group's LEEF record. Over UDP it must fit one datagram with its syslog header: values are cut
        shorter until it does (the note and the app hold the whole story)."""
        attributes = group_attributes(group, hits, count, severity, self.app_base_url)
        for limit in (MAX_VALUE_CHARS, 256, 64):
            record = format_leef(group_event_id(hits), attributes, product_version=__version__,
                                 version=settings.leef_version, max_value_chars=limit)
            if settings.protocol != "udp" or len(record.encode("utf-8")) <= MAX_UDP_BYTES - UDP_HEADER_ROOM:
                break
        return record

    # -- 3. note ---------------------------------------------------------------------------------------
    def _note(self, settings: OffenseSettings, summary: DispatchSummary) -> None:
        now = self.clock()
        by_source: dict[str, list[dict]] = {}
        for group in self.groups.awaiting_note(now):
            if not group["source_ip"]:
                self.groups.mark_no_offense(group["id"], now, "no source IP: QRadar cannot index an offense")
            else:
                by_source.setdefault(group["source_ip"], []).append(group)
        for source_ip, groups in by_source.items():
            try:
                offense = self._find_offense(source_ip, settings)
                if offense is None:
                    self._not_yet(groups, settings, now, f"QRadar shows no open offense for {source_ip} yet")
                    continue
                summary.noted += self._note_offense(offense, groups, now)
            except QRadarError as error:
                self._not_yet(groups, settings, now, f"offense note for {source_ip}: {error}")
                summary.errors.append(f"offense note for {source_ip}: {error}")
                if isinstance(error, (AuthenticationError, AuthorizationError)):
                    break   # every other call would be refused too

    def _find_offense(self, source_ip: str, settings: OffenseSettings) -> dict | None:
        """The OPEN offense our rule indexed on this source IP. Other rules index offenses on source IPs
        too, so one counts as ours only by its rule (when `offense_rule_id` is set) or, failing that, by
        an ExfilWatch log source or description."""
        offenses = self.client.get_offenses(
            filter=f"offense_source={filter_string(source_ip)} and status={filter_string('OPEN')}",
            fields="id,status,offense_source,description,last_updated_time,rules(id),log_sources(name,type_name)",
            sort="-last_updated_time", range=(0, 49))
        ours = [o for o in offenses if _is_ours(o, settings.offense_rule_id)]
        return max(ours, key=lambda o: (o.get("last_updated_time") or 0, o.get("id") or 0)) if ours else None

    def _note_offense(self, offense: dict, groups: list[dict], now: int) -> int:
        offense_id = int(offense["id"])
        written = {}
        for note in self.client.get_json(f"api/siem/offenses/{offense_id}/notes", shape=list,
                                         params={"fields": "id,note_text"}):
            for match in _MARKER.finditer(str(note.get("note_text") or "")):
                for key in match.group(1).replace(" ", "").split(","):
                    written[key] = note.get("id")
        done = [g for g in groups if g["group_key"] in written]
        for group in done:   # written by an earlier dispatch that stopped before recording it
            self.groups.mark_noted([group["id"]], offense_id, written[group["group_key"]], now)
        todo = [g for g in groups if g["group_key"] not in written]
        if todo:
            details = [(g, self.groups.live_hits(g["id"], limit=20), self.groups.live_count(g["id"])) for g in todo]
            text = note_text(details, self.app_base_url, marker=NOTE_MARKER)
            note = self.client.add_offense_note(offense_id, text)
            self.groups.mark_noted([g["id"] for g in todo], offense_id, note.get("id"), now)
        return len(groups)

    def _not_yet(self, groups, settings, now, reason) -> None:
        for group in groups:
            if now - (group["sent_ms"] or now) >= settings.note_wait_minutes * MINUTE_MS:
                self.groups.mark_no_offense(group["id"], now, reason + f" after {settings.note_wait_minutes} "
                                            "minutes: is the ExfilWatch rule set up in QRadar (docs/offenses.md)?")
                continue
            tries = group["note_attempts"]
            wait = 0 if tries < NOTE_FREE_RETRIES else min(NOTE_BACKOFF_MAX_MS,
                                                           NOTE_BACKOFF_MS * 2 ** (tries - NOTE_FREE_RETRIES))
            self.groups.note_later(group["id"], now, reason, now + wait)


def _is_ours(offense: dict, rule_id: int | None) -> bool:
    if rule_id is not None:
        return any(r.get("id") == rule_id for r in offense.get("rules") or [])
    texts = [offense.get("description") or ""]
    texts += [f"{s.get('name') or ''} {s.get('type_name') or ''}" for s in offense.get("log_sources") or []]
    return any("exfilwatch" in t.lower() for t in texts)


__all__ = ["OffenseDispatcher", "OffenseSettings", "OffenseSettingsError", "DispatchSummary", "SETTINGS_KEY",
           "default_app_base_url", "hit_link", "partition_for"]
