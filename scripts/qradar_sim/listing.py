"""Paging (`Range: items=x-y` / `Content-Range`), `fields=` and `sort=` for list endpoints."""
import re

from .errors import ApiError
from .filters import compile_filter

_RANGE = re.compile(r"^\s*items\s*=\s*(\d+)\s*-\s*(\d+)\s*$")


def parse_range(header):
    """`items=x-y` (zero based, inclusive) -> (x, y); None when absent; 422 when malformed."""
    if header is None:
        return None
    m = _RANGE.match(header)
    if not m or int(m.group(1)) > int(m.group(2)):
        raise ApiError(422, 1005, "Failed to parse Range argument. The syntax of the Range argument must "
                       "follow this pattern: items=x-y",
                       "The Range header is not valid.")
    return int(m.group(1)), int(m.group(2))


def page(items, range_header):
    """Slice a list the way the console pages: returns (rows, Content-Range header value)."""
    total = len(items)
    wanted = parse_range(range_header)
    first, last = wanted if wanted else (0, total - 1)
    if total == 0 or first >= total:
        return [], f"items */{total}"
    last = min(last, total - 1)
    return items[first:last + 1], f"items {first}-{last}/{total}"


def parse_fields(text):
    """`id,status,rules(id,type)` -> {"id": None, "status": None, "rules": {"id": None, "type": None}}."""
    pos = 0

    def parse_level():
        nonlocal pos
        out = {}
        name = ""
        while pos < len(text):
            ch = text[pos]
            pos += 1
            if ch == ",":
                if name.strip():
                    out[name.strip()] = None
                name = ""
            elif ch == "(":
                out[name.strip()] = parse_level()
                name = ""
            elif ch == ")":
                break
            else:
                name += ch
        if name.strip():
            out[name.strip()] = None
        return out
    return parse_level()


def select_fields(obj, spec):
    if spec is None or not isinstance(obj, (dict, list)):
        return obj
    if isinstance(obj, list):
        return [select_fields(o, spec) for o in obj]
    return {k: select_fields(obj.get(k), sub) for k, sub in spec.items() if k in obj}


def sort_items(items, text):
    """`sort=+a,-b`. A '+' sent unencoded in the URL arrives as a space: read that as ascending too."""
    keys = [k for k in (text or "").split(",") if k.strip()]
    for key in reversed(keys):
        descending = key.strip().startswith("-")
        name = key.strip().lstrip("+-").strip()
        items = sorted(items, key=lambda o: _sort_key(o.get(name)), reverse=descending)
    return items


def _sort_key(value):
    # None first, then numbers, then text: a total order even across mixed types.
    if value is None:
        return (0, 0, "")
    if isinstance(value, (int, float)):
        return (1, value, "")
    return (2, 0, str(value))


def list_response(items, params, range_header):
    """filter, sort, page, then trim fields: the order a console applies them."""
    predicate = compile_filter(params.get("filter"))
    chosen = sort_items([o for o in items if predicate(o)], params.get("sort"))
    rows, content_range = page(chosen, range_header)
    if params.get("fields"):
        rows = select_fields(rows, parse_fields(params["fields"]))
    return rows, content_range
