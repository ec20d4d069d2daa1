"""Filtering, sorting and keyset paging of stored hits (the tab's table, its CSV export, the JSON API).

Paging is by keyset, never OFFSET: a page is "the next `limit` hits after this one in sort order", which an
index answers by seeking to the cursor, so page 10,000 costs what page 1 costs. The sort key is always
(column, event_time_ms, id), the column order of the indexes of migration 0005, and it is total (id breaks
ties), so no hit is shown twice or skipped while paging. NULLs of a nullable sort column are a segment of
their own (last when descending, first when ascending), so every segment is a plain index range.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from dataclasses import dataclass

# sort name -> column; every one has an index (column, event_time_ms).
SORTS = {"time": "event_time_ms", "risk": "risk_score", "rule": "rule_id", "host": "source_ip",
         "user": "username", "tool": "tool", "destination": "destination", "status": "status"}
NULLABLE = frozenset({"risk_score", "source_ip", "username", "tool", "destination"})
NOCASE_COLUMNS = frozenset({"tool", "destination", "host_name"})   # declared COLLATE NOCASE (0005)
TRIAGE_STATES = ("new", "acknowledged", "false_positive", "escalated")
MAX_TEXT = 200


class QueryError(ValueError):
    """A filter, sort or cursor the store cannot use; the message says which and why."""


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class HitFilter:
    since_ms: int | None = None
    until_ms: int | None = None
    rule_ids: list[str] | None = None          # None: every rule; []: no rule (nothing matches)
    risk_min: int | None = None
    risk_max: int | None = None
    host: str | None = None                     # source IP (an address) or asset host name (anything else)
    user: str | None = None
    tool: str | None = None
    destination: str | None = None              # host name or IP
    statuses: list[str] | None = None
    suppressed: bool | None = False             # None: both
    text: str | None = None                     # substring of the (masked) command line

    def where(self, sort_column: str = "event_time_ms") -> tuple[str, list]:
        """The WHERE clause. Which index serves a page is decided here, not left to the planner (which has
        no statistics and would pick the index of the rarest-looking term, then sort every match): the sort
        column's index drives the walk, so a page costs about the rows between the cursor and its 50th match.
        Under the time sort an equality on one rule, host, user, tool or destination may use its own
        (column, event_time_ms) index, which is in time order too; every other term is kept off indexes with
        SQLite's unary + (`+col = ?` is evaluated per row)."""
        terms, params = [], []
        by_time = sort_column == "event_time_ms"
        eq = "" if by_time else "+"      # equality terms may pick their index only under the time sort

        def add(sql, *values):
            terms.append(sql)
            params.extend(values)

        if self.since_ms is not None:
            add(f"{eq}event_time_ms >= ?", self.since_ms)
        if self.until_ms is not None:
            add(f"{eq}event_time_ms < ?", self.until_ms)
        if self.rule_ids is not None:
            if not self.rule_ids:
                add("0")
            elif len(self.rule_ids) == 1:
                add(f"{eq}rule_id = ?", self.rule_ids[0])
            else:   # an IN over several index ranges would need a sort of all its rows
                add(f"+rule_id IN ({', '.join('?' * len(self.rule_ids))})", *self.rule_ids)
        if self.risk_min is not None:
            add("+risk_score >= ?", self.risk_min)
        if self.risk_max is not None:
            add("+risk_score <= ?", self.risk_max)
        if self.host:
            # host_name is the asset model's name, never an address: one column, so one index serves the page
            # (an OR of two columns made SQLite 3.26 collect and sort every match of a busy host).
            add(f"{eq}source_ip = ?" if _is_ip(self.host) else f"{eq}host_name = ?", self.host)
        if self.user:
            add(f"{eq}username = ? COLLATE NOCASE", self.user)
        if self.tool:
            add(f"{eq}tool = ? COLLATE NOCASE", self.tool)
        if self.destination:
            add(f"({eq}destination = ? OR {eq}destination_ip = ?)", self.destination, self.destination)
        if self.statuses:
            unknown = [s for s in self.statuses if s not in TRIAGE_STATES]
            if unknown:
                raise QueryError(f"triage state must be one of {', '.join(TRIAGE_STATES)}, not {unknown[0]!r}")
            add(f"+status IN ({', '.join('?' * len(self.statuses))})", *self.statuses)
        if self.suppressed is not None:
            add("+suppressed = ?", int(self.suppressed))
        if self.text:
            if len(self.text) > MAX_TEXT:
                raise QueryError(f"search text is limited to {MAX_TEXT} characters")
            # search_text is the masked command line: searching the raw one would let anyone guess a
            # password one character at a time from which searches find the hit.
            add("search_text LIKE ? ESCAPE '\\'", f"%{_like_escape(self.text)}%")
        return (" AND ".join(terms) or "1"), params


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def encode_cursor(sort: str, row) -> str:
    column = SORTS[sort]
    key = [row[column], row["event_time_ms"], row["id"]]
    return base64.urlsafe_b64encode(json.dumps([sort] + key).encode()).decode().rstrip("=")


def decode_cursor(sort: str, cursor: str) -> tuple:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, time_ms, hit_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise QueryError("cursor is not one this app handed out (reload the first page)") from None
    if name != sort or not isinstance(time_ms, int) or not isinstance(hit_id, int) \
            or not (value is None or isinstance(value, (int, str))):
        raise QueryError("cursor belongs to another sort order (reload the first page)")
    return value, time_ms, hit_id


def _segments(column: str, descending: bool, after: tuple | None) -> list[tuple[str, list]]:
    """The index ranges to read, in order, as (WHERE term, params): every one is a seek on the sort column's
    (column, event_time_ms) index. After a cursor: the rest of the cursor's own value group (seeking on the
    time too, so that deep pages inside one big group stay cheap), then the values beyond it. A nullable
    column's NULLs are a segment of their own: last when descending, first when ascending."""
    less, more = ("<", ">") if descending else (">", "<")
    if column == "event_time_ms":
        if after is None:
            return [("1", [])]
        _, time_ms, hit_id = after
        return [(f"event_time_ms {less}= ? AND (event_time_ms {less} ? OR id {less} ?)", [time_ms, time_ms, hit_id])]
    nullable = column in NULLABLE
    values_seg, null_seg = (f"{column} IS NOT NULL", f"{column} IS NULL") if nullable else ("1", None)
    if after is None:
        if not nullable:
            return [(values_seg, [])]
        return [(values_seg, []), (null_seg, [])] if descending else [(null_seg, []), (values_seg, [])]
    value, time_ms, hit_id = after
    rest_of_group = f"event_time_ms {less}= ? AND (event_time_ms {less} ? OR id {less} ?)"
    tail = [time_ms, time_ms, hit_id]
    if value is None:
        if not nullable:
            raise QueryError("cursor does not fit this sort order (reload the first page)")
        segs = [(f"{null_seg} AND {rest_of_group}", tail)]
        return segs if descending else segs + [(values_seg, [])]
    # The collation spelled out on the equality: SQLite 3.26 (the console's) otherwise does not see that the
    # pinned NOCASE column leaves the index in ORDER BY order, and sorts every match in a temporary B-tree.
    equal = f"{column} = ? COLLATE NOCASE" if column in NOCASE_COLUMNS else f"{column} = ?"
    segs = [(f"{equal} AND {rest_of_group}", [value, *tail]), (f"{column} {less} ?", [value])]
    return segs + [(null_seg, [])] if descending and nullable else segs


def order_by(column: str, descending: bool) -> str:
    direction = "DESC" if descending else "ASC"
    if column == "event_time_ms":
        return f"event_time_ms {direction}, id {direction}"
    return f"{column} {direction}, event_time_ms {direction}, id {direction}"


def page_rows(db, flt: HitFilter, *, sort: str = "time", descending: bool = True, cursor: str | None = None,
              limit: int = 50, columns: str = "*") -> tuple[list, str | None]:
    """(rows, next cursor or None). rows are sqlite3.Row of `columns` (must include the sort key columns)."""
    if sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    column = SORTS[sort]
    after = decode_cursor(sort, cursor) if cursor else None
    where, params = flt.where(column)
    order = order_by(column, descending)
    rows: list = []
    for segment, seg_params in _segments(column, descending, after):
        want = limit + 1 - len(rows)
        if want <= 0:
            break
        rows += db.query(f"SELECT {columns} FROM hits WHERE {where} AND {segment} ORDER BY {order} LIMIT ?",
                         (*params, *seg_params, want))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(sort, rows[-1]) if more and rows else None)


def count_capped(db, flt: HitFilter, cap: int = 1000) -> tuple[int, bool]:
    """(how many match, up to cap; whether there are more than cap): exact counts of a million rows cost a scan."""
    where, params = flt.where()
    (row,) = db.query(f"SELECT COUNT(*) AS n FROM (SELECT 1 FROM hits WHERE {where} LIMIT ?)", (*params, cap + 1))
    return min(row["n"], cap), row["n"] > cap


def iter_rows(db, flt: HitFilter, *, sort: str = "time", descending: bool = True, batch: int = 1000,
              columns: str = "*"):
    """Every matching row in order, read a batch at a time (the CSV export streams this)."""
    cursor = None
    while True:
        rows, cursor = page_rows(db, flt, sort=sort, descending=descending, cursor=cursor, limit=batch,
                                 columns=columns)
        yield from rows
        if cursor is None:
            return
