"""compile_query() and CompiledQuery: the checked query, and its execution over an EventStore."""
from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

from . import nodes, timeframe
from .compiler import Scope, condition, value_plan
from .errors import AqlError
from .parser import parse
from .plans import BindContext, ValuePlan

DATABASES = ("events", "flows")
REGEX_MODES = ("full", "substring")
CHUNK_ROWS = 50_000  # rows filtered between two cancel checks / progress reports


def _sort_key(value: Any):
    # NULLs sort after every value (ascending); numbers before text should a column mix them.
    return (value is None, isinstance(value, str), value if value is not None else 0)


class CompiledQuery:
    def __init__(self, query: nodes.Query, columns: Mapping[str, str]):
        if query.database not in DATABASES:
            raise AqlError(f"Unknown database '{query.database}': use events or flows")
        self.database = query.database
        self.limit = query.limit
        self.parameters = dict(query.parameters)
        self._frame = query.time_frame
        timeframe.validate(self._frame)
        if self.database == "flows":
            columns = {}  # the stand-in holds no flows: names are not checked, results are empty
        self._compile(query, columns)

    # ---- compile -----------------------------------------------------------------------------
    def _compile(self, query: nodes.Query, columns: Mapping[str, str]) -> None:
        flows = self.database == "flows"
        select_scope = Scope(columns, {}, alias_first=False, aggregates=True, clause="SELECT")
        self.select: list[ValuePlan] = []
        self.column_names: list[str] = []
        aliases: dict[str, ValuePlan] = {}
        for item in query.select:
            if item.value is None:  # SELECT *
                for name, kind in columns.items():
                    self.select.append(ValuePlan(kind, name, column=name))
                    self.column_names.append(name)
                continue
            if flows:
                plan = ValuePlan("STRING", getattr(item.value, "name", "value"), constant=None)
            else:
                plan = value_plan(item.value, select_scope)
            self.select.append(plan)
            self.column_names.append(item.alias or plan.name)
            if item.alias:
                aliases[item.alias] = plan
        if flows:
            self.grouped, self.where, self.group_by, self.having, self.order = False, None, [], None, []
            return

        where_scope = Scope(columns, aliases, alias_first=False, aggregates=False, clause="WHERE")
        self.where = condition(query.where, where_scope) if query.where is not None else None
        group_scope = Scope(columns, aliases, alias_first=False, aggregates=False, clause="GROUP BY")
        self.group_by = [value_plan(v, group_scope) for v in query.group_by]
        having_scope = Scope(columns, aliases, alias_first=True, aggregates=True, clause="HAVING")
        self.having = condition(query.having, having_scope) if query.having is not None else None
        self.grouped = bool(self.group_by) or self.having is not None or any(p.aggregate for p in self.select)
        order_scope = Scope(columns, aliases, alias_first=True, aggregates=self.grouped, clause="ORDER BY")
        # each sort key: (index into the SELECT outputs, or a plan evaluated on the row/group; descending)
        self.order: list[tuple[Optional[int], Optional[ValuePlan], bool]] = []
        for item in query.order_by:
            plan = value_plan(item.value, order_scope)
            index = next((i for i, p in enumerate(self.select) if p == plan), None)
            self.order.append((index, None if index is not None else plan, item.descending))

    # ---- time ----------------------------------------------------------------------------------
    def time_range(self, now_ms: int) -> tuple[int, int]:
        """[start, stop) in epoch ms for a query submitted at now_ms."""
        return timeframe.time_range(self._frame, now_ms)

    # ---- execute -------------------------------------------------------------------------------
    def execute(self, store, now_ms: int, *, regex_mode: str = "full", cancelled: Callable[[], bool] = lambda: False,
                progress: Optional[Callable[[int, int], None]] = None) -> list[dict]:
        if regex_mode not in REGEX_MODES:
            raise ValueError(f"regex_mode must be one of {REGEX_MODES}, not {regex_mode!r}")
        if self.database == "flows":
            if progress:
                progress(0, 0)
            return []
        start, stop = self.time_range(now_ms)
        rows = store.rows_between(start, stop)
        ctx = BindContext(store.column_index, store.catalog, regex_mode)
        matched = self._filter(rows, ctx, cancelled, progress)
        if self.grouped:
            records = self._group(matched, ctx)
        else:
            getters = [p.row_getter(ctx) for p in self.select]
            records = [(row, [g(row) for g in getters]) for row in matched]
        records = self._sort(records, ctx)
        if self.limit is not None:
            records = records[: self.limit]
        names = self.column_names
        return [dict(zip(names, values)) for _source, values in records]

    def _filter(self, rows: list, ctx: BindContext, cancelled, progress) -> list:
        keep = self.where(ctx, False).is_true() if self.where is not None else None
        # without grouping or sorting, the first LIMIT matches are the answer
        enough = self.limit if not self.grouped and not self.order and self.limit is not None else None
        total, matched = len(rows), []
        for offset in range(0, total, CHUNK_ROWS):
            if cancelled():
                return matched
            chunk = rows[offset: offset + CHUNK_ROWS]
            matched.extend(chunk if keep is None else filter(keep, chunk))
            if progress:
                progress(min(offset + CHUNK_ROWS, total), total)
            if enough is not None and len(matched) >= enough:
                break
        if progress:
            progress(total, total)
        return matched

    def _group(self, matched: list, ctx: BindContext) -> list:
        key_getters = [p.row_getter(ctx) for p in self.group_by]
        groups: dict[Any, list] = {}
        if not key_getters:  # aggregates without GROUP BY: one group, even when nothing matched
            groups = {(): matched}
        elif len(key_getters) == 1:
            get = key_getters[0]
            for row in matched:
                groups.setdefault(get(row), []).append(row)
        else:
            for row in matched:
                groups.setdefault(tuple(g(row) for g in key_getters), []).append(row)
        keep = self.having(ctx, True).is_true() if self.having is not None else None
        getters = [p.group_getter(ctx) for p in self.select]
        return [(rows, [g(rows) for g in getters]) for rows in groups.values() if keep is None or keep(rows)]

    def _sort(self, records: list, ctx: BindContext) -> list:
        # stable sorts from the last key to the first give a multi-key sort with mixed directions
        for index, plan, descending in reversed(self.order):
            if index is not None:
                key = (lambda rec, i=index: _sort_key(rec[1][i]))
            else:
                get = plan.group_getter(ctx) if self.grouped else plan.row_getter(ctx)
                key = (lambda rec, get=get: _sort_key(get(rec[0])))
            records.sort(key=key, reverse=descending)
        return records


def compile_query(text: str, columns: Mapping[str, str]) -> CompiledQuery:
    """Parse and check an AQL query against a console's columns (name -> argument type)."""
    return CompiledQuery(parse(text), columns)
