"""The native tools: one reader per tool, each reading an argument vector with its grammar (grammars/*.json).
A reader returns a Verdict when the command sends local data out, None otherwise (downloads, listings,
literal form fields, a transfer whose destination cannot be read)."""
from __future__ import annotations

from . import webdav
from .argv import program_stem, split_cmd, split_windows
from .destination import parse_url, scheme_encrypted
from .grammar import load, parse
from .verdict import Verdict


def _tools():
    return load("tools")


def _url_verdict(tool, channel, text, evidence, default_scheme=None, encrypted_override=None):
    url = parse_url(text, default_scheme) if text else None
    if url is None:
        return None
    encrypted = scheme_encrypted(url.scheme) if encrypted_override is None else encrypted_override
    return Verdict(tool, channel, text, url.host, url.scheme, encrypted, evidence)


# -- curl and wget: GNU-style grammars ------------------------------------------------------------------
def curl(argv):
    g = load("curl")
    p = parse(argv[1:], g)
    evidence, channel = [], None
    for canonical, role, value, written in p.options:
        v = value or ""
        if role == "upload_file" and value is not None:
            channel, why = "file", f"{canonical}: uploads the file {value}"
        elif role == "form" and ("=@" in v or "=<" in v):
            channel, why = "form", f"{canonical}: form field read from a file"
        elif role == "data" and v.startswith("@"):
            channel, why = "body-file", f"{canonical}: request body read from the file {v[1:]}"
        elif role == "data_urlencode" and _urlencode_reads_file(v):
            channel, why = "body-file", f"{canonical}: value read from a file"
        elif role == "ssl_reqd":
            why = f"{canonical}: TLS required (explicit FTPS/SMTPS/IMAPS)"
        else:
            continue
        evidence.append((written, why))
    if channel is None or not p.positionals:
        return None
    for written in p.unknown:
        evidence.append((written, "not an option curl documents: read as a flag"))
    tls = any(role == "ssl_reqd" for _, role, _, _ in p.options)
    url = p.positionals[-1]
    evidence.append((url, "destination URL (positional)"))
    verdict = _url_verdict("curl", channel, url, evidence, g["default_scheme"])
    if verdict and tls and verdict.encrypted is False and verdict.scheme in ("ftp", "smtp", "imap", "pop3"):
        verdict.encrypted, verdict.scheme = True, verdict.scheme + "+tls"
    return verdict


def _urlencode_reads_file(value: str) -> bool:
    at, eq = value.find("@"), value.find("=")
    return at >= 0 and (eq < 0 or at < eq)


def wget(argv):
    g = load("wget")
    p = parse(argv[1:], g)
    evidence, channel = [], None
    methods = [v for _, role, v, _ in p.options if role == "method"]
    for canonical, role, value, written in p.options:
        if role == "upload_file" and value is not None:
            if canonical == "--body-file" and not methods:
                evidence.append((written, "--body-file without --method: wget refuses to run"))
                continue
            channel = "file"
            evidence.append((written, f"{canonical}: sends the file {value}"))
        elif role == "method":
            evidence.append((written, "HTTP method"))
    if channel is None or not p.positionals:
        return None
    url = p.positionals[-1]
    evidence.append((url, "destination URL (positional)"))
    return _url_verdict("wget", channel, url, evidence, g["default_scheme"])


# -- Windows tools ------------------------------------------------------------------------------------------
def bitsadmin(argv):
    g = _tools()["bitsadmin"]
    low = [a.lower() for a in argv]
    if g["transfer"] not in low:
        return None
    i = low.index(g["transfer"]) + 2           # skip the job name
    kind, rest = None, []
    while i < len(argv):
        if low[i].startswith("/") and kind is None and not rest and low[i] not in g["valued"] + g["flags"]:
            kind = low[i]                      # the transfer type: /download, /upload, /upload-reply
        elif low[i] in g["valued"]:
            i += 1
        elif not low[i] in g["flags"]:
            rest.append(argv[i])
        i += 1
    if kind not in g["upload_types"] or len(rest) < 2:
        return None
    # bitsadmin /transfer <name> [<type>] [/priority <p>] [/ACLFlags <f>] [/DYNAMIC] <remote URL> <local name>
    evidence = [(f"{argv[low.index(g['transfer'])]} ... {kind}", "BITS upload job"), (rest[0], "remote URL")]
    return _url_verdict("bitsadmin", "bits", rest[0], evidence)


def certreq(argv):
    g = _tools()["certreq"]
    verb, config, positionals, i = None, None, [], 1
    while i < len(argv):
        a = argv[i]
        key = "-" + a[1:].lower() if a[:1] in "-/" else None
        if key in g["upload_verbs"]:
            verb = a
        elif key == g["destination"] and i + 1 < len(argv):
            config, i = argv[i + 1], i + 1
        elif key in g["valued"]:
            i += 1
        elif key is None:
            positionals.append(a)
        i += 1
    if not verb or not config or not positionals:
        return None
    evidence = [(verb, "certreq -Post: sends the file's content as the request"),
                (f"-config {config}", "destination URL"), (positionals[0], "the file sent")]
    return _url_verdict("certreq", "body-file", config, evidence)


def copy_tool(argv):
    """robocopy src dst ..., xcopy src dst ..., copy/move [switches] src [+src] dst."""
    name = program_stem(argv[0])
    positionals = [a for a in argv[1:] if not a.startswith("/") and a != "+"]
    if len(positionals) < 2:
        return None
    source, target = (positionals[0], positionals[1]) if name in ("robocopy", "xcopy") else \
        (positionals[0], positionals[-1])
    return _named(webdav.copy_verdict(source, target, [(argv[0], f"{name}: copies {source} to {target}")]), name)


def _named(verdict, tool):
    if verdict:
        verdict.tool = tool
    return verdict


def _remote(arg: str):
    """`user@host:path` (scp style) -> host; a drive letter (`C:\\x`) is local."""
    head, sep, _ = arg.partition(":")
    if not sep or len(head) <= 1 or "\\" in head or "/" in head:
        return None
    return head.rpartition("@")[2].strip("[]").lower() or None


def ssh_copy(argv):
    g = _tools()["ssh_copy"]
    valued = {v.lower() for v in g["valued"]}
    positionals, i = [], 1
    while i < len(argv):
        a = argv[i]
        if a.startswith("-") and len(a) > 1:
            if a.lower() in valued or a in valued:
                i += 1
        else:
            positionals.append(a)
        i += 1
    if len(positionals) < 2:
        return None
    target, sources = positionals[-1], positionals[:-1]
    if target.lower().startswith("scp://"):
        url = parse_url(target)
        host = url.host if url else None
    else:
        host = _remote(target)
    if not host or any(_remote(s) or s.lower().startswith("scp://") for s in sources):
        return None
    evidence = [(" ".join(sources), "local source(s)"), (target, "remote destination")]
    return Verdict(program_stem(argv[0]), "scp", target, host, "scp", True, evidence)


def rclone(argv):
    g = _tools()["rclone"]
    booleans = set(g["boolean_flags"])
    positionals, flags, i = [], {}, 1
    while i < len(argv):
        a = argv[i]
        if a.startswith("-") and len(a) > 1:
            name, eq, value = a.partition("=")
            if not eq and name not in booleans and i + 1 < len(argv):
                value, i = argv[i + 1], i + 1
            flags[name.lower()] = value
        else:
            positionals.append(a)
        i += 1
    if len(positionals) < 2 or positionals[0].lower() not in g["upload_commands"]:
        return None
    command = positionals[0].lower()
    source, target = (None, positionals[1]) if command == "rcat" else (positionals[1], positionals[-1])
    if not _is_remote(target) or (source and _is_remote(source)):
        return None
    remote = target.split(":", 2)
    backend = remote[1].split(",")[0].lower() if target.startswith(":") else None
    host = flags.get(f"--{backend}-host") if backend else None
    if backend and "host=" in target:
        host = target.split("host=", 1)[1].split(",")[0].split(":")[0]
    if backend in g["plaintext_backends"]:
        encrypted = any(f in flags for f in g["tls_flags"]) or "tls=true" in target.lower()
    elif backend in g["encrypted_backends"]:
        encrypted = True
    else:
        encrypted = True if any(f in flags for f in g["tls_flags"]) else None
    evidence = [(command, "rclone transfer command"), (target, f"remote destination ({backend or 'named remote'})")]
    return Verdict("rclone", "rclone", target, (host or "").lower() or None, backend or "remote", encrypted, evidence)


def _is_remote(arg: str) -> bool:
    """An rclone remote: `name:path` or a connection string `:backend[,k=v]:path` (not a drive letter)."""
    return arg.startswith(":") or _remote(arg) is not None


def winscp(argv):
    g = _tools()["winscp"]
    low = [a.lower() for a in argv]
    commands, session = [], None
    i = 1
    while i < len(argv):
        if low[i] == g["command"]:
            i += 1
            while i < len(argv) and not argv[i].startswith("/"):
                commands.append(argv[i])
                i += 1
            continue
        if "://" in argv[i] and session is None:
            session = argv[i]
        i += 1
    upload = g["upload_switch"] in low
    opened = session
    ftps = False
    for command in commands:
        words = split_windows("x " + command)[1:]
        if not words:
            continue
        verb = words[0].lower()
        if verb == "open" and len(words) > 1:
            opened = words[1] if "://" in words[1] else "sftp://" + words[1]
            ftps = ftps or any(w.lower() in g["ftps_switches"] for w in words[2:])
        elif verb in g["upload_commands"]:
            if verb == "synchronize" and len(words) > 1 and words[1].lower() in g["download_directions"]:
                continue
            upload = True
    if not upload or not opened:
        return None
    url = parse_url(opened)
    if url is None:
        return None
    encrypted = True if ftps else scheme_encrypted(url.scheme)
    evidence = [(opened, "session opened"), ("put/synchronize/upload", "upload command")]
    return Verdict("winscp", "winscp", opened, url.host, url.scheme + ("+tls" if ftps else ""), encrypted, evidence)


def runtime(argv, kind):
    spec = _tools()["runtimes"][kind]
    code = None
    for i, a in enumerate(argv[1:], 1):
        switches = [spec["code_switch"], spec.get("alt_code_switch")] + spec.get("long_code_switches", [])
        if a in switches:
            code = argv[i + 1] if i + 1 < len(argv) else None
            break
        if spec["combine"] and a.startswith("-") and not a.startswith("--") and spec["code_switch"][1] in a[1:]:
            at = a.index(spec["code_switch"][1], 1)
            code = a[at + 1:] or (argv[i + 1] if i + 1 < len(argv) else None)
            break
    if not code:
        return None
    markers = _tools()["runtimes"]
    lowered = code.lower()
    sends = next((m for m in markers["send_markers"] if m in lowered), None)
    reads = next((m for m in markers["file_markers"] if m in lowered), None)
    if not sends or not reads:
        return None
    url = _first_url(code)
    evidence = [(sends, f"{kind}: sends a request"), (reads, "reads a local file"), (url or "?", "destination")]
    if url:
        return _url_verdict(kind, "script", url, evidence)
    # No URL literal (a host given to a client class): plain FTP clients say so by name.
    plain = any(m in lowered for m in markers["plaintext_markers"]) and \
        not any(m in lowered for m in markers["tls_markers"])
    return Verdict(kind, "script", None, None, "ftp" if plain else None, False if plain else None, evidence)


def _first_url(code: str) -> str | None:
    lowered = code.lower()
    best = -1
    for scheme in ("https://", "http://", "ftp://", "ftps://", "sftp://"):
        at = lowered.find(scheme)
        if at >= 0 and (best < 0 or at < best):
            best = at
    if best < 0:
        return None
    end = best
    while end < len(code) and code[end] not in " \t'\"`),;":
        end += 1
    return code[best:end]


def tls_pipe(argv, fed_from, feeder_written):
    """openssl s_client -connect host:port / ncat --ssl host port, with a file on standard input."""
    g = _tools()["tls_pipes"]
    name = program_stem(argv[0])
    if name in g["openssl"]["images"]:
        low = [a.lower() for a in argv]
        if g["openssl"]["subcommand"] not in low or g["openssl"]["connect"] not in low:
            return None
        target = argv[low.index(g["openssl"]["connect"]) + 1] if low.index(g["openssl"]["connect"]) + 1 < len(argv) else ""
        host = target.rsplit(":", 1)[0]
        evidence = [(feeder_written, f"standard input is the file {fed_from}"), (f"-connect {target}", "TLS client")]
        return Verdict("openssl", "tls-pipe", target, host.lower(), "tls", True, evidence)
    if name in g["ncat"]["images"]:
        ssl = any(a.lower() in g["ncat"]["tls_switches"] for a in argv[1:])
        rest = [a for a in argv[1:] if not a.startswith("-")]
        if not rest:
            return None
        evidence = [(feeder_written, f"standard input is the file {fed_from}"),
                    (" ".join(argv[1:]), "ncat with TLS" if ssl else "ncat in plain text")]
        return Verdict("ncat", "tls-pipe" if ssl else "tcp-pipe", " ".join(rest), rest[0].lower(),
                       "tls" if ssl else "tcp", ssl, evidence)
    return None


def cmd(argv, dispatch, depth):
    """cmd.exe /c|/k <script>: every command of the script, with its standard input's file."""
    script = None
    for i, a in enumerate(argv[1:], 1):
        if a.lower() in ("/c", "/k", "/r"):
            script = " ".join(argv[i + 1:])
            break
        if a.lower()[:2] in ("/c", "/k") and len(a) > 2 and not a[2:3].isalpha():
            script = a[2:] + " " + " ".join(argv[i + 1:])
            break
    if not script:
        return []
    script = script.strip()
    if script.startswith('"') and script.endswith('"') and script.count('"') % 2 == 0:
        script = script[1:-1]       # cmd /s /c "..." strips the outer quotes
    found, previous = [], None
    feeders = _tools()["tls_pipes"]["feeders"]
    for text, redirected, piped in split_cmd(script):
        words = split_windows(text)
        if not words:
            continue
        stem = program_stem(words[0])
        fed_from = redirected
        written = f"< {redirected}" if redirected else None
        if piped and previous and program_stem(previous[0]) in feeders and len(previous) > 1:
            fed_from, written = previous[1], " ".join(previous)
        if piped and previous and program_stem(previous[0]) == "echo" and stem in _tools()["sftp"]["images"]:
            verb = (previous[1] if len(previous) > 1 else "").lower()
            host = _remote(words[-1]) if len(words) > 1 else None
            if verb in _tools()["sftp"]["upload_commands"] and host:
                found.append(Verdict(stem, "sftp", words[-1], host, "sftp", True,
                                     [(" ".join(previous), f"sftp batch fed by the pipe: {verb}"),
                                      (words[-1], "remote destination")]))
        if fed_from and fed_from.strip('"').lower() not in _tools()["tls_pipes"]["empty_inputs"]:
            verdict = tls_pipe(words, fed_from, written)
            if verdict:
                found.append(verdict)
        if stem in _tools()["copy_tools"]["builtins"]:
            verdict = copy_tool(words)
            if verdict:
                found.append(verdict)
        else:
            found += dispatch(words, depth + 1)
        previous = words
    for verdict in found:
        verdict.via.insert(0, "cmd.exe /c")
    return found
