"""The REST list `filter=` language: parse once into a predicate over JSON objects.

Supported: `= != < > <= >=`, `in (..)`, `not in (..)`, `between a and b`, `is null`, `is not null`,
`and`/`or`/`not`, parentheses, dotted fields (`rules.id`), and `contains` on list fields, nested the way
the asset model is queried: `interfaces contains ip_addresses contains value="10.1.2.3"`.
Values: numbers, "double" or 'single' quoted strings, bare words (`status=OPEN`), true/false.
"""
import re

from .errors import ApiError

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<paren>[(),])
    | "(?P<dq>(?:[^"\\]|\\.)*)"
    | '(?P<sq>(?:[^'\\]|\\.)*)'
    | (?P<word>[^\s()=<>!,"']+)
    )""", re.VERBOSE)

_KEYWORDS = {"and", "or", "not", "in", "between", "is", "null", "contains"}


def _tokens(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise _error(f"unexpected character at position {pos}")
        pos = m.end()
        if m.group("op"):
            out.append(("op", m.group("op")))
        elif m.group("paren"):
            out.append((m.group("paren"), m.group("paren")))
        elif m.group("dq") is not None:
            out.append(("str", _unescape(m.group("dq"))))
        elif m.group("sq") is not None:
            out.append(("str", _unescape(m.group("sq"))))
        else:
            word = m.group("word")
            out.append(("kw", word.lower()) if word.lower() in _KEYWORDS else ("word", word))
    return out


def _unescape(text):
    # Only quote and backslash escapes: a lone backslash stays literal (DOMAIN\user, C:\paths).
    return re.sub(r"""\\(["'\\])""", r"\1", text)


def _error(detail):
    return ApiError(422, 1005, f"Invalid filter: {detail}",
                    "The filter parameter could not be parsed.")


class _Parser:
    def __init__(self, text):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, ahead=0):
        j = self.i + ahead
        return self.toks[j] if j < len(self.toks) else (None, None)

    def take(self, kind=None, value=None):
        tok = self.peek()
        if tok[0] is None or (kind and tok[0] != kind) or (value and tok[1] != value):
            raise _error(f"expected {value or kind}, found {tok[1]!r}")
        self.i += 1
        return tok

    def parse(self):
        pred = self.or_expr()
        if self.peek()[0] is not None:
            raise _error(f"unexpected {self.peek()[1]!r}")
        return pred

    def or_expr(self):
        parts = [self.and_expr()]
        while self.peek() == ("kw", "or"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda o: any(p(o) for p in parts))

    def and_expr(self):
        parts = [self.not_expr()]
        while self.peek() == ("kw", "and"):
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else (lambda o: all(p(o) for p in parts))

    def not_expr(self):
        if self.peek() == ("kw", "not"):
            self.take()
            inner = self.not_expr()
            return lambda o: not inner(o)
        if self.peek()[0] == "(":
            self.take("(")
            inner = self.or_expr()
            self.take(")")
            return inner
        return self.condition()

    def value(self):
        kind, text = self.peek()
        if kind == "str":
            self.take()
            return text
        if kind == "word":
            self.take()
            return _literal(text)
        raise _error(f"expected a value, found {text!r}")

    def value_list(self):
        self.take("(")
        values = [self.value()]
        while self.peek()[0] == ",":
            self.take(",")
            values.append(self.value())
        self.take(")")
        return values

    def starts_condition(self):
        """After `contains`: a field followed by an operator starts a nested condition."""
        kind, _ = self.peek()
        nxt = self.peek(1)
        return kind == "word" and (nxt[0] == "op" or nxt in (("kw", "contains"), ("kw", "in"), ("kw", "is"),
                                                              ("kw", "between"), ("kw", "not")))

    def condition(self):
        field = self.take("word")[1]
        getter = _getter(field)
        kind, tok = self.peek()
        if kind == "op":
            self.take()
            return _comparison(getter, tok, self.value())
        if (kind, tok) == ("kw", "not"):
            self.take()
            self.take("kw", "in")
            values = self.value_list()
            return lambda o: not _in(getter(o), values)
        if (kind, tok) == ("kw", "in"):
            self.take()
            values = self.value_list()
            return lambda o: _in(getter(o), values)
        if (kind, tok) == ("kw", "between"):
            self.take()
            low = self.value()
            self.take("kw", "and")
            high = self.value()
            return lambda o: _compare(getter(o), ">=", low) and _compare(getter(o), "<=", high)
        if (kind, tok) == ("kw", "is"):
            self.take()
            negate = self.peek() == ("kw", "not")
            if negate:
                self.take()
            self.take("kw", "null")
            return lambda o: (getter(o) is None) != negate
        if (kind, tok) == ("kw", "contains"):
            self.take()
            if self.starts_condition():
                inner = self.condition()
                return lambda o: any(isinstance(e, dict) and inner(e) for e in (getter(o) or []))
            wanted = self.value()
            return lambda o: any(_compare(e, "=", wanted) for e in (getter(o) or []))
        raise _error(f"expected an operator after {field!r}")


def _literal(word):
    low = word.lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(word)
    except ValueError:
        pass
    try:
        return float(word)
    except ValueError:
        return word


def _getter(field):
    parts = field.split(".")

    def get(obj):
        for part in parts:
            if isinstance(obj, list):   # rules.id on a list of rules: the list of ids
                obj = [e.get(part) if isinstance(e, dict) else None for e in obj]
            elif isinstance(obj, dict):
                obj = obj.get(part)
            else:
                return None
        return obj
    return get


def _coerce(actual, wanted):
    """Compare like with like: a filter value arrives as text or number whatever the field type."""
    if isinstance(actual, bool) or isinstance(wanted, bool):
        return str(actual).lower(), str(wanted).lower()
    if isinstance(actual, (int, float)) and not isinstance(wanted, (int, float)):
        try:
            return actual, float(wanted)
        except (TypeError, ValueError):
            return str(actual), str(wanted)
    if isinstance(wanted, (int, float)) and not isinstance(actual, (int, float)):
        try:
            return float(actual), wanted
        except (TypeError, ValueError):
            return str(actual), str(wanted)
    return actual, wanted


def _compare(actual, op, wanted):
    if isinstance(actual, list):        # dotted path through a list: any element
        return any(_compare(a, op, wanted) for a in actual)
    if actual is None:
        return op in ("!=", "<>") and wanted is not None
    a, w = _coerce(actual, wanted)
    try:
        return {"=": a == w, "!=": a != w, "<>": a != w, "<": a < w, ">": a > w,
                "<=": a <= w, ">=": a >= w}[op]
    except TypeError:
        return False


def _comparison(getter, op, wanted):
    return lambda o: _compare(getter(o), op, wanted)


def _in(actual, values):
    return any(_compare(actual, "=", v) for v in values)


def compile_filter(text):
    """Returns a predicate(obj) -> bool; an empty filter matches everything."""
    if not text or not text.strip():
        return lambda o: True
    return _Parser(text).parse()
