"""Tuning exceptions, the repository: validation with messages naming the fault, audit rows written with
every change, soft delete keeping history, expiry, import/export, counters."""
import json

import pytest

from app.store.exception_spec import ExceptionError, validate_spec
from app.store.exceptions import ExceptionRepository

NOW = 1_800_000_000_000
DAY = 86_400_000
EXAMPLE = "scripts/scenarios/exceptions-example.json"


@pytest.fixture
def repo(store):
    return ExceptionRepository(store.db, rule_ids=["t1048-002-seed", "t1048-002-rclone"])


def spec(**overrides):
    return {"name": "backup", "reason": "approved backup job", "author": "alice",
            "conditions": [{"field": "username", "value": "CORP\\svc_backup"}]} | overrides


@pytest.mark.parametrize("changes, message", [
    ({"reason": "  "}, "reason must be non-empty"),
    ({"author": ""}, "author must be non-empty"),
    ({"name": ""}, "name must be non-empty"),
    ({"conditions": []}, "conditions must be a list of 1 to"),
    ({"conditions": [{"field": "colour", "value": "red"}]}, "condition 1: unknown field 'colour'"),
    ({"conditions": [{"field": "username", "value": "a"}, {"field": "source_ip", "value": "10.0.0.300/8"}]},
     "condition 2 (source_ip): '10.0.0.300/8' is not an IP address or CIDR block"),
    ({"conditions": [{"field": "command_line", "value": "rclone(.exe"}]},
     "condition 1 (command_line): not a valid regular expression"),
    ({"conditions": [{"field": "command_line", "value": "(?P<x>a)"}]}, "not understood by the console"),
    ({"conditions": [{"field": "username", "op": "regex", "value": "x"}]}, "takes the operator 'equals'"),
    ({"conditions": [{"field": "destination_port", "value": 70000}]}, "not a port number"),
    ({"conditions": [{"field": "destination_domain", "value": "a.*.example.com"}]}, "must be a host name or *.suffix"),
    ({"conditions": [{"field": "username", "value": "a\nb"}]}, "control character"),
    ({"conditions": [{"field": "reference_set", "value": {"field": "payload", "set": "S"}}]}, "cannot look up field"),
    ({"conditions": [{"field": "reference_set", "value": "S"}]}, "value must be"),
    ({"expires_ms": NOW - 1}, "the expiry is in the past"),
    ({"expires": "2020-01-01T00:00:00"}, "needs a time zone"),
    ({"rule_id": "t1048-002-nope"}, "not a known rule"),
    ({"colour": "red"}, "unknown keys ['colour']"),
    ({"push_down": True, "conditions": [{"field": "tool", "value": "rclone"}]},
     "condition 1 (tool) cannot be evaluated by the console"),
    ({"enabled": "yes"}, "enabled must be true or false"),
])
def test_invalid_definitions_are_refused_with_the_reason(repo, changes, message):
    with pytest.raises(ExceptionError) as error:
        repo.create(spec(**changes), actor="alice", now_ms=NOW)
    assert message in str(error.value)
    assert repo.list(include_deleted=True) == []


def test_values_are_normalized():
    values = validate_spec(spec(conditions=[
        {"field": "source_ip", "value": "10.1.2.3/8"}, {"field": "destination_ip", "value": "198.51.100.7"},
        {"field": "destination_domain", "value": "*.Vigilant-SaaS.example.NET."},
        {"field": "destination_port", "value": "443"}], expires="2028-01-01T00:00:00Z"), now_ms=NOW)
    assert [c.value for c in values["conditions"]] == ["10.0.0.0/8", "198.51.100.7/32", "*.vigilant-saas.example.net", 443]
    assert values["expires_ms"] == 1830297600000


def test_every_change_is_audited_in_the_same_transaction(repo, store):
    created = repo.create(spec(), actor="alice", now_ms=NOW)
    updated = repo.update(created.id, {"reason": "approved backup job BKP-014"}, actor="bob", now_ms=NOW + 1)
    deleted = repo.delete(created.id, actor="carol", now_ms=NOW + 2)
    history = repo.history(created.id)
    assert [(h["action"], h["actor"], h["target"]) for h in history] == [
        ("exception.create", "alice", f"exception:{created.id}"),
        ("exception.update", "bob", f"exception:{created.id}"),
        ("exception.delete", "carol", f"exception:{created.id}")]
    assert history[0]["detail"] == {"before": None, "after": created.as_dict()}
    assert history[1]["detail"]["before"]["reason"] == "approved backup job"
    assert history[1]["detail"]["after"] == updated.as_dict()
    assert history[2]["detail"]["after"]["deleted_ms"] == NOW + 2 == deleted.deleted_ms
    assert updated.updated_by == "bob" and updated.author == "alice"
    # A refused change writes nothing, audit included.
    before = len(store.settings.audit())
    other = repo.create(spec(name="other"), actor="alice", now_ms=NOW)
    with pytest.raises(ExceptionError):
        repo.update(other.id, {"conditions": [{"field": "source_ip", "value": "nope"}]}, actor="bob", now_ms=NOW)
    assert len(store.settings.audit()) == before + 1 and repo.get(other.id) == other


def test_soft_delete_keeps_the_row_and_frees_the_name(repo):
    first = repo.create(spec(), actor="alice", now_ms=NOW)
    repo.delete(first.id, actor="alice", now_ms=NOW + 1)
    assert repo.list() == [] and repo.active(NOW + 2) == []
    assert repo.get(first.id).deleted_ms == NOW + 1 and repo.list(include_deleted=True)[0].id == first.id
    with pytest.raises(KeyError):
        repo.update(first.id, {"reason": "x"}, actor="alice", now_ms=NOW + 2)
    with pytest.raises(KeyError):
        repo.delete(first.id, actor="alice", now_ms=NOW + 2)
    second = repo.create(spec(), actor="alice", now_ms=NOW + 3)   # the name can be used again
    assert second.id != first.id
    with pytest.raises(ExceptionError, match="already exists"):
        repo.create(spec(), actor="alice", now_ms=NOW + 4)


def test_expired_disabled_and_other_rules_are_inactive_but_kept(repo):
    expiring = repo.create(spec(name="a", expires_ms=NOW + DAY), actor="x", now_ms=NOW)
    disabled = repo.create(spec(name="b", enabled=False), actor="x", now_ms=NOW)
    scoped = repo.create(spec(name="c", rule_id="t1048-002-rclone"), actor="x", now_ms=NOW)
    everywhere = repo.create(spec(name="d"), actor="x", now_ms=NOW)
    assert [e.id for e in repo.active(NOW)] == [expiring.id, scoped.id, everywhere.id]
    assert [e.id for e in repo.active(NOW, "t1048-002-seed")] == [expiring.id, everywhere.id]
    assert [e.id for e in repo.active(NOW + DAY)] == [scoped.id, everywhere.id]   # expiry is exclusive
    assert {e.id for e in repo.list()} == {expiring.id, disabled.id, scoped.id, everywhere.id}
    # An expired exception may still be edited (its reason, say) without moving its expiry.
    repo.update(expiring.id, {"reason": "reviewed"}, actor="x", now_ms=NOW + 2 * DAY)
    with pytest.raises(ExceptionError, match="in the past"):
        repo.update(expiring.id, {"expires_ms": NOW + DAY}, actor="x", now_ms=NOW + 2 * DAY)
    renewed = repo.update(expiring.id, {"expires": None, "expires_ms": None}, actor="x", now_ms=NOW + 2 * DAY)
    assert renewed.is_active(NOW + 3 * DAY)


def test_import_is_atomic_and_idempotent_and_export_round_trips(repo, tmp_path):
    result = repo.import_file(EXAMPLE, actor="admin", now_ms=NOW)
    assert len(result["created"]) == 8 and not result["updated"]
    assert repo.import_file(EXAMPLE, actor="admin", now_ms=NOW + 1) == {
        "created": [], "updated": [], "unchanged": result["created"]}
    exported = repo.export()
    assert exported == json.loads(open(EXAMPLE).read()) | {"exceptions": [
        e | {"expires_ms": None} for e in json.loads(open(EXAMPLE).read())["exceptions"]]}
    changed = exported["exceptions"][0] | {"reason": "renewed"}
    path = tmp_path / "one.json"
    path.write_text(json.dumps([changed]))
    assert repo.import_file(path, actor="admin", now_ms=NOW + 2)["updated"] == [result["created"][0]]
    # A bad entry anywhere refuses the whole file, naming the entry.
    path.write_text(json.dumps({"exceptions": [spec(name="new one"), spec(name="bad", reason="")]}))
    with pytest.raises(ExceptionError, match="exception 2: reason"):
        repo.import_file(path, actor="admin", now_ms=NOW)
    assert "new one" not in {e.name for e in repo.list()}


def test_counters_come_from_suppressed_hits_and_pushed_down_counts(repo, store):
    from app.pipeline.hit import hits_from_rows
    first = repo.create(spec(), actor="a", now_ms=NOW)
    second = repo.create(spec(name="two"), actor="a", now_ms=NOW)
    window = store.ledger.plan("t1048-002-seed", "hunt", [(0, 100)], NOW)[0]
    hits = hits_from_rows("t1048-002-seed", [{"ew_time": t, "ew_sourceip": "10.0.0.1"} for t in range(5)])
    for hit in hits[:3]:
        hit.suppressed, hit.exception_id = True, first.id
    store.ledger.complete(window.id, [h.as_row() for h in hits], rows=5, restarts=0, truncated=False, now_ms=NOW)
    repo.record_pushed_down("t1048-002-seed", [(second.id, 0, 50, 4), (second.id, 50, 100, 2)], NOW)
    repo.record_pushed_down("t1048-002-seed", [(second.id, 0, 50, 99)], NOW)   # a span is counted once
    assert repo.suppression_counts() == {first.id: {"hits": 3, "pushed_down": 0, "total": 3},
                                         second.id: {"hits": 0, "pushed_down": 6, "total": 6}}
    assert repo.counted_spans(second.id, "t1048-002-seed", 40, 60) == [(0, 50), (50, 100)]
    assert repo.counted_spans(second.id, "t1048-002-rclone", 0, 100) == []
