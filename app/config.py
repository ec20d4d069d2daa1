"""Every setting of the app and its default, in one place.

Deployment settings come from the environment (the QRadar platform sets QRADAR_*; EXFILWATCH_* are
ours). What an administrator tunes at run time (field overrides, rule enablement, the console token
they enter) lives in the store and is edited on the admin page, not here.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields


class ConfigError(ValueError):
    """A setting with a value the app cannot use; the message names the variable."""


@dataclass(frozen=True)
class AppConfig:
    db_path: str | None = None            # default: <store>/exfilwatch.db
    api_version: str = ""                 # empty: the newest the console offers and the app knows
    page_size: int = 1000                 # rows per Range request when paging results (at most)
    page_bytes: int = 4_000_000           # bytes per results page: wide rows make pages of fewer rows
    part_bytes: int = 8_000_000           # a window's hits are processed and stored in parts of about this size
    initial_wait_s: float = 1.0           # before the first status poll of a new search
    poll_wait_s: int = 10                 # Prefer: wait=N on status polls
    search_timeout_s: int = 600           # a search running longer is cancelled and its window retried
    request_retries: int = 4              # per REST call, with jittered exponential back-off
    max_windows_per_run: int = 48         # catch-up bound per run; the rest waits for the next run
    scheduler_enabled: bool = True        # off for web-only processes and for tests
    offense_interval_s: int = 60          # how often the scheduler turns new hits into offense events
    # Outside a console only (scripts/demo): a console session used as the browser's when it sends no SEC
    # cookie, so the admin check still asks the console (stand-in) who that is. Ignored inside the container.
    local_session: str | None = None

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "AppConfig":
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            name = "EXFILWATCH_" + f.name.upper()
            if name not in env:
                continue
            raw = env[name].strip()
            kind = f.type if isinstance(f.type, str) else f.type.__name__
            try:
                if "bool" in kind:
                    if raw.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                        raise ValueError(raw)
                    values[f.name] = raw.lower() in ("1", "true", "yes", "on")
                elif "int" in kind:
                    values[f.name] = int(raw)
                elif "float" in kind:
                    values[f.name] = float(raw)
                else:
                    values[f.name] = raw
            except ValueError:
                raise ConfigError(f"{name}={raw!r} is not a valid {kind}") from None
        values.update(overrides)
        config = cls(**values)
        config.validate()
        return config

    def validate(self) -> None:
        for name in ("page_size", "page_bytes", "part_bytes", "poll_wait_s", "search_timeout_s", "max_windows_per_run",
                     "offense_interval_s"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"EXFILWATCH_{name.upper()} must be positive, not {getattr(self, name)}")
        if self.initial_wait_s < 0 or self.request_retries < 0:
            raise ConfigError("EXFILWATCH_INITIAL_WAIT_S and EXFILWATCH_REQUEST_RETRIES cannot be negative")
        if self.api_version and not re.fullmatch(r"\d{1,3}\.\d{1,3}", self.api_version):
            raise ConfigError(f"EXFILWATCH_API_VERSION must look like 26.0, not {self.api_version!r}")
        if self.page_size > 50000:
            raise ConfigError("EXFILWATCH_PAGE_SIZE above 50000 risks the console's response size limits")
