"""Where data went: is an address on the internet, and is a host name a known cloud-storage, file-sharing
or mail service (a curated list in data/services.json that administrators extend or override through the
setting `enrichment.services`)."""
from __future__ import annotations

import fnmatch
import functools
import ipaddress
import json
import re
from pathlib import Path
from typing import Mapping

SERVICES_FILE = Path(__file__).with_name("data") / "services.json"
SERVICES_SETTING = "enrichment.services"
CATEGORIES = ("cloud-storage", "file-sharing", "mail")

# Not the internet. The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32)
# are deliberately absent: test data and the bundled dataset use them as internet addresses, and Python's
# `is_private` would call them private.
NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
))


def parse_ip(value) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if value is None:
        return None
    if isinstance(value, str) and len(value) <= 64:   # a window repeats a few addresses thousands of times
        return _parse_ip_text(value)
    return _parse_ip(value)


@functools.lru_cache(maxsize=4096)
def _parse_ip_text(value: str):
    return _parse_ip(value)


def _parse_ip(value):
    try:
        address = ipaddress.ip_address(str(value).strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_public(value) -> bool | None:
    """True for an internet address, False for private/loopback/link-local/CGNAT/ULA/multicast, None when
    `value` is not an IP address."""
    address = parse_ip(value)
    if address is None:
        return None
    return not any(address.version == net.version and address in net for net in NOT_PUBLIC)


MAX_HOST_CHARS = 253       # the longest DNS name; anything longer is not a host name (telemetry can say anything)
# What str.isspace() calls a blank (re's \s is the same Unicode class) or a control character: one C-level
# scan instead of a Python generator over every character of every host name.
_NOT_IN_HOST = re.compile(r"[\s\x00-\x1f]")


def normalize_host(name) -> str | None:
    """Lower case, no trailing dot; None for empty, for Sysmon's "-" (not resolved) and for what cannot be a
    DNS name (longer than 253 characters, or holding blanks or control characters)."""
    if name is None:
        return None
    text = str(name)[:MAX_HOST_CHARS + 2].strip().rstrip(".").lower()
    if len(text) > MAX_HOST_CHARS or _NOT_IN_HOST.search(text):
        return None
    return text if text and text != "-" else None


class ServiceCatalog:
    """Domain suffix -> {"name", "category"}. `mega.nz` matches `mega.nz` and `g.api.mega.nz`, never
    `notmega.nz` nor `mega.nz.example.com`; the longest matching suffix wins. A key with `*` is a glob over
    the whole host name (e.g. `*.s3.*.amazonaws.com`)."""

    def __init__(self, entries: Mapping[str, Mapping]):
        self.suffixes: dict[str, dict] = {}
        self.globs: list[tuple[str, dict]] = []
        self._known: dict[str, dict | None] = {}
        for key, service in entries.items():
            domain = normalize_host(key)
            if not domain or not service:
                continue
            entry = {"name": str(service["name"]), "category": str(service["category"])}
            if "*" in domain:
                self.globs.append((domain, entry))
            else:
                self.suffixes[domain.lstrip(".")] = entry

    @classmethod
    def load(cls, overrides: Mapping | None = None, path: Path = SERVICES_FILE) -> "ServiceCatalog":
        """The shipped list with the administrator's entries on top; an entry set to null removes one."""
        entries = dict(json.loads(path.read_text(encoding="utf-8"))["services"])
        for key, value in (overrides or {}).items():
            if value is None:
                entries.pop(key, None)
            else:
                entries[key] = value
        return cls(entries)

    def lookup(self, hostname) -> dict | None:
        """The service of a host name (a copy: callers store it in a hit), remembered per catalog: a window's
        hits name a few hosts many times, and a catalog lives for one window."""
        key = hostname if isinstance(hostname, str) and len(hostname) <= MAX_HOST_CHARS else None
        if key is not None and key in self._known:
            found = self._known[key]
        else:
            found = self._lookup(hostname)
            if key is not None and len(self._known) < 4096:
                self._known[key] = found
        return dict(found) if found else None

    def _lookup(self, hostname) -> dict | None:
        host = normalize_host(hostname)
        if not host or parse_ip(host) is not None:
            return None
        labels = host.split(".")
        for i in range(len(labels)):                 # longest suffix first
            entry = self.suffixes.get(".".join(labels[i:]))
            if entry:
                return dict(entry)
        for pattern, entry in self.globs:
            if fnmatch.fnmatchcase(host, pattern):
                return dict(entry)
        return None


def validate_services(value) -> list[str]:
    """Problems with an administrator's `enrichment.services` value (empty list: usable)."""
    if not isinstance(value, dict):
        return ["enrichment.services must be an object: domain suffix -> {name, category} or null"]
    problems = []
    for key, service in value.items():
        if service is None:
            continue
        if not isinstance(service, dict) or not isinstance(service.get("name"), str) or not service["name"].strip():
            problems.append(f"{key}: needs a name")
        elif service.get("category") not in CATEGORIES:
            problems.append(f"{key}: category must be one of {', '.join(CATEGORIES)}")
    return problems
