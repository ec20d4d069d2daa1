"""Which administrator regular expressions may run on attacker-controlled text.

A backtracking engine (Python's `re` here, Java's on the console for pushed-down exceptions) can take time
exponential or polynomial in the text for some patterns, and the attacker writes the text. A pattern is
accepted when its cost is at most quadratic in the text, which the length cap of the condition then bounds:

- no back-references (`\\1`, `(?P=name)`) and no conditional groups;
- an open-ended part (`*`, `+`, `{n,}`, or a bound above 1000) over one character is *delimited* when the
  characters that may follow it are all ones it cannot match (`"[^"]*"`, `[a-z0-9-]+\\.`, `[^\\s"]+$`):
  where it stops is then decided by the text, and backtracking into it finds nothing. At most ONE
  open-ended part may be undelimited (`rclone.*sync` is fine, `a.*b.*c` is not: each extra one multiplies
  the work by the length of the text);
- an open-ended repeated group must not match the empty string, every open-ended part inside it must be
  delimited, taking the group's own first characters as what may follow (`( --[a-z0-9-]+( [0-9]+)?)*`
  is accepted, `(a+)+`, `(\\w+\\s?)*` and `(.*)*` are not), and its alternatives must start with different
  characters (`(a|a)*`, `(\\w|\\d)*` are refused).

Characters are compared on ASCII plus a few non-ASCII samples, ignoring ASCII case (as IMATCHES does).
"""
from __future__ import annotations

import re

try:                                   # Python 3.11 names the parser module re._parser
    from re import _constants as C, _parser as parser
except ImportError:                    # pragma: no cover - older Pythons
    import sre_constants as C
    import sre_parse as parser

ALPHABET = frozenset(range(128)) | {0xE9, 0x17F, 0x212A, 0x2028, 0xFEFF}
OPEN_ENDED = 1000
_REPEATS = {C.MAX_REPEAT, C.MIN_REPEAT} | ({C.POSSESSIVE_REPEAT} if hasattr(C, "POSSESSIVE_REPEAT") else set())
_ONE_CHAR = {C.LITERAL, C.NOT_LITERAL, C.ANY, C.IN, C.CATEGORY}
_CATEGORIES = {
    C.CATEGORY_DIGIT: lambda ch: ch.isascii() and ch.isdigit(),
    C.CATEGORY_SPACE: lambda ch: ch in " \t\n\r\f\v",
    C.CATEGORY_WORD: lambda ch: ch.isascii() and (ch.isalnum() or ch == "_"),
}
_CATEGORIES |= {C.CATEGORY_NOT_DIGIT: lambda ch: not _CATEGORIES[C.CATEGORY_DIGIT](ch),
                C.CATEGORY_NOT_SPACE: lambda ch: not _CATEGORIES[C.CATEGORY_SPACE](ch),
                C.CATEGORY_NOT_WORD: lambda ch: not _CATEGORIES[C.CATEGORY_WORD](ch)}


class UnsafePattern(ValueError):
    """The pattern could take time far beyond linear in the text; the message says why and what to write."""


def _fold(codes: set[int]) -> frozenset:
    out = set(codes)
    for code in codes:
        if 0x41 <= code <= 0x5A or 0x61 <= code <= 0x7A:
            out.add(code ^ 0x20)
    return frozenset(out)


def _charset(op, av) -> frozenset:
    if op == C.LITERAL:
        return _fold({av})
    if op == C.NOT_LITERAL:
        return ALPHABET - _fold({av})
    if op == C.ANY:
        return ALPHABET
    if op == C.CATEGORY:
        return frozenset(c for c in ALPHABET if _CATEGORIES[av](chr(c)))
    if op == C.IN:
        negate, chars = False, set()
        for item_op, item_av in av:
            if item_op == C.NEGATE:
                negate = True
            elif item_op == C.LITERAL:
                chars.add(item_av)
            elif item_op == C.RANGE:
                chars |= {c for c in ALPHABET if item_av[0] <= c <= item_av[1]}
            elif item_op == C.CATEGORY:
                chars |= {c for c in ALPHABET if _CATEGORIES[item_av](chr(c))}
            else:
                return ALPHABET
        chars = _fold(chars)
        return ALPHABET - chars if negate else chars
    return ALPHABET


def _first(items) -> tuple[frozenset, bool]:
    """(characters the sequence may start with, may it match the empty string)."""
    chars: set[int] = set()
    for op, av in items:
        if op in _ONE_CHAR:
            return frozenset(chars | _charset(op, av)), False
        if op == C.SUBPATTERN:
            first, empty = _first(av[-1])
        elif op == C.BRANCH:
            parts = [_first(alt) for alt in av[1]]
            first, empty = frozenset().union(*(p[0] for p in parts)), any(p[1] for p in parts)
        elif op in _REPEATS:
            first, empty = _first(av[2])
            empty = empty or av[0] == 0
        elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            first, empty = frozenset(), True
        else:
            first, empty = ALPHABET, True
        chars |= first
        if not empty:
            return frozenset(chars), False
    return frozenset(chars), True


PREFIX = 4          # characters looked at to tell two ways through a repetition apart
_MAX_WAYS = 16


def _ways(items, size: int = PREFIX) -> list[tuple[list, bool]]:
    """The ways the sequence can begin: (the character sets of its first fixed characters, whether the
    sequence ends there). A way stops early (not ended) where a part of variable length begins."""
    out: list[tuple[list, bool]] = []

    def walk(rest, sets):
        if len(out) > _MAX_WAYS:
            return
        if len(sets) >= size:
            out.append((sets, False))
            return
        if not rest:
            out.append((sets, True))
            return
        (op, av), tail = rest[0], rest[1:]
        if op in _ONE_CHAR:
            walk(tail, sets + [_charset(op, av)])
        elif op == C.SUBPATTERN:
            walk(list(av[-1]) + tail, sets)
        elif op == C.BRANCH:
            for alternative in av[1]:
                walk(list(alternative) + tail, sets)
        elif op in _REPEATS and av[0] == av[1] and av[0] <= PREFIX:
            walk(list(av[2]) * av[0] + tail, sets)
        elif op in _REPEATS:
            if av[0] == 0:
                walk(tail, sets)
            first = _ways(list(av[2]), size - len(sets))
            out.extend((sets + way, False) for way, _ in first)
        elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            walk(tail, sets)
        else:
            out.append((sets, False))

    walk(list(items), [])
    return out if len(out) <= _MAX_WAYS else [([], False)]


def _ambiguous(one: tuple[list, bool], other: tuple[list, bool]) -> bool:
    """Can the text go both ways as far as we can see? (A way that ends there, at the end of the pattern,
    accepts: nothing after it can fail, so nothing is tried again.)"""
    (a, a_ends), (b, b_ends) = one, other
    if any(x and y and not x & y for x, y in zip(a, b)):
        return False
    if (a_ends and len(a) <= len(b)) or (b_ends and len(b) <= len(a)):
        return False
    return True


class _Checker:
    def __init__(self, in_repeat: bool = False):
        self.undelimited = 0
        self.in_repeat = in_repeat       # inside an open-ended repeated group: every choice must be decided early
        self.continuations: list[list] = [[]]

    def sequence(self, items, follow: frozenset, continuations: list[list] | None = None) -> None:
        items = list(items)
        continuations = self.continuations if continuations is None else continuations
        for index, (op, av) in enumerate(items):
            after, empty = _first(items[index + 1:])
            saved, self.continuations = self.continuations, [items[index + 1:] + c for c in continuations]
            self.item(op, av, after | follow if empty else after)
            self.continuations = saved

    def _decided(self, body) -> bool:
        """Inside a repeated group: may this part of variable length be taken once more or left, both? The
        two ways must differ in one of their first characters, or the engine can try both at every repetition."""
        taking = [w for c in self.continuations for w in _ways(list(body) + c)]
        leaving = [w for c in self.continuations for w in _ways(c)]
        return not any(_ambiguous(t, l) for t in taking for l in leaving)

    def item(self, op, av, follow: frozenset) -> None:
        if op in (C.GROUPREF, getattr(C, "GROUPREF_EXISTS", None)):
            raise UnsafePattern("back-references and conditional groups are not allowed")
        if op == C.SUBPATTERN:
            self.sequence(av[-1], follow)
        elif op == C.BRANCH:
            if self.in_repeat:
                self._distinct(av[1])
            for alternative in av[1]:
                self.sequence(alternative, follow)
        elif op in _REPEATS and self.in_repeat and av[0] != av[1] and not self._decided(av[2]):
            raise UnsafePattern("inside a repeated group, an optional or variable part must be told apart from what "
                                "follows it by one of its first characters (write ( -x( \"[^\"]*\")?)* rather than "
                                "(a?.)+ or (a{0,3}a)*)")
        elif op in (C.ASSERT, C.ASSERT_NOT):
            self.sequence(av[1], ALPHABET)
        elif op in _REPEATS:
            low, high, body = av
            if high != C.MAXREPEAT and high <= OPEN_ENDED:
                # Bounded: the body is written out up to `high` times, so its open-ended parts count that often;
                # and an optional part (`?`, `{0,3}`) that what follows could also match is a choice the engine
                # may try both ways at every position: it counts as one more undelimited part.
                if low != high:
                    single = len(body) == 1 and body[0][0] in _ONE_CHAR
                    if (_charset(*body[0]) & follow) if single else not self._decided(body):
                        self.undelimited += 1
                inner = _Checker()
                inner.sequence(body, _first(body)[0] | follow if high > 1 else follow, self.continuations)
                self.undelimited += inner.undelimited * max(high, 1)
            elif len(body) == 1 and body[0][0] in _ONE_CHAR:
                if _charset(*body[0]) & follow:
                    self.undelimited += 1
            else:
                first, empty = _first(body)
                if empty:
                    raise UnsafePattern("a repeated group must not match the empty string (e.g. (a?)* or (x|)*)")
                if not self._decided(body):      # where the repetition stops is itself a choice, like [^"]* before ab
                    self.undelimited += 1
                inner = _Checker(in_repeat=True)
                # After the body: the body again (another repetition), or what follows the group.
                inner.sequence(body, first | follow, [list(body) + c for c in self.continuations] + self.continuations)
                if inner.undelimited:
                    raise UnsafePattern("a repeated group may only hold parts that stop at a character they cannot "
                                        "match, and cannot match the group's first character: write "
                                        "( --[a-z0-9-]+)* rather than (a+)+ or (\\w+\\s?)*")


    @staticmethod
    def _distinct(alternatives) -> None:
        """In a repeated group, two alternatives that can go through the same characters (or both match
        nothing) give the engine two ways through every repetition: exponential on a backtracking engine. They
        must differ at one of their first fixed characters: `( [0-9]+| "[^"]*")*` is fine, `(a|a)*`, `(a|ab)*`
        and `(\\w|\\d)*` are not (Java's engine on the console reads them as written; Python's parser folds
        some of them, so the check also reads the pattern as written)."""
        prefixes = [_prefix(alternative) for alternative in alternatives]
        for i, one in enumerate(prefixes):
            for other in prefixes[i + 1:]:
                if not any(a and b and not a & b for a, b in zip(one, other)):
                    raise UnsafePattern("the alternatives of a repeated group must differ in one of their first "
                                        "characters (write ( [0-9]+| \"[^\"]*\")* rather than (a|ab)* or "
                                        "(\\w|\\d)*)")


def _prefix(items, size: int = 4) -> list[frozenset]:
    """The character sets of an alternative's first fixed characters (stops at the first part that is not one
    fixed character; a repeat of one character with at least one occurrence ends it with its set)."""
    out: list[frozenset] = []
    for op, av in items:
        if len(out) >= size:
            break
        if op in _ONE_CHAR:
            out.append(_charset(op, av))
        elif op == C.SUBPATTERN:
            inner = _prefix(av[-1], size - len(out))
            out += inner
            if len(inner) < len(list(av[-1])):
                break
        elif op in _REPEATS and av[0] >= 1 and len(av[2]) == 1 and av[2][0][0] in _ONE_CHAR:
            out.append(_charset(*av[2][0]))
            break
        elif op in (C.AT,):
            continue
        else:
            break
    return out


def _repeated_alternatives(pattern: str):
    """The alternatives (as text) of every group the pattern repeats open-endedly, read from the pattern as
    written: Python's parser folds `(\\w|\\d)` into one class, Java's engine on the console does not."""
    stack, index = [], 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index += 2 if pattern[index + 1:index + 2] == "^" else 1
            index += 1 if pattern[index:index + 1] == "]" else 0
            while index < len(pattern) and pattern[index] != "]":
                index += 2 if pattern[index] == "\\" else 1
        elif char == "(":
            stack.append((index, []))
        elif char == "|" and stack:
            stack[-1][1].append(index)
        elif char == ")" and stack:
            start, bars = stack.pop()
            if bars and _open_ended(pattern, index + 1):
                body = _group_body_start(pattern, start)
                if body is not None:
                    edges = [body, *bars, index]
                    yield [pattern[edges[i] + (i > 0):edges[i + 1]] for i in range(len(edges) - 1)]
        index += 1


def _open_ended(pattern: str, at: int) -> bool:
    if pattern[at:at + 1] in ("*", "+"):
        return True
    bound = re.match(r"\{(\d+)(,(\d*))?\}", pattern[at:at + 40])
    return bool(bound and bound.group(2) and (not bound.group(3) or int(bound.group(3)) > OPEN_ENDED))


def _group_body_start(pattern: str, start: int) -> int | None:
    """Where a group's first alternative starts; None for look-arounds."""
    if pattern[start + 1:start + 2] != "?":
        return start + 1
    rest = pattern[start + 2:start + 40]
    if rest[:1] == ":":
        return start + 3
    if rest[:1] in ("P", "<") and rest[:2] not in ("<=", "<!") and ">" in rest:
        return start + 2 + rest.index(">") + 1
    flags = re.match(r"[aiLmsux-]+:", rest)
    return start + 2 + flags.end() if flags else None


def check(pattern: str) -> None:
    """Raises UnsafePattern (or re.error) unless the pattern's cost is bounded as the module says."""
    for alternatives in _repeated_alternatives(pattern):
        try:
            parsed = [list(parser.parse(alternative)) for alternative in alternatives]
        except re.error:
            continue            # a part that only parses in context: the whole pattern is checked below
        _Checker._distinct(parsed)
    checker = _Checker()
    checker.sequence(parser.parse(pattern), frozenset())
    if checker.undelimited > 1:
        raise UnsafePattern(f"{checker.undelimited} open-ended parts (.*, .+, \\w+ ...) are each followed by "
                            "characters they can also match; at most one is allowed: anchor the pattern with ^...$ "
                            "and use delimited parts such as \"[^\"]*\" or [^\\s\"]+")
