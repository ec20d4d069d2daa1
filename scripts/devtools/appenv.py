"""Runs the real app against a running console stand-in, the way the QRadar platform would set it up.

The platform gives an app its console through environment variables (QRADAR_CONSOLE_FQDN,
REQUESTS_CA_BUNDLE, SEC_ADMIN_TOKEN, APP_ROOT, QRADAR_APP_UUID); this builds the same set for a
stand-in, so demo, evaluate and bench exercise the app exactly as it runs in a container.
"""
from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit


def app_environ(sim, app_root: str, **extra: str) -> dict:
    parts = urlsplit(sim.url)
    env = dict(os.environ)
    env.update({
        "QRADAR_CONSOLE_FQDN": parts.netloc,
        "QRADAR_CONSOLE_IP": parts.hostname,
        "QRADAR_APP_ID": "1101",
        "QRADAR_APP_UUID": env.get("QRADAR_APP_UUID") or str(uuid.uuid5(uuid.NAMESPACE_URL, app_root)),
        "SEC_ADMIN_TOKEN": sim.token,
        "APP_ROOT": app_root,
    })
    if parts.scheme == "http":
        env["QRADAR_CONSOLE_SCHEME"] = "http"
    if sim.ca_path:
        env["REQUESTS_CA_BUNDLE"] = sim.ca_path
    env.update(extra)
    return env


def app_runtime(sim, app_root: str, *, rules=None, clock=None, **config):
    """A real Runtime pointed at the stand-in through the platform's environment; `config` overrides
    AppConfig settings (a stand-in answers fast, so callers usually shorten the waits)."""
    from app.config import AppConfig
    from app.runtime import Runtime
    env = app_environ(sim, app_root)
    extra = {"clock": clock} if clock else {}
    return Runtime(AppConfig.from_env(env, **config), environ=env, rules=rules, **extra)


def hunt_all(runtime, start_ms: int, end_ms: int) -> dict:
    """Every enabled rule over [start, end): the retro-hunt path of the real pipeline."""
    return {rule.id: runtime.hunt(rule.id, start_ms, end_ms) for rule in runtime.enabled_rules()}
