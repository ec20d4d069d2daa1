"""Console profiles: which custom property names a console has, and how each value is written there.

The table is DESIGN.md's: the same logical event becomes different columns per console. Everything
else (normalized fields, payload, metadata) is identical across profiles.
"""


def file_name(path):
    return path.rsplit("\\", 1)[-1]


def as_is(value):
    return value


# logical key -> [(property name, transform)]; a logical key may feed two properties (ibm-windows image).
_SEED = {
    "eid": [("EventID", as_is)],
    "image": [("Process Name", file_name)],
    "cmd": [("CommandLine", as_is)],
    "pimage": [("ParentImage", as_is)],
    "pcmd": [("ParentCommandLine", as_is)],
    "guid": [("ProcessGuid", as_is)],
    "ofn": [("OriginalFileName", as_is)],
    "dhost": [("DestinationHostname", as_is)],
    "tfile": [("TargetFilename", as_is)],
    "qname": [("QueryName", as_is)],
}
PROFILES = {
    "seed": _SEED,
    # DESIGN.md: the same properties as seed, but "Process Name" holds the image's full path.
    "sysmon-fullpath": {**_SEED, "image": [("Process Name", as_is)]},
    "ibm-windows": {
        "eid": [("Event ID", as_is)],
        "image": [("Process Name", file_name), ("Process Path", as_is)],
        "cmd": [("Command", as_is)],
        "pimage": [("Parent Process Path", as_is)],
        "pcmd": [("Parent Command", as_is)],
        "guid": [("Process GUID", as_is)],
        "ofn": [("Filename", as_is)],
        "dhost": [("Destination Hostname", as_is)],
        "tfile": [("Target Filename", as_is)],
        "qname": [("Query Name", as_is)],
    },
}

PROFILE_NAMES = tuple(PROFILES)

# Normalized Ariel columns, in the order they are written.
NORMALIZED = ("starttime", "endtime", "devicetime", "logsourceid", "devicetype", "category", "highlevelcategory",
              "qid", "username", "sourceip", "destinationip", "sourceport", "destinationport", "protocolid",
              "eventcount", "magnitude", "severity", "credibility", "relevance", "domainid", "payload")
METADATA = ("_scenario", "_note")


def custom_properties(profile, props):
    """The event's custom properties as this console names them (absent values stay absent)."""
    table, out = PROFILES[profile], {}
    for key, value in props.items():
        for name, transform in table[key]:
            out[name] = transform(value)
    return out


def property_names(profile):
    return sorted(name for columns in PROFILES[profile].values() for name, _ in columns)
