"""The one error type the CLI reports, and the exit codes of SPEC §2.

Every failure the user can cause or meet is raised as a `NimError` carrying a one-line message
(what happened) and an optional hint (what to do). The CLI shell turns it into a single stderr
line and the exit code; nothing else prints errors.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3  # validate-key: NVIDIA could not be reached (CI tells it apart from "rejected")


class NimError(Exception):
    """A failure with a message meant for the user."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, hint: str | None = None, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class UsageError(NimError):
    """Bad flags or arguments: exit 2, like click's own usage errors."""

    exit_code = EXIT_USAGE


class NotFound(NimError):
    """A model, tag, deployment or object the user named does not exist."""


class KeyRejected(NimError):
    """NVIDIA (or our own pre-checks) refused the API key."""


class NvidiaUnreachable(NimError):
    """NVIDIA's API could not be reached or kept failing: exit 3 for validate-key."""

    exit_code = EXIT_UNREACHABLE


class Day2Error(NimError):
    """A day-2 verb (rotate-key, migrate, delete) refuses or stops: what is there does not allow it."""


class ClusterError(NimError):
    """The Kubernetes API answered with an error or could not be reached."""

    def __init__(self, message: str, hint: str | None = None, status: int | None = None,
                 reason: str | None = None, never_sent: bool = False):
        super().__init__(message, hint)
        self.status = status
        self.reason = reason
        # True only when the request provably never reached the server (connection refused,
        # unknown host, TLS handshake failed): a write that failed so was certainly not applied.
        self.never_sent = never_sent
