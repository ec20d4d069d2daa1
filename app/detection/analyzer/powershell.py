"""PowerShell: the host's own arguments (-Command, -EncodedCommand and their prefixes), then the script,
read as PowerShell binds it: cmdlet aliases, parameters by exact name, alias or unambiguous prefix, any of the
dash look-alikes, `-Name:value`, positional parameters; .NET upload members (WebClient, WinSCP's assembly,
SmtpClient, in psmembers.py) including member names built from string concatenation; variables assigned once
and used later (psscript.py).
"""
from __future__ import annotations

import base64
import binascii

from . import webdav
from .grammar import load
from .psmembers import MAX_VERDICTS, member_calls
from .psscript import Script, _is, _url_verdict
from .pstokens import DASHES, Group, Tok
from .verdict import Verdict

MAX_ENCODED_DEPTH = 3


def _grammar():
    return load("powershell")


# -- the host's command line --------------------------------------------------------------------------
def host_parameter(word: str) -> str | None:
    """`-enc`, `/E`, `–ec` -> EncodedCommand; None when it is no host parameter."""
    if len(word) < 2 or (word[0] not in DASHES and word[0] != "/"):
        return None
    key = word[1:].lower()
    for name, spec in _grammar()["host_parameters"].items():
        if key in (a.lower() for a in spec.get("aliases", ())):
            return name
        if name.lower().startswith(key) and len(key) >= len(spec["shortest"]):
            return name
    return None


def decode_encoded(value: str) -> str | None:
    try:
        raw = base64.b64decode(value.strip() + "=" * (-len(value.strip()) % 4), validate=False)
        return raw.decode("utf-16-le")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def analyze_host(argv: list[str], windows_powershell: bool, native, depth: int = 0) -> list[Verdict]:
    """argv of powershell.exe/pwsh.exe -> verdicts of the script it runs."""
    specs = _grammar()["host_parameters"]
    i, script, via = 1, None, []
    while i < len(argv):
        name = host_parameter(argv[i])
        if name is None:                    # the first non-parameter starts the command (Windows PowerShell)
            script = " ".join(argv[i:])
            break
        takes = specs[name]["takes"]
        if takes == "rest":
            script = " ".join(argv[i + 1:])
            via.append(f"{argv[i]} (-Command)")
            break
        if takes == "value":
            value = argv[i + 1] if i + 1 < len(argv) else ""
            if name == "EncodedCommand":
                decoded = decode_encoded(value) if depth < MAX_ENCODED_DEPTH else None
                if decoded is None:
                    return []
                found = analyze_script(decoded, windows_powershell, native, depth + 1)
                for verdict in found:
                    verdict.via.insert(0, f"{argv[i]} (-EncodedCommand, UTF-16LE base64, decoded)")
                return found
            i += 2
            continue
        i += 1
    if not script:
        return []
    found = analyze_script(script, windows_powershell, native, depth)
    for verdict in found:
        verdict.via[:0] = via
    return found


# -- binding ----------------------------------------------------------------------------------------------
def resolve_cmdlet(name: str, windows_powershell: bool) -> str | None:
    key = name.lower()
    for cmdlet, spec in _grammar()["cmdlets"].items():
        aliases = list(spec.get("aliases", ()))
        if windows_powershell:
            aliases += spec.get("aliases_windows_powershell", ())
        if key == cmdlet.lower() or key in (a.lower() for a in aliases):
            return cmdlet
    return None


def resolve_parameter(spec: dict, written: str) -> str | None:
    """Exact name or alias, else the one declared parameter the prefix names (declared parameters win over
    common ones); None for an unknown or ambiguous name (PowerShell refuses to run the command then)."""
    key = written.lower()
    declared = {p.lower(): p for p in (*spec.get("parameters", ()), *spec.get("switches", ()))}
    declared.update({a.lower(): p for a, p in spec.get("parameter_aliases", {}).items()})
    common = {c.lower(): c for c in _grammar()["common_parameters"]}
    if key in declared:
        return declared[key]
    if key in common:
        return common[key]
    hits = {p for k, p in declared.items() if k.startswith(key)}
    if len(hits) == 1:
        return hits.pop()
    if not hits:
        common_hits = {p for k, p in common.items() if k.startswith(key)}
        return common_hits.pop() if len(common_hits) == 1 else None
    return None


def bind(spec: dict, args: list) -> tuple[dict, list]:
    """-> ({parameter: item or True}, evidence)."""
    bound, evidence, positional = {}, [], []
    switches = {s.lower() for s in (*spec.get("switches", ()), *_grammar()["common_switches"])}
    i = 0
    while i < len(args):
        item = args[i]
        i += 1
        if isinstance(item, Tok) and item.kind == "param":
            name = resolve_parameter(spec, item.value)
            if name is None:
                evidence.append((item.text, "not a parameter of this command, or an ambiguous prefix"))
                return {}, evidence
            if name.lower() in switches:
                bound[name] = True
                if ":" in item.text and i < len(args):
                    bound[name] = not (isinstance(args[i], Tok) and args[i].value.lower() in ("false", "$false"))
                    i += 1
                evidence.append((item.text, f"-{name} (switch)"))
                continue
            if i >= len(args) or (isinstance(args[i], Tok) and args[i].kind == "param" and ":" not in item.text):
                return {}, evidence + [(item.text, f"-{name} without a value: the command would not run")]
            value, i = _value(args, i)
            bound[name] = value
            evidence.append((f"{item.text} {_show(value)}", f"-{name}"))
        else:
            positional.append(item)
    declared = set(spec.get("parameters", ()))
    for item in positional:
        free = [p for p in spec.get("positions", ()) if p not in bound and p in declared]
        if not free:      # PowerShell: "A positional parameter cannot be found that accepts argument ..."
            return {}, evidence + [(_show(item), "no positional parameter takes it: the command would not run")]
        bound[free[0]] = item
        evidence.append((_show(item), f"-{free[0]} (by position)"))
    return bound, evidence


def enum_value(parameter: str, written: str | None) -> str | None:
    """An enum parameter's value as PowerShell converts it: case-insensitive, any unambiguous prefix."""
    if written is None:
        return None
    values = _grammar()["enums"].get(parameter)
    if not values:
        return written
    key = written.strip().lower()
    exact = [v for v in values if v.lower() == key]
    hits = exact or [v for v in values if key and v.lower().startswith(key)]
    return hits[0] if len(hits) == 1 else None


def _value(args: list, i: int):
    """One argument value: an item and the member accesses chained to it ([IO.File]::ReadAllBytes(...))."""
    items = [args[i]]
    i += 1
    while i + 1 < len(args) and isinstance(args[i], Tok) and args[i].kind == "op" and args[i].value in (".", "::"):
        items += args[i:i + 2]
        i += 2
        if i < len(args) and isinstance(args[i], Group) and args[i].open == "(":
            items.append(args[i])
            i += 1
    return (items[0] if len(items) == 1 else Group("(", items, " ".join(x.text for x in items))), i


def _show(item) -> str:
    return item.text if len(item.text) <= 200 else item.text[:200] + "..."


# -- the script ----------------------------------------------------------------------------------------
def analyze_script(text: str, windows_powershell: bool, native, depth: int = 0) -> list[Verdict]:
    script = Script(text, windows_powershell)
    found: list[Verdict] = []
    for st in script.statements:
        if len(found) >= MAX_VERDICTS:
            break
        found += _commands(script, st, native, depth)
        found += member_calls(script, st)
    return found[:MAX_VERDICTS]


def _commands(script: Script, st: list, native, depth: int) -> list[Verdict]:
    start = 2 if len(st) > 2 and _is(st[0], "var") and _is(st[1], "op", "=") else 0
    if start >= len(st) or not _is(st[start], "word"):
        return []
    name, args = st[start].value, st[start + 1:]
    cmdlet = resolve_cmdlet(name, script.windows_powershell)
    if cmdlet is None:
        argv = [name] + [a.value if isinstance(a, Tok) and a.kind == "str" else a.text for a in args]
        return native(argv, depth + 1) if native else []
    spec = _grammar()["cmdlets"][cmdlet]
    bound, evidence = bind(spec, args)
    evidence.insert(0, (name, f"{cmdlet}" + ("" if name.lower() == cmdlet.lower() else " (alias)")))
    reader = {"Invoke-WebRequest": _web, "Invoke-RestMethod": _web, "Start-BitsTransfer": _bits,
              "Send-MailMessage": _mail, "Copy-Item": _copy_item}[cmdlet]
    verdict = reader(script, bound, evidence)
    if verdict:
        verdict.tool = f"powershell:{cmdlet}"
        return [verdict]
    return []


def _web(script, bound, evidence) -> Verdict | None:
    uploads = [m.lower() for m in _grammar()["upload_http_methods"]]
    if "Form" in bound:
        channel = "form"
    elif "InFile" in bound:
        channel = "file"
    elif "Body" in bound and (script.carries_file(bound["Body"]) or script.is_form(bound["Body"])):
        channel = "form" if script.is_form(bound["Body"]) else "body-file"
    else:
        return None
    method = None
    for parameter in ("Method", "CustomMethod"):
        if parameter not in bound:
            continue
        written = script.text_of(bound[parameter])
        if written is None:
            evidence.append((f"-{parameter}", "not a literal: weighed as an upload"))
            method = "post"
            break
        method = enum_value(parameter, written)
        if method is None:
            return None      # no such method: PowerShell refuses to bind it
        evidence.append((written, f"HTTP method {method}"))
        break
    if (method is None and channel != "form") or (method is not None and method.lower() not in uploads):
        return None     # GET/HEAD: Windows PowerShell refuses a body, or sends it as the query string
    return _url_verdict(script, bound.get("Uri"), channel, evidence)


def _bits(script, bound, evidence) -> Verdict | None:
    kind = enum_value("TransferType", script.text_of(bound["TransferType"])) if "TransferType" in bound else None
    if not kind or "Source" not in bound:      # -Source is mandatory: without it nothing is sent
        return None
    return _url_verdict(script, bound.get("Destination"), "bits-upload-reply" if kind == "UploadReply" else "bits",
                        evidence)


def _mail(script, bound, evidence) -> Verdict | None:
    if "To" not in bound or "Subject" not in bound:     # both mandatory: PowerShell would prompt, not send
        return None
    server = script.text_of(bound["SmtpServer"]) if "SmtpServer" in bound else None
    ssl = bound.get("UseSsl") is True
    return Verdict("", "mail", server, (server or "").lower() or None, "smtp+tls" if ssl else "smtp", ssl, evidence)


def _copy_item(script, bound, evidence) -> Verdict | None:
    source = bound.get("Path") or bound.get("LiteralPath")
    if source is None:
        return None
    source = script.text_of(source)
    target = script.text_of(bound["Destination"]) if "Destination" in bound else None
    return webdav.copy_verdict(source, target, evidence)
