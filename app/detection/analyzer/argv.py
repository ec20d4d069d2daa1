"""Command lines into arguments, the way the programs that receive them split them.

Every function here is one pass over its input (no regular expressions), and the analyzer caps the input at
Windows' own command-line limit, so crafted text of any size costs linear time.
"""
from __future__ import annotations

MAX_COMMAND_LINE = 32768     # CreateProcess refuses longer lines; a longer "command line" is not one
WHITESPACE = " \t"


def split_windows(line: str) -> list[str]:
    """CommandLineToArgvW: the first argument (the program) ends at the next quote when it starts with one,
    else at white space, and knows no escapes. After it: 2n backslashes before a quote give n backslashes and
    the quote opens or closes a quoted run; 2n+1 give n backslashes and a literal quote; other backslashes
    are literal; inside a quoted run `""` is a literal quote, and three quotes in a row give one literal quote
    and leave the run (the shell32 behaviour, as Wine documents and reproduces it)."""
    line = line[:MAX_COMMAND_LINE]
    n, i, args = len(line), 0, []
    if not line:
        return args
    if line[0] == '"':
        end = line.find('"', 1)
        end = n if end < 0 else end
        args.append(line[1:end])
        i = end + 1
    else:
        while i < n and line[i] not in WHITESPACE:
            i += 1
        args.append(line[:i])
    while i < n and line[i] in WHITESPACE:
        i += 1
    current: list[str] = []
    started, quotes, backslashes = False, 0, 0
    while i < n:
        c = line[i]
        if c in WHITESPACE and quotes == 0:
            current.append("\\" * backslashes)
            backslashes = 0
            if started:
                args.append("".join(current))
            current, started = [], False
            while i < n and line[i] in WHITESPACE:
                i += 1
            continue
        started = True
        if c == "\\":
            backslashes += 1
            i += 1
            continue
        if c == '"':
            current.append("\\" * (backslashes // 2))
            if backslashes % 2:
                current.append('"')
            else:
                quotes += 1
            backslashes = 0
            i += 1
            while i < n and line[i] == '"':
                quotes += 1
                if quotes == 3:
                    current.append('"')
                    quotes = 0
                i += 1
            if quotes == 2:
                quotes = 0
            continue
        current.append("\\" * backslashes)
        backslashes = 0
        current.append(c)
        i += 1
    current.append("\\" * backslashes)
    if started:
        args.append("".join(current))
    return args


def split_posix(line: str) -> list[str]:
    """A POSIX shell's word splitting without expansions: single quotes literal, double quotes with backslash
    escapes of $`"\\ and newline, a backslash outside quotes escapes the next character."""
    line = line[:MAX_COMMAND_LINE]
    args, current, started, i, n = [], [], False, 0, len(line)
    while i < n:
        c = line[i]
        if c in " \t\n":
            if started:
                args.append("".join(current))
            current, started = [], False
        elif c == "'":
            started = True
            end = line.find("'", i + 1)
            end = n if end < 0 else end
            current.append(line[i + 1:end])
            i = end
        elif c == '"':
            started = True
            i += 1
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n and line[i + 1] in '$`"\\\n':
                    i += 1
                current.append(line[i])
                i += 1
        elif c == "\\" and i + 1 < n:
            started = True
            current.append(line[i + 1])
            i += 1
        else:
            started = True
            current.append(c)
        i += 1
    if started:
        args.append("".join(current))
    return args


def split_cmd(script: str) -> list[tuple[str, str | None, bool]]:
    """What cmd.exe runs for `/c <script>`: the commands between unquoted & && | || (caret escapes the next
    character), each with the file its standard input is redirected from (`< file`), if any, and whether
    a single `|` feeds it the previous command's output."""
    script = script[:MAX_COMMAND_LINE]
    segments, current, quoted, piped, i, n = [], [], False, False, 0, len(script)

    def close(fed):
        text = "".join(current).strip()
        if text:
            command, source = _redirection(text)
            segments.append((command, source, fed))

    while i < n:
        c = script[i]
        if c == '"':
            quoted = not quoted
            current.append(c)
        elif c == "^" and not quoted and i + 1 < n:
            current.append(script[i + 1])
            i += 1
        elif c in "&|" and not quoted:
            close(piped)
            current = []
            doubled = i + 1 < n and script[i + 1] == c
            piped = c == "|" and not doubled
            if doubled:
                i += 1
        else:
            current.append(c)
        i += 1
    close(piped)
    return segments


def _redirection(command: str) -> tuple[str, str | None]:
    """Removes an unquoted `< file` from a cmd command; returns (command, file)."""
    quoted, at = False, -1
    for index, c in enumerate(command):
        if c == '"':
            quoted = not quoted
        elif c == "<" and not quoted:
            at = index
    if at < 0:
        return command, None
    head, tail = command[:at].rstrip(), command[at + 1:].strip()
    words = split_windows("x " + tail)[1:]
    source = words[0] if words else None
    rest = " ".join(words[1:])
    return (head + (" " + rest if rest else "")).strip(), source


def program_stem(path: str | None) -> str:
    """`C:\\Tools\\CURL.EXE`, `"curl"`, `/usr/bin/curl` -> `curl`."""
    if not path:
        return ""
    name = path.strip().strip('"')
    for sep in ("\\", "/"):
        name = name.rsplit(sep, 1)[-1]
    lowered = name.lower()
    for extension in (".exe", ".com", ".dll", ".bat", ".cmd", ".ps1"):   # pwsh.exe's PE name is pwsh.dll
        if lowered.endswith(extension):
            return lowered[: -len(extension)]
    return lowered
