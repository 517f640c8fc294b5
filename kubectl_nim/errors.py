"""The error types the CLI reports.

Every failure the user can cause or meet is raised as a `NimError` carrying a one-line message
(what happened) and an optional hint (what to do). The CLI's boundary turns it into a single
stderr line and an exit code (kubectl_nim/cli/exit_status.py: the one mapping from these types to
the codes of docs/design.md#exit-codes); nothing else prints errors or picks codes.
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
                 reason: str | None = None, never_sent: bool = False, timed_out: bool = False):
        super().__init__(message, hint)
        self.status = status
        self.reason = reason
        # True only when the request provably never reached the server (connection refused,
        # unknown host, TLS handshake failed): a write that failed so was certainly not applied.
        self.never_sent = never_sent
        self._timed_out = timed_out  # the client gave up waiting for an answer

    @property
    def timed_out(self) -> bool:
        """No answer in time: the client's own timeout, or the server's (504)."""
        return self._timed_out or self.status == 504

    @property
    def transient(self) -> bool:
        """Worth another try after a pause (adapters/retry decides how long): throttled (429), a
        server error (5xx), or no answer at all (a restarting server looks the same)."""
        return self.status is None or self.status == 429 or 500 <= self.status < 600

    @property
    def unavailable(self) -> bool:
        """No answer at all (connection refused or dropped, not a timeout), or the server says it
        cannot serve yet (429, 503: an API server starting again answers "storage is
        (re)initializing"): worth waiting for, unlike a 500, which is its answer."""
        return (self.status is None and not self.timed_out) or self.status in (429, 503)

    @property
    def may_have_applied(self) -> bool:
        """May the failed write have been carried out? The one answer every rollback and retry
        uses. Yes when no answer came (timeout, dropped connection) unless the request provably
        never left, and for any 5xx: a 504 says the request may still complete, a 500 can wrap
        a storage timeout after the write reached etcd, a 502/503 can come from a proxy in front
        of a server that did the work."""
        if self.never_sent:
            return False
        return self.status is None or self.status >= 500

    # What an answer means, for the use cases: they ask these instead of comparing HTTP codes.
    @property
    def forbidden(self) -> bool:
        """403: RBAC said no (or the namespace is terminating)."""
        return self.status == 403

    @property
    def not_found(self) -> bool:
        """404: no such object (or the cluster does not serve the type)."""
        return self.status == 404

    @property
    def forbidden_or_missing(self) -> bool:
        """403 or 404: what an optional read falls through on."""
        return self.forbidden or self.not_found

    @property
    def conflict(self) -> bool:
        """409: a resourceVersion or field-manager conflict, or the object already exists."""
        return self.status == 409

    @property
    def expired(self) -> bool:
        """410 Gone: a watch's resourceVersion is too old; start again from the current state."""
        return self.status == 410

    @property
    def cannot_watch(self) -> bool:
        """403, 404, 405 or 501 to a watch: this server (or the user) cannot watch there."""
        return self.forbidden_or_missing or self.status in (405, 501)

    @property
    def bad_request(self) -> bool:
        """400: the server refused the request as malformed (or, for pods/log, not yet)."""
        return self.status == 400

    @property
    def rejected_content(self) -> bool:
        """400 or 422: the server refused what was sent (schema, strict field validation)."""
        return self.status in (400, 422)

    @property
    def may_land_later(self) -> bool:
        """May have been applied and had no final answer (no answer, or a 504): the server may
        still carry it out after we gave up, so a rollback waits a grace period for it. A 5xx
        answer is final: whatever was applied is there now."""
        return self.may_have_applied and (self.status is None or self.status == 504)
