"""The analyst tab with console users: a triage names the signed-in user, and only an administrator is offered
the admin page's "create an exception" link for a false positive."""
from __future__ import annotations

RULE = "t1048-002-rclone"


def test_a_false_positive_names_the_analyst_and_offers_no_exception_link(analyst, hunted):
    hit = hunted.store.hits.list(rule_id=RULE, limit=2)[0]
    answer = analyst.post(f"/api/hits/{hit['id']}/triage", json={"action": "false_positive",
                                                                 "reason": "the backup job"}).json()
    assert answer["status"] == "false_positive" and answer["triage_by"] == "ana"
    assert answer["triage_history"][-1]["actor"] == "ana"
    assert answer["viewer_is_admin"] is False
    assert analyst.get(f"/api/hits/{hit['id']}").json()["viewer_is_admin"] is False
    assert analyst.get(f"/api/admin/exceptions/from-hit/{hit['id']}").status_code == 403   # the link's target


def test_an_administrator_triaging_is_named_and_offered_the_exception_link(admin, hunted):
    hit = hunted.store.hits.list(rule_id=RULE, limit=2)[1]
    answer = admin.post(f"/api/hits/{hit['id']}/triage", json={"action": "false_positive",
                                                               "reason": "sanctioned test"}).json()
    assert answer["triage_by"] == "admin" and answer["viewer_is_admin"] is True
    assert hunted.store.hits.get(hit["id"])["triage_by"] == "admin"
