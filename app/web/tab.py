"""The console tab. For now a server-rendered list of hits; Jinja autoescaping keeps telemetry inert."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, render_template

from . import runtime
from .present import present_hit

bp = Blueprint("tab", __name__, template_folder="templates")


@bp.app_template_filter("utc")
def utc(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if ms else ""


@bp.get("/debug")
def debug():
    # QRadar restarts an app that does not answer GET /debug.
    return "ok"


@bp.get("/")
@bp.get("/index")
def index():
    rt = runtime()
    return render_template("index.html", counts=rt.store.hits.counts(), hits=[present_hit(h) for h in rt.store.hits.list(limit=200)],
                           rules=rt.rules)
