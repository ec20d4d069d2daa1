"""The admin page in a real browser, as an administrator and as an analyst use it, locally and under the
console's proxy prefix. Signed in with console sessions of the stand-in (its users and roles), so the admin
check runs as on a console. Settings changed here are put back, so the tab's tests see the app as it was."""
from __future__ import annotations

import re

import pytest

from tests.admin.test_admin_auth import admin_routes

from .conftest import PROBES, SECRET, screenshot


def sign_in(served, watch, username):
    sec = served.sim.admin("POST", "/sim/sessions", json={"username": username})["sec"]
    watch.page.context.add_cookies([{"name": "SEC", "value": sec, "url": served.root}])
    return watch


@pytest.fixture
def admin(served, watch):
    return sign_in(served, watch, "admin")


@pytest.fixture
def exceptions_removed_after(served):
    yield
    runtime = served.runtime
    for exception in runtime.exceptions.list():
        runtime.exceptions.delete(exception.id, actor="test cleanup", now_ms=runtime.clock())


def hostile_hit(served):
    return next(h for h in served.runtime.store.hits.list(limit=1000, suppressed=None)
                if h["source_ip"] == "10.9.9.9" and h["event_id"] == "1")


def test_change_a_schedule(served, admin):
    rule = hostile_hit(served)["rule_id"]
    page = admin.open(served.root + "admin#rules", "rules")
    form = page.locator(f'form[data-rule="{rule}"]')
    original = form.locator('[name="interval_minutes"]').input_value()
    form.locator('[name="interval_minutes"]').fill("0")
    form.locator('[data-action="save"]').click()
    page.wait_for_selector('[data-error-for="interval_minutes"]:text("between 1 and 1440")')
    admin.forget_errors()          # the 400 was the point
    form.locator('[name="interval_minutes"]').fill("9")
    form.locator('[data-action="save"]').click()
    page.wait_for_selector(f'.ew-notification:has-text("Rule {rule} saved")')
    assert served.runtime.effective_rule(rule).schedule.interval_minutes == 9
    screenshot(page, "admin-rules")
    form.locator('[name="interval_minutes"]').fill(original)
    form.locator('[data-action="save"]').click()
    page.wait_for_selector(f'.ew-notification:has-text("Rule {rule} saved") >> nth=1')
    assert served.runtime.effective_rule(rule).schedule.interval_minutes == int(original)
    admin.assert_clean()


def test_test_the_connection_with_a_wrong_token_under_the_proxy_prefix(served, admin):
    page = admin.open(served.proxied + "admin#connection", "connection")
    page.fill('[name="token"]', "wrong-token-123456")
    page.click("#connection-test")
    result = page.wait_for_selector("#connection-result .ew-bad")
    assert "Connection failed: HTTP 401" in result.text_content()
    screenshot(page, "admin-connection")
    admin.assert_clean()


def test_preview_a_rule(served, admin):
    rule = hostile_hit(served)["rule_id"]
    before = served.runtime.store.hits.counts()
    page = admin.open(served.root + "admin#preview", "preview")
    page.select_option('[name="rule_id"]', rule)
    page.fill('[name="ingestion_delay_minutes"]', "0")
    page.click("#preview-run")
    page.wait_for_selector('#preview-status:has-text("Done")', timeout=300_000)
    summary = page.text_content("#preview-result .ew-result")
    assert re.search(r"Would hit [1-9]\d*, would suppress \d+", summary), summary
    table = page.text_content("#preview-result table")
    assert PROBES["command"] in table and SECRET not in table     # text, masked
    assert served.runtime.store.hits.counts() == before
    screenshot(page, "admin-preview")
    admin.assert_clean()


def test_add_and_expire_an_exception(served, admin, exceptions_removed_after):
    page = admin.open(served.root + "admin#exceptions", "exceptions")
    page.click("#exception-add")
    page.fill('#exception-form [name="name"]', "Browser-made exception")
    page.fill('#exception-form [name="reason"]', "the reporting job's nightly upload")
    page.fill('#exception-form .ew-condition [name="value"]', "CORP\\bob")
    page.click("#exception-save")
    row = page.wait_for_selector('tr[data-state="active"]:has-text("Browser-made exception")')
    assert "admin" in row.text_content()
    assert "Matches hits of every rule where" in row.query_selector(".ew-matches").text_content()
    row.query_selector('button:text("Expire")').click()
    page.wait_for_selector('tr[data-state="expired"]:has-text("Browser-made exception")')
    screenshot(page, "admin-exceptions")
    admin.assert_clean()


def test_an_exception_from_a_false_positive_hit(served, admin, exceptions_removed_after):
    hit = hostile_hit(served)
    # The analyst tab offers an administrator the way from a false positive to the prefilled form.
    page = admin.open(served.root + f"index#hit-{hit['id']}", "hit")
    page.fill("#triage-reason", "the red team's test")
    page.click('button[data-action="false_positive"]')
    page.wait_for_selector("#hit-detail >> text=false positive by admin")
    page.click("#exception-offer a")
    admin.wait("exceptions")
    assert page.url.endswith(f"admin#exception-from-hit-{hit['id']}")
    page.wait_for_selector("#exception-form")
    values = [v.input_value() for v in page.locator('#exception-form .ew-condition [name="value"]').all()]
    assert hit["username"] in values and "10.9.9.9" in values       # a probe is a value, never markup
    editor = page.text_content("#exception-editor")
    assert PROBES["image"] in editor and SECRET not in editor
    page.fill('#exception-form [name="reason"]', "the red team's sanctioned test")
    page.click("#exception-save")
    page.wait_for_selector(f'tr[data-state="active"]:has-text("False positive from hit {hit["id"]}")')
    screenshot(page, "admin-exception-from-hit")
    admin.assert_clean()


def test_send_a_test_event_discover_fields_and_read_the_audit_trail(served, admin):
    page = admin.open(served.root + "admin#offenses", "offenses")
    assert "plain TCP" in page.text_content("#offenses-warnings")      # the demo sends over TCP
    page.click("#offenses-test")
    result = page.wait_for_selector("#offenses-result .ew-result", timeout=60_000)
    assert "QRadar received the test event" in result.text_content()
    screenshot(page, "admin-offenses")
    page = admin.open(served.root + "admin#fields", "fields")
    page.click("#fields-discover")
    page.wait_for_selector('#fields-form td:text("CommandLine")')
    screenshot(page, "admin-fields")
    page = admin.open(served.root + "admin#audit", "audit")
    assert page.locator("#section-audit tbody tr").count() >= 1
    screenshot(page, "admin-audit")
    admin.assert_clean()


def test_a_non_admin_trying_every_admin_route(served, watch):
    served.sim.admin("POST", "/sim/users", json={"username": "ana", "role": "SOC Analyst"})
    sign_in(served, watch, "ana")
    page = watch.open(served.root + "index", "overview")       # the app's page hands out the CSRF cookie
    page.goto(served.root + "admin")
    assert "ana is not an administrator" in page.text_content("#admin-denied")
    screenshot(page, "admin-denied")
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "QRadarCSRF")
    flask_app = served.server.app.app          # make_server(DispatcherMiddleware(flask_app, ...)): its url_map
    for method, url in admin_routes(flask_app):
        response = page.request.fetch(served.root + url.lstrip("/"), method=method, data="{}",
                                      headers={"Content-Type": "application/json", "QRadarCSRF": csrf})
        assert response.status == 403, (method, url, response.status)

