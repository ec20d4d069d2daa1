"""Compiled conditions with SQL three-valued logic, built for speed over millions of rows.

A condition is kept as two row predicates, ``is_true`` and ``is_false``; NULL makes both false, so
``NOT`` just swaps them and the WHERE filter keeps rows where ``is_true`` holds. Because neither has side
effects, AND/OR may evaluate their operands in any order: cheap ones go first.

A condition that reads a single column (``"EventID" IN ('1','4688')``, a whole ``NOT (ip ILIKE ... OR ...)``
block) is a function of that column's value alone. Such conditions are merged per column and answered
through a per-distinct-value memo (a dict whose misses compute the answer), so each row costs one dict
lookup per column however many LIKE / MATCHES / INCIDR tests the condition holds. Values repeat heavily
in event data, so the memos stay small; they are cleared if they grow past MEMO_LIMIT.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

MEMO_LIMIT = 250_000
Row = tuple
RowTest = Callable[[Row], bool]
ValueTest = Callable[[Any], Optional[bool]]  # three-valued: True, False or None (unknown)


class Memo(dict):
    """value -> fn(value), computed on first sight."""
    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], bool]):
        super().__init__()
        self.fn = fn

    def __missing__(self, key):
        if len(self) >= MEMO_LIMIT:
            self.clear()
        result = self[key] = self.fn(key)
        return result


def all_of(tests: list[RowTest]) -> RowTest:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda r: a(r) and b(r)
    head, rest = tests[0], all_of(tests[1:])
    return lambda r: head(r) and rest(r)


def any_of(tests: list[RowTest]) -> RowTest:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda r: a(r) or b(r)
    head, rest = tests[0], any_of(tests[1:])
    return lambda r: head(r) or rest(r)


def and3(tests: list[ValueTest]) -> ValueTest:
    def combined(value):
        result = True
        for test in tests:
            answer = test(value)
            if answer is False:
                return False
            if answer is None:
                result = None
        return result
    return combined


def or3(tests: list[ValueTest]) -> ValueTest:
    def combined(value):
        result = False
        for test in tests:
            answer = test(value)
            if answer is True:
                return True
            if answer is None:
                result = None
        return result
    return combined


def not3(test: ValueTest) -> ValueTest:
    def negated(value):
        answer = test(value)
        return None if answer is None else not answer
    return negated


class Condition:
    """Either a test of one column's value (position + ValueTest) or a pair of row predicates."""

    def __init__(self, *, position: Optional[int] = None, value_test: Optional[ValueTest] = None,
                 is_true: Optional[RowTest] = None, is_false: Optional[RowTest] = None, cost: int = 1):
        self.position = position
        self.value_test = value_test
        self._is_true = is_true
        self._is_false = is_false
        self.cost = cost

    @property
    def single_column(self) -> bool:
        return self.value_test is not None

    def is_true(self) -> RowTest:
        if self._is_true is None:
            memo, i = Memo(lambda v, t=self.value_test: t(v) is True), self.position
            self._is_true = lambda r: memo[r[i]]
        return self._is_true

    def is_false(self) -> RowTest:
        if self._is_false is None:
            memo, i = Memo(lambda v, t=self.value_test: t(v) is False), self.position
            self._is_false = lambda r: memo[r[i]]
        return self._is_false


def constant(answer: Optional[bool]) -> Condition:
    return Condition(is_true=lambda r: answer is True, is_false=lambda r: answer is False, cost=0)


def _merge_by_column(items: list[Condition], merge3) -> list[Condition]:
    """Fold the single-column operands that read the same column into one memoized condition."""
    by_position: dict[int, list[Condition]] = {}
    merged: list[Condition] = []
    for item in items:
        if item.single_column:
            if item.position not in by_position:
                by_position[item.position] = []
                merged.append(item)  # placeholder keeps first-appearance order
            by_position[item.position].append(item)
        else:
            merged.append(item)
    result = []
    for item in merged:
        group = by_position.get(item.position) if item.single_column else None
        if group is not None and len(group) > 1:
            item = Condition(position=item.position, value_test=merge3([g.value_test for g in group]))
        result.append(item)
    return result


def conjunction(items: list[Condition]) -> Condition:
    items = _merge_by_column(items, and3)
    if len(items) == 1:
        return items[0]
    items.sort(key=lambda c: c.cost)  # stable: equal costs keep the query's order
    trues, falses = [c.is_true() for c in items], [c.is_false() for c in items]
    return Condition(is_true=all_of(trues), is_false=any_of(falses), cost=sum(c.cost for c in items))


def disjunction(items: list[Condition]) -> Condition:
    items = _merge_by_column(items, or3)
    if len(items) == 1:
        return items[0]
    items.sort(key=lambda c: c.cost)
    trues, falses = [c.is_true() for c in items], [c.is_false() for c in items]
    return Condition(is_true=any_of(trues), is_false=all_of(falses), cost=sum(c.cost for c in items))


def negation(item: Condition) -> Condition:
    if item.single_column:
        return Condition(position=item.position, value_test=not3(item.value_test), cost=item.cost)
    return Condition(is_true=item.is_false(), is_false=item.is_true(), cost=item.cost)
