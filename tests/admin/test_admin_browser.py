"""The admin page in a real browser (Playwright driving Debian's Chromium), as an administrator and as an
analyst would use it, against the app and the stand-in over HTTP. Screenshots go to docs/screenshots/."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from .conftest import session_for
from .test_admin_auth import admin_routes

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
RULE = "t1048-002-rclone"
PROBE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: scripts/test installs it (scripts/_browser.sh)")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


def open_page(chromium, served, sec, path):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "SEC", "value": sec, "url": served["url"]}])
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    page.goto(served["url"] + path)
    return page


def ready(page, section):
    page.wait_for_selector(f'body[data-ready="{section}"]')


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def admin_page(chromium, served, console):
    pages = []

    def open_(path):
        page = open_page(chromium, served, session_for(console, "admin"), path)
        pages.append(page)
        return page

    yield open_
    for page in pages:
        page.context.close()


def test_change_a_schedule(admin_page, served):
    page = admin_page("/admin#rules")
    ready(page, "rules")
    form = page.locator(f'form[data-rule="{RULE}"]')
    form.locator('[name="interval_minutes"]').fill("0")
    form.locator('[data-action="save"]').click()
    page.wait_for_selector('[data-error-for="interval_minutes"]:text("between 1 and 1440")')
    form.locator('[name="interval_minutes"]').fill("9")
    form.locator('[data-action="save"]').click()
    page.wait_for_selector(f'.ew-notification:has-text("Rule {RULE} saved")')
    assert served["runtime"].effective_rule(RULE).schedule.interval_minutes == 9
    shot(page, "admin-rules")
    form.locator('[name="interval_minutes"]').fill("15")
    form.locator('[data-action="save"]').click()
    page.wait_for_selector(f'.ew-notification:has-text("Rule {RULE} saved") >> nth=1')


def test_test_the_connection_with_a_wrong_token(admin_page):
    page = admin_page("/admin#connection")
    ready(page, "connection")
    page.fill('[name="token"]', "wrong-token-123456")
    page.click("#connection-test")
    result = page.wait_for_selector("#connection-result .ew-bad")
    assert "Connection failed: HTTP 401" in result.text_content()
    shot(page, "admin-connection")


def test_preview_a_rule(admin_page, hunted):
    page = admin_page("/admin#preview")
    ready(page, "preview")
    page.select_option('[name="rule_id"]', RULE)
    page.fill('[name="ingestion_delay_minutes"]', "0")
    page.click("#preview-run")
    page.wait_for_selector('#preview-status:has-text("Done")', timeout=300_000)
    summary = page.text_content("#preview-result .ew-result")
    assert re.search(r"Would hit \d+, would suppress \d+", summary)
    assert page.locator("#preview-result tbody tr").count() >= 1
    shot(page, "admin-preview")


def test_add_and_expire_an_exception(admin_page):
    page = admin_page("/admin#exceptions")
    ready(page, "exceptions")
    page.click("#exception-add")
    page.fill('#exception-form [name="name"]', "Browser-made exception")
    page.fill('#exception-form [name="reason"]', "the backup operator's nightly copy")
    page.fill('#exception-form .ew-condition [name="value"]', "CORP\\svc_backup")
    page.click("#exception-save")
    row = page.wait_for_selector('tr[data-state="active"]:has-text("Browser-made exception")')
    assert "admin" in row.text_content()
    row.query_selector('button:text("Expire")').click()
    page.wait_for_selector('tr[data-state="expired"]:has-text("Browser-made exception")')
    shot(page, "admin-exceptions")


def test_an_exception_from_a_false_positive_hit(admin_page, served, console, hunted):
    event = {"starttime": hunted.clock() - 30 * 60_000, "devicetype": 12, "logsourceid": 1121, "qid": 5001828,
             "category": 8110, "username": "CORP\\" + PROBE, "sourceip": "10.10.3.99", "EventID": "1",
             "Process Name": "rclone.exe", "CommandLine": f"rclone.exe copy D:\\x remote:{PROBE} --transfers 4",
             "payload": f"CommandLine: rclone.exe copy {PROBE}"}
    console.admin("POST", "/sim/events", data=json.dumps(event) + "\n")
    hunted.hunt(RULE, event["starttime"] - event["starttime"] % 60_000, event["starttime"] + 60_000)
    hit = next(h for h in hunted.store.hits.list(rule_id=RULE, limit=50) if h["source_ip"] == "10.10.3.99")
    page = admin_page(f"/admin#exception-from-hit-{hit['id']}")
    ready(page, "exceptions")
    page.wait_for_selector("#exception-form")
    values = [v.input_value() for v in page.locator('#exception-form .ew-condition [name="value"]').all()]
    assert "CORP\\" + PROBE in values and "10.10.3.99" in values      # the probe is a value, not markup
    assert PROBE in page.text_content("#exception-editor")
    page.fill('#exception-form [name="reason"]', "a test probe, not exfiltration")
    page.click("#exception-save")
    page.wait_for_selector(f'tr[data-state="active"]:has-text("False positive from hit {hit["id"]}")')
    assert page.evaluate("window.__pwned") is None
    shot(page, "admin-exception-from-hit")


def test_a_non_admin_trying_every_admin_route(chromium, served, console):
    page = open_page(chromium, served, session_for(console, "ana"), "/admin")
    try:
        assert "ana is not an administrator" in page.text_content("#admin-denied")
        shot(page, "admin-denied")
        page.goto(served["url"] + "/index")        # the app's page hands out the CSRF cookie, as in a console
        csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "QRadarCSRF")
        for method, url in admin_routes(served["app"]):
            response = page.request.fetch(served["url"] + url, method=method, data="{}",
                                          headers={"Content-Type": "application/json", "QRadarCSRF": csrf})
            assert response.status == 403, (method, url, response.status)
    finally:
        page.context.close()


def test_send_a_test_event_discover_fields_and_read_the_audit_trail(admin_page, console):
    page = admin_page("/admin#offenses")
    ready(page, "offenses")
    page.fill('#offenses-form [name="host"]', "127.0.0.1")
    page.fill('#offenses-form [name="port"]', str(console.syslog_port))
    page.select_option('#offenses-form [name="protocol"]', "tcp")
    page.click("#offenses-save")
    page.wait_for_selector('.ew-notification:has-text("Offense settings saved")')
    page.click("#offenses-test")
    result = page.wait_for_selector("#offenses-result .ew-result", timeout=60_000)
    assert "QRadar received the test event" in result.text_content()
    shot(page, "admin-offenses")

    page.goto(page.url.split("#")[0] + "#fields")
    ready(page, "fields")
    page.click("#fields-discover")
    page.wait_for_selector('#fields-form td:text("CommandLine")')
    shot(page, "admin-fields")

    page.goto(page.url.split("#")[0] + "#audit")
    ready(page, "audit")
    assert page.locator('td.ew-mono:text("offenses")').count() >= 1
    shot(page, "admin-audit")
