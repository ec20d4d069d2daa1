"""Everything one running stand-in holds, wired together: settings, events, searches, offenses,
assets, reference data, lookups, faults, request log and syslog intake."""
import json
import os
import sys
import threading

from .ariel import ArielSearches
from .assets import Assets
from .dns import Lookups
from .faults import FaultInjector
from .offenses import Offenses
from .refdata import ReferenceSets
from .rules import OffenseRules
from .syslog import SyslogIntake
from .users import Users

REGEX_MODES = ("full", "substring")
MAX_LOGGED_REQUESTS = 20000


class SimConfig:
    """Settings that POST /sim/config may change while the stand-in runs."""

    def __init__(self, profile, token, latency_ms, regex_mode, retention_s, column_types):
        self.profile = profile
        self.token = token
        self.token_revoked = False
        self.latency_ms = latency_ms
        self.regex_mode = regex_mode
        self.retention_s = retention_s
        self.column_types = column_types
        self.versions = None            # API versions offered; None = the release's (releases.py)

    def update(self, changes):
        if not isinstance(changes, dict):
            raise ValueError("config is a JSON object")
        unknown = set(changes) - {"token", "regex_mode", "latency_ms", "retention_s", "versions"}
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        if "regex_mode" in changes and changes["regex_mode"] not in REGEX_MODES:
            raise ValueError(f"regex_mode must be one of {', '.join(REGEX_MODES)}")
        for key in ("latency_ms", "retention_s"):
            if key in changes and (not isinstance(changes[key], (int, float)) or changes[key] < 0):
                raise ValueError(f"{key} must be a number >= 0")
        if "versions" in changes and changes["versions"] is not None and (
                not isinstance(changes["versions"], list) or not all(isinstance(v, str) for v in changes["versions"])):
            raise ValueError('versions is a list of API versions ("20.0", "21.0", ...) or null')
        if "token" in changes and (not isinstance(changes["token"], str) or not changes["token"]):
            raise ValueError("token must be a non-empty string")
        for key, value in changes.items():
            setattr(self, key, value)
        if "token" in changes:
            self.token_revoked = False     # a new token is the way out of a revoke_token fault

    def public(self):
        return {"profile": self.profile, "token": self.token, "token_revoked": self.token_revoked,
                "latency_ms": self.latency_ms, "regex_mode": self.regex_mode, "retention_s": self.retention_s,
                "versions": self.versions}


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []

    def add(self, entry):
        with self._lock:
            self._entries.append(entry)
            del self._entries[:-MAX_LOGGED_REQUESTS]

    def all(self):
        with self._lock:
            return [dict(e) for e in self._entries]

    def clear(self):
        with self._lock:
            self._entries.clear()


class Console:
    def __init__(self, profile="seed", token="qradar-sim-token", latency_ms=300, regex_mode="full",
                 retention_s=86400, release=None):
        # The engine is imported here, not at module level, so the engine-free modules stay usable alone.
        from .aql import AqlError, compile_query
        from .catalog import Catalog
        from .eventstore import EventStore
        from .profiles import PROFILES, column_types, event_columns
        from .releases import ApiVersions

        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
        if regex_mode not in REGEX_MODES:
            raise ValueError(f"regex_mode must be one of {', '.join(REGEX_MODES)}")
        chosen = PROFILES[profile]
        self.api_versions = ApiVersions(release)
        self.config = SimConfig(profile, token, latency_ms, regex_mode, retention_s, column_types(chosen))
        self.event_columns = event_columns(chosen)
        self.catalog = Catalog.from_file()
        self.store = EventStore(chosen, self.catalog)
        self.faults = FaultInjector(on_revoke_token=self.revoke_token)
        self.searches = ArielSearches(self.config, self.store, compile_query, AqlError, self.faults)
        self.offenses = Offenses()
        self.rules = OffenseRules(self.offenses)
        self.assets = Assets()
        self.refsets = ReferenceSets()
        self.dns = Lookups("dns")
        self.networks = []                   # the deployed network hierarchy (GET /api/config/network_hierarchy/networks)
        self.whois = Lookups("whois")
        self.requests = RequestLog()
        self.users = Users()
        self.intake = SyslogIntake(self.store, self.catalog, self.rules)
        self.url = None
        self.syslog_port = None
        self.syslog_tls_port = None          # set only when the stand-in runs with --tls-dir

    def revoke_token(self):
        self.config.token_revoked = True

    def load_events(self, path):
        """Events from a JSONL file, plus its X.context.json side file when present."""
        count = self.store.load_jsonl(path)
        context_path = path[:-len(".jsonl")] + ".context.json" if path.endswith(".jsonl") else path + ".context.json"
        if os.path.exists(context_path):
            self.load_context(context_path)
        return count

    def load_context(self, path):
        with open(path, encoding="utf-8") as f:
            context = json.load(f)
        if context.get("log_sources"):
            self.catalog.add_log_sources(context["log_sources"])
        if context.get("assets"):
            self.assets.add(context["assets"])
        if context.get("dns"):
            self.dns.set_names(context["dns"])
        if context.get("network_hierarchy"):
            self.networks = [dict(n) for n in context["network_hierarchy"]]
        print(f"[qradar-sim] context from {path}: {len(context.get('log_sources', []))} log sources, "
              f"{len(context.get('assets', []))} assets, {len(context.get('dns', {}))} DNS names", file=sys.stderr)

    def info(self):
        span = self.store.span()
        return dict(self.config.public(), url=self.url, syslog_port=self.syslog_port,
                    syslog_tls_port=self.syslog_tls_port, events=len(self.store),
                    span=list(span) if isinstance(span, (tuple, list)) else span,
                    searches=len(self.searches.ids()), offenses=len(self.offenses.all()),
                    faults=self.faults.active())
