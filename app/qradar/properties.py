"""Which console column holds each field the rules need.

Windows and Sysmon custom event properties are not built into QRadar: they come
from IBM content extensions, and their names differ by extension and version
("EventID" or "Event ID", "CommandLine" or "Command" ...). So the app never
hard-codes one set: it reads the console's column list
(``QRadarClient.event_columns()``) and maps each *logical* field to the first
candidate name the console has, unless the admin overrides it.

    fields = resolve_fields(client.event_columns(), overrides={"command_line": "Cmd Line"})
    fields["command_line"]            # "Cmd Line", or None when the console has no such column
    fields.missing(["event_id", "command_line"])

One ambiguity no column list can settle: ``"Process Name"`` is the image *file
name* (``rclone.exe``) on some consoles and its *full path*
(``C:\\Tools\\rclone.exe``) on others (the ``seed`` and ``sysmon-fullpath``
profiles), and where ``"Image"`` is the only image column ``process_image``
and ``process_path`` both resolve to it. Rules must match the image with
patterns that work for a bare name and a full path alike
(``'(?i)(.*\\\\)?rclone\\.exe'``), never by equality.
"""
from collections.abc import Mapping

# Logical field -> console names seen in the wild, most specific first
# (reference/aql.md and DESIGN.md's profile table).
LOGICAL_FIELDS = {
    "event_id": ("EventID", "Event ID", "Event ID Code"),
    "process_image": ("Process Name", "Image"),
    "process_path": ("Process Path", "Image"),
    "command_line": ("CommandLine", "Process CommandLine", "Command"),
    "parent_image": ("ParentImage", "Parent Process Path"),
    "parent_command_line": ("ParentCommandLine", "Parent Command"),
    "process_guid": ("ProcessGuid", "Process GUID"),
    "original_file_name": ("OriginalFileName", "Filename"),
    "destination_hostname": ("DestinationHostname", "Destination Hostname"),
    "target_filename": ("TargetFilename", "Target Filename"),
    "query_name": ("QueryName", "Query Name"),
}


class FieldMap(Mapping):
    """logical field -> console column name (or None), with how each was chosen.

    ``sources[field]`` is ``"override"``, ``"discovered"``, ``"missing"`` or
    ``"bad override"``; ``errors`` lists overrides that could not be honoured
    (unknown logical field, or a column this console does not have). A bad
    override leaves its field unmapped instead of falling back to discovery: the
    admin asked for that column, and running a rule on another one would change
    its meaning without anyone noticing.
    """

    def __init__(self, names, sources, errors=()):
        self._names = dict(names)
        self.sources = dict(sources)
        self.errors = list(errors)

    def __getitem__(self, field):
        return self._names[field]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)

    def missing(self, required):
        """The fields of ``required`` that have no column on this console, in the order given."""
        return [field for field in required if self._names.get(field) is None]

    def as_dict(self):
        return dict(self._names)

    def __repr__(self):
        return f"FieldMap({self._names!r}, errors={self.errors!r})"


def resolve_fields(columns, overrides=None):
    """Maps every :data:`LOGICAL_FIELDS` entry to a column of ``columns``.

    ``overrides`` (logical field -> console name) wins when the console has that
    column; an empty or None override means "discover it". Column names are
    matched exactly first, then ignoring case and spaces (a console named
    ``"Event Id"`` still serves ``"Event ID"``), and the console's own spelling
    is returned because AQL must quote it exactly.
    """
    columns = [c for c in columns if isinstance(c, str)]
    exact = set(columns)
    loose = {}
    for column in columns:
        loose.setdefault(_loose(column), column)

    def find(*names):
        # Every exact name before any loose one, so candidate order decides only among equals.
        for name in names:
            if name in exact:
                return name
        return next((loose[_loose(n)] for n in names if _loose(n) in loose), None)

    names, sources, errors = {}, {}, []
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None and str(v).strip()}
    for field in overrides:
        if field not in LOGICAL_FIELDS:
            errors.append(f"override for unknown field {field!r} (known: {', '.join(LOGICAL_FIELDS)})")

    for field, candidates in LOGICAL_FIELDS.items():
        if field in overrides:
            wanted = str(overrides[field]).strip()
            column = find(wanted)
            if column is None:
                errors.append(f"{field}: the console has no event property {wanted!r} (override not used; "
                              "fix or clear the override)")
                names[field], sources[field] = None, "bad override"
            else:
                names[field], sources[field] = column, "override"
            continue
        column = find(*candidates)
        names[field], sources[field] = column, ("discovered" if column else "missing")
    return FieldMap(names, sources, errors)


def _loose(name):
    return "".join(name.split()).lower()
