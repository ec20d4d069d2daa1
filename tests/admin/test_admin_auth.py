"""Only a console administrator reaches the admin page and its API, checked with the user's own session."""
from __future__ import annotations

import re

from .conftest import Browser, session_for


def admin_routes(app) -> list[tuple[str, str]]:
    """Every (method, URL) of the admin blueprint, from Flask's own table: a new route is covered at once."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin."):
            url = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
            routes += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def test_the_admin_routes_are_found(served):
    routes = admin_routes(served["app"])
    assert ("GET", "/admin") in routes and ("PUT", "/api/admin/rules/1") in routes and len(routes) >= 20


def test_a_signed_in_analyst_gets_403_on_every_admin_route(served, analyst):
    for method, url in admin_routes(served["app"]):
        response = analyst.call(method, url, json={})
        assert response.status_code == 403, (method, url, response.status_code)
        assert "ana is not an administrator" in response.text, (method, url)


def test_no_session_gets_401_and_an_unknown_session_401(served):
    for sec in (None, "not-a-session", "x" * 5000, "a\u00e9b"):
        browser = Browser(served["url"], sec)
        for method, url in admin_routes(served["app"]):
            assert browser.call(method, url, json={}).status_code == 401, (sec, method, url)


def test_an_administrator_is_recognised_by_the_console(admin):
    me = admin.get("/api/admin/me").json()
    assert me["username"] == "admin" and me["is_admin"] is True
    # The stand-in offers API 20.0 only, so the role was read with the 20.0 fallback.
    assert me["checked_by"] == "config/access/user_roles"


def test_the_check_uses_the_users_session_not_the_apps_token(console, served):
    assert served["runtime"].environ.get("SEC_ADMIN_TOKEN")     # the app holds an administrator's token
    console.admin("DELETE", "/sim/requests")
    response = Browser(served["url"], session_for(console, "ana")).get("/api/admin/me")
    asked = [r["path"] for r in console.admin("GET", "/sim/requests") if r["path"].startswith("/api/config/access")]
    assert asked[0] == "/api/config/access/users", "the console was not asked who the user is"
    # Asked with the app's token, the console would have answered "an authorized service" (or an admin).
    assert response.status_code == 403 and response.json()["error"].startswith("ana is not an administrator")


def test_with_api_21_the_role_capabilities_decide(console, served):
    console.admin("POST", "/sim/config", json={"versions": ["20.0", "21.0"]})
    try:
        browser = Browser(served["url"], session_for(console, "root2"))
        me = browser.get("/api/admin/me").json()
        assert me["is_admin"] and me["checked_by"] == "config/access/user_roles?current_user_role=true"
        analyst = Browser(served["url"], session_for(console, "ana"))
        assert analyst.get("/api/admin/rules").status_code == 403
        # A hosted (SAASADMIN) administrator is not an ADMIN where the capabilities can be read.
        console.admin("POST", "/sim/users", json={"username": "hosted", "role": "Hosted Admin"})
        assert Browser(served["url"], session_for(console, "hosted")).get("/api/admin/rules").status_code == 403
    finally:
        console.admin("POST", "/sim/config", json={"versions": None})


def test_a_logged_out_session_is_refused_once_the_cache_expires(console, served):
    sec = session_for(console, "admin")
    browser = Browser(served["url"], sec)
    assert browser.get("/api/admin/me").status_code == 200
    console.admin("DELETE", f"/sim/sessions/{sec}")
    served["app"].extensions["exfilwatch.users"]._cache.clear()   # the 30 s cache, as if it had run out
    assert browser.get("/api/admin/me").status_code == 401


def test_an_authorized_service_token_as_a_cookie_is_not_a_user(console, served):
    browser = Browser(served["url"], console.token)
    response = browser.get("/api/admin/me")
    assert response.status_code == 403 and "authorized service" in response.json()["error"]


def test_a_console_that_cannot_answer_refuses(console, served):
    sec = session_for(console, "admin")
    console.admin("POST", "/sim/faults", json={"route": "GET /api/config/access/users", "status": 503, "code": 1010,
                                               "count": -1})
    try:
        response = Browser(served["url"], sec).get("/api/admin/me")
        assert response.status_code == 503
    finally:
        console.admin("DELETE", "/sim/faults")
