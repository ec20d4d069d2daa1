"""App-wide CSRF check and security headers.

CSRF is QRadar's own double-submit scheme: the console sets a `QRadarCSRF` cookie and, with
`"use_qradar_csrf": "true"` in the manifest, refuses any POST/PUT/PATCH/DELETE to the app whose `QRadarCSRF`
header does not carry the cookie's value (docs/tab.md). The app makes the same check itself, everywhere:
on the console it repeats what QRadar already did (the proxy forwards the user's cookies), and served without
the console (demo, tests) it is the only check. So the front end (static/js/api.js) is one and the same in
both places: read the cookie, send it back as the header.

Off the console the app issues the cookie itself on GET pages when the browser has none. On the console it
never does: a Set-Cookie passed through the proxy would replace the console's own token.
"""
from __future__ import annotations

import hmac
import secrets

from flask import Flask, jsonify, request

CSRF_NAME = "QRadarCSRF"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# No inline script and no inline handlers anywhere: every script is a file under static/. Styles allow
# inline attributes because Carbon Charts positions its tooltips and legends through style attributes;
# a style attribute cannot run code.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))


def init_app(app: Flask, *, issue_cookie: bool) -> None:
    """issue_cookie: True when the app is served without the console (it must hand out the token itself)."""

    @app.before_request
    def check_csrf():
        if request.method not in STATE_CHANGING:
            return None
        cookie = request.cookies.get(CSRF_NAME, "")
        header = request.headers.get(CSRF_NAME, "")
        if cookie and header and hmac.compare_digest(cookie.encode(), header.encode()):
            return None
        response = jsonify({"error": f"missing or wrong {CSRF_NAME} header: state changes must come from the "
                                     "app's own pages (reload the page and try again)"})
        response.status_code = 403
        return response

    @app.after_request
    def secure_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if not request.path.startswith("/static/"):
            # API answers hold telemetry and settings; pages are cheap to render: neither belongs in a cache.
            headers["Cache-Control"] = "no-store"
        if (issue_cookie and request.method == "GET" and CSRF_NAME not in request.cookies
                and response.mimetype == "text/html"):
            # Readable by the page's script (not HttpOnly) by design: that is what double-submit needs.
            response.set_cookie(CSRF_NAME, secrets.token_urlsafe(32), path="/", samesite="Strict",
                                secure=request.is_secure, httponly=False)
        return response
