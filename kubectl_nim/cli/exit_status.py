"""The exit codes of docs/design.md#exit-codes, and the one place that maps an error to one.

Errors say what went wrong (kubectl_nim/errors.py); which code a script sees is decided here, at
the boundary, so that the same failure exits alike from every verb: NVIDIA unreachable is 3 from
`validate-key`, `deploy`, `rotate-key`, `migrate` and `catalog` (a script can tell "retry later"
from "the key is bad").
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    SUCCESS = 0
    FAILURE = 1             # anything else that went wrong (a rejected key included)
    USAGE = 2               # bad flags or arguments, like click's own usage errors
    NVIDIA_UNREACHABLE = 3  # NVIDIA's API could not be reached or kept failing
    DIFF_FAILED = 2         # `diff` could not compare (1 means "differences", as kubectl diff)


def for_error(error: BaseException) -> int:
    """The exit code of a failure that reached the CLI's boundary."""
    import click

    from kubectl_nim import interrupts
    from kubectl_nim.errors import DiffFailed, NimError, NvidiaUnreachable, UsageError

    if isinstance(error, KeyboardInterrupt):
        return interrupts.exit_code(error)
    if isinstance(error, click.ClickException):
        return error.exit_code
    if isinstance(error, NimError) and error.signal is not None:
        return interrupts.exit_code(error.signal)  # stopped by SIGINT/SIGTERM/SIGHUP: 128+N
    if isinstance(error, UsageError):
        return ExitStatus.USAGE
    if isinstance(error, NvidiaUnreachable):
        return ExitStatus.NVIDIA_UNREACHABLE
    if isinstance(error, DiffFailed):
        return ExitStatus.DIFF_FAILED
    return ExitStatus.FAILURE
