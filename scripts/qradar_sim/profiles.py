"""Console profiles: the custom event properties a console has (DESIGN.md table), and the column list the
stand-in serves from GET /api/ariel/databases/events."""
from __future__ import annotations

from dataclasses import dataclass, field

# The normalized event fields of reference/aql.md, always present, in the order the column list shows them.
# (name, argument_type, object_value_type, nullable)
NORMALIZED_FIELDS = (
    ("starttime", "TIMESTAMP", "java.lang.Long", False),
    ("devicetime", "TIMESTAMP", "java.lang.Long", True),
    ("endtime", "TIMESTAMP", "java.lang.Long", True),
    ("logsourceid", "NUMERICAL", "java.lang.Integer", False),
    ("devicetype", "NUMERICAL", "java.lang.Integer", False),
    ("category", "NUMERICAL", "java.lang.Integer", False),
    ("highlevelcategory", "NUMERICAL", "java.lang.Integer", False),
    ("qid", "NUMERICAL", "java.lang.Integer", False),
    ("username", "STRING", "java.lang.String", True),
    ("sourceip", "IP", "java.lang.String", True),
    ("destinationip", "IP", "java.lang.String", True),
    ("sourceport", "NUMERICAL", "java.lang.Integer", True),
    ("destinationport", "NUMERICAL", "java.lang.Integer", True),
    ("protocolid", "NUMERICAL", "java.lang.Integer", True),
    ("eventcount", "NUMERICAL", "java.lang.Integer", False),
    ("magnitude", "NUMERICAL", "java.lang.Integer", True),
    ("severity", "NUMERICAL", "java.lang.Integer", True),
    ("credibility", "NUMERICAL", "java.lang.Integer", True),
    ("relevance", "NUMERICAL", "java.lang.Integer", True),
    ("payload", "STRING", "java.lang.String", True),
    ("domainid", "NUMERICAL", "java.lang.Integer", True),
)
INDEXED_FIELDS = {"starttime", "logsourceid", "devicetype", "category", "qid", "username", "sourceip",
                  "destinationip", "sourceport", "destinationport"}
NORMALIZED_PROVIDER = "EventNormalizedProvider"
CUSTOM_PROVIDER = "CustomPropertyProvider"


@dataclass(frozen=True)
class Profile:
    name: str
    properties: dict[str, str] = field(default_factory=dict)  # custom property name -> argument_type


def _strings(*names: str) -> dict[str, str]:
    return {name: "STRING" for name in names}


PROFILES: dict[str, Profile] = {p.name: p for p in (
    Profile("seed", _strings(
        "EventID", "Process Name", "CommandLine", "ParentImage", "ParentCommandLine", "ProcessGuid",
        "OriginalFileName", "DestinationHostname", "TargetFilename", "QueryName")),
    # same names as seed, but "Process Name" holds the image's full path
    Profile("sysmon-fullpath", _strings(
        "EventID", "Process Name", "CommandLine", "ParentImage", "ParentCommandLine", "ProcessGuid",
        "OriginalFileName", "DestinationHostname", "TargetFilename", "QueryName")),
    Profile("ibm-windows", _strings(
        "Event ID", "Process Name", "Process Path", "Command", "Parent Process Path", "Parent Command",
        "Process GUID", "Filename", "Destination Hostname", "Target Filename", "Query Name")),
)}


def column_types(profile: Profile) -> dict[str, str]:
    """Column name -> argument_type: the normalized fields, then the profile's properties."""
    types = {name: kind for name, kind, _object, _nullable in NORMALIZED_FIELDS}
    types.update(profile.properties)
    return types


def event_columns(profile: Profile) -> list[dict]:
    """The 'columns' list of GET /api/ariel/databases/events for this profile."""
    columns = [{"name": name, "argument_type": kind, "indexable": name in INDEXED_FIELDS, "nullable": nullable,
                "object_value_type": object_type, "provider_name": NORMALIZED_PROVIDER}
               for name, kind, object_type, nullable in NORMALIZED_FIELDS]
    columns += [{"name": name, "argument_type": kind, "indexable": False, "nullable": True,
                 "object_value_type": "java.lang.String", "provider_name": CUSTOM_PROVIDER}
                for name, kind in profile.properties.items()]
    return columns
