"""Secrets on a command line (or in a payload) and the same text with each one replaced by ********.

Where secrets sit is data: `data/credential_options.json` lists the tools and options (`pscp -pw`, `sshpass -p`,
`psexec -p`, PowerShell `-Password` and its prefixes, `openssl -pass pass:`, `--*-pass`, ...), the key names of
key=value / JSON / XML payloads, the HTTP headers and the environment variables; each row carries examples
that the tests run. This module only knows the shapes.

The text is attacker-controlled and may be a megabyte: every pattern here is built so that a failed attempt
costs a bounded number of steps (a literal or a bounded prefix first, an unbounded run only where nothing
follows it that could fail), so finding and masking is linear in the length of the text.
"""
from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .precheck import ascii_lower, may_match

MASK = "********"
# Windows runs command lines of at most 32,767 characters: text beyond that is not a command line. Longer text
# is analysed and shown up to there (cut at a blank, so that no argument is shown in part) and the rest is
# left out with a note; that bounds the work on any input.
MAX_TEXT_CHARS = 32_768
TABLE_FILE = Path(__file__).with_name("data") / "credential_options.json"

# An argument: "double quoted", 'single quoted' or a bare run (ends at blanks, quotes and shell separators).
# An unclosed quote runs to the end of the text (a cut line must not show half a quoted secret).
_ARG = r"""(?:"(?P<dq>[^"]*)(?:"|\Z)|'(?P<sq>[^']*)(?:'|\Z)|(?P<bare>[^\s"';|&]+))"""
_NEXT_ARG = re.compile(r"[ \t]+" + _ARG)
_ARG_HERE = re.compile(_ARG)
# An option as one argument, possibly quoted: `-pw`, `"--password"`, `/password:x`, `-pS3cret`, `--pass=x`.
_OPTION = re.compile(r"""(?<![^\s"'(,;|&{])(?P<q>["']?)(?P<name>(?:--?|/)[A-Za-z][A-Za-z0-9_-]{0,63})"""
                     r"""(?P<rest>[^\s"';|&]*)(?P=q)""")


@dataclass(frozen=True)
class Credentials:
    masked_command_line: str | None
    found: list          # [{"kind", "masked"}]

    @property
    def kinds(self) -> list[str]:
        return [c["kind"] for c in self.found]


@dataclass(frozen=True)
class _Row:
    kind: str
    tools: frozenset
    names: tuple
    value: str
    ignore_case: bool
    powershell_prefix: int


class _Table:
    def __init__(self, data: dict):
        self.rows = tuple(_Row(r["kind"], frozenset(t.lower() for t in r["tools"]), tuple(r["names"]), r["value"],
                               bool(r.get("ignore_case")), int(r.get("powershell_prefix") or 0))
                          for r in data["options"])
        self.by_name: dict[str, list[_Row]] = {}
        for row in self.rows:
            for option in row.names:
                spellings = {option}
                if row.ignore_case:
                    spellings = {option.lower()}
                    if row.powershell_prefix:
                        spellings |= {option[:n].lower() for n in range(row.powershell_prefix + 1, len(option))}
                for spelling in spellings:
                    self.by_name.setdefault(spelling, []).append(row)
        self.attached_names = frozenset(o for r in self.rows if r.value in ("attached", "next_or_attached",
                                                                              "user_password") for o in r.names if len(o) == 2)
        tools = sorted({t for r in self.rows for t in r.tools if t != "*"} | {"net", "net1", "rclone"},
                       key=len, reverse=True)
        # The words each pattern below needs one of (precheck.py), lower case.
        self.key_words = tuple({k.lower() for k in data["keys"]["names"]})
        self.equals_words = tuple({k.lower() for k in data["keys"]["equals_names"]})
        self.header_words = tuple({h.lower() for h in data["headers"]["names"]})
        self.environment_words = tuple({n.lower() for n in data["environment"]["names"]} | {"rclone_config_"})
        self.tool_token = re.compile(r"(?i)(?<![\w.$-])(" + "|".join(map(re.escape, tools)) +
                                     r")(?:\.exe)?(?![\w.$-])")
        words = sorted(data["long_option_words"]["words"], key=len, reverse=True)
        self.long_secret = re.compile(r"(?i)--(?:[a-z0-9]{1,32}-){0,8}?(?:" + "|".join(map(re.escape, words)) + r")")
        keys = sorted(data["keys"]["names"], key=len, reverse=True)
        equals = sorted(data["keys"]["equals_names"], key=len, reverse=True)
        key_alt = "|".join(map(re.escape, keys))
        # "key": "value" with the quotes as they are, or JSON-escaped once or twice inside another string.
        self.json_pair = re.compile(r"""(?i)(?P<q>\\{0,3}["'])(?P<key>""" + key_alt + r""")(?P=q)[ \t]{0,8}:[ \t]{0,8}"""
                                    r"""(?P<vq>\\{0,3}["'])(?P<secret>[^"'\\]*)""")
        self.xml_pair = re.compile(r"(?i)(?:<|&lt;)(?P<key>" + key_alt + r")(?:>|&gt;)(?P<secret>[^<&]*)")
        self.equals_pair = re.compile(r"(?i)(?<![A-Za-z0-9_.-])(?P<flag>" + "|".join(map(re.escape, equals)) +
                                      r")[ \t]{0,4}=[ \t]{0,4}" + _ARG.replace("[^\\s\"';|&]+", "[^\\s\"';|&,<>]+"))
        headers = sorted(data["headers"]["names"], key=len, reverse=True)
        self.header = re.compile(r"""(?i)(?<![\w-])(?P<q>["']?)(?P<flag>""" + "|".join(map(re.escape, headers)) +
                                 r""")(?P=q)[ \t]{0,8}[:=][ \t]{0,8}["']?(?:(?:bearer|basic|token|digest|negotiate"""
                                 r"""|ntlm|apikey)(?:[ \t]{1,8}|(?=["'])))?(?P<secret>[^\s"'\\]+)""")
        environment = data["environment"]
        names = "|".join(map(re.escape, sorted(environment["names"], key=len, reverse=True)))
        suffixes = "|".join(map(re.escape, sorted(environment["rclone_suffixes"], key=len, reverse=True)))
        self.environment = re.compile(r"(?i)(?<![\w%])(?P<flag>(?:" + names + r")|RCLONE_CONFIG_[A-Z0-9_]{1,64}?_(?:"
                                      + suffixes + r"))(?![\w%])['\"]?[ \t]{0,8}=[ \t]{0,8}" + _ARG)


@lru_cache(maxsize=1)
def table() -> _Table:
    return _Table(json.loads(TABLE_FILE.read_text(encoding="utf-8")))


# Patterns of the positional secrets (the "contexts" rows).
_URL_PASSWORD = re.compile(r"(?i)(?<=[a-z0-9])://(?P<user>[^/\s:@\"']*):(?P<secret>[^/\s@\"']*)@")
_NETWORK_CREDENTIAL = re.compile(r"(?i)NetworkCredential[ \t]{0,8}\([ \t]{0,8}(['\"])[^'\"]*\1[ \t]{0,8},[ \t]{0,8}"
                                 r"(['\"])(?P<secret>[^'\"]*)\2")
_SECURE_STRING = re.compile(r"(?i)ConvertTo-SecureString[ \t]{1,8}(?:-String[ \t]{1,8})?(['\"])(?P<secret>[^'\"]*)\1"
                            r"(?=[^|;]{0,512}-AsPlainText)")
_RCLONE_CONFIG = re.compile(r"(?i)\bconfig[ \t]{1,8}(?:create|update)\s")
_RCLONE_SECRET_KEY = re.compile(r"(?i)(?<!\S)(?P<flag>pass|password|secret_access_key|client_secret|token|key)"
                                r"(?:[ \t]+|=)" + _ARG)
_NET_USE = re.compile(r"(?i)[ \t]+use(?![\w.-])")
# The `net`/`net1` tokens of table().tool_token: its matches are whole runs of [\w.$-] (look-behind and
# look-ahead), so searching these two names alone finds exactly its net tokens, without trying every tool.
_NET_TOKEN = re.compile(r"(?i)(?<![\w.$-])(net1?)(?:\.exe)?(?![\w.$-])")
_NET_ARGS = 12      # `net use` takes a handful of arguments; looking further would only cost time


def _may_hold_net_token(lowered: str | None) -> bool:
    """False only when ASCII text (ascii_lower's answer) has no "net" where _NET_TOKEN could start: after a
    character of [\\w.$-], as in every ".net" domain, it cannot. A substring scan instead of the look-behind
    search at every position."""
    if lowered is None:
        return True
    at = lowered.find("net")
    while at >= 0:
        if at == 0 or not (lowered[at - 1].isalnum() or lowered[at - 1] in "_.$-"):
            return True
        at = lowered.find("net", at + 1)
    return False


def _arg_span(match: re.Match) -> tuple[int, int]:
    for group in ("dq", "sq", "bare"):
        if match.group(group) is not None:
            return match.span(group)
    raise AssertionError("an argument always has one form")


def _whole_span(match: re.Match) -> tuple[int, int]:
    start, end = _arg_span(match)
    return (start, end) if match.group("bare") is not None else (start - 1, end + 1)


def _openssl_secret(start: int, end: int, text: str) -> tuple[int, int] | None:
    value = text[start:end]
    return (start + 5, end) if value[:5].lower() == "pass:" else None


class _Finder:
    def __init__(self, text: str):
        self.text = text
        self.lowered = ascii_lower(text)
        self.hits: list[tuple[int, int, int, str]] = []   # (secret start, end, where the shown prefix starts, kind)
        self._tools: tuple[list[int], list[str]] | None = None

    def add(self, start: int, end: int, prefix_start: int, kind: str) -> None:
        if end > start:
            self.hits.append((start, end, prefix_start, kind))

    def tool_before(self, position: int) -> str | None:
        if self._tools is None:
            found = [(m.start(), m.group(1).lower()) for m in table().tool_token.finditer(self.text)]
            self._tools = ([p for p, _ in found], [t for _, t in found])
        index = bisect.bisect_right(self._tools[0], position) - 1
        return self._tools[1][index] if index >= 0 else None

    def options(self) -> None:
        text = self.text
        for match in _OPTION.finditer(text):
            name, rest = match.group("name"), match.group("rest")
            sep = rest[:1] if rest[:1] in ("=", ":") else ""
            row = self._row(name, match.start())
            if row is None and (sep or not rest) and name.startswith("--") and table().long_secret.fullmatch(name):
                row = _Row(name, frozenset({"*"}), (name,), "next", False, 0)
            if row is None or (rest and not sep):   # perhaps the attached form: -pSECRET, -p/x, -uuser:pw
                self._attached(match)
                continue
            if row.value == "attached":
                continue
            if sep and len(rest) > 1:
                self._value(row, match.start("rest") + 1, match.end("rest"), match.start())
            elif sep or not rest:      # the value is the next argument (right after `=` when quoted)
                following = (_ARG_HERE if sep else _NEXT_ARG).match(text, match.end())
                if following:
                    self._value(row, *_arg_span(following), match.start(), whole=_whole_span(following))

    def _row(self, name: str, position: int) -> _Row | None:
        """The table row of an option: one of the tool it follows first, then one of any tool."""
        by_name = table().by_name
        rows = by_name.get(name, []) + [r for r in by_name.get(name.lower(), ()) if r.ignore_case]
        if not rows:
            return None
        tool = self.tool_before(position) if any("*" not in row.tools for row in rows) else None
        return next((r for r in rows if tool in r.tools), None) or next((r for r in rows if "*" in r.tools), None)

    def _attached(self, match: re.Match) -> None:
        name, start = match.group("name") + match.group("rest"), match.start("name")
        if len(name) <= 2 or name[:2] not in table().attached_names:
            return
        for row in table().rows:
            if row.value not in ("attached", "next_or_attached", "user_password"):
                continue
            for option in row.names:
                if len(option) == 2 and name.startswith(option) and \
                        ("*" in row.tools or self.tool_before(start) in row.tools):
                    self._value(row, start + 2, match.end("rest"), start)
                    return

    def _value(self, row: _Row, start: int, end: int, prefix_start: int, whole: tuple[int, int] | None = None) -> None:
        """Records the secret of an option's value [start, end); a quoted plain value is masked quotes and all."""
        if row.value in ("next", "next_or_attached") and whole is not None:
            start, end = whole
        elif row.value == "user_password":
            colon = self.text.find(":", start, end)
            if colon < 0:
                return
            start = colon + 1
        elif row.value == "openssl":
            span = _openssl_secret(start, end, self.text)
            if span is None:
                return
            start, end = span
        self.add(start, end, prefix_start, row.kind)

    def patterns(self) -> None:
        t, text = table(), self.text
        # Each pattern needs a punctuation character that most command lines lack (a quote, `=`, `<`, `://`):
        # a pattern whose character is absent cannot match, and a substring test is far cheaper than a search.
        # Letters only through precheck.py: (?i) also matches letters like U+212A KELVIN SIGN that lower() keeps.
        quoted, equals, colon = '"' in text or "'" in text, "=" in text, ":" in text
        lowered = self.lowered
        for pattern, kind, possible in (
                (t.json_pair, None, quoted and colon and may_match(t.key_words, lowered)),
                (t.xml_pair, None, ("<" in text or "&" in text) and may_match(t.key_words, lowered)),
                (t.equals_pair, None, equals and may_match(t.equals_words, lowered)),
                (t.header, None, (colon or equals) and may_match(t.header_words, lowered)),
                (t.environment, None, equals and may_match(t.environment_words, lowered)),
                (_URL_PASSWORD, "password in URL", "://" in text and "@" in text),
                (_NETWORK_CREDENTIAL, "NetworkCredential", quoted and "(" in text
                 and may_match(("networkcredential",), lowered)),
                (_SECURE_STRING, "ConvertTo-SecureString -AsPlainText", quoted
                 and may_match(("convertto-securestring",), lowered))):
            if not possible:
                continue
            for match in pattern.finditer(text):
                groups = match.groupdict()
                if "secret" in groups:
                    start, end = match.span("secret")
                else:
                    start, end = _arg_span(match)
                label = kind or groups.get("flag") or groups["key"].lower()
                shown_from = match.start()
                if pattern is _URL_PASSWORD:      # show the scheme too: sftp://user:********
                    while shown_from > max(0, match.start() - 32) and text[shown_from - 1].isalnum():
                        shown_from -= 1
                self.add(start, end, shown_from, label)
        if may_match(("config",), lowered) and _RCLONE_CONFIG.search(text):
            for match in _RCLONE_SECRET_KEY.finditer(text):
                self.add(*_arg_span(match), match.start(), match.group("flag"))

    def net_use(self) -> None:
        text = self.text
        if not _may_hold_net_token(self.lowered):
            return
        for match in _NET_TOKEN.finditer(text):
            use = _NET_USE.match(text, match.end())
            if not use:
                continue
            position, seen_share = use.end(), False
            for _ in range(_NET_ARGS):
                arg = _NEXT_ARG.match(text, position)
                if not arg:          # end of the line or a shell separator (& | ;)
                    break
                position = arg.end()
                value = text[slice(*_arg_span(arg))]
                # A quoted argument is masked even when it starts with "/": whether net.exe reads it as a switch
                # depends on the shell that stripped the quotes, and a leaked password is worse than a masked switch.
                quoted = arg.group("bare") is None
                if value.startswith("\\\\"):
                    seen_share = True
                elif seen_share and (quoted or not value.startswith("/")) and value != "*":
                    self.add(*_arg_span(arg), match.start(), "net use")
                    break

    def result(self) -> Credentials:
        text = self.text
        self.hits.sort()
        found, masked, cursor, last_end = [], [], 0, -1
        for start, end, prefix_start, kind in self.hits:
            if start < last_end:          # the same secret seen by two patterns: mask it once
                continue
            masked.append(text[cursor:start] + MASK)
            cursor = last_end = end
            prefix = text[max(prefix_start, start - 200):start]
            closing = prefix[-1] if prefix[-1:] in ("'", '"') and text[end:end + 1] == prefix[-1] else ""
            found.append({"kind": kind, "masked": (prefix + MASK + closing).strip()})
        masked.append(text[cursor:])
        return Credentials("".join(masked), found)


def find_credentials(command_line: str | None) -> Credentials:
    """Every secret the text exposes, and the text with each one replaced by ********."""
    if not command_line:
        return Credentials(command_line, [])
    text, left_out = bounded(command_line)
    finder = _Finder(text)
    finder.options()
    finder.patterns()
    finder.net_use()
    found = finder.result()
    if left_out:
        found = Credentials(f"{found.masked_command_line} [{left_out} more characters not shown]", found.found)
    return found


def bounded(text: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, int]:
    """(the part of text to analyse and show, how many characters are left out). Cut at the last blank
    within the limit, so an argument is shown whole or not at all; nothing when the limit holds no blank."""
    if len(text) <= limit:
        return text, 0
    head = text[:limit]
    cut = max(head.rfind(" "), head.rfind("\t"), head.rfind("\n"), head.rfind("\r"), 0)
    return text[:cut], len(text) - cut


def mask(command_line: str | None) -> str | None:
    return find_credentials(command_line).masked_command_line
