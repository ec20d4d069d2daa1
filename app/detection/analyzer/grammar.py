"""Tool grammars as data (grammars/*.json) and the option parser that reads an argument vector with them.

The parser follows getopt's conventions as each grammar declares them: short options combine (`-sST f`), an
option's value is the rest of its word or the next argument, long options may or may not take `=value` and
may or may not be abbreviated to an unambiguous prefix. An option the grammar does not know is kept as an
unknown flag (and shown in the evidence), never guessed at.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

GRAMMAR_DIR = Path(__file__).with_name("grammars")


@lru_cache(maxsize=None)
def load(name: str) -> dict:
    return json.loads((GRAMMAR_DIR / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Parsed:
    options: list = field(default_factory=list)      # (canonical name, role, value or None, as written)
    positionals: list = field(default_factory=list)
    unknown: list = field(default_factory=list)

    def values(self, role: str) -> list:
        return [(value, written) for _, r, value, written in self.options if r == role]


def _tables(grammar: dict):
    """short -> (canonical, spec), long -> (canonical, spec)."""
    shorts, longs = {}, {}
    for name, spec in grammar["options"].items():
        if name.startswith("--"):
            longs[name] = (name, spec)
        else:
            shorts[name[1:]] = (spec.get("long", name), spec)
            if "long" in spec:
                longs[spec["long"]] = (spec["long"], spec)
    return shorts, longs


def parse(args: list[str], grammar: dict) -> Parsed:
    shorts, longs = _tables(grammar)
    fold = (lambda s: s) if grammar.get("case_sensitive", True) else str.lower
    if not grammar.get("case_sensitive", True):
        shorts = {k.lower(): v for k, v in shorts.items()}
        longs = {k.lower(): v for k, v in longs.items()}
    out = Parsed()
    i, n, only_positionals = 0, len(args), False
    while i < n:
        arg = args[i]
        i += 1
        if only_positionals or len(arg) < 2 or arg[0] != "-":
            out.positionals.append(arg)
            continue
        if arg == "--":
            only_positionals = True
            continue
        if arg.startswith("--"):
            name, eq, attached = arg.partition("=") if grammar.get("long_equals") else (arg, "", "")
            found = longs.get(fold(name))
            if found is None and grammar.get("long_prefixes"):
                hits = {v[0]: v for k, v in longs.items() if k.startswith(fold(name))}
                found = next(iter(hits.values())) if len(hits) == 1 else None
            if found is None:
                out.unknown.append(arg)
                continue
            canonical, spec = found
            value = None
            if not spec.get("flag") and spec.get("role") != "flag":
                if eq:
                    value = attached
                elif i < n:
                    value, i = args[i], i + 1
                arg = f"{arg} {value}" if not eq and value is not None else arg
            out.options.append((canonical, spec.get("role", "arg"), value, arg))
            continue
        j = 1                                  # a cluster of short options
        while j < len(arg):
            letter = fold(arg[j])
            found = shorts.get(letter)
            if found is None:
                out.unknown.append("-" + arg[j])
                j += 1
                continue
            canonical, spec = found
            if spec.get("flag") or spec.get("role") == "flag":
                out.options.append((canonical, spec.get("role"), None, "-" + arg[j]))
                j += 1
                continue
            rest = arg[j + 1:]
            if rest:
                value, written = rest, arg
            elif i < n:
                value, written = args[i], f"{arg} {args[i]}"
                i += 1
            else:
                value, written = None, arg
            out.options.append((canonical, spec.get("role", "arg"), value, written))
            break
    return out
