"""Builds the app's working parts from configuration, once: store, console client, rules, runner.

The Flask app, the scheduler process, `scripts/demo` and `scripts/evaluate` all build a `Runtime`, so they
share one construction of the pipeline and cannot drift apart.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time

from .config import AppConfig
from .detection.aql import RenderError
from .detection.rule import Rule, load_rules
from .pipeline.analysis import CommandLineAnalysis
from .pipeline.enrich import Enricher
from .pipeline.exceptions import ExceptionFilter, ExceptionPushDown
from .pipeline.offenses import OffenseDispatcher
from .pipeline.run import RuleRunner, RunSummary, wall_clock_ms
from .qradar.ariel import ArielSearch, InFlight
from .qradar.client import QRadarClient
from .qradar.errors import ConfigurationError, QRadarError
from .qradar.platform import get_platform
from .qradar.properties import resolve_fields
from .store import Store
from .store.enrichment import EnrichmentRepository
from .store.exceptions import ExceptionRepository
from .store import retention

log = logging.getLogger(__name__)

TOKEN_SECRET = ("console_token", "exfilwatch")
FIELD_OVERRIDES_KEY = "fields.overrides"
RULE_ENABLED_KEY = "rules.enabled"
RULE_SCHEDULE_KEY = "rules.schedule"      # {rule_id: {interval_minutes, ingestion_delay_minutes, ...}} (admin page)
API_VERSION_KEY = "console.api_version"   # the REST API version an administrator chose (admin page)
COLUMNS_TTL_S = 600


class Runtime:
    def __init__(self, config: AppConfig, *, environ=None, platform=None, rules: dict[str, Rule] | None = None,
                 clock=wall_clock_ms, processors=()):
        self.config = config
        self.environ = dict(os.environ if environ is None else environ)
        self.platform = platform or get_platform(self.environ)
        self.store = Store(config.db_path or self.platform.store_path("exfilwatch.db"))
        self.rules = rules if rules is not None else load_rules()
        self.clock = clock
        self.inflight = InFlight()   # every Ariel search this process runs, for a shutdown to cancel
        self.client = QRadarClient(self.platform, self.console_token, version=config.api_version or None,
                                   retries=config.request_retries)
        self.exceptions = ExceptionRepository(self.store.db, rule_ids=self.rules)
        self.exception_filter = ExceptionFilter(self.exceptions, self.client, clock)
        self.push_down = ExceptionPushDown(self.exceptions, self.fields_for, clock)
        # rule_for is a lambda: tests and the admin page may replace self.rules.
        self.enricher = Enricher(self.client, EnrichmentRepository(self.store.db), self.store.settings, clock,
                                 rule_for=lambda rule_id: self.rules.get(rule_id), search_factory=self.new_search,
                                 fields_for=self.fields_for, after_retry=[self.exception_filter])
        self.analysis = CommandLineAnalysis(self.store.settings, hierarchy=self.network_hierarchy)
        # Order matters: the analyzer decides first (nothing it drops is enriched); exceptions read the enrichment
        # (tool, destination host, asset); pushed-down exceptions are counted last so that every suppressed event
        # is accounted for.
        # The runner's searches fetch the next results page while this one is processed (ariel.py).
        self.runner = RuleRunner(self.store, lambda: self.new_search(prefetch=True), self.fields_for, clock=clock,
                                 processors=[self.analysis, self.enricher, self.exception_filter, self.push_down.count,
                                             *processors],
                                 exclusions_for=self.push_down.exclusions,
                                 max_windows_per_run=config.max_windows_per_run, part_bytes=config.part_bytes)
        self.offenses = OffenseDispatcher(self.store, self.client, clock=clock, environ=self.environ,
                                          rule_severities={r.id: r.severity for r in self.rules.values()})
        self._columns: tuple[float, list[str]] | None = None
        self._networks: tuple[float, list[str]] | None = None
        self.apply_settings()
        self._rule_locks = {rule_id: threading.Lock() for rule_id in self.rules}

    @classmethod
    def from_env(cls, environ=None, **kwargs) -> "Runtime":
        return cls(AppConfig.from_env(environ), environ=environ, **kwargs)

    def store_path(self, *parts: str) -> str:
        return self.platform.store_path(*parts)

    # -- console access ------------------------------------------------------------------------------
    def console_token(self) -> str:
        """The authorized service token for background work: the platform's SEC_ADMIN_TOKEN when QRadar
        injects one, else the token an administrator entered (stored encrypted)."""
        token = self.environ.get("SEC_ADMIN_TOKEN")
        if token:
            return token
        try:
            token = self.platform.encryption(*TOKEN_SECRET).decrypt()
        except Exception:   # no secret stored yet, or no app UUID outside the container
            token = None
        if not token:
            raise ConfigurationError("no console token: authorize the app or enter an authorized service "
                                     "token on the ExfilWatch admin page")
        return token

    def new_search(self, *, prefetch: bool = False) -> ArielSearch:
        c = self.config
        return ArielSearch(self.client, page_size=c.page_size, page_bytes=c.page_bytes, initial_wait_s=c.initial_wait_s,
                           poll_wait_s=c.poll_wait_s, timeout_s=c.search_timeout_s, inflight=self.inflight,
                           prefetch=prefetch)

    def network_hierarchy(self) -> list[str]:
        """The console's network hierarchy (CIDRs), cached like the columns; the analyzer counts them as internal.
        A console that refuses it (permissions, older release) gives none, re-asked after the TTL."""
        cached = self._networks
        if cached is None or time.monotonic() - cached[0] > COLUMNS_TTL_S:
            try:
                networks = self.client.network_hierarchy()
            except QRadarError as error:
                log.info("no network hierarchy from the console: %s", error)
                networks = []
            cached = self._networks = (time.monotonic(), networks)
        return cached[1]

    def event_columns(self) -> list[str]:
        cached = self._columns
        if cached is None or time.monotonic() - cached[0] > COLUMNS_TTL_S:
            cached = self._columns = (time.monotonic(), self.client.event_columns())
        return cached[1]

    def fields_for(self, rule: Rule):
        """This console's names for the rule's logical fields; a rule missing a required one is disabled
        with a reason the admin page shows, and re-checked on the next run."""
        overrides = self.store.settings.get(FIELD_OVERRIDES_KEY, {})
        fields = resolve_fields(self.event_columns(), overrides)
        missing = fields.missing(rule.required_fields)
        reason = (f"this console has no event property for {', '.join(missing)}: add the Windows/Sysmon "
                  "custom properties or map them on the admin page") if missing else None
        if reason != self.store.ledger.disabled_reason(rule.id):
            self.store.ledger.set_disabled_reason(rule.id, reason, self.clock())
        if reason:
            raise RenderError(reason)
        return fields

    # -- rules ---------------------------------------------------------------------------------------
    def rule_enabled(self, rule: Rule) -> bool:
        return self.store.settings.get(RULE_ENABLED_KEY, {}).get(rule.id, rule.enabled)

    def enabled_rules(self) -> list[Rule]:
        return [self.effective_rule(r.id) for r in self.rules.values() if self.rule_enabled(r)]

    def effective_rule(self, rule_id: str) -> Rule:
        """The rule as its file says, with the schedule an administrator set on the admin page."""
        rule = self.rules[rule_id]
        overrides = (self.store.settings.get(RULE_SCHEDULE_KEY, {}) or {}).get(rule_id) or {}
        known = {f.name for f in dataclasses.fields(rule.schedule)}
        changes = {k: v for k, v in overrides.items() if k in known and isinstance(v, int) and not isinstance(v, bool)}
        return dataclasses.replace(rule, schedule=dataclasses.replace(rule.schedule, **changes)) if changes else rule

    def apply_settings(self) -> None:
        """Settings the admin page changes that live outside the store's readers: the API version."""
        chosen = self.store.settings.get(API_VERSION_KEY)
        if not chosen:   # the configured (or negotiated) version stays
            return
        try:
            self.client.version = chosen
        except AttributeError:   # a client that negotiates its version (read-only property) keeps it in _version
            self.client._version = chosen

    def run_rule(self, rule_id: str) -> RunSummary | None:
        """A scheduled run; skipped (None) while another run of the same rule is under way."""
        lock = self._rule_locks[rule_id]
        if not lock.acquire(blocking=False):
            log.warning("rule %s is still running; this tick is skipped", rule_id)
            return None
        try:
            return self.runner.run_scheduled(self.effective_rule(rule_id))
        finally:
            lock.release()

    def wait_idle(self, timeout_s: float) -> bool:
        """Waits until no rule is running (each run holds its rule's lock); False when time ran out."""
        deadline = time.monotonic() + timeout_s
        for lock in self._rule_locks.values():
            if not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                return False
            lock.release()
        return True

    def purge_expired(self) -> dict:
        """Hits (and what only they needed) older than the setting retention.days (app/store/retention.py)."""
        return retention.purge(self.store.db, self.store.settings, self.clock())

    def hunt(self, rule_id: str, start_ms: int, end_ms: int) -> RunSummary:
        with self._rule_locks[rule_id]:
            return self.runner.hunt(self.effective_rule(rule_id), start_ms, end_ms)
