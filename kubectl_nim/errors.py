"""The error types the CLI reports.

Every failure the user can cause or meet is raised as a `NimError` carrying a one-line message
(what happened) and an optional hint (what to do). The CLI's boundary turns it into a single
stderr line and an exit code (kubectl_nim/cli/exit_status.py: the one mapping from these types to
the codes of SPEC §2); nothing else prints errors or picks codes.
"""

from __future__ import annotations


class NimError(Exception):
    """A failure with a message meant for the user. `signal`: the SIGINT/SIGTERM/SIGHUP that
    stopped the work (the exit code is then 128+N, whatever the error)."""

    def __init__(self, message: str, hint: str | None = None,
                 signal: BaseException | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.signal = signal

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class UsageError(NimError):
    """Bad flags or arguments (exit 2, like click's own usage errors)."""


class NotFound(NimError):
    """A model, tag, deployment or object the user named does not exist."""


class KeyRejected(NimError):
    """NVIDIA (or our own pre-checks) refused the API key."""


class NvidiaUnreachable(NimError):
    """NVIDIA's API could not be reached or kept failing (exit 3, from every verb)."""


class DiffFailed(NimError):
    """`diff` could not compare. kubectl diff exits 1 for "differences", so its failures exit 2."""


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
