"""EventStore, profiles and catalog: what the server and the AQL engine rely on."""
from __future__ import annotations

import json
import threading

import pytest

from qradar_sim.catalog import Catalog
from qradar_sim.eventstore import EventStore
from qradar_sim.profiles import NORMALIZED_FIELDS, PROFILES, column_types, event_columns
from tests.sim.test_aql_support import T0, event, make_store


# ---- profiles --------------------------------------------------------------------------------------
def test_the_three_profiles_exist_with_design_names():
    assert set(PROFILES) == {"seed", "sysmon-fullpath", "ibm-windows"}
    assert "Process Name" in PROFILES["seed"].properties and "Process Path" not in PROFILES["seed"].properties
    assert set(PROFILES["sysmon-fullpath"].properties) == set(PROFILES["seed"].properties)
    assert {"Event ID", "Process Path", "Command", "Parent Process Path", "Parent Command", "Process GUID",
            "Filename", "Destination Hostname", "Target Filename", "Query Name"} <= set(PROFILES["ibm-windows"].properties)
    assert "EventID" not in PROFILES["ibm-windows"].properties


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_event_columns_are_normalized_fields_plus_exactly_the_profile(name):
    profile = PROFILES[name]
    columns = event_columns(profile)
    names = [c["name"] for c in columns]
    assert names == [f[0] for f in NORMALIZED_FIELDS] + list(profile.properties)
    assert all(set(c) == {"name", "argument_type", "indexable", "nullable", "object_value_type", "provider_name"}
               for c in columns)
    assert "LOGSOURCETYPEID" not in names and "devicetype" in names
    assert column_types(profile) == {c["name"]: c["argument_type"] for c in columns}
    assert column_types(profile)["sourceip"] == "IP" and column_types(profile)["starttime"] == "TIMESTAMP"


# ---- catalog ------------------------------------------------------------------------------------------
def test_catalog_names():
    catalog = Catalog.from_file()
    assert catalog.log_source_type_name(12) == "Microsoft Windows Security Event Log"
    assert catalog.log_source_type_name("12") == "Microsoft Windows Security Event Log"
    assert catalog.category_name(8110) == "Process Creation Success"
    assert catalog.qid_name(5001829) == "Network connection detected"
    assert catalog.log_source_name(5) is None and catalog.qid_name(None) is None
    catalog.add_log_sources([{"id": 5, "name": "WinCollect @ dc-1", "type_id": 12}])
    assert catalog.log_source_name(5) == "WinCollect @ dc-1"
    assert catalog.log_sources() == [{"id": 5, "name": "WinCollect @ dc-1", "type_id": 12}]


# ---- store ---------------------------------------------------------------------------------------------
def test_add_ignores_metadata_and_unknown_properties():
    store = make_store([])
    added = store.add([event(0, _scenario="s1", props={"EventID": "1", "Process Path": "C:\\x.exe", "Image": "x"})])
    assert added == 1 and len(store) == 1
    stored = store.as_dict(store.rows_between(T0, T0 + 1)[0])
    assert stored["EventID"] == "1"
    assert not {"_scenario", "Process Path", "Image"} & set(stored)


def test_values_are_converted_to_column_types():
    store = make_store([])
    store.add([{"starttime": str(T0), "destinationport": "443", "sourceport": 1.0, "qid": "junk",
                "EventID": 3, "sourceip": "10.0.0.1", "payload": b"bytes"}])
    stored = store.as_dict(store.rows_between(T0, T0 + 1)[0])
    assert stored == {"starttime": T0, "destinationport": 443, "sourceport": 1, "EventID": "3",
                      "sourceip": "10.0.0.1", "payload": "bytes"}


def test_events_without_a_start_time_are_not_stored():
    store = make_store([])
    assert store.add([{"sourceip": "10.0.0.1"}, {"starttime": None}]) == 0 and len(store) == 0


def test_events_are_kept_in_starttime_order_even_when_added_late():
    store = make_store([event(5000, username="c"), event(1000, username="a")])
    store.add([event(3000, username="b"), event(9000, username="d")])
    store.add([event(1000, username="a2")])  # same time as an earlier event: after it
    assert [r[store.column_index["username"]] for r in store.rows_between(0, T0 * 2)] == ["a", "a2", "b", "c", "d"]
    assert store.span() == (T0 + 1000, T0 + 9000)


def test_rows_between_is_start_inclusive_stop_exclusive():
    store = make_store([event(i * 1000) for i in range(5)])
    assert len(store.rows_between(T0 + 1000, T0 + 3000)) == 2
    assert len(store.rows_between(T0 + 1001, T0 + 3001)) == 2
    assert store.rows_between(T0 + 10_000, T0 + 20_000) == []


def test_empty_store_has_no_span():
    assert make_store([]).span() is None


def test_load_jsonl(tmp_path):
    path = tmp_path / "events.jsonl"
    lines = [json.dumps(event(i * 1000, props={"EventID": "1"})) for i in range(3)]
    path.write_text("\n".join(lines[:2]) + "\n\n" + lines[2] + "\n")
    store = make_store([])
    assert store.load_jsonl(path) == 3 and store.span() == (T0, T0 + 2000)


def test_load_jsonl_names_a_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(event(0)) + "\n{not json\n")
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        make_store([]).load_jsonl(path)


def test_short_strings_are_shared():
    store = make_store([event(0, username="".join(["CORP\\", "bob"])), event(1, username="".join(["CORP\\", "bo", "b"]))])
    first, second = (r[store.column_index["username"]] for r in store.rows_between(0, T0 * 2))
    assert first is second


def test_concurrent_adds_lose_nothing():
    store = EventStore(PROFILES["seed"], Catalog.from_file())

    def writer(base):
        for i in range(50):
            store.add([event(base + i * 7, username=f"w{base}")])

    threads = [threading.Thread(target=writer, args=(n * 3,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    times = [r[store.column_index["starttime"]] for r in store.rows_between(0, T0 * 2)]
    assert len(times) == 200 and times == sorted(times)
