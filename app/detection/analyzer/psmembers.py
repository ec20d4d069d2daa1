"""PowerShell member calls that send data: WebClient Upload*/OpenWrite* (member names built by concatenation
included), WinSCP's .NET assembly (Session.PutFiles ...), SmtpClient.Send."""
from __future__ import annotations

from .psscript import Script, _is, _url_verdict, grammar as _grammar
from .pstokens import Group, Tok, split_items
from .verdict import Verdict

MAX_VERDICTS = 16          # enough to show what a script does; bounds the work on crafted scripts


def member_calls(script: Script, st: list) -> list[Verdict]:
    g = _grammar()
    uploads = {k.lower() for k in g["upload_methods"] if not k.startswith("_")}
    winscp = {m.lower() for m in g["winscp_methods"]}
    mail = {m.lower() for m in g["mail_methods"]}
    found = []
    for i in range(len(st) - 2):
        if len(found) >= MAX_VERDICTS:
            break
        if not (_is(st[i], "op", ".") or _is(st[i], "op", "::")):
            continue
        member, call = st[i + 1], st[i + 2]
        if not (isinstance(call, Group) and call.open == "("):
            continue
        name = script.text_of(member) if not _is(member, "word") else member.value
        if not name:
            continue
        written = f"{member.text}{call.text}"[:200]
        args = _split_args(call.items)
        how = "member name built by concatenation" if isinstance(member, Group) else "member call"
        if name.lower() in uploads:
            target = args[0][0] if args and args[0] else None
            verdict = _url_verdict(script, target, "webclient", [(written, f"WebClient.{name} ({how}): sends to its first argument")])
            verdict.tool = "powershell:WebClient"
            found.append(verdict)
        elif name.lower() in winscp and script.mentions_winscp:
            if name.lower() == "synchronizedirectories" and args and "remote" not in args[0][-1].text.lower() \
                    and "both" not in args[0][-1].text.lower():
                continue
            found.append(_winscp_assembly(script, written, name))
        elif name.lower() in mail and script.mentions_smtp:
            found.append(_smtp_client(script, written))
    return found


def _split_args(items: list) -> list[list]:
    return split_items(items, lambda item: _is(item, "op", ","), keep_empty=True)


def _setting(script, name):
    items = script.settings.get(name)
    if not items:
        return None
    return script.text_of(items[0]) if len(items) == 1 else " ".join(getattr(x, "value", "") or x.text for x in items)


def _winscp_assembly(script, written, name) -> Verdict:
    host = _setting(script, "hostname")
    protocol = (_setting(script, "protocol") or "sftp").lower()
    protocol = protocol.rsplit(":", 1)[-1].rsplit(".", 1)[-1].strip() or "sftp"
    secure = (_setting(script, "ftpsecure") or "").lower()
    webdav_secure = (_setting(script, "webdavsecure") or "").lower()
    encrypted = {"sftp": True, "scp": True, "s3": True}.get(protocol)
    if protocol == "ftp":
        encrypted = "explicit" in secure or "implicit" in secure
    elif protocol == "webdav":
        encrypted = "true" in webdav_secure
    evidence = [(written, f"WinSCP .NET assembly Session.{name}: upload"),
                (f"HostName = {host}", "destination"), (f"Protocol = {protocol}", "protocol")]
    return Verdict("powershell:WinSCP.Session", "winscp-assembly", host, (host or "").lower() or None,
                   protocol + ("+tls" if encrypted and protocol in ("ftp", "webdav") else ""), encrypted, evidence)


def _smtp_client(script, written) -> Verdict:
    host = _setting(script, "host")
    for group in script.groups:
        for i, item in enumerate(group.items):
            if isinstance(item, Tok) and item.value.lower().endswith("smtpclient") and i + 1 < len(group.items):
                nxt = group.items[i + 1]
                if isinstance(nxt, Group):
                    args = _split_args(nxt.items)
                    host = host or (script.text_of(args[0][0]) if args and args[0] else None)
                elif isinstance(nxt, Tok) and nxt.kind == "param" and i + 2 < len(group.items):
                    host = host or script.text_of(group.items[i + 2])
                elif isinstance(nxt, Tok) and nxt.kind in ("str", "word", "var"):
                    host = host or script.text_of(nxt)
    ssl = (_setting(script, "enablessl") or "").lower() in ("$true", "true")
    evidence = [(written, "SmtpClient send"), (f"EnableSsl = {ssl}", "TLS" if ssl else "no TLS")]
    return Verdict("powershell:SmtpClient", "mail", host, (host or "").lower() or None,
                   "smtp+tls" if ssl else "smtp", ssl, evidence)
