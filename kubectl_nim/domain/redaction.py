"""Redaction of what goes into a support bundle: objects and text, pure.

Two layers, both needed. Objects: every Secret's `data`/`stringData` value, the
last-applied-configuration annotation (which repeats them), and env values whose name says key,
token or password are replaced by a marker that tells the value's size but not the value. Text:
every known secret value (the deployment's secrets, decoded) is removed in every form it can take
in a file — raw, base64 at any of the three byte alignments (a value inside a larger base64 blob,
like the `auth` of a dockerconfigjson) — and so is anything that looks like an NVIDIA key.
"""

from __future__ import annotations

import base64
import binascii
import copy
import functools
import json
import re
from typing import Any, Iterable

from kubectl_nim.domain.names import LAST_APPLIED_ANNOTATION

MARK = "<redacted>"
MIN_LENGTH = 8  # shorter values ("true", "1") are too common to scrub from text
KEY_PATTERN = re.compile(r"nvapi-[A-Za-z0-9_\-]{8,}")
SECRETISH_ENV = re.compile(r"(KEY|TOKEN|PASSWORD|SECRET|CREDENTIAL)", re.I)


def redact_object(obj: Any) -> Any:
    """A copy with every secret value replaced (the object's shape and keys are kept)."""
    obj = copy.deepcopy(obj)
    if isinstance(obj, dict) and obj.get("kind") == "Secret":
        for field in ("data", "stringData"):
            values = obj.get(field)
            if isinstance(values, dict):
                obj[field] = {k: f"{MARK} ({_size(v, field == 'data')} bytes)"
                              for k, v in values.items()}
    _walk(obj)
    return obj


def _size(value: Any, encoded: bool) -> int:
    if not isinstance(value, str):
        return 0
    if encoded:
        try:
            return len(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            return len(value)
    return len(value.encode())


def _walk(node: Any) -> None:
    if isinstance(node, dict):
        annotations = node.get("annotations")
        if isinstance(annotations, dict) and LAST_APPLIED_ANNOTATION in annotations:
            annotations[LAST_APPLIED_ANNOTATION] = MARK
        env = node.get("env")
        if isinstance(env, list):
            for item in env:
                if isinstance(item, dict) and "value" in item and \
                        SECRETISH_ENV.search(str(item.get("name", ""))):
                    item["value"] = MARK
        for value in node.values():
            _walk(value)
    elif isinstance(node, list):
        for item in node:
            _walk(item)


def secret_values(secrets: Iterable[dict]) -> set[str]:
    """Every value worth scrubbing from text: each data value decoded, and for a
    dockerconfigjson its passwords and auth strings (and what those decode to)."""
    found: set[str] = set()
    for secret in secrets:
        for field, encoded in (("data", True), ("stringData", False)):
            for value in ((secret or {}).get(field) or {}).values():
                text = _decode(value) if encoded else value
                if isinstance(text, str):
                    found.add(text)
                    found |= _dockerconfig_values(text)
    return {v for v in found if len(v) >= MIN_LENGTH}


def _decode(value: Any) -> str | None:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError):
        return None


def _dockerconfig_values(text: str) -> set[str]:
    try:
        doc = json.loads(text)
    except ValueError:
        return set()
    found: set[str] = set()
    auths = doc.get("auths") if isinstance(doc, dict) else None
    for entry in (auths or {}).values() if isinstance(auths, dict) else ():
        if not isinstance(entry, dict):
            continue
        for key in ("password", "auth", "identitytoken"):
            if isinstance(entry.get(key), str):
                found.add(entry[key])
        auth = _decode(entry.get("auth"))
        if auth:
            found.add(auth)
            found.add(auth.partition(":")[2])
    return found


def forms(value: str) -> list[str]:
    """The strings under which `value` can appear in a file: raw, and base64 at the three
    alignments (the stable middle of the encoding, whatever bytes surround it)."""
    raw = value.encode()
    out = [value]
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + raw).decode().rstrip("=")
        start = 4 if offset else 0          # chars that mix the padding bytes in
        end = len(encoded) - 4 if len(encoded) > 8 else len(encoded)  # and the next bytes
        middle = encoded[start:end]
        if len(middle) >= MIN_LENGTH:
            out.append(middle)
        if offset == 0:
            out.append(base64.b64encode(raw).decode())
            out.append(base64.urlsafe_b64encode(raw).decode())
    return sorted(set(out), key=len, reverse=True)


# A line break a wrapping tool inserts (base64 -w 76, PEM's 64 columns, fold), with the next
# line's indentation: a value may continue after it.
_BREAK = r"(?:\r?\n[ \t]*)?"


@functools.lru_cache(maxsize=256)
def _wrapped(form: str) -> "re.Pattern[str]":
    return re.compile(_BREAK.join(re.escape(c) for c in form))


def scrub(text: str, values: Iterable[str]) -> str:
    """`text` without any form of any of `values` (also wrapped over several lines), nor
    anything that looks like a key (also wrapped)."""
    # Unwrapped once: a form absent from it is absent wrapped too (the cheap common case).
    flat = re.sub(r"\r?\n[ \t]*", "", text) if "\n" in text else ""
    for value in sorted(set(values), key=len, reverse=True):
        for form in forms(value):
            text = text.replace(form, MARK)
            if form in flat:
                text = _wrapped(form).sub(MARK, text)
    text = WRAPPED_KEY.sub(MARK, text)
    return KEY_PATTERN.sub(MARK, text)


# An NVIDIA key folded over lines: nvapi- then its characters, across a line break only into a
# line made of key characters alone (a folded key's continuation; not the next log line's text).
WRAPPED_KEY = re.compile(r"n" + _BREAK + r"v" + _BREAK + r"a" + _BREAK + r"p" + _BREAK + r"i"
                         + _BREAK + r"-(?:[A-Za-z0-9_\-]|\r?\n[ \t]*"
                         r"(?=[A-Za-z0-9_\-]+(?:\r?\n|$))){8,}")


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def member_name(name: object) -> str:
    """A name from the server (pod, container, claim, secret) made safe as one path component
    of a bundle member: no separator, no `..`, no control or odd character, bounded; anything
    else is replaced by `_` (a Kubernetes name is already safe and stays as it is)."""
    text = _UNSAFE.sub("_", name if isinstance(name, str) else str(name))[:200]
    return "_" + text if not text or text.startswith(".") else text
