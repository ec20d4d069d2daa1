"""Enrichment of every hit: why it fired, which tool, which protocol, which credentials were exposed,
where the data went, whose machine it was, how risky it is. The schema is in docs/enrichment.md.

`Enricher` is a pipeline processor (`enricher(rule, hits, context)`, before the exceptions). It never
raises for a lookup that failed: the hit is stored with what is known, marked partial with the errors,
and `retry_partial()` (a scheduled job) enriches it again once the console answers.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from typing import Callable, Iterable

from ..detection.aql import Window
from .correlate import CorrelationUnavailable, ProcessCorrelator, valid_guid
from .destinations import SERVICES_SETTING, ServiceCatalog, is_public, normalize_host, parse_ip
from .hit import Hit
from .lookups import UNKNOWN, Lookups, ReferenceSetCache
from .risk import score
from .run import WindowContext
from .tools import TRANSFER_TOOLS, command_line_actions, command_line_destination, file_name, find_credentials, \
    guess_protocol, mask, tool_identity

log = logging.getLogger(__name__)

CORRELATION_GROUP_MS = 3_600_000     # stored hits re-correlated together: one rule, one hour of event times

# The keys of the enrichment schema this module writes; anything else in a stored enrichment was added by a
# later processor and is kept when the hit is enriched again.
OWN_KEYS = frozenset({"attack", "indicators", "tool", "protocol", "credentials", "command_line_masked",
                      "destination", "process", "asset", "allowlisted", "risk", "state", "errors"})


@dataclass(frozen=True)
class _StoredRule:
    """What scoring needs of a rule that no longer exists (re-enriching an old hit)."""
    id: str
    severity: str = "medium"
    confidence: str = "medium"
    tactic: str | None = None
    technique: str | None = None
    subtechnique: str | None = None


class Enricher:
    def __init__(self, client, repository, settings, clock: Callable[[], int], correlation_lookback_minutes: int = 60,
                 asset_ttl_s: float = 3600, *, dns_ttl_s: float = 86400, max_dns_lookups: int = 20,
                 dns_attempts: int = 3, allowlist_ttl_s: float = 300, max_retry_attempts: int = 50,
                 rule_for: Callable[[str], object] | None = None, search_factory: Callable[[], object] | None = None,
                 fields_for: Callable[[object], dict] | None = None, after_retry: Iterable[Callable] = ()):
        self.client = client
        self.repository = repository
        self.settings = settings
        self.clock = clock
        self.asset_ttl_s = asset_ttl_s
        self.dns_ttl_s = dns_ttl_s
        self.max_dns_lookups = max_dns_lookups
        self.dns_attempts = dns_attempts
        self.max_retry_attempts = max_retry_attempts
        self.correlator = ProcessCorrelator(correlation_lookback_minutes)
        self.reference_sets = ReferenceSetCache(client, allowlist_ttl_s)
        # Only re-enrichment needs these: the rule of a stored hit, and a way to search for a correlation.
        self.rule_for = rule_for
        self.search_factory = search_factory
        self.fields_for = fields_for
        # Processors that follow enrichment in the pipeline (the exceptions) run again on a re-enriched hit:
        # an exception may match only now that, say, the asset is known.
        self.after_retry = list(after_retry)

    def _lookups(self) -> Lookups:
        return Lookups(self.client, self.repository, self.settings, self.clock(), asset_ttl_s=self.asset_ttl_s,
                       dns_ttl_s=self.dns_ttl_s, max_dns_lookups=self.max_dns_lookups,
                       dns_attempts=self.dns_attempts, reference_sets=self.reference_sets)

    # -- the processor --------------------------------------------------------------------------------
    def __call__(self, rule, hits: list[Hit], context: WindowContext) -> None:
        if not hits:
            return
        lookups = self._lookups()
        services = ServiceCatalog.load(self.settings.get(SERVICES_SETTING, {}))
        processes, correlation_errors = self._correlate(rule.id, hits, context)
        lookups.prefetch_hostnames(_unnamed_public_destinations(hits))
        built = []
        for hit in hits:
            try:
                built.append((hit, self._build(rule, hit, lookups, services, processes.get(hit.process_guid),
                                               correlation_errors.get(hit.process_guid))))
            except Exception as error:   # a bug must not lose the window's hits: keep the hit, retry later
                log.exception("enrichment of hit %s failed", hit.identity)
                hit.enrichment = {"attack": _attack(rule), "state": "partial",
                                  "errors": [f"enrichment failed: {error}"]}
        self._finish(rule, built)

    process = __call__

    def _correlate(self, rule_id: str, hits: Iterable[Hit], context) -> tuple[dict, dict]:
        """(processes by GUID, error by GUID) for the hits that lack a command line: the GUIDs a failed
        search or the search budget left unanswered carry the error that makes their hits partial."""
        wanted = [(h.process_guid, h.log_source_id, (h.facts or {}).get("process_image"))
                  for h in hits if h.process_guid and not h.command_line]
        if not wanted:
            return {}, {}
        try:
            found = self.correlator.processes(wanted, context, key=(rule_id,))
        except CorrelationUnavailable as why:
            log.info("no process correlation: %s", why)
            return {}, {}
        except Exception as error:
            log.warning("process correlation search failed: %s", error)
            return {}, dict.fromkeys((g for g, _, _ in wanted), f"process correlation by ProcessGuid: {error}")
        deferred = ("process correlation by ProcessGuid deferred: this window needed more than "
                    f"{self.correlator.max_searches} console searches; re-enrichment completes it")
        return found.found, dict.fromkeys(found.deferred, deferred)

    def _build(self, rule, hit: Hit, lookups: Lookups, services: ServiceCatalog, process: dict | None,
               correlation_error: str | None) -> dict:
        facts = hit.facts or {}
        errors: list[str] = []
        if correlation_error and hit.process_guid and not hit.command_line and process is None:
            errors.append(correlation_error)
        command_line = hit.command_line or (process or {}).get("command_line")
        image = facts.get("process_path") or hit.process_image or (process or {}).get("process_image")
        original = facts.get("original_file_name") or (process or {}).get("original_file_name")
        tool = tool_identity(image, original)
        credentials = find_credentials(command_line)
        enrichment: dict = {"attack": _attack(rule), "tool": tool}
        for key, value in (hit.enrichment or {}).items():   # what earlier processors added (the analysis)
            if key not in OWN_KEYS:
                enrichment.setdefault(key, value)
        enrichment["process"] = {
            "guid": hit.process_guid,
            "command_line": credentials.masked_command_line,
            "parent_image": facts.get("parent_image") or (process or {}).get("parent_image"),
            "parent_command_line": _mask_parent(facts.get("parent_command_line")
                                                or (process or {}).get("parent_command_line")),
            "source": "event" if hit.command_line or process is None else "correlated",
        }
        if hit.process_guid and not hit.command_line and not valid_guid(hit.process_guid):
            enrichment["process"]["note"] = "the process GUID is not a GUID (control characters or its form): " \
                                            "not correlated"
        if command_line:
            enrichment["command_line_masked"] = credentials.masked_command_line
        enrichment["credentials"] = credentials.found

        destination = self._destination(hit, command_line, lookups, services, errors)
        enrichment["protocol"] = guess_protocol(destination.get("port") if destination else None, command_line,
                                                tool["name"])
        if destination:
            enrichment["destination"] = destination

        asset, error = lookups.asset(hit.source_ip)
        if error:
            errors.append(error)
        if asset is not UNKNOWN:
            enrichment["asset"] = asset

        allowlisted, allow_errors = lookups.allowlisted({
            "destination_ip": (destination or {}).get("ip"),
            "destination_hostname": (destination or {}).get("hostname"),
            # A renamed binary's tool name rests on its PE name alone, which whoever built it wrote.
            "username": hit.username, "source_ip": hit.source_ip, "tool": None if tool["renamed"] else tool["name"]})
        enrichment["allowlisted"] = allowlisted
        errors += allow_errors
        enrichment["indicators"] = _indicators(hit, enrichment, command_line, process)
        enrichment["state"] = "partial" if errors else "complete"
        enrichment["errors"] = errors
        return enrichment

    def _destination(self, hit: Hit, command_line, lookups: Lookups, services: ServiceCatalog, errors) -> dict | None:
        """The remote end: the event's network tuple (Sysmon 3), the queried name (Sysmon 22), or the remote a
        transfer command line names. Events without a network tuple carry the host's own IP and port 0."""
        facts = hit.facts or {}
        networked = bool(hit.destination_ip and hit.destination_port and hit.destination_ip != hit.source_ip)
        ip = str(parse_ip(hit.destination_ip)) if networked and parse_ip(hit.destination_ip) else None
        port = hit.destination_port if networked else None
        hostname = normalize_host(facts.get("destination_hostname")) if networked else None
        hostname = hostname or normalize_host(facts.get("query_name"))
        if not ip and not hostname:
            host, named_port = command_line_destination(command_line)
            if host and parse_ip(host):
                ip = str(parse_ip(host))
            elif host:
                hostname = normalize_host(host)
            port = port or named_port
        if not ip and not hostname:
            return None
        public = is_public(ip) if ip else None
        if ip and not hostname and public:
            hostname, error = lookups.hostname(ip)
            if error:
                errors.append(error)
        service = services.lookup(hostname)
        if public is None and service:
            public = True              # a named internet service, reached by name
        return {"ip": ip, "port": port, "hostname": hostname, "public": public, "service": service}

    def _finish(self, rule, built: list[tuple[Hit, dict]]) -> None:
        """First-seen for the whole batch in one store transaction, then the risk score of each hit."""
        contacts = [(hit, e["destination"]) for hit, e in built if e.get("destination") and hit.source_ip]
        firsts = self.repository.record_contacts(
            (hit.source_ip, [d.get("ip"), d.get("hostname")], hit.event_time_ms) for hit, d in contacts)
        for (hit, destination), first in zip(contacts, firsts):
            destination["first_seen_ms"] = first
            destination["first_time"] = hit.event_time_ms <= first
        for hit, enrichment in built:
            enrichment["risk"] = score(rule, enrichment)
            hit.enrichment = enrichment
            hit.risk_score = enrichment["risk"]["score"]

    # -- re-enrichment ------------------------------------------------------------------------------------
    def retry_partial(self, limit: int = 100) -> int:
        """Enriches again up to `limit` stored hits whose enrichment is partial, then runs the `after_retry`
        processors on them; returns how many are now complete. Each hit's enrichment, risk score, state (and
        suppression, when an exception now matches) are updated in one transaction."""
        rows = self.repository.partial_hits(limit, max_attempts=self.max_retry_attempts)
        if not rows:
            return 0
        self.reference_sets.clear()     # the lookups failed before: ask afresh
        lookups = self._lookups()
        services = ServiceCatalog.load(self.settings.get(SERVICES_SETTING, {}))
        completed = 0
        stored = []
        for row in rows:
            previous = row.get("enrichment") or {}
            stored.append((row, previous, self._rule(row["rule_id"], previous), *_hit_from_row(row, previous)))
        fields_of, processes, errors = self._correlate_stored([(rule, hit) for _, _, rule, hit, process in stored
                                                               if process is None])
        lookups.prefetch_hostnames(_unnamed_public_destinations(hit for _, _, _, hit, _ in stored))
        for row, previous, rule, hit, process in stored:
            fields = fields_of.get(rule.id, {})
            process = process or processes.get(hit.process_guid)
            correlation_error = errors.get(hit.process_guid)
            try:
                enrichment = self._build(rule, hit, lookups, services, process, correlation_error)
                enrichment["indicators"] += [i for i in previous.get("indicators") or []
                                             if i not in enrichment["indicators"]]
                for key, value in previous.items():       # what later processors added (e.g. suppressed_by)
                    if key not in OWN_KEYS:
                        enrichment.setdefault(key, value)
                self._finish(rule, [(hit, enrichment)])
                context = WindowContext(Window(hit.event_time_ms, hit.event_time_ms + 1), fields,
                                        self.search_factory or _no_search, self.clock)
                for process_again in self.after_retry:
                    process_again(rule, [hit], context)
            except Exception as error:
                log.exception("re-enrichment of hit %s failed", row["id"])
                enrichment = dict(previous, state="partial", errors=[f"enrichment failed: {error}"])
                self.repository.save_enrichment(row["id"], enrichment, row.get("risk_score"), now_ms=self.clock())
                continue
            self.repository.save_enrichment(row["id"], hit.enrichment, hit.risk_score, now_ms=self.clock(),
                                            suppressed=hit.suppressed, exception_id=hit.exception_id)
            completed += hit.enrichment.get("state") == "complete"
        log.info("re-enrichment: %s of %s partial hits completed", completed, len(rows))
        return completed

    def _rule(self, rule_id: str, previous: dict):
        rule = self.rule_for(rule_id) if self.rule_for else None
        if rule is not None:
            return rule
        attack = previous.get("attack") or {}
        return _StoredRule(rule_id, tactic=attack.get("tactic"), technique=attack.get("technique"),
                           subtechnique=attack.get("subtechnique"))

    def _correlate_stored(self, stored: list[tuple[object, Hit]]) -> tuple[dict, dict, dict]:
        """(fields by rule id, processes by GUID, error by GUID) for stored hits: the hits of one rule and one
        hour are correlated together (one window: one search per batch, not one per hit)."""
        fields_of, processes, errors, groups, unreadable = {}, {}, {}, {}, {}
        if self.search_factory is None or self.fields_for is None:
            return fields_of, processes, errors
        for rule, hit in stored:
            if isinstance(rule, _StoredRule) or not hit.process_guid or hit.command_line:
                continue
            if rule.id not in fields_of and rule.id not in unreadable:
                try:
                    fields_of[rule.id] = self.fields_for(rule)
                except Exception as error:
                    unreadable[rule.id] = f"process correlation by ProcessGuid: {error}"
            if rule.id in unreadable:
                errors[hit.process_guid] = unreadable[rule.id]
            else:
                groups.setdefault((rule.id, hit.event_time_ms // CORRELATION_GROUP_MS), []).append(hit)
        for (rule_id, _), hits in groups.items():
            times = [hit.event_time_ms for hit in hits]
            context = WindowContext(Window(min(times), max(times) + 1), fields_of[rule_id], self.search_factory,
                                    self.clock)
            found, failed = self._correlate(rule_id, hits, context)
            processes.update(found)
            errors.update(failed)
        return fields_of, processes, errors


def _unnamed_public_destinations(hits: Iterable[Hit]) -> list[str]:
    """The public addresses `_destination` will ask reverse DNS for: connections whose event names no host
    (addresses a command line names are few and asked one by one)."""
    addresses = {}
    for hit in hits:
        facts = hit.facts or {}
        if (hit.destination_ip and hit.destination_port and hit.destination_ip != hit.source_ip
                and hit.destination_ip not in addresses and not normalize_host(facts.get("destination_hostname"))
                and not normalize_host(facts.get("query_name"))):
            address = parse_ip(hit.destination_ip)
            addresses[hit.destination_ip] = str(address) if address is not None and is_public(str(address)) else None
    return [a for a in addresses.values() if a]


def _no_search():
    raise RuntimeError("no Ariel search is available to re-enrichment")


def _attack(rule) -> dict:
    return {"tactic": rule.tactic, "technique": rule.technique, "subtechnique": rule.subtechnique}


def _indicators(hit: Hit, enrichment: dict, command_line, process) -> list[str]:
    """Why the hit fired, in an analyst's words: what the rule's conditions matched on this event."""
    facts = hit.facts or {}
    tool = enrichment["tool"]
    phrases = []
    if tool.get("name") in TRANSFER_TOOLS:
        image = file_name(tool.get("image"))
        phrases.append(f"transfer tool {tool['name']}" + (f" ({_short(image)})" if image else ""))
    if tool.get("renamed"):
        phrases.append(f"renamed binary: {_short(file_name(tool.get('image')))} is "
                       f"{_short(tool.get('original_file_name'))}")
    phrases += command_line_actions(command_line, tool.get("name"))
    decided = (enrichment.get("analysis") or {}).get("decided_by")
    if decided:     # what the command-line analyzer read (docs/rules.md)
        phrases.append(f"{decided['channel']} upload by {decided['tool']} to {decided.get('host') or 'an unread host'}"
                       f" ({decided.get('scheme') or 'scheme not read'}, {decided['technique']})")
    for credential in enrichment.get("credentials") or []:
        phrase = f"{credential['kind']} on the command line"
        if phrase not in phrases:
            phrases.append(phrase)
    if hit.event_id == "22" and facts.get("query_name"):
        phrases.append(f"DNS query for {_short(facts['query_name'])}")
    if hit.event_id == "11" and facts.get("target_filename"):
        phrases.append(f"file written: {_short(facts['target_filename'])}")
    destination = enrichment.get("destination") or {}
    where = destination.get("hostname") or destination.get("ip")
    port = f":{destination['port']}" if destination.get("port") else ""
    if hit.event_id == "3" and where:
        phrases.append(f"network connection to {where}{port}")
    if destination.get("public"):
        protocol = enrichment.get("protocol")
        phrases.append(f"public destination {destination.get('ip') or where}{port}"
                       + (f" ({protocol})" if protocol and protocol != "unknown" else ""))
    if destination.get("service"):
        service = destination["service"]
        phrases.append(f"{service['category']} service {service['name']} ({where})")
    if process is not None and not hit.command_line:
        phrases.append("command line from the process creation with the same ProcessGuid")
    return phrases


def _short(value, limit: int = 300) -> str:
    """Telemetry quoted in an indicator: enough to recognise it (the hit keeps the whole event)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def _hit_from_row(row: dict, previous: dict) -> tuple[Hit, dict | None]:
    """A stored hit as the pipeline saw it. The hits table keeps the main columns, not every fact of the
    event: the ones enrichment used come back from the previous enrichment."""
    tool, process = previous.get("tool") or {}, previous.get("process") or {}
    destination = previous.get("destination") or {}
    facts = {"original_file_name": tool.get("original_file_name"), "process_path": tool.get("image"),
             "parent_image": process.get("parent_image"), "parent_command_line": process.get("parent_command_line")}
    if row.get("event_id") == "3":
        facts["destination_hostname"] = destination.get("hostname")
    elif row.get("event_id") == "22":
        facts["query_name"] = destination.get("hostname")
    hit = Hit(identity=row["identity"], rule_id=row["rule_id"], event_time_ms=row["event_time_ms"],
              source_ip=row.get("source_ip"), destination_ip=row.get("destination_ip"),
              destination_port=row.get("destination_port"), username=row.get("username"), event_id=row.get("event_id"),
              process_image=row.get("process_image"), command_line=row.get("command_line"),
              process_guid=row.get("process_guid"), log_source_id=row.get("log_source_id"), qid=row.get("qid"),
              payload=row.get("payload"), fields=row.get("fields") or {}, facts=facts,
              suppressed=bool(row.get("suppressed")), exception_id=row.get("exception_id"))
    correlated = None
    if process.get("source") == "correlated" and process.get("command_line"):
        # Already found (and stored masked): re-masking a masked line is harmless, and no search is needed.
        correlated = {"command_line": process["command_line"], "parent_image": process.get("parent_image"),
                      "parent_command_line": process.get("parent_command_line"),
                      "process_image": tool.get("image"), "original_file_name": tool.get("original_file_name")}
    return hit, correlated


@functools.lru_cache(maxsize=256)
def _mask_short(command_line: str) -> str | None:
    return mask(command_line)


def _mask_parent(command_line: str | None) -> str | None:
    """mask(), remembered for short command lines: many hits share a parent (a script, a scheduled task)."""
    if isinstance(command_line, str) and len(command_line) <= 4096:
        return _mask_short(command_line)
    return mask(command_line)
