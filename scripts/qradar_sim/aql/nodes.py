"""The parsed query as plain data; the parser builds it and the compiler reads it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Union


# ---- values -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    name: str
    quoted: bool  # "Process Name" (exact name) versus processname (case-insensitive)


@dataclass(frozen=True)
class Literal:
    value: Any  # str, int, float or None (NULL)


@dataclass(frozen=True)
class FunctionCall:
    name: str  # as written; resolved case-insensitively
    args: tuple = ()
    star: bool = False  # COUNT(*)


Value = Union[Column, Literal, FunctionCall]


# ---- conditions ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Compare:
    op: str  # = != < > <= >= (<> is normalised to !=)
    left: Any
    right: Any


@dataclass(frozen=True)
class InList:
    value: Any
    options: tuple
    negated: bool


@dataclass(frozen=True)
class IsNull:
    value: Any
    negated: bool


@dataclass(frozen=True)
class Like:
    value: Any
    pattern: str
    ignore_case: bool
    negated: bool


@dataclass(frozen=True)
class Matches:
    value: Any
    pattern: str
    ignore_case: bool
    negated: bool


@dataclass(frozen=True)
class BoolFunction:
    call: FunctionCall  # INCIDR(...)


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: Any


# ---- clauses ------------------------------------------------------------------------------
@dataclass(frozen=True)
class SelectItem:
    value: Optional[Any]  # None for *
    alias: Optional[str] = None


@dataclass(frozen=True)
class OrderItem:
    value: Any
    descending: bool


@dataclass(frozen=True)
class TimePoint:
    kind: str  # 'epoch' | 'string' | 'relative'
    value: Any  # int epoch ms, or the quoted text


@dataclass(frozen=True)
class LastFrame:
    amount: int
    unit: str  # MINUTES | HOURS | DAYS


@dataclass(frozen=True)
class StartStopFrame:
    start: TimePoint
    stop: Optional[TimePoint]


@dataclass
class Query:
    select: list
    database: str
    where: Optional[Any] = None
    group_by: list = field(default_factory=list)
    having: Optional[Any] = None
    order_by: list = field(default_factory=list)
    limit: Optional[int] = None
    time_frame: Optional[Any] = None
    parameters: dict = field(default_factory=dict)
