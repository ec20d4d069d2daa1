"""PowerShell script text into a tree of tokens and bracketed groups, in one pass.

Only what binding and member calls need: strings (single, double, and the typographic quotes PowerShell
accepts), variables, bare words, parameters (a dash or a dash look-alike: en dash, em dash, horizontal bar),
types in brackets, operators, and (), {}, @{}, @(), $() groups. Groups nest at most MAX_DEPTH deep; text
beyond that stays flat, so crafted nesting cannot blow up the walk.
"""
from __future__ import annotations

from dataclasses import dataclass, field

DASHES = "-\u2013\u2014\u2015"
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
SEPARATORS = ";|\n\r"
WORD_STOP = " \t\n\r;|(){},'\"\u2018\u2019\u201a\u201b\u201c\u201d\u201e"
MAX_DEPTH = 32


@dataclass
class Tok:
    kind: str          # str, var, word, param, type, op, num
    text: str          # as written
    value: str         # strings: the content; params: the name without the dash; others: the text

    def __repr__(self):
        return f"{self.kind}:{self.value!r}"


@dataclass
class Group:
    open: str          # "(", "{", "@{", "@(", "$("
    items: list = field(default_factory=list)
    text: str = ""

    kind = "group"
    value = ""


def _read_string(text: str, i: int, n: int) -> tuple[Tok, int]:
    quote = text[i]
    single = quote in SINGLE_QUOTES
    closers = SINGLE_QUOTES if single else DOUBLE_QUOTES
    out, j = [], i + 1
    while j < n:
        c = text[j]
        if not single and c == "`" and j + 1 < n:
            out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(text[j + 1], text[j + 1]))
            j += 2
            continue
        if c in closers:
            if j + 1 < n and text[j + 1] in closers:     # doubled quote: a literal quote
                out.append(c)
                j += 2
                continue
            return Tok("str", text[i:j + 1], "".join(out)), j + 1
        out.append(c)
        j += 1
    return Tok("str", text[i:n], "".join(out)), n


def _read_while(text: str, j: int, n: int, ok) -> int:
    while j < n and ok(text[j]):
        j += 1
    return j


def _name_char(c: str) -> bool:
    return c.isalnum() or c in "_:?"


def tokenize(text: str) -> Group:
    root = Group("")
    stack = [root]
    i, n = 0, len(text)
    member_next = False   # after "." or "::" following a value: the next word is a member name
    while i < n:
        c = text[i]
        top = stack[-1]
        if c in " \t" or (c == "`" and i + 1 < n and text[i + 1] in "\r\n"):
            i += 1 if c != "`" else 2
            member_next = False
            continue
        if c == "#":                                    # comment to end of line
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c in SINGLE_QUOTES or c in DOUBLE_QUOTES:
            tok, i = _read_string(text, i, n)
            top.items.append(tok)
            member_next = False
            continue
        opener = None
        if c in "@$" and i + 1 < n and text[i + 1] in "({":
            opener = c + text[i + 1]
        elif c in "({":
            opener = c
        if opener:
            group = Group(opener)
            if len(stack) < MAX_DEPTH:
                top.items.append(group)
                stack.append(group)
            else:
                top.items.append(Tok("op", opener, opener))
            i += len(opener)
            member_next = False
            continue
        if c in ")}":
            if len(stack) > 1:
                done = stack.pop()
                done.text = done.open + " ".join(_text(x) for x in done.items) + c
            i += 1
            member_next = True
            continue
        if c == "$":
            if i + 1 < n and text[i + 1] == "{":
                j = text.find("}", i)
                j = n if j < 0 else j
                name = text[i + 2:j]
                i = j + 1
            else:
                j = _read_while(text, i + 1, n, _name_char)
                name = text[i + 1:j]
                i = j
            top.items.append(Tok("var", "$" + name, name.lower()))
            member_next = True
            continue
        if c == "[":
            j = text.find("]", i)
            if j < 0:
                j = n - 1
            inner = text[i + 1:j]
            if "[" in inner:    # generic or nested type: keep it simple and flat
                inner = inner.replace("[", "")
            top.items.append(Tok("type", text[i:j + 1], inner.strip().lower()))
            i = j + 1
            member_next = True
            continue
        if c in SEPARATORS or c in ",=+]":
            top.items.append(Tok("op", c, "\n" if c in "\r\n" else c))
            i += 1
            member_next = False
            continue
        if c == "." and member_next:
            top.items.append(Tok("op", ".", "."))
            i += 1
            continue
        if c == ":" and i + 1 < n and text[i + 1] == ":":
            top.items.append(Tok("op", "::", "::"))
            i += 2
            member_next = True
            continue
        if member_next:
            j = _read_while(text, i, n, lambda ch: ch.isalnum() or ch == "_")
            if j > i:
                top.items.append(Tok("word", text[i:j], text[i:j]))
                i = j
                continue
            member_next = False
        dashed = c in DASHES
        j = _read_while(text, i + 1, n, lambda ch: ch not in WORD_STOP and (dashed or ch != "="))
        word = text[i:j]
        i = j
        if word[0] in DASHES and len(word) > 1 and (word[1].isalpha() or word[1] == "?"):
            name, _, attached = word[1:].partition(":")
            top.items.append(Tok("param", word, name))
            if attached.startswith("$"):
                top.items.append(Tok("var", attached, attached[1:].lower()))
            elif attached:
                top.items.append(Tok("word", attached, attached))
        elif word[0].isdigit() and word.replace(".", "").isdigit():
            top.items.append(Tok("num", word, word))
        else:
            top.items.append(Tok("word", word, word))
        member_next = False
    while len(stack) > 1:                                # unclosed groups end with the text
        done = stack.pop()
        done.text = done.open + " ".join(_text(x) for x in done.items)
    return root


def _text(item) -> str:
    return item.text


def split_items(items, is_separator, *, keep_empty: bool) -> list[list]:
    """`items` cut at each item for which is_separator() is true; an empty piece between two separators is kept
    only with keep_empty (an argument list's `a,,b` has three arguments; `a;;b` has two statements)."""
    out, current = [], []
    for item in items:
        if is_separator(item):
            if current or keep_empty:
                out.append(current)
            current = []
        else:
            current.append(item)
    if current:
        out.append(current)
    return out


def statements(group: Group) -> list[list]:
    """The statements of a group: its items split at ; | and line breaks."""
    return split_items(group.items, lambda item: isinstance(item, Tok) and item.kind == "op" and item.value in ";|\n",
                       keep_empty=False)


def walk(group: Group, depth: int = 0):
    """Every group of the tree, outermost first (the tree is at most MAX_DEPTH deep)."""
    yield group
    for item in group.items:
        if isinstance(item, Group):
            yield from walk(item, depth + 1)
