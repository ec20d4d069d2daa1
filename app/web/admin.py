"""The administrator's page (/admin) and its JSON API (/api/admin/...): console connection, rules, field
mapping, offenses, retention and the audit trail. Exceptions are in admin_exceptions.py, preview and the
test event in admin_preview.py; all three register on this blueprint.

Every route of the blueprint is admin-only: `before_request` asks the console who the user is (auth.py), so
a route added later cannot be forgotten. Every input is validated here with one message per field
(400 {"errors": {field: message}}) and nothing is saved unless all of it is valid; every change goes through
Settings.set, which audits who, when, before and after.
"""
from __future__ import annotations

import re

from flask import Blueprint, jsonify, render_template, request

from ..detection.rule import LOGICAL_FIELDS
from ..pipeline.offenses import SETTINGS_KEY as OFFENSES_KEY
from ..pipeline.offenses import OffenseSettings, OffenseSettingsError
from ..qradar.errors import QRadarError
from ..qradar.properties import resolve_fields
from ..runtime import API_VERSION_KEY, FIELD_OVERRIDES_KEY, RULE_ENABLED_KEY, RULE_SCHEDULE_KEY, TOKEN_SECRET
from . import runtime
from .auth import admin_refusal, current_user

bp = Blueprint("admin", __name__, template_folder="templates")

TOKEN_META_KEY = "console.token"          # {"set": true} and when/who; the token itself is only in the secret store
RETENTION_KEY = "retention.days"          # days stored hits are kept (the purge job reads it); default 90
RETENTION_DEFAULT_DAYS = 90
SCHEDULE_LIMITS = {   # field -> (low, high, label)
    "interval_minutes": (1, 1440, "the interval"),
    "ingestion_delay_minutes": (0, 1440, "the ingestion delay"),
    "first_look_back_minutes": (1, 60 * 24 * 30, "the first-run look-back"),
    "catch_up_windows": (0, 1000, "the catch-up limit"),
}
_VERSION = re.compile(r"^\d{1,2}\.\d$")
_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{8,512}$")


class Invalid(Exception):
    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@bp.before_request
def only_administrators():
    refused = admin_refusal()
    if refused is not None and request.endpoint == "admin.page":
        response, status = refused
        return render_template("admin_denied.html", message=response.get_json()["error"]), status
    return refused


@bp.errorhandler(Invalid)
def invalid(error):
    return jsonify({"errors": error.errors}), 400


def actor() -> str:
    return current_user().username


def body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid({"_": "the request body must be a JSON object"})
    return data


def whole(data: dict, key: str, low: int, high: int, label: str, errors: dict):
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        errors[key] = f"{label} must be a whole number"
    elif not low <= value <= high:
        errors[key] = f"{label} must be between {low} and {high}"
    else:
        return value
    return None


def unknown_keys(data: dict, known, errors: dict) -> None:
    for key in data:
        if key not in known:
            errors[key] = f"unknown setting {key!r}"


def save(key: str, value, audit_detail=None) -> None:
    rt = runtime()
    rt.store.settings.set(key, value, actor=actor(), now_ms=rt.clock(), audit_detail=audit_detail)


# -- the page --------------------------------------------------------------------------------------------
@bp.get("/admin")
def page():
    return render_template("admin.html", user=current_user())


@bp.get("/api/admin/me")
def me():
    user = current_user()
    return jsonify({"username": user.username, "role": user.role, "is_admin": user.is_admin,
                    "checked_by": user.checked_by})


# -- console connection ----------------------------------------------------------------------------------
def token_state() -> dict:
    rt = runtime()
    meta = rt.store.settings.updated(TOKEN_META_KEY)
    stored = bool(rt.store.settings.get(TOKEN_META_KEY, {}).get("set")) if meta else False
    return {"platform_token": bool(rt.environ.get("SEC_ADMIN_TOKEN")), "set": stored,
            "set_ms": meta["updated_ms"] if stored else None, "set_by": meta["updated_by"] if stored else None}


def offered_versions() -> dict:
    """The console's /api/help/versions, when it has it; otherwise say so and let the admin type one."""
    try:
        listed = runtime().client.get_json("api/help/versions", shape=None)
    except QRadarError as error:
        return {"offered": None, "error": str(error)}
    items = listed if isinstance(listed, list) else []
    offered = sorted({str(v.get("version")) for v in items if isinstance(v, dict) and v.get("version")
                      and not v.get("removed")}, key=lambda v: tuple(int(p) for p in v.split(".") if p.isdigit()))
    return {"offered": offered or None, "error": None if offered else "the console listed no API versions"}


def version_in_use() -> str | None:
    try:
        return runtime().client.version
    except QRadarError:      # a client that negotiates its version could not ask the console
        return None


@bp.get("/api/admin/connection")
def connection():
    rt = runtime()
    return jsonify({"token": token_state(), "api_version": version_in_use(),
                    "api_version_default": rt.config.api_version, "versions": offered_versions()})


@bp.put("/api/admin/connection")
def set_connection():
    data, errors = body(), {}
    unknown_keys(data, ("token", "api_version"), errors)
    token = data.get("token")
    if token is not None and (not isinstance(token, str) or not _TOKEN.match(token.strip())):
        errors["token"] = "an authorized service token is 8-512 letters, digits and - . _ ~ + / ="
    version = data.get("api_version")
    if version is not None:
        offered = offered_versions()["offered"]
        if not isinstance(version, str) or not _VERSION.match(version):
            errors["api_version"] = "an API version looks like 20.0"
        elif offered and version not in offered:
            errors["api_version"] = f"this console offers {', '.join(offered)}"
    if errors:
        raise Invalid(errors)
    rt = runtime()
    if token is not None:
        rt.platform.encryption(*TOKEN_SECRET).encrypt(token.strip())
        save(TOKEN_META_KEY, {"set": True}, audit_detail={"before": "(secret)", "after": "(secret replaced)"})
    if version is not None:
        save(API_VERSION_KEY, version)
        rt.apply_settings()
    return connection()


@bp.post("/api/admin/connection/test")
def test_connection():
    """GET /api/system/about with the token typed in (not yet saved) or, without one, the token in use.
    The answer is the console's version or the console's exact error."""
    data = request.get_json(silent=True) or {}
    token = data.get("token") if isinstance(data, dict) else None
    rt = runtime()
    if token:
        if not isinstance(token, str) or not _TOKEN.match(token.strip()):
            raise Invalid({"token": "an authorized service token is 8-512 letters, digits and - . _ ~ + / ="})
        try:
            # user_rest sends this SEC as it is (rest would replace it with SEC_ADMIN_TOKEN where set).
            version = version_in_use()     # unknown: no Version header, i.e. the console's latest
            reply = rt.platform.user_rest("GET", "api/system/about", sec=token.strip(),
                                          headers={"Accept": "application/json", **({"Version": version} if version else {})})
        except Exception as error:   # connection refused, TLS, timeout: reported word for word
            return jsonify({"ok": False, "error": f"{type(error).__name__}: {error}"})
        try:
            answer = reply.json()
        except ValueError:
            answer = {"message": reply.text[:500]}
        if reply.status_code != 200:
            message = answer.get("message") if isinstance(answer, dict) else None
            return jsonify({"ok": False, "status": reply.status_code,
                            "error": f"HTTP {reply.status_code}: {message or reply.reason}"})
        return jsonify({"ok": True, "about": answer, "tested": "the token entered"})
    try:
        about = rt.client.about()
    except QRadarError as error:
        return jsonify({"ok": False, "status": getattr(error, "status", None), "error": str(error)})
    return jsonify({"ok": True, "about": about, "tested": "the token in use"})


# -- rules and fields ------------------------------------------------------------------------------------
def rule_view(rule_id: str) -> dict:
    rt = runtime()
    rule, effective = rt.rules[rule_id], rt.effective_rule(rule_id)
    schedule = effective.schedule
    return {"id": rule.id, "name": rule.name, "severity": rule.severity, "enabled": rt.rule_enabled(rule),
            "enabled_in_file": rule.enabled, "disabled_reason": rt.store.ledger.disabled_reason(rule.id),
            "schedule": {k: getattr(schedule, k) for k in SCHEDULE_LIMITS},
            "file_schedule": {k: getattr(rule.schedule, k) for k in SCHEDULE_LIMITS},
            "max_windows_default": rt.config.max_windows_per_run,
            "required_fields": list(rule.required_fields), "optional_fields": list(rule.optional_fields),
            "aql_where": rule.where, "checkpoint_ms": rt.store.ledger.checkpoint(rule.id)}


@bp.get("/api/admin/rules")
def rules():
    return jsonify([rule_view(rule_id) for rule_id in runtime().rules])


def validate_rule_settings(data: dict) -> tuple[bool | None, dict]:
    """-> (enabled or None, schedule changes); raises Invalid naming each bad field."""
    errors = {}
    unknown_keys(data, ("enabled", *SCHEDULE_LIMITS), errors)
    enabled = data.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        errors["enabled"] = "enabled must be true or false"
    schedule = {}
    for key, (low, high, label) in SCHEDULE_LIMITS.items():
        if key in data:
            value = whole(data, key, low, high, label, errors)
            if value is not None:
                schedule[key] = value
    if errors:
        raise Invalid(errors)
    return enabled, schedule


@bp.put("/api/admin/rules/<rule_id>")
def set_rule(rule_id: str):
    rt = runtime()
    if rule_id not in rt.rules:
        return jsonify({"error": f"no rule {rule_id!r}"}), 404
    enabled, schedule = validate_rule_settings(body())
    if enabled is not None:
        save(RULE_ENABLED_KEY, dict(rt.store.settings.get(RULE_ENABLED_KEY, {}) or {}, **{rule_id: enabled}))
    if schedule:
        every = dict(rt.store.settings.get(RULE_SCHEDULE_KEY, {}) or {})
        every[rule_id] = dict(every.get(rule_id) or {}, **schedule)
        save(RULE_SCHEDULE_KEY, every)
    return jsonify(rule_view(rule_id))


def fields_view(columns: list[str] | None, error: str | None = None) -> dict:
    overrides = runtime().store.settings.get(FIELD_OVERRIDES_KEY, {}) or {}
    mapped = resolve_fields(columns or [], overrides) if columns is not None else None
    return {"logical_fields": list(LOGICAL_FIELDS), "overrides": overrides, "columns": columns,
            "mapping": mapped.as_dict() if mapped else None, "sources": mapped.sources if mapped else None,
            "problems": mapped.errors if mapped else [], "error": error}


@bp.get("/api/admin/fields")
def fields():
    return jsonify(fields_view(None))


@bp.post("/api/admin/fields/discover")
def discover_fields():
    try:
        columns = runtime().client.event_columns()
    except QRadarError as error:
        return jsonify(fields_view(None, f"cannot read the console's event properties: {error}")), 502
    return jsonify(fields_view(sorted(columns)))


@bp.put("/api/admin/fields")
def set_fields():
    data, errors = body(), {}
    overrides = data.get("overrides")
    if not isinstance(overrides, dict):
        raise Invalid({"overrides": "overrides is an object: {logical field: console property name or null}"})
    try:
        columns = set(runtime().client.event_columns())
    except QRadarError:
        columns = None          # the console cannot say: names are checked when rules next run
    cleaned = {}
    for field, name in overrides.items():
        key = f"overrides.{field}"
        if field not in LOGICAL_FIELDS:
            errors[key] = f"unknown logical field (known: {', '.join(LOGICAL_FIELDS)})"
        elif name is None or (isinstance(name, str) and not name.strip()):
            continue        # cleared: discovered again
        elif not isinstance(name, str) or len(name) > 255 or '"' in name or any(ord(c) < 32 for c in name):
            errors[key] = "an event property name of up to 255 characters without quotes or control characters"
        elif columns is not None and name.strip() not in columns:
            errors[key] = f"this console has no event property {name.strip()!r}"
        else:
            cleaned[field] = name.strip()
    if errors:
        raise Invalid(errors)
    save(FIELD_OVERRIDES_KEY, cleaned)
    return jsonify(fields_view(sorted(columns) if columns is not None else None))


# -- offenses and retention ------------------------------------------------------------------------------
OFFENSE_FIELDS = ("enabled", "host", "port", "protocol", "framing", "header", "identifier", "ca_file",
                  "leef_version", "rate_per_minute", "grouping", "group_window_minutes", "offense_rule_id",
                  "note_wait_minutes", "exclude_rules")


def offense_settings_view() -> dict:
    rt = runtime()
    stored = rt.store.settings.get(OFFENSES_KEY) or {}
    try:
        effective = OffenseSettings.from_value(stored, rt.environ)
        shown, error, warnings = {k: getattr(effective, k) for k in OFFENSE_FIELDS}, None, effective.warnings()
        shown["exclude_rules"] = list(shown["exclude_rules"])
    except OffenseSettingsError as problem:
        shown, error, warnings = dict(stored), str(problem), []
    return {"settings": shown, "stored": stored, "error": error, "warnings": warnings, "rules": list(rt.rules),
            "console_ip": rt.environ.get("QRADAR_CONSOLE_IP")}


@bp.get("/api/admin/offenses")
def offenses():
    return jsonify(offense_settings_view())


def validate_offense_settings(data: dict) -> dict:
    rt, errors = runtime(), {}
    unknown_keys(data, OFFENSE_FIELDS, errors)
    excluded = data.get("exclude_rules")
    if isinstance(excluded, list):
        unknown = [r for r in excluded if r not in rt.rules]
        if unknown:
            errors["exclude_rules"] = f"not rules of this app: {', '.join(map(str, unknown))}"
    if data.get("host") is not None and (not isinstance(data["host"], str) or len(data["host"]) > 255
                                         or not re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", data["host"])):
        errors["host"] = "a host name or IP address"
    # The settings' own checks, one field at a time, so that each problem names its setting.
    for key in data:
        if key in errors or key not in OFFENSE_FIELDS:
            continue
        try:
            OffenseSettings.from_value({"host": "127.0.0.1", key: data[key]}, rt.environ)
        except OffenseSettingsError as problem:
            errors[key] = str(problem).removeprefix("offense settings: ")
    if not errors:   # then together (e.g. octet framing over UDP)
        try:
            OffenseSettings.from_value(data, rt.environ)
        except OffenseSettingsError as problem:
            errors["_"] = str(problem).removeprefix("offense settings: ")
    if errors:
        raise Invalid(errors)
    return {k: v for k, v in data.items() if v is not None}


@bp.put("/api/admin/offenses")
def set_offenses():
    save(OFFENSES_KEY, validate_offense_settings(body()))
    return jsonify(offense_settings_view())


@bp.get("/api/admin/retention")
def retention():
    return jsonify({"days": runtime().store.settings.get(RETENTION_KEY, RETENTION_DEFAULT_DAYS),
                    "default": RETENTION_DEFAULT_DAYS})


@bp.put("/api/admin/retention")
def set_retention():
    data, errors = body(), {}
    unknown_keys(data, ("days",), errors)
    days = whole(data, "days", 1, 3650, "retention", errors)
    if errors:
        raise Invalid(errors)
    save(RETENTION_KEY, days)
    return retention()


@bp.get("/api/admin/audit")
def audit():
    limit = request.args.get("limit", "200")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        raise Invalid({"limit": "limit must be 1-1000"})
    prefix = request.args.get("target") or None
    return jsonify(runtime().store.settings.audit(int(limit), target_prefix=prefix))


@bp.get("/api/admin/errors")
def errors():
    """Admin-only data: the raw error texts of recent runs and failed windows (they can quote the rendered AQL
    and the console's messages about it). Pages for everyone show only the kind of problem (health.py)."""
    rt = runtime()
    rule_id = request.args.get("rule") or None
    if rule_id is not None and rule_id not in rt.rules:
        raise Invalid({"rule": "not a rule of this app"})
    return jsonify({"runs": [r for r in rt.store.ledger.runs(rule_id, limit=50) if r.get("error")],
                    "windows": rt.store.ledger.windows(rule_id, statuses=("failed",), limit=200)})
