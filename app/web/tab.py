"""The console tab: one page; static/js/tab.js renders it from the JSON API (api.py)."""
from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("tab", __name__, template_folder="templates")


@bp.get("/debug")
def debug():
    # QRadar restarts an app that does not answer GET /debug.
    return "ok"


@bp.get("/")
@bp.get("/index")
def index():
    return render_template("tab.html")
