"""Tuning exceptions applied: matching of every field and operator, first match wins, reference sets fail
open, the AQL push-down is escaped and means exactly what the post-filter means (checked with the
stand-in's AQL engine over the bundled dataset), and the push-down counter counts each span once."""
import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.detection.aql import Window, render
from app.detection.rule import load_rules
from app.pipeline.exceptions import (ExceptionFilter, ExceptionPushDown, condition_aql, count_aql,
                                     exception_aql, exception_matches, uncounted)
from app.pipeline.hit import hits_from_rows
from app.qradar.errors import ConsoleUnavailableError
from app.qradar.properties import resolve_fields
from app.store import Store
from app.store.exception_patterns import regex_literal
from app.store.exception_spec import validate_condition
from app.store.exceptions import ExceptionRepository

NOW = 1_800_000_000_000
ROOT = Path(__file__).resolve().parents[2]
RULE = load_rules()["t1048-002-seed"]
SEED_FIELDS = resolve_fields(["EventID", "Process Name", "CommandLine", "ParentImage", "ParentCommandLine",
                              "ProcessGuid", "OriginalFileName", "DestinationHostname", "TargetFilename", "QueryName"])


def make_hit(**row):
    base = {"ew_time": 1, "ew_username": "CORP\\svc_backup", "ew_sourceip": "10.10.3.222",
            "ew_destinationip": "52.219.170.10", "ew_destinationport": 443, "ew_process_image": "rclone.exe",
            "ew_command_line": r'"C:\Program Files\rclone\rclone.exe" sync D:\Shares s3:bucket',
            "ew_parent_image": r"C:\Windows\System32\svchost.exe",
            "ew_destination_hostname": "corp-backups-prod.s3.eu-central-1.amazonaws.com",
            "LogSource": "WindowsAuthServer @ SRV-FILE-01"}
    return hits_from_rows("r", [{k: v for k, v in (base | row).items() if v is not None}])[0]


def holds(field, value, hit=None, **kw):
    condition = validate_condition({"field": field, "value": value}, "c")
    exception = SimpleNamespace(conditions=(condition,))
    return exception_matches(exception, hit or make_hit(), **kw)


@pytest.mark.parametrize("field, value, expected", [
    ("username", "corp\\SVC_BACKUP", True), ("username", "svc_backup", False), ("username", "*\\svc_backup", True),
    ("username", "OTHER\\svc_backup", False), ("username", "CORP\\ſvc_backup", False),
    ("username", "svc_back", False), ("username", "svc.backup", False),
    ("source_ip", "10.10.0.0/16", True), ("source_ip", "10.10.3.222", True), ("source_ip", "10.20.0.0/16", False),
    ("destination_ip", "52.219.0.0/16", True), ("destination_ip", "52.218.0.0/16", False),
    ("destination_port", 443, True), ("destination_port", 22, False),
    ("destination_domain", "CORP-BACKUPS-PROD.s3.eu-central-1.amazonaws.com", True),
    ("destination_domain", "*.amazonaws.com", True), ("destination_domain", "*.corp-backups-prod.s3.eu-central-1.amazonaws.com", False),
    ("destination_domain", "amazonaws.com", False), ("destination_domain", "*.s3-eu-central-1.amazonaws.com", False),
    ("process_image", "RCLONE.EXE", True), ("process_image", "rcl?ne.*", True), ("process_image", "rclone", False),
    ("process_image", r"C:\Program Files\rclone\rclone.exe", False),   # the console gave only the file name
    ("parent_image", "svchost.exe", True), ("parent_image", r"C:\Windows\*\svchost.exe", True),
    ("parent_image", r"C:\Tools\svchost.exe", False),
    ("command_line", r"sync D:\\Shares", True), ("command_line", r"(?i)S3:BUCKET$", True), ("command_line", "^sync", False),
    ("source_host", "srv-file-*", False),     # the log source's name is the endpoint's own word: not used
    ("source_host", "SRV-BUILD-01", False),
    ("tool", "rclone", False),   # nothing to match without enrichment
])
def test_each_field_and_operator(field, value, expected):
    assert holds(field, value) is expected


def test_full_paths_and_enrichment_values_are_used():
    full = make_hit(ew_process_image=r"C:\Program Files\rclone\rclone.exe", ew_destination_hostname="-")
    assert holds("process_image", r"c:\program files\rclone\*.exe", full)
    assert holds("process_image", "rclone.exe", full) and not holds("process_image", r"C:\Tools\rclone.exe", full)
    assert not holds("destination_domain", "*.amazonaws.com", full)   # "-" is Sysmon's "unresolved"
    full.enrichment = {"tool": {"name": "RClone"}, "asset": {"hostname": "SRV-FILE-01"},
                       "destination": {"hostname": "x.amazonaws.com"},
                       "process": {"parent_image": r"C:\Windows\System32\taskeng.exe", "command_line": "abc"}}
    assert holds("tool", "rclone", full) and holds("destination_domain", "*.amazonaws.com", full)
    assert holds("parent_image", "taskeng.exe", full) and holds("command_line", "^abc$", full)


class Client:
    def __init__(self, sets=None, fail=False):
        self.sets, self.fail, self.calls = sets or {}, fail, 0

    def get_reference_set(self, name):
        self.calls += 1
        if self.fail:
            raise ConsoleUnavailableError("503 Service Unavailable")
        return self.sets.get(name)


@pytest.fixture
def repo(tmp_path):
    store = Store(tmp_path / "s.db")
    yield ExceptionRepository(store.db)
    store.close()


def add(repo, name, *conditions, **extra):
    return repo.create({"name": name, "reason": f"because {name}", "conditions": list(conditions)} | extra,
                       actor="t", now_ms=NOW)


def context(clock=NOW):
    return SimpleNamespace(clock=lambda: clock, window=Window(0, 120_000), fields=SEED_FIELDS, search_factory=None)


def test_first_active_exception_by_id_wins_and_is_recorded(repo):
    add(repo, "expired", {"field": "username", "value": "*\\svc_backup"}, expires_ms=NOW + 1)
    second = add(repo, "second", {"field": "process_image", "value": "rclone.exe"})
    add(repo, "third", {"field": "username", "value": "*\\svc_backup"})
    add(repo, "other rule", {"field": "username", "value": "*\\svc_backup"}, rule_id="other")
    hits = [make_hit(), make_hit(ew_time=2, ew_process_image="curl.exe")]
    ExceptionFilter(repo)(RULE, hits, context(NOW + 1))
    assert (hits[0].suppressed, hits[0].exception_id) == (True, second.id)
    assert hits[0].enrichment["suppressed_by"] == {"id": second.id, "name": "second", "reason": "because second"}
    assert hits[1].exception_id == second.id + 1 and hits[1].suppressed


def test_reference_sets_are_read_once_and_cached(repo):
    exc = add(repo, "set", {"field": "reference_set", "value": {"field": "destination_ip", "set": "Approved"}})
    client = Client({"Approved": {"name": "Approved", "data": [{"value": "52.219.170.10"}]}})
    clock = [0.0]
    check = ExceptionFilter(repo, client, reference_set_ttl_s=60, monotonic=lambda: clock[0])
    hits = [make_hit(ew_time=t) for t in range(5)] + [make_hit(ew_time=9, ew_destinationip="1.1.1.1")]
    check(RULE, hits, context())
    assert [h.exception_id for h in hits] == [exc.id] * 5 + [None] and client.calls == 1
    check(RULE, [make_hit(ew_time=7)], context())
    assert client.calls == 1
    clock[0] = 61
    check(RULE, [make_hit(ew_time=8)], context())
    assert client.calls == 2


@pytest.mark.parametrize("client, message", [(Client(fail=True), "unreadable: 503"),
                                             (Client({}), "does not exist on the console"),
                                             (None, "no console client")])
def test_a_reference_set_that_cannot_be_read_leaves_the_hit_visible(repo, client, message):
    add(repo, "set", {"field": "reference_set", "value": {"field": "source_ip", "set": "Servers"}})
    later = add(repo, "later", {"field": "username", "value": "nobody"})
    hits = [make_hit(ew_time=t) for t in range(3)]
    hits[0].enrichment = {"state": "complete"}
    ExceptionFilter(repo, client)(RULE, hits, context())
    assert not any(h.suppressed for h in hits) and later.id
    assert all(message in h.enrichment["errors"][0] and "exception 1 (set) not applied" in h.enrichment["errors"][0]
               for h in hits)
    assert hits[0].enrichment["state"] == "partial"
    if client is not None:
        assert client.calls == 1   # a failed set is not asked again for every hit of the window


def test_a_lookup_is_skipped_when_the_other_conditions_fail(repo):
    add(repo, "set", {"field": "username", "value": "nobody"},
        {"field": "reference_set", "value": {"field": "source_ip", "set": "S"}})
    client = Client(fail=True)
    hits = [make_hit()]
    ExceptionFilter(repo, client)(RULE, hits, context())
    assert client.calls == 0 and "errors" not in hits[0].enrichment


# -- push-down ----------------------------------------------------------------------------------------------
HOSTILE = ["x') OR (1=1", "' OR ''='", "a\nb') OR ('1'='1", 'q"uote', "back\\slash'", "%_*?"]


@pytest.mark.parametrize("value", HOSTILE)
def test_push_down_literals_are_escaped(value):
    """A hostile value stays one literal: the console's parser accepts the query and the exclusion removes
    exactly the event carrying that value, nothing else."""
    store, compile_query = sim_engine(events=[])
    events = []
    for number, field in enumerate(("username", "Process Name", "DestinationHostname", "CommandLine")):
        for twin, text in enumerate((value, "other" + value)):
            events.append({"starttime": 1000 + 10 * number + twin, "devicetype": 12, "sourceip": "10.0.0.1",
                           "username": "u", "Process Name": "p.exe", "DestinationHostname": "h.example",
                           "CommandLine": "c", field: text})
    store.add(events)
    rule = dataclasses.replace(RULE, where="devicetype = 12", required_fields=())
    for number, (field, column) in enumerate((("username", "username"), ("process_image", "Process Name"),
                                              ("destination_domain", "DestinationHostname"),
                                              ("command_line", "CommandLine"))):
        text = value if field != "command_line" else regex_literal(value)
        if field == "destination_domain" and ("*" in value or "\n" in value):
            continue
        if field == "username" and set(value) & set("*?"):
            with pytest.raises(Exception, match="wildcard"):
                validate_condition({"field": field, "value": text}, "c")
            continue
        if field != "command_line" and "\n" in value:
            with pytest.raises(Exception, match="control character"):
                validate_condition({"field": field, "value": text}, "c")
            continue
        condition = validate_condition({"field": field, "value": text}, "c")
        sql = condition_aql(condition, SEED_FIELDS)
        assert "\n" not in sql
        query = render(rule, SEED_FIELDS, Window(0, 5000), exclusions=[sql], limit=1000)
        rows = compile_query(query, store.column_types).execute(store, 5000)
        removed = {e["starttime"] for e in events} - {r["ew_time"] for r in rows}
        expected = {1000 + 10 * number} | ({1001 + 10 * number} if field == "command_line" else set())
        assert removed == expected, (field, sql)


def test_push_down_shapes():
    cond = lambda f, v: condition_aql(validate_condition({"field": f, "value": v}, "c"), SEED_FIELDS)
    assert cond("source_ip", "10.0.0.0/8") == "(sourceip IS NOT NULL AND INCIDR('10.0.0.0/8', sourceip))"
    assert cond("destination_port", 22) == "(destinationport IS NOT NULL AND destinationport = 22)"
    assert cond("username", "CORP\\a.b") == \
        "(username IS NOT NULL AND username IMATCHES '(?s)^(?=.{0,512}$)(?:CORP\\\\a\\.b)$')"
    both = cond("destination_domain", "*.example.net")
    assert '"DestinationHostname" IMATCHES' in both and ' OR ("QueryName" IS NOT NULL' in both
    assert cond("tool", "rclone") is None
    no_parent = resolve_fields(["EventID", "Process Name", "CommandLine"])
    exception = SimpleNamespace(conditions=(validate_condition({"field": "parent_image", "value": "x.exe"}, "c"),))
    assert exception_aql(exception, no_parent) is None   # this console cannot: applied to hits instead


def sim_engine(events=None):
    """The stand-in's own AQL engine (written from the console facts, not from the app)."""
    from qradar_sim import aql
    from qradar_sim.catalog import Catalog
    from qradar_sim.eventstore import EventStore
    from qradar_sim.profiles import PROFILES
    store = EventStore(PROFILES["seed"], Catalog.from_file())
    if events is None:
        store.load_jsonl(ROOT / "scripts/scenarios/data/events-seed.jsonl")
    return store, aql.compile_query


def test_push_down_means_what_the_post_filter_means(repo):
    """Each exception, pushed into AQL and run by the stand-in's engine (both regex readings), removes
    exactly the events the post-filter suppresses."""
    store, compile_query = sim_engine()
    specs = json.loads((ROOT / "scripts/scenarios/exceptions-example.json").read_text())["exceptions"]
    extra = [[{"field": "source_ip", "value": "10.10.0.0/16"}, {"field": "destination_port", "value": 443}],
             [{"field": "username", "value": "*\\SYSTEM"}], [{"field": "process_image", "value": "c*.exe"}],
             [{"field": "process_image", "value": "rclone.exe"}], [{"field": "username", "value": "CORP\\svc_backup"}],
             [{"field": "parent_image", "value": r"C:\Windows\*"}], [{"field": "destination_domain", "value": "*.com"}],
             [{"field": "command_line", "value": r"(?i)--TLS|-F "}], [{"field": "username", "value": HOSTILE[0]}],
             [{"field": "destination_ip", "value": "198.51.100.0/24"}]]
    rule = dataclasses.replace(RULE, where="devicetype = 12", required_fields=())
    start, end = store.span()
    window = Window(start, end + 1)
    all_rows = compile_query(render(rule, SEED_FIELDS, window, limit=100000), store.column_types).execute(store, end)
    hits = hits_from_rows(rule.id, all_rows)
    exceptions = [SimpleNamespace(conditions=tuple(validate_condition(c, "c") for c in s["conditions"]))
                  for s in specs] + [SimpleNamespace(conditions=tuple(validate_condition(c, "c") for c in e))
                                     for e in extra]
    for exception in exceptions:
        expected = {h.identity for h in hits if not exception_matches(exception, h)}
        assert len(expected) < len(hits) or exception.conditions[0].value == HOSTILE[0]
        query = render(rule, SEED_FIELDS, window, exclusions=[exception_aql(exception, SEED_FIELDS)], limit=100000)
        for mode in ("full", "substring"):
            rows = compile_query(query, store.column_types).execute(store, end, regex_mode=mode)
            assert {h.identity for h in hits_from_rows(rule.id, rows)} == expected, (exception, mode)


class Search:
    def __init__(self, answers):
        self.answers, self.queries = answers, []

    def rows(self, aql):
        self.queries.append(aql)
        return [{"suppressed_events": self.answers.pop(0)}]


def test_counting_pushed_down_events_once_per_span(repo):
    first = add(repo, "a", {"field": "username", "value": "svc_backup"}, push_down=True)
    add(repo, "post only", {"field": "username", "value": "x"})
    second = add(repo, "b", {"field": "source_ip", "value": "10.0.0.0/8"}, push_down=True)
    push = ExceptionPushDown(repo, lambda rule: SEED_FIELDS, clock=lambda: NOW)
    exclusions = push.exclusions(RULE)
    assert len(exclusions) == 2 and "svc_backup" in exclusions[0] and "INCIDR" in exclusions[1]
    search = Search([3.0, "2"])
    ctx = SimpleNamespace(clock=lambda: NOW, window=Window(60_000, 180_000), fields=SEED_FIELDS,
                          search_factory=lambda: search)
    push.count(RULE, [], ctx)
    assert repo.suppression_counts()[first.id]["pushed_down"] == 3
    assert repo.suppression_counts()[second.id]["pushed_down"] == 2
    counted = search.queries[1]
    assert counted.startswith("SELECT COUNT(*) AS suppressed_events FROM events")
    assert f"AND ({exclusions[1]})" in counted and f"AND NOT ({exclusions[0]})" in counted
    assert "starttime >= 60000" in counted and counted.endswith("START 60000 STOP 180000")
    # The same window again (a retry, an overlapping hunt) counts nothing twice; a wider one only the rest.
    push.count(RULE, [], ctx)
    assert len(search.queries) == 2
    search.answers = [1, 0]
    push.count(RULE, [], SimpleNamespace(**{**vars(ctx), "window": Window(0, 180_000)}))
    assert "starttime >= 0" in search.queries[2] and "starttime < 60000" in search.queries[2]
    assert repo.suppression_counts()[first.id]["pushed_down"] == 4


def test_uncounted_spans():
    assert uncounted((0, 100), []) == [(0, 100)]
    assert uncounted((0, 100), [(0, 100)]) == []
    assert uncounted((0, 100), [(-50, 10), (20, 30), (90, 200)]) == [(10, 20), (30, 90)]
    assert count_aql(RULE, SEED_FIELDS, 1, 59_999, "x = 1").endswith("START 0 STOP 60000")
