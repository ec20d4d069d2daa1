"""Links from the app into the console around it.

The console serves the app's pages from its own origin (/console/plugins/<id>/app_proxy/...), so console
pages are reached with origin-relative paths. The Log Activity URL is the console's AQL search page
(`/console/do/ariel/arielSearch` with searchMode AQL); that URL shape is from the console's own links, not from
the reference facts (docs/tab.md says so), and the link shows its AQL so an analyst can paste it by hand.
"""
from __future__ import annotations

from urllib.parse import urlencode

from ..detection.aql import quote_int, quote_string

PIVOT_BEFORE_MS = 30 * 60 * 1000
PIVOT_AFTER_MS = 30 * 60 * 1000


def log_activity_pivot(hit: dict) -> dict | None:
    """Every event of the hit's host from 30 minutes before to 30 minutes after it."""
    if not hit.get("source_ip"):
        return None
    at = int(hit["event_time_ms"])
    aql = (f"SELECT * FROM events WHERE sourceip = {quote_string(str(hit['source_ip']))} "
           f"START {quote_int(at - PIVOT_BEFORE_MS)} STOP {quote_int(at + PIVOT_AFTER_MS)}")
    query = urlencode({"appName": "EventViewer", "pageId": "EventList", "dispatch": "performSearch",
                       "value(searchMode)": "AQL", "value(timeRangeType)": "aqlTime", "value(aql)": aql})
    return {"aql": aql, "url": f"/console/do/ariel/arielSearch?{query}"}


def offense_url(offense_id: int) -> str:
    return "/console/qradar/jsp/QRadar.jsp?" + urlencode(
        {"appName": "Sem", "pageId": "OffenseSummary", "summaryId": int(offense_id)})
