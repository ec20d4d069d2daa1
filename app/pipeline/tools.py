"""What a command line says: which tool ran (renamed or not), which protocol it speaks, which
credentials it exposes (and the same line with them masked), where it sends data and how.

Pure functions over text, no console calls: the enricher and the tests use them directly.
"""
from __future__ import annotations

import functools
import re

from . import credentials
from .credentials import MASK, MAX_TEXT_CHARS, Credentials  # noqa: F401  (names enrichment and the web layer import)
from .precheck import ascii_lower, may_match

# Image stems of the tools T1048.002 is about. Everything else keeps its own stem as its name.
TRANSFER_TOOLS = frozenset({"rclone", "winscp", "winscp.com", "pscp", "psftp", "filezilla", "fzsftp", "sftp",
                            "scp", "ssh", "curl", "wget", "wget2"})
SCRIPT_HOSTS = frozenset({"powershell", "pwsh", "powershell_ise", "cmd"})


# -- tool identity ------------------------------------------------------------------------------------
def file_name(path: str | None) -> str | None:
    """The last component of a Windows or POSIX path, surrounding quotes removed."""
    if not path:
        return None
    name = re.split(r"[\\/]", str(path).strip().strip('"'))[-1]
    return name or None


def stem(name: str | None) -> str | None:
    """`rclone.exe`, `RCLONE`, `C:\\x\\rclone.EXE` -> `rclone` (the PE OriginalFileName may lack the extension)."""
    name = file_name(name)
    if not name:
        return None
    lowered = name.lower()
    for extension in (".exe", ".com", ".dll", ".mui", ".bin"):
        if lowered.endswith(extension):
            return lowered[: -len(extension)]
    return lowered


def tool_identity(image: str | None, original_file_name: str | None) -> dict:
    """{"name", "image", "renamed", "original_file_name"}: the name is the PE original file name's stem
    when the binary was renamed (svchost-helper.exe built as rclone.exe is rclone)."""
    if _short_text(image) and _short_text(original_file_name):   # telemetry: a megabyte is not remembered
        return dict(_tool_identity(image, original_file_name))   # a copy: the hit keeps it
    return _tool_identity.__wrapped__(image, original_file_name)


def _short_text(value) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= 1024)


@functools.lru_cache(maxsize=1024)   # a console runs the same few binaries over and over
def _tool_identity(image: str | None, original_file_name: str | None) -> dict:
    image_stem, original_stem = stem(image), stem(original_file_name)
    renamed = bool(image_stem and original_stem and image_stem != original_stem)
    name = original_stem if renamed else (image_stem or original_stem)
    return {"name": name, "image": image, "renamed": renamed, "original_file_name": original_file_name or None}


# -- credentials: app/pipeline/credentials.py (the table of tools and options is data) ------------------------
find_credentials, mask = credentials.find_credentials, credentials.mask


# -- protocol ---------------------------------------------------------------------------------------------
_PROTOCOL_HINTS = (   # checked in order; the first that matches the command line wins
    # (protocol, lower-case text one of which the pattern needs (precheck.py), pattern)
    ("sftp", ("sftp",), re.compile(r"\bsftp://|:sftp:|--sftp-|\bopen\s+sftp\b|(?<![\w-])sftp(\.exe)?(\s|$)", re.I)),
    ("ftps", ("ftps://", "ftpes://", "--ftp-", "--ssl-reqd"),
     re.compile(r"\bftps://|\bftpes://|--ftp-no-check-certificate|--ftp-(explicit-)?tls|--ftp-ssl|--ssl-reqd", re.I)),
    ("scp", ("scp",), re.compile(r"\bscp://|(?<![\w-])p?scp(\.exe)?\s", re.I)),
    ("smtps", ("enablessl", "-usessl", "smtps://"), re.compile(r"EnableSsl\s*=\s*\$true|-UseSsl\b|\bsmtps://", re.I)),
    ("webdav", ("dav",), re.compile(r"\bwebdavs?://|\bdavs?://|--webdav-|:webdav:", re.I)),
    ("https", ("https://",), re.compile(r"\bhttps://", re.I)),
)
_PORT_PROTOCOLS = {22: "sftp", 2222: "sftp", 443: "https", 8443: "https", 465: "smtps", 587: "smtps",
                   990: "ftps", 989: "ftps"}
_TOOL_PROTOCOLS = {"winscp": "sftp", "psftp": "sftp", "sftp": "sftp", "fzsftp": "sftp", "scp": "scp", "pscp": "scp"}


def guess_protocol(port: int | None, command_line: str | None, tool: str | None = None) -> str:
    """The encrypted protocol in use. A well-known destination port says what this connection speaks (the
    command line describes the whole process, which may open other connections); the command line (a
    scheme, an option) decides where the port does not; then what the tool speaks by default."""
    text = (command_line or "")[:MAX_TEXT_CHARS]
    lowered = ascii_lower(text)
    hinted = next((protocol for protocol, needles, pattern in _PROTOCOL_HINTS
                   if may_match(needles, lowered) and pattern.search(text)), None)
    by_port = _PORT_PROTOCOLS.get(port)
    if by_port == "sftp" and (tool in ("scp", "pscp") or hinted == "scp"):
        return "scp"
    if by_port == "https" and hinted == "webdav":
        return "webdav"
    if by_port:
        return by_port
    if port == 21:                     # FTP: encrypted only when something says TLS
        return "ftps" if hinted == "ftps" else "unknown"
    if hinted:
        return "scp" if hinted == "sftp" and tool in ("scp", "pscp") else hinted
    return _TOOL_PROTOCOLS.get(tool or "", "unknown")


# -- destination named on the command line -----------------------------------------------------------------
_HOST = r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
_URL = re.compile(r"\b(?:https?|sftp|scp|ftps?|ftpes|webdavs?|davs?|smtps?)://(?:[^/\s@\"']+@)?" + _HOST +
                  r"(?::(\d{1,5}))?", re.I)
_URL_SCHEME_CHARS = 7   # the longest scheme _URL names (webdavs): a match starts at most this far before its ://
# Searched in order, the first that matches names the remote. Each with what it needs (precheck.py): a piece of
# punctuation every match holds (absent: the pattern cannot match), or lower-case words one of which it needs.
_DESTINATION_PATTERNS = (
    (_URL, "://", None),
    (re.compile(r"--(?:sftp|ftp|webdav|smb)-(?:host|url)[\s=]+[\"']?" + _HOST, re.I), "--", None),
    (re.compile(r"SmtpClient\s*\(\s*['\"]" + _HOST + r"['\"](?:\s*,\s*(\d{1,5}))?", re.I), "(", ("smtpclient",)),
    (re.compile(r"-SmtpServer\s+['\"]?" + _HOST, re.I), "-", ("-smtpserver",)),
    # scp/pscp/sftp user@host:path. The look-behind holds every character the user part may hold, so a
    # match can only start where such a run starts (each run is tried once: linear).
    (re.compile(r"(?<![\w/:@.$-])[\w.$-]+@" + _HOST + r":(?!//)"), "@", None),
)
# `sftp user@host` / `ssh user@host`: the first user@host argument after the program (an e-mail address
# elsewhere on a line is not a remote). Two searches instead of one lazy `(?:\S+\s+)*?`, which would scan
# the rest of the line again from every "ssh" on it.
_SSH_PROGRAM = re.compile(r"\b(?:sftp|ssh)(?:\.exe)?[\"']?(?=\s)", re.I)
_SSH_REMOTE = re.compile(r"(?<!\S)[\w.$-]+@" + _HOST + r"(?=[\s\"']|$)")
_PORT_OPTIONS = re.compile(r"(?:(?<!\S)-P\s+|(?<!\S)-Port\s+|--(?:sftp|ftp)-port[\s=]+)(\d{1,5})\b", re.I)


def command_line_destination(command_line: str | None) -> tuple[str | None, int | None]:
    """(host or IP, port) of the remote a transfer command line names, or (None, None)."""
    if not command_line:
        return None, None
    command_line = command_line[:MAX_TEXT_CHARS]
    lowered = ascii_lower(command_line)
    match = None
    for pattern, needed, words in _DESTINATION_PATTERNS:
        if needed not in command_line or not may_match(words, lowered):
            continue
        if pattern is _URL:   # searched from the first "://" on: the text before it cannot start a match
            match = pattern.search(command_line, max(0, command_line.find("://") - _URL_SCHEME_CHARS))
        else:
            match = pattern.search(command_line)
        if match:
            break
    if match is None and "@" in command_line and may_match(("sftp", "ssh"), lowered):
        program = _SSH_PROGRAM.search(command_line)
        match = _SSH_REMOTE.search(command_line, program.end()) if program else None
    if match is None:
        return None, None
    host = match.group(1).strip("[]").rstrip(".")
    port = match.group(2) if match.re.groups >= 2 else None
    if port is None and may_match(("-p",), lowered):
        option = _PORT_OPTIONS.search(command_line)
        port = option.group(1) if option else None
    return host, (int(port) if port and 0 < int(port) < 65536 else None)


# -- what the command line does ------------------------------------------------------------------------------
# (phrase, pattern, tools or None for any, pattern that must also occur after the match or None, the words one of
# which the pattern needs or None: precheck.py). The second pattern replaces a look-ahead `(?=.*X)`, which would
# scan the rest of the line from every occurrence.
_ACTION_PATTERNS = (
    ("rclone {} command", re.compile(r"(?<!\S)(copy|copyto|sync|bisync|move|moveto|rcat|mount|serve)(?=\s|$)", re.I),
     {"rclone"}, None, None),
    ("rclone remote configured on the command line", re.compile(r"\bconfig\s+(?:create|update)\s", re.I), {"rclone"},
     None, None),
    ("curl upload option {}", re.compile(r"(?<!\S)((?:-T|--upload-file|-F|--form|--form-string|--data-binary|"
                                         r"--data-raw|--data|--json)(?=[\s=])|-d\s*@)"), {"curl"}, None, None),
    ("wget upload option {}", re.compile(r"(?<!\S)(--post-file|--post-data|--body-file)(?=[\s=])"), {"wget", "wget2"},
     None, None),
    ("WinSCP script puts files", re.compile(r"[\"\s]put\s", re.I), {"winscp", "winscp.com"}, None, None),
    ("WebClient {} upload", re.compile(r"\.(Upload(?:Data|File|String|Values))(?:Async|TaskAsync)?\s*\(", re.I), None,
     None, (".upload",)),
    ("{} with -InFile", re.compile(r"(Invoke-RestMethod|Invoke-WebRequest|\birm\b|\biwr\b)", re.I), None,
     re.compile(r"\s-InFile\s", re.I), ("invoke-", "irm", "iwr")),
    ("SmtpClient with EnableSsl", re.compile(r"SmtpClient", re.I), None, re.compile(r"EnableSsl\s*=\s*\$true", re.I),
     ("smtpclient",)),
    ("Send-MailMessage with -UseSsl", re.compile(r"Send-MailMessage", re.I), None, re.compile(r"\s-UseSsl\b", re.I),
     ("send-mailmessage",)),
)


def command_line_actions(command_line: str | None, tool: str | None) -> list[str]:
    """Human phrases for the transfer actions a command line performs (upload flags, rclone commands ...)."""
    if not command_line:
        return []
    command_line = command_line[:MAX_TEXT_CHARS]
    lowered = ascii_lower(command_line)
    phrases = []
    for template, pattern, tools, after, needles in _ACTION_PATTERNS:
        if (tools is not None and tool not in tools) or not may_match(needles, lowered):
            continue
        match = pattern.search(command_line)
        if match and (after is None or after.search(command_line, match.end())):
            argument = match.group(1) if match.re.groups else ""
            phrase = template.format(" ".join(argument.split()))
            if phrase not in phrases:
                phrases.append(phrase)
    return phrases
