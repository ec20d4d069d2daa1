"""Console lookups for enrichment: the asset behind an IP, reverse DNS, reference-set allowlists.

Each answer is cached (assets and DNS in the store with a time limit, so one run never asks twice for an IP;
reference sets in memory for a few minutes). Reverse DNS of a window's addresses is asked for all at once
(`prefetch_hostnames`: the console's lookups run together and are polled together), so n new addresses wait
about as long as one. A lookup that fails is reported to the caller as an error
string, never raised. After one failure of a service within a batch, the rest of the batch skips that
service instead of waiting through the client's retries again for every hit: the hits are stored partial
and re-enriched later.
"""
from __future__ import annotations

import ipaddress
import logging
import time
from typing import Callable, Mapping

from ..store.enrichment import EnrichmentRepository
from .destinations import normalize_host, parse_ip

log = logging.getLogger(__name__)

ALLOWLIST_SETTING = "enrichment.allowlist_sets"
ALLOWLIST_FIELDS = ("destination_ip", "destination_hostname", "username", "source_ip", "tool")
NO_NAME_TTL_S = 3600
UNKNOWN = object()     # a lookup that failed: the enrichment leaves the key out (absent = unknown)


def summarize_asset(asset: Mapping) -> dict:
    """The asset model object reduced to what an analyst needs: id, host name, owner, criticality."""
    properties = {}
    for prop in asset.get("properties") or []:
        if isinstance(prop, Mapping) and prop.get("name"):
            properties[str(prop["name"]).strip().lower()] = prop.get("value")
    hostnames = [h.get("name") for h in asset.get("hostnames") or [] if isinstance(h, Mapping) and h.get("name")]
    hostname = hostnames[0] if hostnames else (properties.get("given name") or properties.get("unified name"))
    return {"id": asset.get("id"), "hostname": hostname, "owner": properties.get("owner"),
            "criticality": properties.get("business criticality")}


class Lookups:
    """One batch of lookups (a window's hits, or a re-enrichment pass): shared caches, one breaker per service."""

    def __init__(self, client, repository: EnrichmentRepository, settings, now_ms: int, *, asset_ttl_s: float,
                 dns_ttl_s: float, max_dns_lookups: int, dns_attempts: int, reference_sets: "ReferenceSetCache"):
        self.client = client
        self.repository = repository
        self.settings = settings
        self.now_ms = now_ms
        self.asset_ttl_s = asset_ttl_s
        self.dns_ttl_s = dns_ttl_s
        self.dns_budget = max_dns_lookups
        self.dns_attempts = dns_attempts
        self.reference_sets = reference_sets
        self.down: dict[str, str] = {}       # service -> the error that made the batch stop asking it
        # Answers already given in this batch: a window's hits repeat a few hosts thousands of times, and the
        # store's cache costs a query each time.
        self._batch: dict[tuple[str, str], tuple] = {}
        self._allowlist_sets = None

    def _failed(self, service: str, what: str, error: Exception) -> str:
        self.down[service] = f"{what}: {error}"
        log.warning("enrichment %s failed: %s", what, error)
        return f"{what}: {error}"

    def _skipped(self, service: str, what: str) -> str:
        return f"{what} not tried: {self.down[service]}"

    def _once_per_batch(self, kind: str, ip, look_up) -> tuple:
        """One answer per address per batch; failures are not kept: the breaker decides what happens next."""
        key = (kind, str(ip))
        answer = self._batch.get(key)
        if answer is None:
            answer = look_up(ip)
            if answer[1] is None:
                self._batch[key] = answer
        return answer

    # -- asset ---------------------------------------------------------------------------------------
    def asset(self, ip) -> tuple[object, str | None]:
        """(asset summary | None when the console knows none | UNKNOWN, error or None)."""
        return self._once_per_batch("asset", ip, self._asset)

    def _asset(self, ip) -> tuple[object, str | None]:
        address = parse_ip(ip)
        if address is None:
            return None, None
        key = str(address)
        found, value = self.repository.cached("asset", key, now_ms=self.now_ms, ttl_s=self.asset_ttl_s)
        if found:
            return value, None
        what = f"asset lookup for {key}"
        if "asset" in self.down:
            return UNKNOWN, self._skipped("asset", what)
        try:
            assets = self.client.find_assets_by_ip(key)
            summary = summarize_asset(assets[0]) if assets else None
        except Exception as error:       # any failure: the hit is kept, partial, and enriched again later
            return UNKNOWN, self._failed("asset", what, error)
        self.repository.remember("asset", key, summary, now_ms=self.now_ms)
        return summary, None

    # -- reverse DNS -----------------------------------------------------------------------------------
    def hostname(self, ip) -> tuple[str | None, str | None]:
        """(host name or None, error or None). Bounded: at most `max_dns_lookups` console lookups per batch."""
        return self._once_per_batch("dns", ip, self._hostname)

    def prefetch_hostnames(self, ips) -> None:
        """Asks the console for the names of many addresses at once (started together, polled together), so
        that `hostname()` finds them answered: one window's n unknown addresses cost one DNS wait, not n.
        The cache, the budget and the breaker apply as they do to `hostname()`."""
        wanted = []
        for ip in ips:
            address = parse_ip(ip)
            if address is None or ("dns", str(address)) in self._batch or str(address) in wanted:
                continue
            key = str(address)
            found, value = self.repository.cached("dns", key, now_ms=self.now_ms, ttl_s=self.dns_ttl_s)
            if not found:
                found, _ = self.repository.cached("dns-none", key, now_ms=self.now_ms,
                                                  ttl_s=min(self.dns_ttl_s, NO_NAME_TTL_S))
                value = None
            if found:
                self._batch[("dns", key)] = (value, None)
            elif len(wanted) < self.dns_budget:
                wanted.append(key)
        if not wanted or "dns" in self.down:
            return
        self.dns_budget -= len(wanted)
        answers: dict = {}
        try:
            self.client.dns_lookups(wanted, attempts=self.dns_attempts, interval_s=0.5, answers=answers)
        except Exception as error:
            unanswered = [key for key in wanted if key not in answers]
            self._failed("dns", f"reverse DNS lookup of {', '.join(unanswered[:3])}"
                                + (f" and {len(unanswered) - 3} more" if len(unanswered) > 3 else ""), error)
        for key, message in answers.items():
            name = normalize_host(message)
            self.repository.remember("dns" if name else "dns-none", key, name, now_ms=self.now_ms)
            self._batch[("dns", key)] = (name, None)

    def _hostname(self, ip) -> tuple[str | None, str | None]:
        address = parse_ip(ip)
        if address is None:
            return None, None
        key = str(address)
        found, value = self.repository.cached("dns", key, now_ms=self.now_ms, ttl_s=self.dns_ttl_s)
        if found:
            return value, None
        # "No name" is kept for a shorter time: the console's lookup may simply not have finished in time.
        found, _ = self.repository.cached("dns-none", key, now_ms=self.now_ms, ttl_s=min(self.dns_ttl_s, NO_NAME_TTL_S))
        if found:
            return None, None
        what = f"reverse DNS lookup of {key}"
        if "dns" in self.down:
            return None, self._skipped("dns", what)
        if self.dns_budget <= 0:
            return None, None             # not an error: the hit simply has no host name this time
        self.dns_budget -= 1
        try:
            name = normalize_host(self.client.dns_lookup(key, attempts=self.dns_attempts, interval_s=0.5))
        except Exception as error:
            return None, self._failed("dns", what, error)
        self.repository.remember("dns" if name else "dns-none", key, name, now_ms=self.now_ms)
        return name, None

    # -- allowlists --------------------------------------------------------------------------------------
    def allowlisted(self, values: Mapping[str, object]) -> tuple[list[dict], list[str]]:
        """Entries {"reference_set", "field", "value"} of the configured sets that hold one of the hit's
        `values` (field -> value), and errors for sets that could not be read."""
        if self._allowlist_sets is None:
            self._allowlist_sets = self.settings.get(ALLOWLIST_SETTING, {}) or {}
        configured = self._allowlist_sets
        found, errors = [], []
        for name, field in sorted(configured.items()):
            value = values.get(field)
            if field not in ALLOWLIST_FIELDS or value in (None, ""):
                continue
            what = f"reference set {name!r}"
            if f"set:{name}" in self.down:
                errors.append(self._skipped(f"set:{name}", what))
                continue
            try:
                members = self.reference_sets.members(name)
            except Exception as error:
                errors.append(self._failed(f"set:{name}", what, error))
                continue
            if _member(field, str(value), members):
                found.append({"reference_set": name, "field": field, "value": value})
        return found, errors


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _fold(text: str) -> str:
    """A-Z folded only, as the console compares ignoring case (Unicode folding would make ſ an s)."""
    return text.strip().translate(_ASCII_LOWER)


def _member(field: str, value: str, members: frozenset[str]) -> bool:
    text = _fold(value)
    if field in ("destination_ip", "source_ip"):
        address = parse_ip(text)
        if address is None:
            return False
        if str(address) in members:
            return True
        for member in members:       # an ALN set may hold CIDR blocks
            if "/" in member:
                try:
                    if address in ipaddress.ip_network(member, strict=False):
                        return True
                except ValueError:
                    continue
        return False
    if field == "destination_hostname":
        host = normalize_host(text) or ""
        labels = host.split(".")
        return host in members or any("." + ".".join(labels[i:]) in members or "*." + ".".join(labels[i:]) in members
                                      for i in range(1, len(labels)))
    if field == "username":
        # DOMAIN\user is that account; "*\user" any domain or none; a bare "user" only a user without a domain
        # (a bare element must not let a local account WKS42\svc_backup pass for the domain's svc_backup).
        return text in members or "*\\" + text.rsplit("\\", 1)[-1] in members
    return text in members


class ReferenceSetCache:
    """Reference set members (A-Z folded) by set name, for `ttl_s` seconds. A set the console does not
    have is an empty set (and logged): a misconfiguration, not a lookup to retry."""

    def __init__(self, client, ttl_s: float = 300, monotonic: Callable[[], float] = time.monotonic):
        self.client = client
        self.ttl_s = ttl_s
        self.monotonic = monotonic
        self._sets: dict[str, tuple[float, frozenset[str]]] = {}

    def members(self, name: str) -> frozenset[str]:
        cached = self._sets.get(name)
        if cached and self.monotonic() - cached[0] < self.ttl_s:
            return cached[1]
        body = self.client.get_reference_set(name)
        if body is None:
            log.warning("allowlist reference set %r does not exist on the console", name)
            values = frozenset()
        else:
            values = frozenset(_fold(str(item.get("value"))) for item in body.get("data") or []
                               if isinstance(item, Mapping) and item.get("value") is not None)
        self._sets[name] = (self.monotonic(), values)
        return values

    def clear(self):
        self._sets.clear()
