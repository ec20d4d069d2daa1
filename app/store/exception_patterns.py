"""The regular expressions conditions are decided by, in the syntax Python and Java share (app/store/exception_spec.py
builds them; the app and the console apply the same text)."""
from __future__ import annotations

from .exception_text import is_bare_name


def regex_literal(text: str) -> str:
    """`text` as a regular expression matching exactly it, in the syntax Python and Java share."""
    out = []
    for char in text:
        if char.isalnum() or char == "_" or (not char.isascii() and (char.isprintable() or ord(char) > 0xFFFF)):
            out.append(char)
        elif char.isascii() and char.isprintable():
            out.append("\\" + char)       # any non-letter may be escaped in both dialects
        else:
            out.append(f"\\u{ord(char):04x}")   # control characters: the one escape both dialects share
    return "".join(out)


def _capped(body: str, limit: int) -> str:
    return f"(?s)^(?=.{{0,{limit}}}$)(?:{body})$"


def glob_regex(pattern: str, *, path: bool, limit: int = 32767, optional_extension: bool = False) -> str:
    """`*` any run, `?` one character, the rest literal. For paths, a pattern without a separator is
    tested against the file name (the part after the last \\ or /), so `rclone.exe` matches both a bare
    image name and a full path, while `C:\\Tools\\*` needs the full path. `optional_extension`: a final
    literal `.ext` may be absent (PE original file names are written `PSCP` as well as `pscp.exe`)."""
    stem, extension = pattern, ""
    if optional_extension and "." in pattern and not set(pattern.rpartition(".")[2]) & set("*?"):
        stem, _, extension = pattern.rpartition(".")
    body = "".join(".*" if c == "*" else "." if c == "?" else regex_literal(c) for c in stem)
    if extension:
        body += f"(?:{regex_literal('.' + extension)})?"
    if path and is_bare_name(pattern):
        body = r"(?:.*[\\/])?" + body
    return _capped(body, limit)
