"""Debug logging for `-v`, with every registered secret redacted.

The API key is registered here the moment it is read, so that no `-v` line, error message or
traceback the CLI prints can contain it, whatever code path produced the text.
"""

from __future__ import annotations

import sys

_secrets: set[str] = set()
_verbosity = 0
REDACTED = "<redacted>"


def register_secret(value: str) -> None:
    if value:
        _secrets.add(value)


def forget_secrets() -> None:
    _secrets.clear()


def redact(text: str) -> str:
    # Longest first, so that a secret containing another is removed whole.
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


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
