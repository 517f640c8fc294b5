"""Kubernetes name rules, checked at the boundary before any request.

A user value becomes part of a URL path. An empty name turns `DELETE .../inferenceservices/NAME`
into a collection delete, `..` walks up a path segment, and a slash addresses another resource:
so every name and namespace a user types is checked here, exactly as the API server would
check it, and refused as a usage error (exit 2) before anything is sent. `resources.Resource.path`
checks again with `check_path_segment`, so a value that slipped past the boundary still cannot
address a collection (defence in depth).
"""

from __future__ import annotations

import re
from typing import Optional

from kubectl_nim.errors import UsageError

DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

# kind -> (pattern, longest, what the rule is called in messages)
RULES = {
    "dns1035": (DNS1035_LABEL, 63, "a DNS-1035 label: lowercase letters, digits and '-', "
                                   "starting with a letter, at most 63 characters"),
    "label": (DNS1123_LABEL, 63, "a DNS-1123 label: lowercase letters, digits and '-', "
                                 "starting and ending with a letter or digit, at most 63 "
                                 "characters"),
    "subdomain": (DNS1123_SUBDOMAIN, 253, "a DNS-1123 subdomain: lowercase letters, digits, "
                                          "'-' and '.', at most 253 characters"),
}


def problem(value: str, kind: str) -> Optional[str]:
    """Why `value` breaks rule `kind`, or None when it is valid."""
    pattern, longest, _ = RULES[kind]
    if not value:
        return "it must not be empty"
    if value in (".", ".."):
        return f"{value!r} is not a name"
    if len(value) > longest:
        return f"it is {len(value)} characters, at most {longest} are allowed"
    if not pattern.fullmatch(value):
        return "it breaks the naming rule"
    return None


def check(value: str, kind: str, what: str) -> str:
    """`value` if it obeys rule `kind`; else a UsageError naming `what` and the rule."""
    why = problem(value, kind)
    if why:
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise UsageError(f"invalid {what} {shown!r}: {why}", hint=f"it must be {RULES[kind][2]}")
    return value


def check_namespace(value: str, what: str = "namespace") -> str:
    return check(value, "label", what)


def check_path_segment(value: str, what: str) -> str:
    """The last line of defence in URL building: never an empty, dot or slash-bearing segment,
    whatever the caller validated (or forgot to)."""
    if not value or value in (".", "..") or "/" in value or "\\" in value or "?" in value \
            or "#" in value or "%" in value:
        raise UsageError(f"refusing to address {what} {value!r}: not a valid object name",
                         hint="name one object explicitly (a lowercase DNS-1123 name)")
    return value
