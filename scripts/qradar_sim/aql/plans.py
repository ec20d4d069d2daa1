"""Value plans: what a SELECT item, an operand or a sort key reads and computes, resolved against the
console's columns at compile time and bound to a store's column positions at execution time."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from .functions import aggregate

NUMERIC_TYPES = frozenset({"NUMERICAL", "TIMESTAMP", "PORT", "NUMERIC", "LONG", "INTEGER"})


@dataclass
class BindContext:
    """What execution supplies: the store's column positions, the catalog for name lookups, the regex mode."""
    positions: dict
    catalog: Any
    regex_mode: str = "full"


@dataclass(frozen=True)
class ValuePlan:
    type: str                      # argument type of the result (NUMERICAL, STRING, IP, TIMESTAMP, ...)
    name: str                      # result key when the SELECT item has no alias
    column: Optional[str] = None   # the one column read; None for constants and COUNT(*)
    transforms: tuple = ()         # ((ScalarFunction, literal args), ...), innermost first
    constant: Any = None
    aggregate: Optional[str] = None          # COUNT, MIN, MAX, SUM, AVG
    aggregate_arg: Optional["ValuePlan"] = None  # None for COUNT(*)

    @property
    def is_constant(self) -> bool:
        return self.column is None and self.aggregate is None

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    def value_of(self, catalog) -> Optional[Callable[[Any], Any]]:
        """raw column value -> result; None when the result is the raw value itself."""
        if not self.transforms:
            return None
        steps = [spec.make(catalog, literals) for spec, literals in self.transforms]
        if len(steps) == 1:
            return steps[0]

        def composed(value):
            for step in steps:
                value = step(value)
            return value
        return composed

    def constant_value(self, catalog) -> Any:
        convert = self.value_of(catalog)
        return self.constant if convert is None else convert(self.constant)

    def row_getter(self, ctx: BindContext) -> Callable[[tuple], Any]:
        if self.aggregate is not None:
            raise AssertionError("aggregates are read per group")
        if self.is_constant:
            value = self.constant_value(ctx.catalog)
            return lambda row: value
        position = ctx.positions[self.column]
        convert = self.value_of(ctx.catalog)
        if convert is None:
            return lambda row: row[position]
        return lambda row: convert(row[position])

    def group_getter(self, ctx: BindContext) -> Callable[[list], Any]:
        """rows of one group -> value; a plain column gives the group's first row's value."""
        if self.is_constant:  # also for the empty group of an aggregate query that matched nothing
            value = self.constant_value(ctx.catalog)
            return lambda rows: value
        if self.aggregate is None:
            get = self.row_getter(ctx)
            return lambda rows: get(rows[0]) if rows else None
        inner = None if self.aggregate_arg is None else self.aggregate_arg.row_getter(ctx)
        return aggregate(self.aggregate, inner)
