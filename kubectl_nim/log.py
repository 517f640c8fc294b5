"""Debug logging for `-v`, with every registered secret redacted.

The API key is registered here the moment it is read, so that no `-v` line, error message or
traceback the CLI prints can contain it, whatever code path produced the text.
"""

from __future__ import annotations

import base64
import re
import sys

_secrets: set[str] = set()
# Anything shaped like a personal NVIDIA key is redacted even when it was never registered: a key
# typed as an extra argument, or one a server quotes back.
KEY_SHAPE = re.compile(r"nvapi-[A-Za-z0-9_-]+")
# Shorter secrets would redact ordinary words from messages; no key is this short.
_MIN_ENCODED = 8
_verbosity = 0
REDACTED = "<redacted>"


def register_secret(value: str) -> None:
    """Redact `value` and its base64 forms from everything printed from now on."""
    if value:
        _secrets.add(value)
        if len(value) >= _MIN_ENCODED:
            _secrets.update(base64_forms(value))


def base64_forms(secret: str) -> set[str]:
    """The base64 text that encodes `secret` wherever it sits inside a longer value.

    Secret data is base64 on the wire, and a server message may quote a whole `data` field (a
    dockerconfigjson holding the key, `$oauthtoken:KEY`): the key's bytes land at one of three
    offsets modulo 3, so for each offset the characters determined only by the key's bytes are
    a fixed string. Redacting those three (and the standard, URL-safe whole encodings) removes
    the key from any base64 blob that contains it.
    """
    raw = secret.encode()
    forms = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode()
        start = (shift * 8 + 5) // 6            # first character made of key bits only
        end = ((shift + len(raw)) * 8) // 6     # last character made of key bits only
        middle = encoded[start:end]
        if len(middle) >= _MIN_ENCODED:
            forms.add(middle)
            forms.add(middle.replace("+", "-").replace("/", "_"))
    return forms


def forget_secrets() -> None:
    _secrets.clear()


def redact(text: str) -> str:
    # Longest first, so that a secret containing another is removed whole.
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return KEY_SHAPE.sub(REDACTED, text)


def set_verbosity(level: int) -> None:
    global _verbosity
    _verbosity = level


def verbosity() -> int:
    return _verbosity


def _line(text: str) -> None:
    # One write per line: print() writes text and newline separately, and concurrent requests
    # logging under -v would interleave them.
    sys.stderr.write(redact(text) + "\n")
    sys.stderr.flush()


def debug(message: str, level: int = 1) -> None:
    if _verbosity >= level:
        _line(f"debug: {message}")


def notice(message: str) -> None:
    """A one-line informational message on stderr (never on stdout, which scripts parse)."""
    _line(message)


def warn(message: str) -> None:
    _line(f"warning: {message}")
