"""What the analyzer concluded about one command line, and the arguments that decided it.

A verdict is kept on the hit (enrichment `analysis`) so that an analyst sees how each argument was read:
`evidence` lists (argument as written, how it was read) in the order they were used.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ENCRYPTED = "T1048.002"
PLAINTEXT = "T1048.003"


@dataclass
class Verdict:
    tool: str                       # the grammar that read it: curl, powershell:Invoke-RestMethod, robocopy ...
    channel: str                    # what kind of upload: file, form, body, bits, webdav, sftp, mail ...
    destination: str | None         # URL, UNC path or host as written (after variable substitution)
    host: str | None
    scheme: str | None              # https, ftp, sftp, webdav+ssl, smtp+tls ...
    encrypted: bool | None          # None: the channel's encryption could not be read
    evidence: list[tuple[str, str]] = field(default_factory=list)
    destination_class: str = "external"   # external, internal, loopback, unknown
    via: list[str] = field(default_factory=list)   # wrappers read on the way (cmd /c, -EncodedCommand ...)

    @property
    def technique(self) -> str:
        # An unreadable channel is weighed as encrypted: most upload targets speak TLS today, and a miss is the
        # costlier mistake for T1048.002.
        return PLAINTEXT if self.encrypted is False else ENCRYPTED

    def as_dict(self) -> dict:
        return {"tool": self.tool, "channel": self.channel, "destination": self.destination, "host": self.host,
                "scheme": self.scheme, "encrypted": self.encrypted, "technique": self.technique,
                "destination_class": self.destination_class, "via": list(self.via),
                "evidence": [{"argument": a, "read_as": r} for a, r in self.evidence]}
