"""The hits table as CSV, streamed a row at a time.

Telemetry is attacker-controlled, and a spreadsheet runs a cell that starts with = + - @ (or a tab or CR
that some spreadsheets skip before one of those) as a formula: such cells get a leading apostrophe, which
spreadsheets show as text. Command lines are masked like everywhere else (present.hit_row)."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone

from .present import hit_row

CSV_COLUMNS = ("id", "time_utc", "rule_id", "rule_name", "severity", "risk_score", "source_ip", "host_name",
               "username", "tool", "destination", "destination_port", "process_image", "command_line", "status",
               "suppressed", "exception_id", "triage_by", "triage_utc")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _utc(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if ms else None


def csv_lines(hits, rules):
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for hit in hits:
        row = hit_row(hit, rules) | {"time_utc": _utc(hit["event_time_ms"]), "triage_utc": _utc(hit.get("triage_ms"))}
        writer.writerow([neutralise(row.get(c)) for c in CSV_COLUMNS])
        yield flush()
