"""Syslog headers (RFC 3164, RFC 5424, or none) and LEEF 1.0 / 2.0 payloads.

LEEF 1.0: `LEEF:1.0|Vendor|Product|Version|EventID|k=v<TAB>k=v`
LEEF 2.0: `LEEF:2.0|Vendor|Product|Version|EventID|Delimiter|k=v<D>k=v`; the delimiter is one
character or its hex code (`x5E`, `0x5E`, `\\x5E`), an empty field means tab. A `|` inside a header
field is written `\\|`.
"""
import re

_RFC5424 = re.compile(r"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) ?(.*)$", re.S)
_RFC3164 = re.compile(r"^<(\d{1,3})>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?:(\S+) )?(.*)$", re.S)
_PRI_ONLY = re.compile(r"^<(\d{1,3})>(.*)$", re.S)
_HEX_DELIMITER = re.compile(r"^(?:0x|x|\\x)([0-9a-fA-F]{2,4})$")


class LeefError(ValueError):
    pass


def _nil(value):
    return None if value == "-" else value


def _split_structured_data(rest):
    """RFC 5424 STRUCTURED-DATA is `-` or one or more [..] blocks (with \\] escapes); then MSG."""
    if rest.startswith("-"):
        return "-", rest[2:] if rest.startswith("- ") else rest[1:]
    i = 0
    while i < len(rest) and rest[i] == "[":
        i += 1
        while i < len(rest) and rest[i] != "]":
            i += 2 if rest[i] == "\\" else 1
        i += 1
    return rest[:i], rest[i + 1:] if rest[i:i + 1] == " " else rest[i:]


def parse_syslog(text):
    """-> {"format", "pri", "facility", "severity", "timestamp", "hostname", "app_name", "msg"}."""
    text = text.rstrip("\r\n\x00")
    m = _RFC5424.match(text)
    if m:
        _, msg = _split_structured_data(m.group(7))
        pri = int(m.group(1))
        return {"format": "rfc5424", "pri": pri, "facility": pri // 8, "severity": pri % 8,
                "timestamp": _nil(m.group(2)), "hostname": _nil(m.group(3)), "app_name": _nil(m.group(4)),
                "msg": msg.lstrip("\ufeff")}
    m = _RFC3164.match(text)
    if m:
        pri, host, msg = int(m.group(1)), m.group(3), m.group(4)
        if host and host.startswith("LEEF:"):      # no HOSTNAME: the LEEF header came right after the time
            host, msg = None, f"{host} {msg}"
        return {"format": "rfc3164", "pri": pri, "facility": pri // 8, "severity": pri % 8,
                "timestamp": m.group(2), "hostname": host, "app_name": None, "msg": msg}
    m = _PRI_ONLY.match(text)
    pri, msg = (int(m.group(1)), m.group(2)) if m else (None, text)
    return {"format": "none", "pri": pri, "facility": None if pri is None else pri // 8,
            "severity": None if pri is None else pri % 8, "timestamp": None, "hostname": None,
            "app_name": None, "msg": msg}


def _split_header(text, max_fields):
    """Split on unescaped `|` into at most max_fields parts (the last keeps the rest verbatim)."""
    parts, current, i = [], "", 0
    while i < len(text):
        ch = text[i]
        if len(parts) == max_fields - 1:
            parts.append(text[i:])
            return parts
        if ch == "\\" and text[i + 1:i + 2] == "|":
            current += "|"
            i += 2
            continue
        if ch == "|":
            parts.append(current)
            current = ""
        else:
            current += ch
        i += 1
    parts.append(current)
    return parts


def _delimiter(spec):
    if spec == "":
        return "\t"
    m = _HEX_DELIMITER.match(spec)
    if m:
        return chr(int(m.group(1), 16))
    if len(spec) == 1:
        return spec
    return None


def parse_leef(msg):
    """The LEEF record inside a syslog MSG (a tag such as `app: ` may precede it)."""
    start = msg.find("LEEF:")
    if start < 0:
        raise LeefError("no LEEF header")
    text = msg[start:].rstrip("\r\n\x00")
    version = text[5:text.find("|")] if "|" in text else ""
    if version not in ("1.0", "2.0", "1", "2"):
        raise LeefError(f"unsupported LEEF version {version!r}")
    version = version if "." in version else version + ".0"
    parts = _split_header(text, 7 if version == "2.0" else 6)
    if len(parts) < 5:
        raise LeefError("LEEF header needs Vendor|Product|Version|EventID")
    delimiter, attributes = "\t", ""
    if version == "1.0":
        attributes = parts[5] if len(parts) > 5 else ""
    elif len(parts) == 7 and _delimiter(parts[5]) is not None:
        delimiter, attributes = _delimiter(parts[5]), parts[6]
    elif len(parts) >= 6:      # LEEF 2.0 without a delimiter field: tab, as in 1.0
        attributes = "|".join(parts[5:])
    return {"version": version, "vendor": parts[1], "product": parts[2], "product_version": parts[3],
            "event_id": parts[4], "delimiter": delimiter, "attributes": _attributes(attributes, delimiter)}


def _attributes(text, delimiter):
    out = {}
    for piece in text.split(delimiter):
        if "=" not in piece:
            continue
        key, value = piece.split("=", 1)
        if key.strip():
            out[key.strip()] = value.strip("\r\n")
    return out
