"""No value from configuration or telemetry changes an AQL query's structure (property-based, hypothesis).

Hostile text goes where the app puts outside values into AQL: a tuning exception's values (pushed down into the
rule's query), a field mapping an administrator enters (a column name), process GUIDs read from telemetry (the
correlation searches, by GUID and by process image). The judge is the console stand-in's own AQL parser (written from the console facts, not
from the app): the hostile query must parse to the same tree as the query rendered with a plain value, every
column and literal in the same place, and the hostile value must come back whole inside a literal or a name.
Values the app refuses (a NUL, a double quote in a column name) must be refused with a clear error.
"""
from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from app.detection.aql import RenderError, Window, render
from app.detection.rule import load_rules
from app.pipeline.correlate import correlation_aql, pair_aql
from app.pipeline.exceptions import exception_aql
from app.qradar.properties import resolve_fields
from app.store.exception_spec import ExceptionError, validate_condition
from qradar_sim.aql import AqlError
from qradar_sim.aql.parser import parse

RULES = load_rules()
COLUMNS = ["EventID", "Process Name", "CommandLine", "ParentImage", "ParentCommandLine", "ProcessGuid",
           "OriginalFileName", "DestinationHostname", "TargetFilename", "QueryName"]
FIELDS = resolve_fields(COLUMNS)
WINDOW = Window(1_790_000_000_000, 1_790_000_600_000)
# Text an attacker controls: quotes, backslashes, comment and statement markers, newlines, AQL keywords, Unicode.
PIECES = list("'\"\\;-/*()%_.,= \n\r\t|$`{}[]") + ["OR", "AND", "--", "/*", "*/", "''", "\\'", "UNION",
                                                     "SELECT", " LIMIT ", "é", "\u202e", "\u200b", "x", "1"]
HOSTILE = st.lists(st.sampled_from(PIECES), min_size=1, max_size=20).map("".join) | st.text(min_size=1, max_size=40)
TEXT_CONDITIONS = ("username", "destination_domain", "process_image", "parent_image", "command_line")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


DATA = {("Literal", "value"), ("Column", "name"), ("Matches", "pattern"), ("Like", "pattern")}


def skeleton(node):
    """The tree with every literal value, pattern and column name blanked: what must not change."""
    if dataclasses.is_dataclass(node):
        return (type(node).__name__,) + tuple(
            type(getattr(node, f.name)).__name__ if (type(node).__name__, f.name) in DATA
            else skeleton(getattr(node, f.name)) for f in dataclasses.fields(node))
    if isinstance(node, (list, tuple)):
        return tuple(skeleton(n) for n in node)
    return node


def leaves(node, out=None):
    """Every literal value, pattern and column name in the tree."""
    out = [] if out is None else out
    if dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            if (type(node).__name__, f.name) in DATA:
                out.append(getattr(node, f.name))
            else:
                leaves(getattr(node, f.name), out)
    elif isinstance(node, (list, tuple)):
        for n in node:
            leaves(n, out)
    return out


def pushed_down(field: str, value: str) -> str:
    if field == "command_line":
        value = re.escape(value)
    condition = validate_condition({"field": field, "value": value}, "c")
    exception = type("E", (), {"conditions": (condition,)})()
    return render(RULES["t1048-002-rclone"], FIELDS, WINDOW, exclusions=[exception_aql(exception, FIELDS)]), condition


@pytest.mark.reliability("bad input", "hostile exception values never change the rule's AQL (stand-in parser)")
@SETTINGS
@given(field=st.sampled_from(TEXT_CONDITIONS), value=HOSTILE)
def test_an_exception_value_never_changes_the_query_structure(field, value):
    try:
        hostile, condition = pushed_down(field, value)
    except (ExceptionError, RenderError) as refused:   # refused with a clear error is fine; never half-rendered
        assert str(refused)
        return
    # A bare image name is also checked against the PE original file name (a renamed binary never matches), a
    # path is not: the plain value of the same kind has the same shape.
    path = field == "process_image" and any(sep in condition.value for sep in "\\/")
    plain, _ = pushed_down(field, "C:\\plainvalue" if path else "plainvalue")
    try:
        tree = parse(hostile)
    except AqlError as error:
        pytest.fail(f"{value!r} broke the query: {error}\n{hostile}")
    assert skeleton(tree) == skeleton(parse(plain))
    # The value came back whole: the pattern pushed down for it matches exactly the value as stored (validation
    # trims the ends), a command-line regex matches the text it was escaped from.
    stored = value if field == "command_line" else condition.value
    plain_leaves = leaves(parse(plain))
    added = [v for v in leaves(tree) if isinstance(v, str) and v not in plain_leaves]
    assert any(re.fullmatch(p, stored, re.I | re.S) for p in added), (stored, added)


@pytest.mark.reliability("bad input", "hostile mapped column names never change the rule's AQL (stand-in parser)")
@SETTINGS
@given(name=HOSTILE)
def test_a_mapped_column_name_never_changes_the_query_structure(name):
    assume(name.strip() and name not in COLUMNS)
    fields = resolve_fields(COLUMNS + [name], {"command_line": name})
    assert fields["command_line"] == name
    rule = RULES["t1048-002-web-upload"]
    try:
        hostile = render(rule, fields, WINDOW)
    except RenderError as refused:
        assert '"' in name or any(ord(c) < 32 for c in name), refused
        return
    plain = render(rule, resolve_fields(COLUMNS + ["Plain Name"], {"command_line": "Plain Name"}), WINDOW)
    tree = parse(hostile)
    assert skeleton(tree) == skeleton(parse(plain))
    assert name in leaves(tree)


@pytest.mark.reliability("bad input", "hostile process GUIDs never change the correlation AQL (stand-in parser)")
@SETTINGS
@given(guids=st.lists(HOSTILE, min_size=1, max_size=5, unique=True))
def test_process_guids_from_telemetry_never_change_the_correlation_query(guids):
    try:
        hostile = correlation_aql(FIELDS, guids, WINDOW.start_ms, WINDOW.end_ms)
    except RenderError as refused:
        assert any("\x00" in g for g in guids), refused
        return
    plain = correlation_aql(FIELDS, [f"guid{i}" for i in range(len(guids))], WINDOW.start_ms, WINDOW.end_ms)
    tree = parse(hostile)
    assert skeleton(tree) == skeleton(parse(plain))
    assert all(g in leaves(tree) for g in guids)


@pytest.mark.reliability("bad input", "hostile process images never change the correlation AQL (stand-in parser)")
@SETTINGS
@given(images=st.lists(HOSTILE, min_size=1, max_size=5, unique=True))
def test_process_images_from_telemetry_never_change_the_correlation_query(images):
    """The search by (log source, image) writes the hits' images: telemetry the attacker names."""
    try:
        hostile = pair_aql(FIELDS, [(65, image) for image in images], WINDOW.start_ms, WINDOW.end_ms)
    except RenderError as refused:
        assert any("\x00" in image for image in images), refused
        return
    plain = pair_aql(FIELDS, [(65, f"image{i}.exe") for i in range(len(images))], WINDOW.start_ms, WINDOW.end_ms)
    tree = parse(hostile)
    assert skeleton(tree) == skeleton(parse(plain))
    assert all(image in leaves(tree) for image in images)
