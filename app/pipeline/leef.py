"""LEEF 1.0 / 2.0 event text for QRadar, safe for attacker-controlled values.

    LEEF:2.0|ExfilWatch|ExfilWatch|0.1.0|T1048.002|x09|src=10.1.2.3<TAB>usrName=CORP\\alice<TAB>...

Everything in an event that comes from telemetry (user names, image names, host names) is controlled
by whoever runs code on the endpoint, so the text must not let a value add, end or replace an attribute,
break the LEEF header, or start a second syslog message. The rules (see tests/app/test_leef.py):

- **Header fields** (vendor, product, version, event id): ``|`` is written ``\\|`` and ``\\`` is written
  ``\\\\`` (LEEF's header escape; the backslash too, or a field ending in one would escape the separator).
  Control characters are dropped.
- **Attribute values**: the delimiter never appears raw (LEEF has no escape a console honours for it, so
  it is replaced by a visible escape: ``\\t`` for tab, else ``\\xHH``), and neither do line breaks or
  other control characters (``\\n``, ``\\r``, ``\\xHH``, ``\\uHHHH`` for U+0085, U+2028, U+2029, lone
  surrogates, and the bidi and zero-width format characters: app/pipeline/safe_text.py): a value cannot end
  the message or split into a second attribute, nor reorder or hide what the analyst reads.
  ``=`` and ``\\`` are left as they are on purpose: a pair is split at the delimiter and then at its first
  ``=``, so ``=`` in a value is unambiguous (proxies send ``url=...?a=b`` this way), and QRadar takes
  values verbatim, so escaping the backslash would turn ``CORP\\alice`` into a different user name.
- **Keys** are ours; anything but ``[A-Za-z][A-Za-z0-9_]*`` is refused.
Values are cut AFTER escaping at ``MAX_VALUE_CHARS`` (marked with ``...``; never inside an escape), so a value
full of escaped characters cannot grow past its limit; callers may ask for a smaller limit (UDP).
"""
from __future__ import annotations

import re
from typing import Mapping

from .safe_text import cut_escaped, is_unsafe

VERSIONS = ("1.0", "2.0")
DEFAULT_DELIMITER = "\t"
MAX_VALUE_CHARS = 1024
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Characters that can never be a LEEF 2.0 delimiter: they have a meaning in the header or in a pair.
_BAD_DELIMITERS = set("|\\= ") | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


class LeefFormatError(ValueError):
    """An event the formatter refuses to write (bad key, delimiter or version): a bug in the caller."""


def escape_header(value) -> str:
    """One LEEF header field: ``\\`` and ``|`` escaped, control and format characters dropped."""
    text = "".join(ch for ch in str(value)[:MAX_VALUE_CHARS] if not is_unsafe(ch))
    return text.replace("\\", "\\\\").replace("|", "\\|")


def escape_value(value, delimiter: str = DEFAULT_DELIMITER, limit: int = MAX_VALUE_CHARS) -> str:
    """One attribute value: no raw delimiter, line break, control or format character; at most `limit`
    characters once escaped."""
    text = value if isinstance(value, str) else _text(value)
    return cut_escaped(text, limit, also=delimiter)


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def delimiter_spec(delimiter: str) -> str:
    """How the LEEF 2.0 header names the delimiter: printable punctuation as itself, anything else as
    ``xHH`` (the tab is ``x09``)."""
    if len(delimiter) != 1 or delimiter in _BAD_DELIMITERS or ord(delimiter) > 0xFF:
        raise LeefFormatError(f"{delimiter!r} cannot be a LEEF attribute delimiter")
    return delimiter if 0x21 <= ord(delimiter) <= 0x7E else f"x{ord(delimiter):02X}"


def format_leef(event_id: str, attributes: Mapping[str, object], *, vendor: str = "ExfilWatch",
                product: str = "ExfilWatch", product_version: str = "0", version: str = "2.0",
                delimiter: str = DEFAULT_DELIMITER, max_value_chars: int = MAX_VALUE_CHARS) -> str:
    """The LEEF record (no syslog header). Attributes whose value is None are left out; order is kept."""
    if version not in VERSIONS:
        raise LeefFormatError(f"LEEF version must be one of {VERSIONS}, not {version!r}")
    if version == "1.0" and delimiter != "\t":
        raise LeefFormatError("LEEF 1.0 separates attributes with a tab; use LEEF 2.0 for another delimiter")
    spec = delimiter_spec(delimiter)
    header = [f"LEEF:{version}", *(escape_header(v) for v in (vendor, product, product_version, event_id))]
    if version == "2.0":
        header.append(spec)
    pairs = []
    for key, value in attributes.items():
        if not isinstance(key, str) or not _KEY.match(key):
            raise LeefFormatError(f"{key!r} is not a valid LEEF attribute key")
        if value is not None:
            pairs.append(f"{key}={escape_value(value, delimiter, max_value_chars)}")
    return "|".join(header) + "|" + delimiter.join(pairs)
