"""One dataset: hosts, scenario events, background stream; written once per profile in one pass.

Randomness is split per purpose (hosts, each scenario, background) from the seed, so changing the
background volume leaves the labelled scenarios' events untouched.
"""
import heapq
import json
import os
import random
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from . import background, benign, destinations, hosts, malicious, profiles, variants
from .script import play

ALL_SPECS = malicious.SPECS + benign.SPECS + variants.SPECS

# Activities quiet enough to sit next to an attack without being mistaken for it by any sane rule
# (no transfer tools, no uploads): a scenario's own host gets only these as surrounding noise.
QUIET = (background.browse, background.mail, background.teams, background.onedrive_sync,
         background.office_temp_file, background.dns_noise, background.windows_update, background.logon)

# `_note` of that noise, so a reader (or a scorer) can tell the attack's own events from it.
NOISE_NOTE = "ordinary activity of the host"


@dataclass(frozen=True)
class Params:
    seed: int = 1048002
    start_ms: int = int(datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp() * 1000)
    hours: float = 24.0
    background_events: int = 2450
    background_hosts: int = None        # None: one host per ~250 background events, 8 to 400

    @property
    def end_ms(self):
        return self.start_ms + int(self.hours * 3_600_000)

    def host_count(self):
        if self.background_hosts is not None:
            return self.background_hosts
        return max(8, min(400, self.background_events // 250))


BUNDLED = Params()


def _rng(params, purpose):
    # str seeds are hashed with SHA-512 by random.Random: stable across runs and Python versions
    return random.Random(f"{params.seed}:{purpose}")


def scenario_events(params, spec, host):
    """All events of one labelled scenario, sorted by starttime: its steps at each `at`, plus quiet noise."""
    rng = _rng(params, f"scenario:{spec.id}")
    lo, hi = params.start_ms, params.end_ms
    state = background.HostState(host, rng, spec.id)
    runs = [lo + int(fraction * (hi - lo)) for fraction in spec.at]
    first, last = runs[0], runs[-1] + 300_000
    a, b = max(lo, first - 120_000), min(hi - 60_000, last + 120_000)
    noise = sorted(a + int(rng.random() * max(1, b - a)) for _ in range(spec.noise))
    # runs and noise bursts in time order, so the host's delivery clock only moves forward
    plan = sorted([(t, "run") for t in runs] + [(t, "noise") for t in noise])
    events = []
    for t, what in plan:
        if what == "run":
            tl = state.timeline(rng, t, note=spec.note)
            play(tl, spec.steps, rng)
        else:
            tl = state.timeline(rng, t, note=NOISE_NOTE)
            QUIET[rng.randrange(len(QUIET))](tl, rng, state.procs)
        events.extend(state.keep(tl))
    events.sort(key=lambda e: e["starttime"])
    return events


class Dataset:
    """Plans the dataset; `events()` streams every event sorted by starttime."""

    def __init__(self, params):
        self.params = params
        self.scenario_hosts = hosts.scenario_hosts()
        self.background_hosts = hosts.background_hosts(_rng(params, "hosts"), params.host_count())

    def events(self):
        labelled = sorted((e for spec in ALL_SPECS
                           for e in scenario_events(self.params, spec, self.scenario_hosts[spec.host])),
                          key=lambda e: e["starttime"])
        rng = _rng(self.params, "background")
        states = [background.HostState(h, rng, background_id(h)) for h in self.background_hosts]
        calibration = _rng(self.params, "calibration")
        per_burst = background.mean_events_per_burst(
            calibration, [background.HostState(h, calibration, "") for h in self.background_hosts])
        bursts = round(self.params.background_events / per_burst) if self.params.background_events else 0
        stream = background.stream(rng, states, self.params.start_ms, self.params.end_ms - 600_000, bursts)
        return heapq.merge(labelled, stream, key=lambda e: e["starttime"])

    def context(self):
        all_hosts = list(self.scenario_hosts.values()) + self.background_hosts
        return {
            "log_sources": [hosts.log_source(h) for h in all_hosts],
            "assets": [hosts.asset(h) for h in all_hosts] + hosts.internal_server_assets(),
            "dns": destinations.reverse_dns(),
            "network_hierarchy": hosts.network_hierarchy(),
        }

    def scenario_list(self, spans):
        """scenarios.json: labelled scenarios in table order, then one background entry per host."""
        out = []
        for spec in ALL_SPECS:
            out.append(_entry(spec.id, spec.malicious, spec.technique, spec.description,
                              self.scenario_hosts[spec.host].ip, spans[spec.id]))
        for h in self.background_hosts:
            sid = background_id(h)
            if sid in spans:   # a host that drew no activity at all has no scenario
                out.append(_entry(sid, False, "none", _background_description(h), h.ip, spans[sid]))
        return out


def background_id(host):
    return "bg-" + host.name.lower()


def _background_description(host):
    kind = {"srv": "member server", "dev": "developer/IT workstation", "ws": "workstation"}[background.role_of(host)]
    return (f"Ordinary activity of {host.name} ({kind}, {host.group}, {host.account}): browsing, mail, updaters, "
            "DNS noise, logons; per role also curl/wget/Invoke-WebRequest downloads and health checks, "
            "WinSCP/scp/git-over-ssh to internal servers. No exfiltration.")


def _entry(sid, is_malicious, technique, description, ip, span):
    return {"id": sid, "malicious": is_malicious, "technique": technique, "description": description,
            "sourceip": ip, "start": span[0], "end": span[1]}


def _dump(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def write(out_dir, params=BUNDLED, profile_names=profiles.PROFILE_NAMES):
    """Writes the dataset; returns {"events": n, "files": {name: bytes}, "seconds": s}."""
    began = time.monotonic()
    os.makedirs(out_dir, exist_ok=True)
    dataset = Dataset(params)
    names = list(profile_names)
    files = {p: open(os.path.join(out_dir, f"events-{p}.jsonl"), "w", encoding="utf-8", newline="\n")
             for p in names}
    buffers = {p: [] for p in names}
    spans, count = {}, 0
    normalized = profiles.NORMALIZED
    try:
        for event in dataset.events():
            count += 1
            sid = event["_scenario"]
            lo, hi = event["devicetime"], event["starttime"]
            span = spans.get(sid)
            spans[sid] = (lo, hi) if span is None else (min(span[0], lo), max(span[1], hi))
            head = {k: event[k] for k in normalized}
            meta = {"_scenario": sid}
            if "_note" in event:
                meta["_note"] = event["_note"]
            for p in names:
                line = {**head, **profiles.custom_properties(p, event["props"]), **meta}
                buffers[p].append(_dump(line))
            if count % 4096 == 0:
                for p in names:
                    files[p].write("\n".join(buffers[p]) + "\n")
                    buffers[p].clear()
        for p in names:
            if buffers[p]:
                files[p].write("\n".join(buffers[p]) + "\n")
    finally:
        for fh in files.values():
            fh.close()
    context = _dump_pretty(dataset.context())
    for p in names:
        with open(os.path.join(out_dir, f"events-{p}.context.json"), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(context)
    with open(os.path.join(out_dir, "scenarios.json"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(_dump_pretty(dataset.scenario_list(spans)))
    sizes = {n: os.path.getsize(os.path.join(out_dir, n)) for n in sorted(os.listdir(out_dir))
             if n.startswith("events-") or n == "scenarios.json"}
    return {"events": count, "files": sizes, "seconds": round(time.monotonic() - began, 2)}


def _dump_pretty(obj):
    return json.dumps(obj, ensure_ascii=False, indent=1) + "\n"
