"""The ids a console knows for the events we write (read from the stand-in's catalog.json as data).

One row per Windows event id we emit: which QID/category the Microsoft Windows Security Event Log
DSM gives it, where it comes from (Sysmon or Security channel) and the scores QRadar would attach.
"""
import json
from dataclasses import dataclass
from pathlib import Path

CATALOG_PATH = Path(__file__).resolve().parent.parent / "qradar_sim" / "catalog.json"

# Both Security and Sysmon arrive through WinCollect under log source type 12 (reference/aql.md).
DEVICE_TYPE_WINDOWS = 12

SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
SECURITY_CHANNEL = "Security"


@dataclass(frozen=True)
class EventKind:
    event_id: str          # as the custom property holds it: a string
    qid: int
    channel: str
    task: str              # the Sysmon task / Security subcategory text the payload carries
    title: str             # first words of the rendered message
    network: bool          # carries destination ip/port in the normalized fields
    magnitude: int
    severity: int
    credibility: int
    relevance: int


# qid per event id: the ones catalog.json names (kept in one table so adding a kind is one line).
_KINDS = [
    # event_id, qid, channel, task, title, network, magnitude, severity, credibility, relevance
    ("1", 5001828, SYSMON_CHANNEL, "Process Create (rule: ProcessCreate)", "Process Create:", False, 3, 1, 5, 5),
    ("3", 5001829, SYSMON_CHANNEL, "Network connection detected (rule: NetworkConnect)",
     "Network connection detected:", True, 3, 1, 5, 5),
    ("11", 5001838, SYSMON_CHANNEL, "File created (rule: FileCreate)", "File created:", False, 3, 1, 5, 5),
    ("22", 5001849, SYSMON_CHANNEL, "Dns query (rule: DnsQuery)", "Dns query:", False, 3, 1, 5, 5),
    ("4688", 5000830, SECURITY_CHANNEL, "Process Creation", "A new process has been created.", False, 3, 1, 5, 5),
    ("4624", 5000100, SECURITY_CHANNEL, "Logon", "An account was successfully logged on.", False, 2, 1, 5, 3),
]


def _load_catalog():
    with open(CATALOG_PATH, encoding="utf-8") as fh:
        return json.load(fh)


def _build_kinds():
    qids = _load_catalog()["qids"]
    kinds = {}
    for event_id, qid, channel, task, title, network, mag, sev, cred, rel in _KINDS:
        if str(qid) not in qids:
            raise RuntimeError(f"QID {qid} for event {event_id} is missing from {CATALOG_PATH}")
        kinds[event_id] = EventKind(event_id, qid, channel, task, title, network, mag, sev, cred, rel)
    return kinds, {int(q): int(v["category"]) for q, v in qids.items()}


KINDS, CATEGORY_OF_QID = _build_kinds()


def category(kind):
    return CATEGORY_OF_QID[kind.qid]


def high_level_category(low_level):
    # QRadar numbers low-level categories inside their high-level category's thousand (8110 -> 8000).
    return low_level // 1000 * 1000
