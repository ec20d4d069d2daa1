"""ExfilWatch: a QRadar app that hunts MITRE ATT&CK T1048.002 (create_app is what QRadar loads)."""
from __future__ import annotations

from flask import Flask

__version__ = "0.1.0"


def create_app(runtime=None) -> Flask:
    """The application factory. QRadar calls it with no argument; tests and scripts pass a Runtime."""
    from .runtime import Runtime
    from .web import api, hits_api, overview, security, tab
    from .web import admin, admin_exceptions, admin_preview  # noqa: F401 (admin_* add routes to admin.bp)

    # Static files live beside the templates (app/web/static; vendor/ is filled by scripts/_assets.sh).
    app = Flask(__name__, static_folder="web/static")
    runtime = runtime or Runtime.from_env()
    app.extensions["exfilwatch"] = runtime
    security.init_app(app, issue_cookie=getattr(getattr(runtime, "platform", None), "name", "") != "qpylib")
    app.register_blueprint(tab.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(hits_api.bp, url_prefix="/api")
    app.register_blueprint(overview.bp, url_prefix="/api")
    api.init_app(app)
    app.register_blueprint(admin.bp)
    return app
