"""Logical fields -> console columns for each profile of DESIGN.md, and overrides."""
from app.qradar.properties import LOGICAL_FIELDS, resolve_fields

NORMALIZED = ["starttime", "sourceip", "destinationip", "username", "qid", "payload"]
SEED = NORMALIZED + ["EventID", "Process Name", "CommandLine", "ParentImage", "ParentCommandLine", "ProcessGuid",
                     "OriginalFileName", "DestinationHostname", "TargetFilename", "QueryName"]
IBM_WINDOWS = NORMALIZED + ["Event ID", "Process Name", "Process Path", "Command", "Parent Process Path",
                            "Parent Command", "Process GUID", "Filename", "Destination Hostname",
                            "Target Filename", "Query Name"]


def test_seed_profile():
    fields = resolve_fields(SEED, {})
    assert fields.as_dict() == {
        "event_id": "EventID", "process_image": "Process Name", "process_path": None,
        "command_line": "CommandLine", "parent_image": "ParentImage", "parent_command_line": "ParentCommandLine",
        "process_guid": "ProcessGuid", "original_file_name": "OriginalFileName",
        "destination_hostname": "DestinationHostname", "target_filename": "TargetFilename",
        "query_name": "QueryName"}
    assert fields.errors == []
    assert fields.missing(["event_id", "process_path", "command_line"]) == ["process_path"]


def test_ibm_windows_profile():
    fields = resolve_fields(IBM_WINDOWS, None)
    assert fields.as_dict() == {
        "event_id": "Event ID", "process_image": "Process Name", "process_path": "Process Path",
        "command_line": "Command", "parent_image": "Parent Process Path", "parent_command_line": "Parent Command",
        "process_guid": "Process GUID", "original_file_name": "Filename",
        "destination_hostname": "Destination Hostname", "target_filename": "Target Filename",
        "query_name": "Query Name"}
    assert fields.missing(LOGICAL_FIELDS) == []


def test_image_only_console_maps_name_and_path_to_image():
    fields = resolve_fields(NORMALIZED + ["Event ID Code", "Image", "Process CommandLine"], {})
    assert fields["process_image"] == fields["process_path"] == "Image"
    assert fields["event_id"] == "Event ID Code" and fields["command_line"] == "Process CommandLine"


def test_nothing_there():
    fields = resolve_fields(NORMALIZED, {})
    assert set(fields.missing(LOGICAL_FIELDS)) == set(LOGICAL_FIELDS)
    assert fields.sources["event_id"] == "missing"


def test_override_wins_when_the_console_has_the_column():
    fields = resolve_fields(SEED + ["Cmd"], {"command_line": "Cmd"})
    assert fields["command_line"] == "Cmd" and fields.sources["command_line"] == "override"
    assert fields.errors == []


def test_override_naming_an_absent_column_is_an_error_and_not_used():
    fields = resolve_fields(SEED, {"command_line": "No Such Column"})
    assert fields["command_line"] is None
    assert fields.sources["command_line"] == "bad override"
    assert fields.missing(["command_line"]) == ["command_line"]
    assert len(fields.errors) == 1 and "No Such Column" in fields.errors[0]


def test_override_of_unknown_field_is_reported_and_blank_override_means_discover():
    fields = resolve_fields(SEED, {"nonsense": "EventID", "event_id": "  "})
    assert fields["event_id"] == "EventID" and fields.sources["event_id"] == "discovered"
    assert any("nonsense" in e for e in fields.errors)


def test_exact_name_beats_a_loose_match_and_loose_returns_the_console_spelling():
    assert resolve_fields(["Event Id"], {})["event_id"] == "Event Id"
    # "EventID" is the first candidate, but an exact "Event ID" beats EventID's loose twin "eventid"
    assert resolve_fields(["eventid", "Event ID"], {})["event_id"] == "Event ID"
    assert resolve_fields(["event id"], {"event_id": "Event ID"})["event_id"] == "event id"


def test_field_map_is_a_mapping():
    fields = resolve_fields(SEED, {})
    assert set(fields) == set(LOGICAL_FIELDS) and len(fields) == len(LOGICAL_FIELDS)
    assert dict(fields) == fields.as_dict()
