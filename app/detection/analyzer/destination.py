"""Where an upload goes: the scheme (encrypted or not) and whether the host is the company's own.

"Internal" is RFC 1918, link-local, CGNAT and unique-local space plus the networks and domain suffixes an
administrator declares (the admin setting; QRadar's network hierarchy supplies defaults). Loopback is its own
class: a local listener forwards the data elsewhere, so it is not "the company's server" (the seed's test 3 and
Atomic Red Team's pscp test upload to 127.0.0.1); an administrator may declare 127.0.0.0/8 internal.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16",
                    "fc00::/7", "fe80::/10")

# scheme -> encrypted? (None: depends on the tool's other options, decided by the caller)
SCHEMES = {
    "https": True, "ftps": True, "sftp": True, "scp": True, "smtps": True, "imaps": True, "pop3s": True,
    "davs": True, "webdavs": True, "ldaps": True, "wss": True, "s3": True,
    "http": False, "ftp": False, "ftpes": True, "smtp": False, "imap": False, "pop3": False, "tftp": False,
    "dav": False, "webdav": False, "telnet": False, "ws": False, "ldap": False, "gopher": False, "dict": False,
}

MAX_HOST = 255


@dataclass(frozen=True)
class InternalNetworks:
    networks: tuple = ()
    domains: tuple = ()              # lower-case suffixes, without a leading dot
    loopback_internal: bool = False

    @classmethod
    def build(cls, networks=(), domains=(), loopback_internal=False) -> "InternalNetworks":
        parsed = []
        for text in (*PRIVATE_NETWORKS, *networks):
            try:
                parsed.append(ipaddress.ip_network(str(text).strip(), strict=False))
            except ValueError:
                continue          # validated where it is entered; a bad entry never stops detection
        names = tuple(str(d).strip().lower().lstrip("*").lstrip(".") for d in domains if str(d).strip())
        return cls(tuple(parsed), tuple(n for n in names if n), bool(loopback_internal))

    def classify(self, host: str | None) -> str:
        if not host:
            return "unknown"
        host = host.strip().strip("[]").lower()[:MAX_HOST]
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            address = None
        if address is not None:
            if address.is_loopback:
                return "internal" if self.loopback_internal else "loopback"
            return "internal" if any(address in n for n in self.networks) else "external"
        if host == "localhost":
            return "internal" if self.loopback_internal else "loopback"
        if any(host == d or host.endswith("." + d) for d in self.domains):
            return "internal"
        return "external"


DEFAULT_INTERNAL = InternalNetworks.build()


@dataclass
class Url:
    scheme: str | None
    host: str | None
    port: int | None
    text: str
    userinfo: str | None = field(default=None, repr=False)


def parse_url(text: str, default_scheme: str | None = None) -> Url | None:
    """A URL's scheme, host and port by plain string slicing (no regular expression: linear on any input)."""
    if not text:
        return None
    raw = text.strip().strip("'\"")
    rest, scheme = raw, None
    head, sep, tail = raw.partition("://")
    if sep and head and head.replace("+", "").replace("-", "").replace(".", "").isalnum() and len(head) <= 16:
        scheme, rest = head.lower(), tail
    elif default_scheme is None:
        return None
    else:
        scheme = default_scheme
    authority = rest
    for stop in "/?#":
        authority = authority.split(stop, 1)[0]
    userinfo = None
    if "@" in authority:
        userinfo, _, authority = authority.rpartition("@")
    host, port = authority, None
    if authority.startswith("["):
        host, _, after = authority[1:].partition("]")
        if after.startswith(":") and after[1:].isdigit():
            port = int(after[1:])
    elif authority.count(":") == 1:
        host, _, p = authority.partition(":")
        port = int(p) if p.isdigit() and len(p) <= 5 else None
    host = host.strip().lower() or None
    if host and not all(c.isalnum() or c in "-._:%" for c in host):
        return None
    return Url(scheme, host, port, raw, userinfo)


def scheme_encrypted(scheme: str | None) -> bool | None:
    return SCHEMES.get((scheme or "").lower())
