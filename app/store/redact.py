"""Error text for everyone vs for administrators.

Stored errors (a failed window's reason, a run's error) may quote the console's answer, and a console that
refuses a search quotes the AQL, which holds the rule's logic and the pushed-down exceptions: exactly what an
insider would want to know to stay under them. The store keeps the whole text for administrators; the
`*_public` fields say what happened without the query. Which one a page shows is the web layer's decision
(the server-side admin check)."""
from __future__ import annotations

import re

HIDDEN = "[the query is shown to administrators only]"
# Where quoted AQL starts: a clause keyword, or the parameter the search was sent in.
_AQL_START = re.compile(r"(?i)\b(?:select\s|query_expression|from\s+(?:events|flows)\b|where\s|start\s+\d|last\s+\d)")


def public_error(text: str | None) -> str | None:
    """`text` up to where it starts quoting AQL, then a note that the rest is for administrators."""
    if not text:
        return text
    match = _AQL_START.search(text)
    if match is None:
        return text
    return (text[:match.start()].rstrip(" :'\"(") + " " + HIDDEN).strip()


def with_public(row: dict, column: str) -> dict:
    """The row with `<column>_public` beside `column`."""
    return row | {f"{column}_public": public_error(row.get(column))}
