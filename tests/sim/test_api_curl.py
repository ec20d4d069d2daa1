"""A stand-in started by hand (plain subprocess, no harness) answers curl the way the reference says."""
import json
import shutil
import subprocess

import pytest

from devtools.simproc import SIM_SCRIPT, ROOT

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def curl(*args):
    out = subprocess.run(["curl", "-s", "-i", "--max-time", "30", *args], capture_output=True,
                         timeout=60, check=True).stdout.decode("utf-8")
    head, _, body = out.partition("\r\n\r\n")
    status = int(head.split()[1])
    headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in head.split("\r\n")[1:]}
    return status, headers, json.loads(body) if body else None


def test_curl_session_against_a_hand_started_stand_in(tmp_path):
    events = tmp_path / "e.jsonl"
    events.write_text("")
    proc = subprocess.Popen([SIM_SCRIPT, "--port", "0", "--events", str(events), "--token", "t0k",
                             "--latency-ms", "50"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT,
                            text=True)
    try:
        ready = json.loads(proc.stdout.readline())
        url, sec = ready["url"], "SEC: t0k"
        status, _, body = curl(f"{url}/api/system/about")
        assert status == 401 and body["http_response"]["code"] == 401
        status, _, body = curl("-H", sec, "-H", "Version: 20.0", f"{url}/api/system/about")
        assert status == 200 and "external_version" in body
        status, _, body = curl("-H", sec, "-X", "POST", "--data-urlencode",
                               "query_expression=SELECT sourceip FROM events LAST 5 MINUTES", "-G",
                               f"{url}/api/ariel/searches")
        assert status == 201 and body["status"] == "WAIT"
        search = body["search_id"]
        status, _, body = curl("-H", sec, "-H", "Prefer: wait=30", f"{url}/api/ariel/searches/{search}")
        assert status == 200 and body["status"] == "COMPLETED"
        status, headers, body = curl("-H", sec, "-H", "Range: items=0-49", f"{url}/api/ariel/searches/{search}/results")
        assert status == 200 and body == {"events": []} and headers["content-range"] == "items */0"
        status, _, body = curl("-H", sec, "-X", "DELETE", f"{url}/api/ariel/searches/{search}")
        assert status == 202 and body["search_id"] == search
        status, _, body = curl("-H", sec, f"{url}/api/ariel/searches/{search}")
        assert status == 404 and body["code"] == 1002
    finally:
        proc.terminate()
        assert proc.wait(15) == 0
