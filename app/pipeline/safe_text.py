"""Characters of attacker-controlled text that must never reach QRadar raw (LEEF events, offense notes).

Controls (C0, DEL, C1: ESC starts terminal sequences), line and paragraph separators, lone surrogates and every
Unicode *format* character: bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069, U+200E/F,
U+061C) reorder what an analyst reads ("Trojan Source"), zero-width characters (U+200B-U+200D, U+2060, U+FEFF)
make two different names look the same. Each is written as a visible escape (`\\x1b`, `\\u202e`) rather than
dropped, so the analyst sees that it was there.
"""
from __future__ import annotations

import unicodedata

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def is_unsafe(ch: str) -> bool:
    code = ord(ch)
    if code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
        return True
    if code < 0xA0:
        return False
    return unicodedata.category(ch) in ("Cf", "Zl", "Zp", "Cs")


def visible(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape(text: str, also: str = "") -> str:
    """`text` with every unsafe character (and each of `also`) written as a visible escape."""
    return "".join(visible(ch) if ch in also or is_unsafe(ch) else ch for ch in text)


def cut_escaped(text: str, limit: int, also: str = "", marker: str = "...") -> str:
    """Escapes, then cuts so that the result, marker included, is at most `limit` characters and never ends
    inside an escape. Only the first `limit` characters of the input can appear, so the work is bounded."""
    pieces, length = [], 0
    for ch in text[:limit + 1]:
        piece = visible(ch) if ch in also or is_unsafe(ch) else ch
        pieces.append(piece)
        length += len(piece)
        if length > limit:
            break
    else:
        if len(text) <= limit:
            return "".join(pieces)
    room, kept, used = limit - len(marker), [], 0
    for piece in pieces:
        if used + len(piece) > room:
            break
        kept.append(piece)
        used += len(piece)
    return "".join(kept) + marker
