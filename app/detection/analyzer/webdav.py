"""WebDAV through UNC paths: `\\\\host@SSL\\DavWWWRoot\\dir`, `\\\\host@SSL@8443\\dir`, `\\\\host@8080\\dir`,
`\\\\host\\DavWWWRoot\\dir`. The WebClient service (its svchost) makes the connection, so the copy tool's own
command line is the only place the upload shows. Copying *from* such a path is a download.
"""
from __future__ import annotations

from .verdict import Verdict


def parse_unc(path: str | None) -> dict | None:
    """{"host", "port", "ssl"} for a WebDAV UNC path; None for anything else (SMB shares included)."""
    if not path:
        return None
    text = path.strip().strip('"')
    if text[:8].upper() == "\\\\?\\UNC\\":
        text = "\\\\" + text[8:]
    if not (text.startswith("\\\\") or text.startswith("//")):
        return None
    server = text[2:].replace("/", "\\").split("\\", 2)
    authority = server[0]
    share = server[1] if len(server) > 1 else ""
    parts = authority.split("@")
    host, ssl, port = parts[0], False, None
    for part in parts[1:]:
        if part.upper() == "SSL":
            ssl = True
        elif part.isdigit() and len(part) <= 5:
            port = int(part)
        else:
            return None
    if not host or (len(parts) == 1 and share.lower() != "davwwwroot"):
        return None             # \\host\share without @SSL/@port/DavWWWRoot is SMB
    return {"host": host.lower(), "port": port or (443 if ssl else 80), "ssl": ssl}


def copy_verdict(source: str | None, target: str | None, evidence: list) -> Verdict | None:
    dav = parse_unc(target)
    if dav is None or parse_unc(source) is not None:
        return None
    evidence = evidence + [(target, f"WebDAV {'over TLS' if dav['ssl'] else 'over plain HTTP'} to "
                                    f"{dav['host']}:{dav['port']} (UNC path; the WebClient service connects)")]
    return Verdict("", "webdav", target, dav["host"], "davs" if dav["ssl"] else "dav", dav["ssl"], evidence)
