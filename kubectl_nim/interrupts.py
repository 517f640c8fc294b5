"""SIGINT, SIGTERM and SIGHUP, handled alike: as an `Interrupted` exception.

CI cancellation, `timeout` and pod eviction send SIGTERM; a closed terminal sends SIGHUP. Python
only turns SIGINT into KeyboardInterrupt, so the other two used to kill the plugin mid-deploy with
nothing rolled back and nothing printed. Here all three raise `Interrupted`, a KeyboardInterrupt
subclass, so every `except KeyboardInterrupt` rollback path serves all three, and the exit code
says which signal it was: 128 + signal number (130 SIGINT, 143 SIGTERM, 129 SIGHUP).

`deferred()` protects a write in flight: the first signal waits until the block is done (the
write is finished, not abandoned half-way, so the rollback knows what exists); a second signal
during the block is delivered at once (the user insists).
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

HANDLED = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None),
                            getattr(signal, "SIGHUP", None)) if s is not None)


class Interrupted(KeyboardInterrupt):
    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"


def exit_code(error: BaseException | None) -> int:
    """128 + the signal that interrupted us; 130 for a plain KeyboardInterrupt."""
    return 128 + int(getattr(error, "signum", signal.SIGINT))


def signal_name(error: BaseException | None) -> str:
    return error.name if isinstance(error, Interrupted) else "SIGINT"


def describe(error: BaseException | None) -> str:
    """`interrupted` for Ctrl-C (as before), `interrupted by SIGTERM` for the others."""
    name = signal_name(error)
    return "interrupted" if name == "SIGINT" else f"interrupted by {name}"


def _raise(signum, frame):
    raise Interrupted(signum)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def _handled_by(handler) -> Iterator[None]:
    """The three signals go to `handler` inside the block; the previous handlers come back."""
    previous = {}
    for sig in HANDLED:
        try:
            previous[sig] = signal.signal(sig, handler)
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def installed() -> Iterator[None]:
    """For the duration of one CLI invocation: the three signals raise Interrupted."""
    if not _main_thread():
        yield
        return
    with _handled_by(_raise):
        yield


@contextmanager
def deferred() -> Iterator[None]:
    """Finish the block before a (first) signal is delivered; see the module docstring."""
    if not _main_thread():
        yield
        return
    pending: list[int] = []

    def hold(signum, frame):
        if pending:  # second signal: deliver now
            raise Interrupted(signum)
        pending.append(signum)

    with _handled_by(hold):
        yield
    if pending:
        raise Interrupted(pending[0])
