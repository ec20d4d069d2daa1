"""The analyst's tab in a real browser, as an analyst uses it, locally and under the console's proxy prefix."""
import csv
import io
import re
from urllib.parse import urlsplit

from .conftest import PREFIX, PROBES, SECRET, hit_ids, screenshot


def _hostile_hit(served):
    (hit_id,) = [h["id"] for h in served.runtime.store.hits.list(limit=1000, suppressed=None)
                 if h["source_ip"] == "10.9.9.9" and h["event_id"] == "1"
                 and h["rule_id"] == "t1048-002-transfer-credentials"]
    return hit_id


def test_overview_shows_counts_chart_top_values_offenses_and_rules(served, watch):
    page = watch.open(served.root + "index", "overview")
    total = served.runtime.store.hits.counts()
    assert page.locator('[data-count="All stored"] .ew-count').inner_text() == str(total["hits"])
    page.wait_for_selector("#ov-chart path.bar", state="attached")
    assert page.locator('[data-top="host"] li').count() >= 3
    assert page.locator("#ov-offenses tbody tr").count() >= 1
    assert "Offense" in page.locator("#ov-offenses").inner_text()
    assert page.locator("#ov-rules tbody tr").count() == len(served.runtime.rules)
    screenshot(page, "tab-overview")
    watch.assert_clean()


def test_filter_hits_by_tool_and_host_and_page_through(served, watch):
    page = watch.open(served.root + "index#hits", "hits")
    page.fill("#f-tool", "curl")
    page.fill("#f-host", "10.9.9.11")
    page.click("#f-apply")
    watch.wait("hits")
    page.wait_for_function("location.hash.includes('tool=curl')")
    watch.wait("hits")
    rows = page.locator("#hits-body tr.ew-row")
    expected = [h for h in served.runtime.store.hits.list(limit=1000)
                if h["tool"] == "curl" and h["source_ip"] == "10.9.9.11"]
    assert expected and rows.count() == len(expected)
    for i in range(rows.count()):
        text = rows.nth(i).inner_text()
        assert "curl" in text and "10.9.9.11" in text
    assert page.locator("#hits-count").inner_text().startswith(f"{len(expected)} hit(s)")
    screenshot(page, "tab-hits-filtered")
    # Sorting by risk is done by the server and survives a reload (the filters live in the URL).
    page.click('.ew-sort[data-sort="risk"]')
    page.wait_for_function("location.hash.includes('sort=risk')")
    watch.wait("hits")
    page.reload()
    watch.wait("hits")
    assert page.input_value("#f-tool") == "curl"
    watch.assert_clean()


def test_unfiltered_hits_table(served, watch):
    page = watch.open(served.root + "index#hits?suppressed=all", "hits")
    assert page.locator("#hits-body tr.ew-row").count() == len(hit_ids(served.runtime))
    screenshot(page, "tab-hits")
    watch.assert_clean()


def test_the_link_an_offense_note_carries_opens_the_hit_under_the_console_prefix(served, watch):
    offenses = served.sim.api("GET", "/api/siem/offenses").json()
    assert offenses, "the dataset raised no offense"
    links = []
    for offense in offenses:
        for note in served.sim.api("GET", f"/api/siem/offenses/{offense['id']}/notes").json():
            links += re.findall(r"https://\S+/#hit-\d+", note["note_text"])
    assert links, "no hit link in any offense note"
    link = urlsplit(links[0])
    assert link.path == PREFIX + "/"
    # The console serves the app on its own origin under the prefix: same path and hash, our server.
    page = watch.open(served.proxied.rstrip("/") + "/#" + link.fragment, "hit")
    hit_id = int(link.fragment.split("-")[1])
    assert page.locator("#hit-detail").get_attribute("data-hit") == str(hit_id)
    assert page.locator("#hit-detail h1").inner_text().startswith(f"Hit {hit_id}")
    watch.assert_clean()


def test_hit_detail_shows_masked_command_line_guide_enrichment_and_pivot(served, watch):
    hit_id = _hostile_hit(served)
    page = watch.open(served.proxied + f"index#hit-{hit_id}", "hit")
    command = page.locator("#hit-command-line").inner_text()
    assert SECRET not in page.content() and "-pw ********" in command
    assert PROBES["command"] in command and PROBES["image"] in command     # shown as the text it is
    detail = page.locator("#hit-detail").inner_text()
    for heading in ("Why it fired", "Investigation guide", "Triage", "Known false positives", "Response",
                    "Other hits of the same process", "Offense and console"):
        assert heading in detail
    assert page.locator("#hit-detail").locator("text=Other hits of the same process").count() == 1
    pivot = page.locator("#pivot-link").get_attribute("href")
    assert pivot.startswith("/console/do/ariel/arielSearch?") and "10.9.9.9" in pivot
    screenshot(page, "tab-hit-detail")
    watch.assert_clean()


def test_probes_in_every_telemetry_field_render_as_text_on_every_view(served, watch):
    hostile = [h["id"] for h in served.runtime.store.hits.list(limit=1000, suppressed=None) if h["source_ip"] == "10.9.9.9"]
    assert len(hostile) >= 2
    page = watch.open(served.root + "index#overview", "overview")
    page.wait_for_selector("#ov-chart path.bar", state="attached")
    assert PROBES["user"] in page.locator("#ov-top").inner_text()
    for url, view in [(served.root + "index#hits?suppressed=all&host=10.9.9.9", "hits"),
                      (served.root + "index#health", "health")] + [
                      (served.root + f"index#hit-{i}", "hit") for i in hostile]:
        watch.open(url, view)
        text = page.locator("main").inner_text()
        assert "<img" in text or view == "health"        # the markup is visible as characters
        # No element came out of telemetry: the only images/svgs are the chart's, no script but ours.
        assert page.locator("main img").count() == 0
        assert page.locator("main svg[onload], main [onerror], main [onload]").count() == 0
        assert page.locator("main b").count() == 0
        srcs = page.eval_on_selector_all("script", "els => els.map(e => e.getAttribute('src'))")
        assert all(s and s.startswith("static/") for s in srcs), srcs
    watch.assert_clean()


def test_triage_acknowledge_then_false_positive_with_reason(served, watch):
    hit_id = hit_ids(served.runtime, source_ip="10.9.9.12")[0]
    page = watch.open(served.root + f"index#hit-{hit_id}", "hit")
    page.click('button[data-action="acknowledge"]')
    page.wait_for_selector("#hit-detail >> text=Acknowledged")
    # A false positive without a reason is refused by the server, and the page says why.
    page.click('button[data-action="false_positive"]')
    page.wait_for_selector(".ew-notification >> text=needs a reason")
    watch.forget_errors()              # that 400 was the point
    page.fill("#triage-reason", "IT's nightly upload of <reports>")
    page.click('button[data-action="false_positive"]')
    page.wait_for_selector("#hit-detail >> text=false positive by local")
    # Without a console session nobody is an administrator: no link to a page that would refuse them
    # (an administrator's link: tests/browser/test_admin.py).
    assert page.locator("#exception-offer").count() == 0
    history = page.locator("#triage-history").inner_text()
    assert "local" in history and "Acknowledged" in history and "IT's nightly upload of <reports>" in history
    stored = served.runtime.store.hits.get(hit_id)
    assert stored["status"] == "false_positive" and stored["triage_by"] == "local"
    page.reload()
    watch.wait("hit")
    assert "false positive by local" in page.locator("#hit-detail").inner_text()
    screenshot(page, "tab-triage")
    watch.assert_clean()


def test_a_state_change_without_the_csrf_header_is_refused_in_the_browser(served, watch):
    page = watch.open(served.root + "index#overview", "overview")
    hit_id = hit_ids(served.runtime, source_ip="10.9.9.11")[0]
    status = page.evaluate("""async (id) => (await fetch(`api/hits/${id}/triage`, {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: JSON.stringify({action: 'escalate'})})).status""", hit_id)
    assert status == 403
    assert served.runtime.store.hits.get(hit_id)["status"] == "new"
    watch.forget_errors()


def test_csv_export_downloads_the_filtered_set(served, watch):
    page = watch.open(served.proxied + "index#hits?host=10.9.9.9&suppressed=all", "hits")
    with page.expect_download() as download_info:
        page.click("#f-export")
    text = open(download_info.value.path(), encoding="utf-8").read()
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = hit_ids(served.runtime, source_ip="10.9.9.9")
    assert sorted(int(r["id"]) for r in rows) == sorted(expected)
    assert SECRET not in text
    assert all(r["source_ip"] == "10.9.9.9" for r in rows)
    watch.assert_clean()


def test_every_view_works_under_the_console_prefix(served, watch):
    for view, fragment in (("overview", "overview"), ("hits", "hits"), ("health", "health")):
        page = watch.open(served.proxied + f"index#{fragment}", view)
        assert page.locator(f"#view-{view}").is_visible()
    assert all(PREFIX in url for url in page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
               if "127.0.0.1" in url)
    screenshot(page, "tab-health")
    watch.assert_clean()


def test_a_revoked_token_puts_a_banner_on_every_page(served, watch):
    served.sim.admin("POST", "/sim/faults", json={"kind": "revoke_token"})
    try:
        rule = next(iter(served.runtime.enabled_rules()))
        served.runtime.run_rule(rule.id)
        for fragment, view in (("overview", "overview"), ("hits", "hits"), ("health", "health")):
            page = watch.open(served.root + f"index#{fragment}", view)
            banner = page.wait_for_selector(f'.ew-banner[data-rule="{rule.id}"]')
            assert "paused" in banner.inner_text().lower() and "token" in banner.inner_text()
        screenshot(page, "tab-banner")
    finally:
        served.sim.admin("DELETE", "/sim/faults")
    watch.assert_clean()
