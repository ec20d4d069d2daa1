"""A substring test before a case-insensitive regular-expression search: a pattern that needs one of a few words
cannot match text that holds none of them, and `word in text` costs far less than a search of every position.
Most command lines lack most patterns' words, so enrichment runs only the searches that can find something.

Exact, never a guess: only ASCII text is pre-checked. (?i) also matches letters outside ASCII to ASCII ones
(U+017F LATIN SMALL LETTER LONG S to `s`, U+212A KELVIN SIGN to `k`) that str.lower() keeps as they are, so
text that is not ASCII is always searched.
"""
from __future__ import annotations


def ascii_lower(text: str) -> str | None:
    """`text` in lower case when it is ASCII (for may_match); None when it is not."""
    return text.lower() if text.isascii() else None


def may_match(words, lowered: str | None) -> bool:
    """False only when `lowered` (ascii_lower's answer) holds none of `words` (lower-case ASCII); None words:
    the pattern needs no word, always search."""
    if words is None or lowered is None:
        return True
    for word in words:      # a loop, not any(generator): this runs a dozen times per hit
        if word in lowered:
            return True
    return False
