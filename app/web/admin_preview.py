"""Preview a rule with unsaved settings, and send a test offense event: the admin page's two actions that
talk to the console while the administrator waits.

Preview runs the real RuleRunner (the scheduler's code: windows, AQL, Ariel, enrichment, the analyzer and any
other processor the Runtime has, exceptions) over a chosen past range, in a background thread, against a
throwaway store in a temporary directory that is deleted afterwards: nothing reaches the app's store, its
checkpoints or its offense queue. Exceptions pushed into AQL on a scheduled run are applied to the hits here
instead, so that what each would suppress is shown.
"""
from __future__ import annotations

import dataclasses
import shutil
import tempfile
import threading
import time
import uuid
from datetime import datetime

from flask import jsonify

from .. import __version__
from ..detection.aql import RenderError, quote_string
from ..detection.windows import WindowPlanner
from ..pipeline.enrich import Enricher
from ..pipeline.leef import format_leef
from ..pipeline.offenses import OffenseSettings, OffenseSettingsError
from ..pipeline.run import RuleRunner
from ..qradar.errors import QRadarError
from ..qradar.properties import resolve_fields
from ..qradar.syslog import SyslogError, SyslogSender
from ..store import Store
from ..store.enrichment import EnrichmentRepository
from . import runtime
from .admin import FIELD_OVERRIDES_KEY, Invalid, body, bp, offense_settings_view, validate_offense_settings, \
    validate_rule_settings
from .present import present_hit

MAX_SPAN_MS = 7 * 24 * 3600 * 1000
KEPT_JOBS = 5
SHOWN_HITS = 200
TEST_EVENT_ID = "ExfilWatchTestEvent"     # not a hit's event id: the offense rule must not fire on it


@dataclasses.dataclass
class PreviewJob:
    id: str
    rule_id: str
    start_ms: int
    end_ms: int
    windows_planned: int
    started_ms: int
    state: str = "running"            # running | done | failed
    windows_searched: int = 0
    result: dict | None = None
    error: str | None = None

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _jobs() -> dict:
    from flask import current_app
    return current_app.extensions.setdefault("exfilwatch.previews", {})


def _moment(value, key: str, errors: dict):
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return int(moment.timestamp() * 1000)
    errors[key] = "a time with its zone (ISO 8601, e.g. 2026-12-01T10:00:00Z) or epoch milliseconds"
    return None


def run_preview(job: PreviewJob, rt, rule, overrides: dict) -> None:
    directory = tempfile.mkdtemp(prefix="exfilwatch-preview-")
    store = Store(f"{directory}/preview.db")
    try:
        def fields_for(_rule):
            fields = resolve_fields(rt.event_columns(), overrides)
            missing = fields.missing(rule.required_fields)
            if missing:
                raise RenderError(f"this console has no event property for {', '.join(missing)}")
            return fields

        enricher = Enricher(rt.client, EnrichmentRepository(store.db), store.settings, rt.clock,
                            rule_for=lambda _id: rule, search_factory=rt.new_search, fields_for=fields_for)

        def progress(_rule, _hits, _context):
            job.windows_searched += 1

        processors = []
        for processor in rt.runner.processors:
            if processor is rt.enricher:
                processors.append(enricher)
            elif processor == rt.push_down.count:     # counts are stored; exclusions are not pushed here
                continue
            else:
                processors.append(processor)           # exception filter (read-only), analyzer, ...
        runner = RuleRunner(store, rt.new_search, fields_for, clock=rt.clock, processors=[*processors, progress],
                            max_windows_per_run=1_000_000)
        summary = runner.hunt(rule, job.start_ms, job.end_ms)
        hits = store.hits.list(rule_id=rule.id, suppressed=None, limit=SHOWN_HITS)
        counts = store.hits.counts()["rules"].get(rule.id, {"hits": 0, "suppressed": 0})
        by_exception: dict = {}
        for row in store.db.query("SELECT exception_id, COUNT(*) AS n FROM hits WHERE suppressed = 1 "
                                  "GROUP BY exception_id"):
            by_exception[str(row["exception_id"])] = row["n"]
        job.result = {"hits": counts["hits"] or 0, "suppressed": counts["suppressed"] or 0,
                      "by_exception": by_exception, "windows_done": summary.windows_done,
                      "windows_failed": summary.windows_failed, "errors": summary.errors,
                      "shown": [present_hit(h) for h in hits]}
        job.state = "failed" if summary.errors and not summary.windows_done else "done"
        job.error = "; ".join(summary.errors) or None
    except Exception as error:   # the page must learn why; the app goes on
        job.state, job.error = "failed", f"{type(error).__name__}: {error}"
    finally:
        store.close()
        shutil.rmtree(directory, ignore_errors=True)


@bp.post("/api/admin/preview")
def start_preview():
    """{"rule_id", "start", "end", "settings": {schedule fields, enabled}, "field_overrides": {...}} -> 202 job."""
    rt, data, errors = runtime(), body(), {}
    rule_id = data.get("rule_id")
    if rule_id not in rt.rules:
        errors["rule_id"] = "choose one of this app's rules"
    start, end = _moment(data.get("start"), "start", errors), _moment(data.get("end"), "end", errors)
    now = rt.clock()
    if end is not None and end > now:
        errors["end"] = "the preview searches the past: the end cannot be in the future"
    elif start is not None and end is not None:
        if start >= end:
            errors["start"] = "the start must be before the end"
        elif end - start > MAX_SPAN_MS:
            errors["start"] = "a preview covers at most 7 days"
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        errors["settings"] = "settings is an object of rule settings"
        settings = {}
    overrides = data.get("field_overrides")
    if overrides is None:
        overrides = rt.store.settings.get(FIELD_OVERRIDES_KEY, {}) or {}
    elif not isinstance(overrides, dict):
        errors["field_overrides"] = "field_overrides is {logical field: console property}"
    if errors:
        raise Invalid(errors)
    try:
        _, schedule = validate_rule_settings({k: v for k, v in settings.items() if k != "enabled"})
    except Invalid as invalid:
        raise Invalid({f"settings.{k}": v for k, v in invalid.errors.items()}) from None
    jobs = _jobs()
    if any(j.state == "running" for j in jobs.values()):
        return jsonify({"error": "a preview is already running; wait for it to finish"}), 409
    base = rt.effective_rule(rule_id)
    rule = dataclasses.replace(base, schedule=dataclasses.replace(base.schedule, **schedule))
    planned = len(WindowPlanner(rule.schedule).chunk(start, end, rule.schedule.hunt_window_minutes))
    job = PreviewJob(uuid.uuid4().hex, rule_id, start, end, planned, now)
    for old in sorted(jobs.values(), key=lambda j: j.started_ms)[:-KEPT_JOBS + 1]:
        jobs.pop(old.id, None)
    jobs[job.id] = job
    threading.Thread(target=run_preview, args=(job, rt, rule, overrides), name=f"preview-{rule_id}",
                     daemon=True).start()
    return jsonify(job.as_dict()), 202


@bp.get("/api/admin/preview/<job_id>")
def preview_status(job_id: str):
    job = _jobs().get(job_id)
    if job is None:
        return jsonify({"error": "no such preview (previews are kept only while the app runs)"}), 404
    return jsonify(job.as_dict())


# -- offense test event ----------------------------------------------------------------------------------
@bp.post("/api/admin/offenses/test")
def send_test_event():
    """Sends one LEEF test event with the given (unsaved) or stored offense settings, then asks QRadar
    whether it arrived: an Ariel search for its unique marker in the payload, for up to `wait_s`."""
    rt = runtime()
    data = body()
    wait_s = data.pop("wait_s", 30)
    if isinstance(wait_s, bool) or not isinstance(wait_s, (int, float)) or not 0 <= wait_s <= 120:
        raise Invalid({"wait_s": "wait_s is 0-120 seconds"})
    values = validate_offense_settings(data) if data else (rt.store.settings.get("offenses") or {})
    try:
        settings = OffenseSettings.from_value(values, rt.environ)
    except OffenseSettingsError as error:
        return jsonify({"sent": False, "received": False, "error": str(error)})
    marker = f"exfilwatch-test-{uuid.uuid4().hex[:16]}"
    now = rt.clock()
    message = format_leef(TEST_EVENT_ID, {"devTime": now, "devTimeFormat": "epoch", "cat": "Test",
                                          "msg": f"ExfilWatch test event {marker}"},
                          product_version=__version__, version=settings.leef_version)
    try:
        with SyslogSender(settings.target()) as sender:
            sender.send(message, severity=5, timestamp_ms=now)
    except SyslogError as error:
        return jsonify({"sent": False, "received": False, "marker": marker,
                        "error": f"not sent to {settings.host}:{settings.port}/{settings.protocol}: {error}"})
    aql = (f"SELECT starttime, logsourceid, LOGSOURCENAME(logsourceid) AS logsource FROM events "
           f"WHERE UTF8(payload) ILIKE {quote_string('%' + marker + '%')} LAST 60 MINUTES")
    deadline = time.monotonic() + wait_s
    while True:
        try:
            rows = list(rt.new_search().rows(aql))
        except QRadarError as error:
            return jsonify({"sent": True, "received": None, "marker": marker,
                            "error": f"sent, but QRadar could not be searched for it: {error}"})
        if rows or time.monotonic() >= deadline:
            break
        time.sleep(2)       # events take a moment to be parsed and indexed
    if not rows:
        return jsonify({"sent": True, "received": False, "marker": marker,
                        "error": f"sent, but QRadar has not stored it after {wait_s} s: check the log source "
                                 f"(identifier {settings.identifier!r}), the port and the protocol"})
    return jsonify({"sent": True, "received": True, "marker": marker, "event": rows[0],
                    "settings": offense_settings_view()["settings"]})
