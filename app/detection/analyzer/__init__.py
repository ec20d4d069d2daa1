"""The command-line analyzer: the decision behind the upload rules' broad AQL nets.

`analyze(command_line, image, original_file_name)` splits the line as the program receives it
(CommandLineToArgvW), picks the tool by its PE original file name when the binary was renamed (else by its image
name), reads the arguments with that tool's grammar (grammars/*.json) and returns the uploads it found, each a
`Verdict` with the arguments that decided it. `weigh(verdicts, internal)` adds where each one goes.
Every reader is linear in its input, which is capped at Windows' command-line limit.
"""
from __future__ import annotations

from . import native, powershell
from .argv import MAX_COMMAND_LINE, program_stem, split_windows
from .destination import DEFAULT_INTERNAL, InternalNetworks
from .grammar import load
from .verdict import ENCRYPTED, PLAINTEXT, Verdict

__all__ = ["analyze", "weigh", "Verdict", "InternalNetworks", "ENCRYPTED", "PLAINTEXT", "tool_of"]

MAX_DEPTH = 4


def _readers():
    tools = load("tools")
    table = {}
    for stem in load("curl")["images"]:
        table[stem] = native.curl
    for stem in load("wget")["images"]:
        table[stem] = native.wget
    for key, reader in (("bitsadmin", native.bitsadmin), ("certreq", native.certreq), ("rclone", native.rclone),
                        ("winscp", native.winscp), ("ssh_copy", native.ssh_copy), ("copy_tools", native.copy_tool)):
        for stem in tools[key]["images"]:
            table.setdefault(stem, reader)
    for kind, spec in tools["runtimes"].items():
        if isinstance(spec, dict) and "images" in spec:
            for stem in spec["images"]:
                table[stem] = lambda argv, kind=kind: native.runtime(argv, kind)
    return table


def known_tools() -> set[str]:
    return set(_readers()) | set(load("powershell")["host_images"]) | {"cmd"}


def tool_of(image: str | None, original_file_name: str | None) -> str:
    """The tool's name: the PE original file name's when it names a tool this analyzer reads (a renamed binary
    is still that tool), else the image's (Sysmon writes "-" for an unknown original file name)."""
    original = program_stem(original_file_name)
    return original if original in known_tools() else program_stem(image)


def dispatch(argv: list[str], depth: int, tool: str | None = None, windows_powershell: bool = True) -> list[Verdict]:
    if not argv or depth > MAX_DEPTH:
        return []
    stem = tool or program_stem(argv[0])
    if stem in load("powershell")["host_images"]:
        return powershell.analyze_host(argv, stem != "pwsh", _native, depth)
    if stem == "cmd":
        return native.cmd(argv, lambda words, d: dispatch(words, d), depth)
    reader = _readers().get(stem)
    # A renamed binary is read as the tool it is (its PE original file name), whatever argv[0] says.
    verdict = reader([stem] + argv[1:]) if reader else None
    return [verdict] if verdict else []


def _native(argv: list[str], depth: int) -> list[Verdict]:
    # A command inside a PowerShell script: native tools only (cmdlets were bound already).
    return dispatch(argv, depth)


def analyze(command_line: str | None, image: str | None = None, original_file_name: str | None = None) -> list[Verdict]:
    if not command_line:
        return []
    argv = split_windows(command_line[:MAX_COMMAND_LINE])
    if not argv:
        return []
    tool = tool_of(image, original_file_name) or None
    # Only the tools this analyzer has a grammar for: anything else is no upload it can read.
    return dispatch(argv, 0, tool)


def weigh(verdicts: list[Verdict], internal: InternalNetworks = DEFAULT_INTERNAL) -> list[Verdict]:
    for verdict in verdicts:
        verdict.destination_class = internal.classify(verdict.host)
    return verdicts
