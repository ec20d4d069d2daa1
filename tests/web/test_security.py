"""CSRF (QRadar's cookie-and-header scheme, checked by the app itself) and the security headers."""
import pytest

from app.web.security import CSRF_NAME


def test_a_page_hands_out_the_csrf_cookie_readable_by_its_script(client):
    response = client.get("/")
    cookie = response.headers.get("Set-Cookie", "")
    assert cookie.startswith(f"{CSRF_NAME}=") and "HttpOnly" not in cookie and "SameSite=Strict" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert len(token) >= 32


def test_a_page_keeps_the_cookie_the_browser_already_has(client):
    client.set_cookie(CSRF_NAME, "console-issued-token")
    assert "Set-Cookie" not in client.get("/").headers


def test_on_the_console_the_app_never_sets_the_cookie(web):
    from app import create_app

    class Qpylib:
        name = "qpylib"
    web.platform = Qpylib()
    assert "Set-Cookie" not in create_app(web).test_client().get("/").headers


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_state_change_without_the_header_is_refused(client, method):
    client.get("/")   # the browser now holds the cookie
    response = client.open("/api/hits", method=method)
    assert response.status_code == 403
    assert CSRF_NAME in response.get_json()["error"]


def test_state_change_with_a_different_header_is_refused(client):
    client.set_cookie(CSRF_NAME, "the-real-one")
    assert client.post("/api/hits", headers={CSRF_NAME: "a-forged-one"}).status_code == 403


def test_state_change_with_a_header_but_no_cookie_is_refused(client):
    assert client.post("/api/hits", headers={CSRF_NAME: "anything"}).status_code == 403


def test_matching_cookie_and_header_pass_the_check(client):
    client.set_cookie(CSRF_NAME, "t0ken")
    # /api/hits takes no POST: passing the CSRF check reaches routing, which answers 405.
    assert client.post("/api/hits", headers={CSRF_NAME: "t0ken"}).status_code == 405


def test_security_headers_on_pages_and_api(client):
    for path in ("/", "/api/hits", "/api/banners"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'self'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]
        assert headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_handler(client):
    import re
    page = client.get("/").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert not re.search(r"\son[a-z]+\s*=", page)


def test_every_page_url_is_relative_so_it_works_under_the_console_prefix(client):
    import re
    page = client.get("/").get_data(as_text=True)
    urls = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert urls and all(not u.startswith("/") and "://" not in u for u in urls), urls
