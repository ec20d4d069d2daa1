"""Scenarios as data: a scenario is a host, a few points in the window, and a list of steps.

Steps name processes by label so later steps can act as that process (its connections, DNS
queries and files share its ProcessGuid) or start children of it. Strings may use the host's
placeholders ({user}, {home}, {temp}, {appdata}, {localappdata}, {docs}, {host}).
"""
from dataclasses import dataclass

from .destinations import all_destinations
from .events import RUNNING, Timeline


@dataclass(frozen=True)
class Run:
    label: str
    image: str
    cmd: str
    parent: str = "explorer"       # a label of an earlier Run, or a key of events.RUNNING
    ofn: str = None                # OriginalFileName when it differs from the image's name
    user: str = None               # DOMAIN\user when not the host's user
    gap: int = 900


@dataclass(frozen=True)
class Dns:
    label: str
    name: str
    gap: int = 40


@dataclass(frozen=True)
class Connect:
    label: str
    dest: str                      # a host name from destinations.py, or a literal IPv4 address
    port: int
    gap: int = 120


@dataclass(frozen=True)
class Write:
    label: str
    path: str
    gap: int = 150


@dataclass(frozen=True)
class Wait:
    ms: int


@dataclass(frozen=True)
class Spec:
    id: str
    malicious: bool
    technique: str
    description: str
    host: str                      # key into hosts.SCENARIO_HOSTS
    at: tuple                      # when it happens, as fractions of the window (one run per entry)
    steps: tuple
    noise: int = 6                 # ordinary activities of the same host inside the scenario's span
    note: str = None               # `_note` on every event


_DESTINATIONS = all_destinations()


def _is_ip(text):
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() for p in parts)


def play(timeline: Timeline, steps, rng):
    """Run the steps on the timeline; the gaps get +-50% jitter so repeated runs differ."""
    values = timeline.host.paths()
    procs = {}

    def jitter(ms):
        return max(1, int(ms * (0.5 + rng.random())))

    def parent_of(label):
        return procs[label] if label in procs else RUNNING[label]

    for step in steps:
        if isinstance(step, Run):
            parent = parent_of(step.parent)
            # children run as their parent unless the step says otherwise (a scheduled task's account)
            user = step.user or getattr(parent, "user", None)
            procs[step.label] = timeline.run(step.image.format(**values), step.cmd.format(**values), parent,
                                             user=user, ofn=step.ofn, gap=jitter(step.gap))
        elif isinstance(step, Dns):
            timeline.dns(procs[step.label], step.name, _DESTINATIONS[step.name], gap=jitter(step.gap))
        elif isinstance(step, Connect):
            ip, name = (step.dest, None) if _is_ip(step.dest) else (_DESTINATIONS[step.dest], step.dest)
            timeline.connect(procs[step.label], ip, step.port, name, gap=jitter(step.gap))
        elif isinstance(step, Write):
            timeline.file(procs[step.label], step.path.format(**values), gap=jitter(step.gap))
        elif isinstance(step, Wait):
            timeline.advance(jitter(step.ms))
        else:
            raise TypeError(f"unknown step {step!r}")
    return procs
