"""nodes.Query -> plans and condition builders, checked against the console's columns.

Everything a console would reject at submit time (unknown column or function, wrong arguments, a bad
regular expression, CIDR or time) raises AqlError here, before any event is read.
"""
from __future__ import annotations

import operator
import re
from typing import Any, Callable, Mapping, Optional

from . import conditions, functions, nodes
from .dateformat import compile_pattern
from .errors import AqlError
from .plans import BindContext, ValuePlan

COMPARE_OPS = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, ">": operator.gt,
               "<=": operator.le, ">=": operator.ge}
# A condition builder binds to a store at execution time: (context, grouped) -> conditions.Condition
ConditionBuilder = Callable[[BindContext, bool], conditions.Condition]


class Scope:
    """How names resolve in one clause: columns, SELECT aliases, and whether aggregates may appear."""

    def __init__(self, columns: Mapping[str, str], aliases: dict[str, ValuePlan], *, alias_first: bool,
                 aggregates: bool, clause: str):
        self.columns = columns
        self.columns_by_lower = {}
        for name in columns:
            self.columns_by_lower.setdefault(name.lower(), name)
        self.aliases = aliases
        self.alias_first = alias_first
        self.aggregates = aggregates
        self.clause = clause

    def find_column(self, node: nodes.Column) -> Optional[str]:
        if node.quoted:  # a quoted name is the property's exact name
            return node.name if node.name in self.columns else None
        return self.columns_by_lower.get(node.name.lower())

    def find_alias(self, node: nodes.Column) -> Optional[ValuePlan]:
        if node.name in self.aliases:
            return self.aliases[node.name]
        for alias, plan in self.aliases.items():
            if alias.lower() == node.name.lower():
                return plan
        return None


def _literal_name(value: Any) -> str:
    return "null" if value is None else str(value)


def value_plan(node: Any, scope: Scope) -> ValuePlan:
    if isinstance(node, nodes.Literal):
        kind = "NUMERICAL" if isinstance(node.value, (int, float)) else "STRING"
        return ValuePlan(kind, _literal_name(node.value), constant=node.value)
    if isinstance(node, nodes.Column):
        return _column_plan(node, scope)
    if isinstance(node, nodes.FunctionCall):
        return _function_plan(node, scope)
    raise AqlError(f"Unsupported expression {node!r}")


def _column_plan(node: nodes.Column, scope: Scope) -> ValuePlan:
    plan = scope.find_alias(node) if scope.alias_first else None
    if plan is None:
        name = scope.find_column(node)
        if name is not None:
            return ValuePlan(scope.columns[name], name, column=name)
        plan = scope.find_alias(node)
    if plan is None:
        shown = f'"{node.name}"'
        raise AqlError(f"Invalid column {shown} in {scope.clause}: no event field or custom property named "
                       f"{shown} exists on this console" + ("" if node.quoted else " (names are case-insensitive)"))
    if plan.aggregate is not None and not scope.aggregates:
        raise AqlError(f'Aggregate "{node.name}" cannot be used in {scope.clause}')
    return plan


def _function_plan(node: nodes.FunctionCall, scope: Scope) -> ValuePlan:
    name = functions.check_known(node.name)
    if name in functions.PREDICATES:
        raise AqlError(f"{name} is a condition and can only be used as one (in WHERE or HAVING)")
    if name in functions.AGGREGATES:
        return _aggregate_plan(name, node, scope)
    spec = functions.SCALARS[name]
    wanted = 1 + spec.literal_args
    if node.star or len(node.args) != wanted:
        raise AqlError(f"{name} takes {wanted} argument{'s' if wanted > 1 else ''}")
    inner = value_plan(node.args[0], scope)
    if inner.aggregate is not None:
        raise AqlError(f"{name} of an aggregate is not supported by this console stand-in")
    literals = []
    for arg in node.args[1:]:
        if not (isinstance(arg, nodes.Literal) and isinstance(arg.value, str)):
            raise AqlError(f"{name}: argument {len(literals) + 2} must be a quoted string")
        literals.append(arg.value)
    if name == "DATEFORMAT":
        compile_pattern(literals[0])  # raises for letters SimpleDateFormat rejects
    return ValuePlan(spec.result_type, f"{name.lower()}_{inner.name}", column=inner.column,
                     transforms=inner.transforms + ((spec, tuple(literals)),), constant=inner.constant)


def _aggregate_plan(name: str, node: nodes.FunctionCall, scope: Scope) -> ValuePlan:
    if not scope.aggregates:
        raise AqlError(f"Aggregate function {name} cannot be used in {scope.clause}")
    if node.star:
        if name != "COUNT":
            raise AqlError(f"{name}(*) is not valid; only COUNT(*) is")
        return ValuePlan("NUMERICAL", "count", aggregate="COUNT")
    if len(node.args) != 1:
        raise AqlError(f"{name} takes 1 argument")
    inner_scope = Scope(scope.columns, scope.aliases, alias_first=False, aggregates=False, clause=name)
    arg = value_plan(node.args[0], inner_scope)
    kind = arg.type if name in ("MIN", "MAX") else "NUMERICAL"
    return ValuePlan(kind, f"{name.lower()}_{arg.name}", aggregate=name, aggregate_arg=arg)


# ---- literals meeting typed values ----------------------------------------------------------------
def coerce_constant(value: Any, target: ValuePlan, context: str) -> Any:
    """A literal compared with a typed value takes that value's type ('22' for a port is 22)."""
    if value is None:
        return None
    if target.is_numeric:
        if isinstance(value, (int, float)):
            return value
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                raise AqlError(f"{context}: {target.name} is numeric and cannot be compared with '{value}'") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


# ---- condition builders -------------------------------------------------------------------------
def _leaf(values: list[ValuePlan], make_test: Callable[[BindContext], Callable[..., Optional[bool]]],
          cost: int = 1) -> ConditionBuilder:
    """A test of one or more values. When all of them read the same single column (or are constants) the
    result is a single-column condition, memoized per distinct value."""

    def build(ctx: BindContext, grouped: bool) -> conditions.Condition:
        test = make_test(ctx)
        read = {v.column for v in values if not v.is_constant}
        if not grouped and not any(v.aggregate for v in values) and len(read) <= 1:
            converters = []
            for v in values:
                if v.is_constant:
                    fixed = v.constant_value(ctx.catalog)
                    converters.append(lambda raw, fixed=fixed: fixed)
                else:
                    converters.append(v.value_of(ctx.catalog) or (lambda raw: raw))
            if not read:
                return conditions.constant(test(*(c(None) for c in converters)))
            if len(values) == 1 and values[0].value_of(ctx.catalog) is None:
                value_test = test
            else:
                value_test = lambda raw: test(*(c(raw) for c in converters))  # noqa: E731
            return conditions.Condition(position=ctx.positions[read.pop()], value_test=value_test, cost=cost)
        getters = [v.group_getter(ctx) if grouped else v.row_getter(ctx) for v in values]

        def answer(row):
            return test(*(g(row) for g in getters))
        return conditions.Condition(is_true=lambda r: answer(r) is True, is_false=lambda r: answer(r) is False,
                                    cost=cost + 2)
    return build


def _compare(node: nodes.Compare, scope: Scope) -> ConditionBuilder:
    left, right = value_plan(node.left, scope), value_plan(node.right, scope)
    op = COMPARE_OPS[node.op]
    if left.is_constant and not right.is_constant:
        left = ValuePlan(right.type, left.name, constant=coerce_constant(left.constant, right, node.op))
    elif right.is_constant and not left.is_constant:
        right = ValuePlan(left.type, right.name, constant=coerce_constant(right.constant, left, node.op))

    def test(a, b):
        if a is None or b is None:
            return None
        try:
            return op(a, b)
        except TypeError:  # e.g. a number against text from two different columns
            return op(str(a), str(b))
    return _leaf([left, right], lambda ctx: test)


def _in_list(node: nodes.InList, scope: Scope) -> ConditionBuilder:
    target = value_plan(node.value, scope)
    options = set()
    for option in node.options:
        if not isinstance(option, nodes.Literal):
            raise AqlError("IN (...) takes literal values only")
        if option.value is not None:
            options.add(coerce_constant(option.value, target, "IN"))
    options = frozenset(options)

    def test(value):
        return None if value is None else (value in options)
    built = _leaf([target], lambda ctx: test)
    return _negate(built) if node.negated else built


def _is_null(node: nodes.IsNull, scope: Scope) -> ConditionBuilder:
    negated = node.negated
    return _leaf([value_plan(node.value, scope)], lambda ctx: (lambda v: (v is None) != negated))


def like_regex(pattern: str, ignore_case: bool) -> re.Pattern:
    """LIKE: % any run, _ one character, everything else literal (backslash included), whole value."""
    parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, bytearray)) else str(value)


def _like(node: nodes.Like, scope: Scope) -> ConditionBuilder:
    regex = like_regex(node.pattern, node.ignore_case)

    def test(value):  # IP columns hold dotted text, so LIKE sees what STR() would give
        return None if value is None else regex.fullmatch(_text(value)) is not None
    built = _leaf([value_plan(node.value, scope)], lambda ctx: test)
    return _negate(built) if node.negated else built


def _matches(node: nodes.Matches, scope: Scope) -> ConditionBuilder:
    try:
        regex = re.compile(node.pattern, (re.IGNORECASE if node.ignore_case else 0))
    except re.error as exc:
        raise AqlError(f"Invalid regular expression '{node.pattern}': {exc}") from None

    def make_test(ctx: BindContext):
        if ctx.regex_mode not in ("full", "substring"):
            raise ValueError(f"regex_mode must be 'full' or 'substring', not {ctx.regex_mode!r}")
        match = regex.fullmatch if ctx.regex_mode == "full" else regex.search
        return lambda value: None if value is None else match(_text(value)) is not None
    built = _leaf([value_plan(node.value, scope)], make_test)
    return _negate(built) if node.negated else built


def _bool_function(node: nodes.BoolFunction, scope: Scope) -> ConditionBuilder:
    call = node.call
    name = functions.check_known(call.name)
    if name != "INCIDR":
        raise AqlError(f"{name}(...) is not a condition; compare its value (for example {name}(...) = ...)")
    if call.star or len(call.args) != 2 or not (
            isinstance(call.args[0], nodes.Literal) and isinstance(call.args[0].value, str)):
        raise AqlError("INCIDR takes 2 arguments: a quoted CIDR and an IP value, e.g. INCIDR('10.0.0.0/8', sourceip)")
    test = functions.incidr_test(call.args[0].value)
    return _leaf([value_plan(call.args[1], scope)], lambda ctx: test)


def _negate(inner: ConditionBuilder) -> ConditionBuilder:
    return lambda ctx, grouped: conditions.negation(inner(ctx, grouped))


def condition(node: Any, scope: Scope) -> ConditionBuilder:
    if isinstance(node, nodes.And):
        parts = [condition(item, scope) for item in node.items]
        return lambda ctx, grouped: conditions.conjunction([p(ctx, grouped) for p in parts])
    if isinstance(node, nodes.Or):
        parts = [condition(item, scope) for item in node.items]
        return lambda ctx, grouped: conditions.disjunction([p(ctx, grouped) for p in parts])
    if isinstance(node, nodes.Not):
        return _negate(condition(node.item, scope))
    builders = {nodes.Compare: _compare, nodes.InList: _in_list, nodes.IsNull: _is_null, nodes.Like: _like,
                nodes.Matches: _matches, nodes.BoolFunction: _bool_function}
    return builders[type(node)](node, scope)
