"""What a tuning exception's condition matches, said in words for the admin page and the API (`matches`).

The words follow the matching rules exactly (app/store/exception_spec.py builds the expressions, the pipeline
applies them), including what a condition does NOT match, because that is what an administrator gets wrong:
a bare image name is not a path, a user without a domain is not a domain account, a host name is the one the
console's asset model holds, not the one the endpoint reports.
"""
from __future__ import annotations

ANY_DOMAIN = "*\\"
# Text longer than these is never matched by a condition (the hit stays visible): Windows allows no longer
# command line or path, and the cap bounds what an administrator's pattern can cost on crafted text
# (app/store/regex_safety.py keeps that cost at most quadratic). It is part of the expression itself, so the
# console (IMATCHES) and the app decide the same way.
MAX_MATCH_CHARS = {"command_line": 4096, "process_image": 32767, "parent_image": 32767, "source_host": 255,
                   "username": 512, "destination_domain": 255, "tool": 255}
CASE = "ignoring case of A-Z only"


def is_bare_name(pattern: str) -> bool:
    return not any(sep in pattern for sep in "\\/")


def _wild(value: str) -> str:
    return " (* any run of characters, ? one character)" if set(value) & set("*?") else ""


def describe_condition(condition) -> str:
    field, value = condition.field, condition.value
    if field == "username":
        if value.startswith(ANY_DOMAIN):
            return (f"the user is {value[2:]!r} in ANY domain or none ({CASE}): also a local account of any "
                    f"computer, such as WKS42\\{value[2:]}")
        if "\\" in value:
            return f"the user is exactly {value!r} ({CASE})"
        return (f"the user is {value!r} with no domain ({CASE}); a domain account needs DOMAIN\\{value} "
                f"(or *\\{value} for any domain)")
    if field in ("source_ip", "destination_ip"):
        where = "source" if field == "source_ip" else "destination"
        return f"the {where} IP is in {value}" if "/" in value and not value.endswith(("/32", "/128")) \
            else f"the {where} IP is {value.split('/')[0]}"
    if field == "destination_port":
        return f"the destination port is {value}"
    if field == "destination_domain":
        if value.startswith("*."):
            return f"the destination host is a sub-domain of {value[2:]} (not {value[2:]} itself)"
        return f"the destination host is exactly {value}"
    if field in ("process_image", "parent_image"):
        which = "process image" if field == "process_image" else "parent process image"
        limit = MAX_MATCH_CHARS[field]
        if not is_bare_name(value):
            return (f"the {which}'s full path is {value!r}{_wild(value)}, {CASE}; never matched on a console that "
                    f"gives only file names")
        text = (f"the {which}'s file name is {value!r}{_wild(value)} in ANY folder, {CASE}")
        if field == "process_image":
            text += ("; and when the event carries the PE original file name, it must match too, so a renamed "
                     "binary never matches (that name is written by whoever built the file: prefer a full path)")
        else:
            text += " (the parent's PE name is not in the telemetry: prefer a full path)"
        return text + f"; paths over {limit} characters never match"
    if field == "command_line":
        return (f"the command line (the event's, or the correlated process's) contains a match of {value!r}, "
                f"{CASE}; command lines over {MAX_MATCH_CHARS['command_line']} characters never match")
    if field == "source_host":
        return (f"QRadar's asset model names the source IP's asset {value!r}{_wild(value)}, {CASE} (the name "
                "the endpoint or its log source reports is not used: the endpoint's administrator sets it)")
    if field == "tool":
        return (f"enrichment identified the tool as {value!r} from an image whose own file name says so; a "
                "binary renamed to or from it never matches")
    if field == "reference_set":
        return f"the hit's {value['field']} is an element of the QRadar reference set {value['set']!r}"
    return f"{field} {condition.op} {value!r}"
