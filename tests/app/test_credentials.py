"""Credential masking, row by row of app/pipeline/data/credential_options.json: every row's `hit` examples lose
their secret and report the row's kind; every `miss` example comes back unchanged. Then a property: whatever
secret is generated, wherever the table says secrets go, masking never lets it through."""
import json
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from app.pipeline.credentials import MASK, MAX_TEXT_CHARS, TABLE_FILE, find_credentials, mask

SECRET = "S3cr3t-Val"
TABLE = json.loads(TABLE_FILE.read_text(encoding="utf-8"))
SECTIONS = ("long_option_words", "keys", "headers", "environment", "contexts")


def _rows():
    for row in TABLE["options"]:
        yield row["kind"], row
    for section in SECTIONS:
        yield section, TABLE[section]


def _hits_gen():
    for name, row in _rows():
        for example in row["hit"]:
            kind, line = example if isinstance(example, list) else (row.get("kind"), example)
            yield pytest.param(kind, line, id=f"{name}: {line[:50]}")


def _misses_gen():
    for name, row in _rows():
        for line in row["miss"]:
            yield pytest.param(line, id=f"{name}: {line[:50]}")


def test_every_row_has_a_true_positive_and_a_near_miss():
    for name, row in _rows():
        assert row["hit"] and row["miss"], name


@pytest.mark.parametrize("kind, line", list(_hits_gen()))
def test_row_true_positive(kind, line):
    assert SECRET in line
    found = find_credentials(line)
    assert SECRET not in found.masked_command_line
    assert MASK in found.masked_command_line
    assert found.found and all(SECRET not in c["masked"] for c in found.found)
    if kind is not None:
        assert kind in found.kinds
    assert mask(found.masked_command_line).count(MASK) >= found.masked_command_line.count(MASK)   # idempotent


@pytest.mark.parametrize("line", list(_misses_gen()))
def test_row_near_miss(line):
    assert find_credentials(line).found == []
    assert mask(line) == line


# -- property: no generated secret survives --------------------------------------------------------------
# Secrets are runs of the characters a password on a command line is made of (no blanks or quotes: those end
# an argument, and a quoted secret with blanks is tested by the rows).
SECRETS = st.text(alphabet=string.ascii_letters + string.digits + "!#$%()*+,-./:=?@[]^_{}~", min_size=6, max_size=40)
TEMPLATES = [
    "pscp.exe -pw {s} -P 22 f u@198.51.100.1:/d/", 'plink -pw "{s}" host', "sshpass -p {s} sftp u@h",
    "sshpass -p{s} sftp u@h", "PsExec.exe \\\\srv -u a -p {s} cmd", "New-LocalUser x -Password '{s}'",
    "Connect-X -PASSW {s}", 'rclone copy a :sftp:/u --sftp-pass "{s}"', "rclone copy a ftp: --ftp-pass={s}",
    "openssl enc -in a -pass pass:{s}", "curl -u user:{s} https://x/", 'curl -H "Authorization: Bearer {s}" https://x/',
    "sqlcmd \"Server=db;Password='{s}';\"", 'curl -d {{"password":"{s}"}} https://x/',
    "<auth><password>{s}</password></auth>", "&lt;pwd&gt;{s}&lt;/pwd&gt;", "set RCLONE_CONFIG_DROP_PASS='{s}'",
    "$env:RCLONE_CONFIG_X_Y_PASS = \"{s}\"", "net use Z: \\\\fs\\c$ '{s}' /user:a", "wget --password {s} https://x/",
    "tool.exe /password:'{s}'", "New-Object Net.NetworkCredential('u', '{s}')",
    "ConvertTo-SecureString '{s}' -AsPlainText -Force", "rclone config create r mega user u pass '{s}'",
]
URL_SECRETS = st.text(alphabet=string.ascii_letters + string.digits + "!$%()*+,-.:;=_~", min_size=6, max_size=40)


@pytest.mark.reliability("bad input", "masking never leaks a generated secret (every form of the credential table)")
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(secret=SECRETS, template=st.sampled_from(TEMPLATES), before=st.sampled_from(["", "cmd /c ", "x " * 3]),
       after=st.sampled_from(["", " -v", " && echo done"]))
def test_masking_never_leaks_a_generated_secret(secret, template, before, after):
    line = before + template.format(s=secret) + after
    assume(secret not in before + template.format(s="") + after)     # it must be the secret we look for
    assume(secret not in MASK)     # "******" is found in the mask that replaced it: not a leak
    masked = find_credentials(line)
    assert secret not in masked.masked_command_line, line
    assert all(secret not in c["masked"] for c in masked.found)


@settings(max_examples=60, deadline=None)
@given(user=st.text(alphabet=string.ascii_letters, min_size=1, max_size=10), secret=URL_SECRETS,
       scheme=st.sampled_from(["sftp", "https", "ftps", "webdav", "x-custom+ssh"]))
def test_url_password_never_leaks(user, secret, scheme):
    line = f'WinSCP.exe /command "open {scheme}://{user}:{secret}@drop.example.net/"'
    assume(secret not in line.replace(f":{secret}@", ":@"))
    assert secret not in mask(line)


def test_a_line_longer_than_windows_allows_is_cut_at_a_blank_and_shows_no_part_of_a_secret():
    secret = "Zq" * 30
    line = "rclone copy a b " + "x " * ((MAX_TEXT_CHARS - 40) // 2) + f"--url https://u:{secret}@h/ " + "y" * 5000
    masked = mask(line)
    assert "more characters not shown" in masked
    assert not any(secret[:n] in masked for n in range(4, len(secret)))
    assert len(masked) < MAX_TEXT_CHARS + 100


def test_hits_masked_by_an_older_version_are_masked_again_where_shown():
    from app.pipeline.offense_text import note_text
    from app.web.present import present_hit
    old = "net use Z: \\\\fs01\\c$ S3cr3t-Val /user:corp\\adm"      # what the old table let through
    hit = {"id": 1, "rule_id": "r", "command_line": old, "payload": None, "fields": {},
           "enrichment": {"command_line_masked": old, "process": {"command_line": old, "parent_command_line": old}}}
    assert SECRET not in json.dumps(present_hit(hit))
    group = {"group_key": "k" * 20, "source_ip": "10.0.0.1", "username": "u", "first_event_ms": 0, "last_event_ms": 0}
    assert SECRET not in note_text([(group, [hit], 1)], "https://app", marker="m")


# -- the word pre-checks (app/pipeline/precheck.py) are a shortcut, never a different answer ----------------
_EXAMPLES = sorted({(e if isinstance(e, str) else e[1]) for _, row in _rows() for e in row["hit"] + row["miss"]}
                   | {t.format(s=SECRET) for t in TEMPLATES})


@settings(max_examples=300, deadline=None)
@given(line=st.sampled_from(_EXAMPLES), upper=st.booleans(),
       swap=st.sampled_from([None, ("s", "\u017f"), ("k", "\u212a"), ("S", "\u017f"), ("K", "\u212a"), (" ", " é ")]))
def test_the_word_prechecks_change_no_result(line, upper, swap):
    """Masking with the pre-checks equals masking that searches every pattern, whatever the case, and with the
    letters outside ASCII that (?i) reads as ASCII ones (long s, Kelvin sign)."""
    from unittest import mock

    from app.pipeline import credentials
    line = line.upper() if upper else line
    line = line.replace(*swap) if swap else line
    with mock.patch.object(credentials, "ascii_lower", lambda text: None):
        searched = find_credentials(line)
    assert find_credentials(line) == searched


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["net", "NET1", "net.exe", "Net1.EXE", "netsh", "psexec", "x.net", "-", ".", " ",
                                 "$", "/", "\\\\", "use", "é", "\u212a", "rclone", "1", "exe"]), max_size=10).map("".join))
def test_net_use_finds_the_net_tokens_the_tool_table_finds(text):
    from app.pipeline import credentials
    every_tool = [(m.start(), m.end()) for m in credentials.table().tool_token.finditer(text)
                  if m.group(1).lower() in ("net", "net1")]
    assert [(m.start(), m.end()) for m in credentials._NET_TOKEN.finditer(text)] == every_tool


@settings(max_examples=400, deadline=None)
@given(before=st.lists(st.sampled_from(["x.net", "cmd /c", "é", "net", " "]), max_size=3).map("".join),
       joint=st.sampled_from(["", " ", "\t", "&", "(", "\"", "/", ".", "-", "$", "_", "1", "x", "é"]),
       token=st.sampled_from(["net", "NET1", "net.exe", "Net1.EXE", "netsh", "neta"]),
       use=st.sampled_from([" use ", " USE ", "\tuse ", " user "]),
       after=st.sampled_from(["\\\\srv\\share S3cr3t", "\\\\srv\\share \"pw x\" /user:u", "* /user:u", "x & net use"]))
def test_the_net_use_shortcut_changes_no_result(before, joint, token, use, after):
    """`net use` masking with the "net" pre-check (no token possible after [\\w.$-], as in ".net") equals
    masking that searches every line for net tokens."""
    from unittest import mock

    from app.pipeline import credentials
    line = before + joint + token + use + after
    with mock.patch.object(credentials, "ascii_lower", lambda text: None):
        searched = find_credentials(line)
    assert find_credentials(line) == searched
