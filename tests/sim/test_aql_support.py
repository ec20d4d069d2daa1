"""Shared helpers for the AQL engine tests (a small store, a query runner, the seed query). No tests here;
the name only matches test_aql_* so that it stays inside the files the AQL engine owns."""
from __future__ import annotations

from qradar_sim.aql import compile_query
from qradar_sim.catalog import Catalog
from qradar_sim.eventstore import EventStore
from qradar_sim.profiles import PROFILES, column_types

T0 = 1_714_056_680_000  # 2024-04-25 14:51:20 UTC
NOW = T0 + 3_600_000

SEED_QUERY = """SELECT DATEFORMAT(starttime, 'yyyy-MM-dd HH:mm:ss') AS EventTime,
       LOGSOURCENAME(logsourceid) AS LogSource,
       username,
       sourceip,
       destinationip,
       destinationport,
       "EventID",
       "Process Name" AS ProcessName,
       "CommandLine",
       CATEGORYNAME(category) AS Category
FROM events
WHERE devicetype IN (12)
  AND (
    (
      "EventID" IN ('1', '4688')
      AND (
        "Process Name" IMATCHES '(?i)(rclone\\.exe|winscp\\.exe|pscp\\.exe|psftp\\.exe|filezilla\\.exe|sftp\\.exe|scp\\.exe|curl\\.exe|wget\\.exe)'
        OR (
          "Process Name" IMATCHES '(?i)(powershell\\.exe|cmd\\.exe)'
          AND "CommandLine" IMATCHES '(?i)(sftp|\\bscp\\b|smtps|ftps|webdav|rclone|winscp)'
        )
        OR (
          "Process Name" IMATCHES '(?i)curl\\.exe'
          AND "CommandLine" IMATCHES '(?i)(--ssl|--tls|sftp://|ftps://)'
        )
      )
    )
    OR (
      "EventID" = '3'
      AND destinationport IN (22, 443, 465, 587, 990, 993, 8443, 21)
      AND (
        "Process Name" IMATCHES '(?i)(rclone\\.exe|winscp\\.exe|pscp\\.exe|psftp\\.exe|filezilla\\.exe|sftp\\.exe|scp\\.exe|curl\\.exe|wget\\.exe)'
        OR "CommandLine" IMATCHES '(?i)(sftp|smtps|webdav|ftps|rclone)'
      )
      AND NOT (
        destinationip ILIKE '10.%'
        OR destinationip ILIKE '172.16.%' OR destinationip ILIKE '172.17.%' OR destinationip ILIKE '172.18.%'
        OR destinationip ILIKE '172.19.%' OR destinationip ILIKE '172.20.%' OR destinationip ILIKE '172.21.%'
        OR destinationip ILIKE '172.22.%' OR destinationip ILIKE '172.23.%' OR destinationip ILIKE '172.24.%'
        OR destinationip ILIKE '172.25.%' OR destinationip ILIKE '172.26.%' OR destinationip ILIKE '172.27.%'
        OR destinationip ILIKE '172.28.%' OR destinationip ILIKE '172.29.%' OR destinationip ILIKE '172.30.%'
        OR destinationip ILIKE '172.31.%'
        OR destinationip ILIKE '192.168.%'
        OR destinationip ILIKE '127.%'
      )
    )
  )
ORDER BY EventTime DESC
START {start} STOP {stop}"""


def seed_query(start: int, stop: int) -> str:
    return SEED_QUERY.format(start=start, stop=stop)


def make_store(events, profile: str = "seed") -> EventStore:
    catalog = Catalog.from_file()
    catalog.add_log_sources([{"id": 101, "name": "WinCollect @ ws-17", "type_id": 12},
                             {"id": 102, "name": "WinCollect @ srv-02", "type_id": 12}])
    store = EventStore(PROFILES[profile], catalog)
    store.add(events)
    return store


def run(store: EventStore, aql: str, now: int = NOW, **options) -> list[dict]:
    query = compile_query(aql, column_types(store.profile))
    return query.execute(store, now, **options)


def event(offset_ms: int = 0, **fields) -> dict:
    """A Windows-like event at T0 + offset_ms; keyword arguments override or add fields.
    Custom properties with spaces go in via the `props` dict."""
    props = fields.pop("props", {})
    base = {"starttime": T0 + offset_ms, "devicetime": T0 + offset_ms - 500, "logsourceid": 101,
            "devicetype": 12, "category": 8110, "qid": 5001828, "eventcount": 1, "sourceip": "10.1.2.17",
            "username": "CORP\\alice"}
    base.update(fields)
    base.update(props)
    return base
