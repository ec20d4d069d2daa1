"""Text -> nodes.Query with lark (LALR), and lark's errors -> AqlError with line and column."""
from __future__ import annotations

import functools
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from . import nodes
from .errors import AqlError

GRAMMAR_PATH = Path(__file__).with_name("grammar.lark")
TIME_FRAME_TOKENS = {"LAST", "START", "STOP", "PARSEDATETIME"}
CLAUSE_TOKENS = {"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT"}

# Readable names for the terminals in "expected ..." lists.
TOKEN_NAMES = {
    "COMPARISON": "comparison operator", "STRING": "string literal", "QUOTED_NAME": "quoted column name",
    "NAME": "name", "NUMBER": "number", "LPAR": "'('", "RPAR": "')'",
    "COMMA": "','", "STAR": "'*'", "EQUAL": "'='", "LIKE_OP": "LIKE/ILIKE", "MATCH_OP": "MATCHES/IMATCHES",
    "TIME_UNIT": "MINUTES/HOURS/DAYS", "$END": "end of query",
}


@functools.lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(GRAMMAR_PATH.read_text(), parser="lalr", lexer="basic", propagate_positions=False,
                maybe_placeholders=False)


def _whole_number(token, what: str) -> int:
    text = str(token)
    if not text.isdigit():
        raise AqlError(f"Syntax error at line {token.line}, column {token.column}: {what} must be a whole "
                       f"non-negative number, not {text}")
    return int(text)


def _unquote_string(token: str) -> str:
    return token[1:-1].replace("''", "'")


@v_args(inline=True)
class _ToNodes(Transformer):
    """Builds nodes.* bottom-up. Keyword tokens arrive as Token objects and are filtered out."""

    # ---- values
    def bare_column(self, name):
        return nodes.Column(str(name), quoted=False)

    def quoted_column(self, name):
        return nodes.Column(str(name)[1:-1], quoted=True)

    def string_literal(self, token):
        return nodes.Literal(_unquote_string(token))

    def number_literal(self, token):
        text = str(token)
        return nodes.Literal(float(text) if "." in text else int(text))

    def null_literal(self, _token):
        return nodes.Literal(None)

    def function_call(self, name, args=()):
        if args == "*":
            return nodes.FunctionCall(str(name), (), star=True)
        return nodes.FunctionCall(str(name), tuple(args))

    def star_arg(self, _star):
        return "*"

    def value_args(self, *values):
        return tuple(values)

    # ---- conditions
    def compare(self, left, op, right):
        op = str(op)
        return nodes.Compare("!=" if op == "<>" else op, left, right)

    def in_list(self, value, *rest):
        negated = isinstance(rest[0], Token) and rest[0].type == "NOT"
        options = tuple(item for item in rest if not isinstance(item, Token))
        return nodes.InList(value, options, negated)

    def is_null(self, value, *tokens):
        return nodes.IsNull(value, negated=any(t.type == "NOT" for t in tokens))

    def like(self, value, *rest):
        *tokens, pattern = rest
        negated = any(t.type == "NOT" for t in tokens)
        op = next(t for t in tokens if t.type == "LIKE_OP")
        return nodes.Like(value, _unquote_string(pattern), op.lower().startswith("i"), negated)

    def matches(self, value, *rest):
        *tokens, pattern = rest
        negated = any(t.type == "NOT" for t in tokens)
        op = next(t for t in tokens if t.type == "MATCH_OP")
        return nodes.Matches(value, _unquote_string(pattern), op.lower().startswith("i"), negated)

    def bool_function(self, call):
        return nodes.BoolFunction(call)

    def not_(self, _not, item):
        return nodes.Not(item)

    def and_cond(self, *items):
        return nodes.And(tuple(i for i in items if not isinstance(i, Token)))

    def or_cond(self, *items):
        return nodes.Or(tuple(i for i in items if not isinstance(i, Token)))

    # ---- clauses
    def select_star(self, _star):
        return nodes.SelectItem(None)

    def select_value(self, value, *rest):
        alias = rest[-1] if rest else None
        return nodes.SelectItem(value, alias)

    def alias_name(self, token):
        return str(token)

    def alias_string(self, token):
        return _unquote_string(token)

    def alias_quoted(self, token):
        return str(token)[1:-1]

    def select_clause(self, _kw, *items):
        return ("select", list(items))

    def from_clause(self, _kw, name):
        return ("database", str(name).lower())

    def where_clause(self, _kw, condition):
        return ("where", condition)

    def group_clause(self, _group, _by, *values):
        return ("group_by", list(values))

    def having_clause(self, _kw, condition):
        return ("having", condition)

    def order_item(self, value, *direction):
        return nodes.OrderItem(value, bool(direction) and direction[0].type == "DESC")

    def order_clause(self, _order, _by, *items):
        return ("order_by", list(items))

    def limit_clause(self, _kw, count):
        return ("limit", _whole_number(count, "LIMIT"))

    def last_clause(self, _kw, amount, unit):
        return ("time_frame", nodes.LastFrame(_whole_number(amount, "LAST"), str(unit).upper()))

    def start_stop_clause(self, *parts):
        points = [p for p in parts if isinstance(p, nodes.TimePoint)]
        return ("time_frame", nodes.StartStopFrame(points[0], points[1] if len(points) > 1 else None))

    def epoch_point(self, token):
        return nodes.TimePoint("epoch", _whole_number(token, "START/STOP epoch milliseconds"))

    def string_point(self, token):
        return nodes.TimePoint("string", _unquote_string(token))

    def relative_point(self, _kw, token):
        return nodes.TimePoint("relative", _unquote_string(token))

    def parameter(self, name, op, number):
        if str(op) != "=":
            raise AqlError(f"Syntax error at line {op.line}, column {op.column}: expected '=' after {name}")
        return str(name).upper(), _whole_number(number, str(name))

    def parameters_clause(self, _kw, *pairs):
        return ("parameters", dict(pairs))

    def start(self, *clauses):
        parts = dict(clauses)
        return nodes.Query(select=parts["select"], database=parts["database"], where=parts.get("where"),
                           group_by=parts.get("group_by", []), having=parts.get("having"),
                           order_by=parts.get("order_by", []), limit=parts.get("limit"),
                           time_frame=parts.get("time_frame"), parameters=parts.get("parameters", {}))


def _expected(exc: UnexpectedInput) -> str:
    expected = sorted({TOKEN_NAMES.get(name, name) for name in (getattr(exc, "expected", None) or ())})
    return f"; expected {', '.join(expected)}" if expected else ""


def _syntax_error(text: str, exc: UnexpectedInput) -> AqlError:
    if isinstance(exc, UnexpectedEOF):
        return AqlError(f"Syntax error: the query ends too early{_expected(exc)}")
    where = f"at line {exc.line}, column {exc.column}"
    if isinstance(exc, UnexpectedCharacters):
        char = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        return AqlError(f"Syntax error {where}: unexpected character {char!r}{_expected(exc)}")
    token = exc.token
    if token.type == "$END":
        return AqlError(f"Syntax error: the query ends too early {where}{_expected(exc)}")
    if token.type in TIME_FRAME_TOKENS:
        return AqlError(
            f"Syntax error {where}: unexpected time frame '{token}'. The time frame (LAST n MINUTES|HOURS|DAYS or "
            f"START ... STOP ...) is a clause of its own after ORDER BY and LIMIT; it cannot be a condition "
            f"inside WHERE or come before another clause")
    if token.type in CLAUSE_TOKENS:
        return AqlError(f"Syntax error {where}: clause '{token}' is out of place (order: SELECT, FROM, WHERE, "
                        f"GROUP BY, HAVING, ORDER BY, LIMIT, then the time frame){_expected(exc)}")
    return AqlError(f"Syntax error {where}: unexpected '{token}'{_expected(exc)}")


def parse(text: str) -> nodes.Query:
    if not text or not text.strip():
        raise AqlError("The query is empty")
    try:
        tree = _lark().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    try:
        return _ToNodes().transform(tree)
    except VisitError as exc:
        raise exc.orig_exc from None
