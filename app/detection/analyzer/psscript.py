"""A PowerShell script as the analyzer reads it: statements, variables assigned once, member settings, and
literal values through variables and string concatenation (bounded look-ups)."""
from __future__ import annotations

from .destination import parse_url, scheme_encrypted
from .grammar import load
from .pstokens import Group, Tok, statements, tokenize, walk
from .verdict import Verdict

RESOLVE_BUDGET = 20000     # variable look-ups per script: `$b = $a + $a + ...` chains cannot explode


def grammar():
    return load("powershell")


class Script:
    def __init__(self, text: str, windows_powershell: bool):
        self.root = tokenize(text)
        self.windows_powershell = windows_powershell
        self.groups = list(walk(self.root))
        self.statements = [s for g in self.groups for s in statements(g)]
        g = grammar()
        self.readers = {r.lower() for r in g["file_readers"]}
        self.variables, self.settings = {}, {}
        for st in self.statements:
            if len(st) >= 3 and _is(st[0], "var") and _is(st[1], "op", "="):
                self.variables[st[0].value] = st[2:]
            elif len(st) >= 5 and _is(st[0], "var") and _is(st[1], "op", ".") and _is(st[3], "op", "="):
                self.settings[st[2].value.lower()] = st[4:]
            elif len(st) >= 3 and _is(st[0], "word") and _is(st[1], "op", "="):
                self.settings[st[0].value.lower()] = st[2:]
        self.words = {t.value.lower() for g in self.groups for t in g.items if isinstance(t, Tok)}
        self.mentions_winscp = any("winscp" in w for w in self.words)
        self.mentions_smtp = any("smtpclient" in w for w in self.words)
        self.budget = RESOLVE_BUDGET

    def _spend(self) -> bool:
        self.budget -= 1
        return self.budget >= 0

    def text_of(self, item, depth: int = 0) -> str | None:
        """A literal value: a string or word, a variable holding one, or strings joined with +."""
        if not self._spend():
            return None
        if isinstance(item, Tok):
            if item.kind in ("str", "word", "num"):
                return item.value
            if item.kind == "var" and item.value in ("true", "false", "null"):
                return "$" + item.value
            if item.kind == "var" and depth < 4 and item.value in self.variables:
                return self.concat(self.variables[item.value], depth + 1)
            return None
        if isinstance(item, Group) and item.open == "(":
            return self.concat(item.items, depth + 1)
        return None

    def concat(self, items: list, depth: int = 0) -> str | None:
        parts = []
        for index, item in enumerate(items):
            if index % 2:
                if not _is(item, "op", "+"):
                    return None
                continue
            text = self.text_of(item, depth)
            if text is None:
                return None
            parts.append(text)
        return "".join(parts) if parts else None

    def carries_file(self, item, depth: int = 0) -> bool:
        """Reads a file (Get-Content, ReadAllBytes, Get-Item ...) directly or through a variable."""
        if not self._spend():
            return False
        if isinstance(item, Tok):
            if item.kind == "var" and depth < 4 and item.value in self.variables:
                return any(self.carries_file(x, depth + 1) for x in self.variables[item.value])
            return item.kind in ("word",) and item.value.lower() in self.readers
        if isinstance(item, Group):
            return any(self.carries_file(x, depth + 1) for x in item.items) if depth < 8 else False
        return False

    def is_form(self, item, depth: int = 0) -> bool:
        if not self._spend():
            return False
        if isinstance(item, Group):
            return item.open == "@{"
        if isinstance(item, Tok) and item.kind == "var" and depth < 4 and item.value in self.variables:
            return any(self.is_form(x, depth + 1) for x in self.variables[item.value][:1])
        return False


def _is(item, kind: str, value: str | None = None) -> bool:
    return isinstance(item, Tok) and item.kind == kind and (value is None or item.value == value)


def _url_verdict(script, item, channel, evidence, default_scheme="http") -> Verdict | None:
    text = script.text_of(item) if item is not None else None
    url = parse_url(text, default_scheme) if text else None
    if url is None:
        return Verdict("", channel, text, None, None, None, evidence)
    return Verdict("", channel, text, url.host, url.scheme, scheme_encrypted(url.scheme), evidence)
