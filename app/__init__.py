"""ExfilWatch: a QRadar app that hunts MITRE ATT&CK T1048.002 (create_app is what QRadar loads)."""
from __future__ import annotations

from flask import Flask

__version__ = "0.1.0"


def create_app(runtime=None) -> Flask:
    """The application factory. QRadar calls it with no argument; tests and scripts pass a Runtime."""
    from .runtime import Runtime
    from .web import admin, admin_exceptions, admin_preview, api, tab  # noqa: F401 (admin_* add routes to admin.bp)

    app = Flask(__name__)
    app.extensions["exfilwatch"] = runtime or Runtime.from_env()
    app.register_blueprint(tab.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_blueprint(admin.bp)
    return app
