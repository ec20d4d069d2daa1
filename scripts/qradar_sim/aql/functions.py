"""The AQL functions the stand-in knows: scalar (one value in, one out), predicates and aggregates.

Every scalar function takes one value argument (the first) plus, for DATEFORMAT, a literal pattern, so a
compiled call is a plain ``value -> value`` closure; the compiler composes it with the column getter.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any, Callable, Optional

from .dateformat import compile_pattern
from .errors import AqlError


@dataclass(frozen=True)
class ScalarFunction:
    name: str
    result_type: str
    literal_args: int  # how many string literals follow the value argument
    # (catalog, literal arguments) -> value -> value; None in gives None out
    make: Callable[[Any, tuple], Callable[[Any], Any]]


def _null_safe(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: None if value is None else fn(value)


def _utf8(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _str(value):
    # STR() of an IP gives its dotted text; IPs are stored as that text already.
    return str(value)


def _dateformat(_catalog, literals):
    render = compile_pattern(literals[0])
    return _null_safe(lambda ms: render(int(ms)))


def _lookup(method_name: str):
    def make(catalog, _literals):
        lookup = getattr(catalog, method_name)
        return _null_safe(lookup)
    return make


SCALARS: dict[str, ScalarFunction] = {f.name: f for f in (
    ScalarFunction("DATEFORMAT", "STRING", 1, _dateformat),
    ScalarFunction("LOGSOURCENAME", "STRING", 0, _lookup("log_source_name")),
    ScalarFunction("LOGSOURCETYPENAME", "STRING", 0, _lookup("log_source_type_name")),
    ScalarFunction("CATEGORYNAME", "STRING", 0, _lookup("category_name")),
    ScalarFunction("QIDNAME", "STRING", 0, _lookup("qid_name")),
    ScalarFunction("UTF8", "STRING", 0, lambda _c, _l: _null_safe(_utf8)),
    ScalarFunction("LOWER", "STRING", 0, lambda _c, _l: _null_safe(lambda v: str(v).lower())),
    ScalarFunction("UPPER", "STRING", 0, lambda _c, _l: _null_safe(lambda v: str(v).upper())),
    ScalarFunction("STR", "STRING", 0, lambda _c, _l: _null_safe(_str)),
)}

AGGREGATES = {"COUNT", "MIN", "MAX", "SUM", "AVG"}
PREDICATES = {"INCIDR"}
KNOWN = set(SCALARS) | AGGREGATES | PREDICATES


def check_known(name: str) -> str:
    upper = name.upper()
    if upper not in KNOWN:
        raise AqlError(f"Unknown function {name!r}. Known functions: {', '.join(sorted(KNOWN))}")
    return upper


def incidr_test(cidr: str) -> Callable[[Any], Optional[bool]]:
    """value -> True/False (None for NULL), for IPv4 and IPv6 networks."""
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        raise AqlError(f"INCIDR: {cidr!r} is not a valid CIDR") from None

    def test(value):
        if value is None:
            return None
        try:
            return ipaddress.ip_address(str(value)) in network
        except ValueError:  # not an IP at all: outside every network
            return False

    return test


# ---- aggregates over a group's rows (a list of tuples) -----------------------------------------
def aggregate(name: str, get: Optional[Callable]) -> Callable[[list], Any]:
    """Return rows -> aggregate value. get is None for COUNT(*). NULLs are skipped, as in SQL."""
    if name == "COUNT":
        if get is None:
            return len
        return lambda rows: sum(1 for r in rows if get(r) is not None)

    def values(rows):
        return [v for v in map(get, rows) if v is not None]

    if name == "MIN":
        return lambda rows: min(values(rows), default=None)
    if name == "MAX":
        return lambda rows: max(values(rows), default=None)
    if name == "SUM":
        return lambda rows: sum(values(rows)) if values(rows) else None

    def average(rows):
        found = values(rows)
        return sum(found) / len(found) if found else None
    return average
