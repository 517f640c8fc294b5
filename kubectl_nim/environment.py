"""What a run of the plugin gets from its surroundings: streams, terminals, clocks, variables.

One `Environment` is made per run by the root command (`cli/root.NimGroup.main`) and passed down:
commands read it from the click context (`cli/context.get_environment`), use cases and adapters
get what they need of it as parameters (`sleep=`, `clock=`...). Nothing below the CLI reads
`sys.stdin.isatty()`, `time.sleep` or `os.environ` for itself, so a test hands in a terminal, a
clock that jumps and variables of its own instead of patching module globals (the httpie
`Environment` is the model).

Fields left `None` are taken from the process when the run starts (`bind`): a test can build an
Environment before click's CliRunner swaps the standard streams, and still get the swapped ones.

Imports only the standard library: every layer may import this module, `--help` included.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Callable, Mapping, Optional

if TYPE_CHECKING:
    from datetime import datetime


def _now() -> "datetime":
    from datetime import datetime, timezone  # only when a verb stamps something: start-up

    return datetime.now(timezone.utc)


def isatty(stream: Optional[IO]) -> bool:
    """A stream that is a terminal; a replaced, closed or missing one is not."""
    try:
        return bool(stream is not None and stream.isatty())
    except (AttributeError, ValueError):
        return False


@dataclass(frozen=True)
class Environment:
    stdin: Optional[IO] = None
    stdout: Optional[IO] = None
    stderr: Optional[IO] = None
    # THE terminal check of the plugin: the key prompt and delete's confirmation ask stdin,
    # spinners and progress lines ask stderr. None = ask the stream when the run starts.
    stdin_isatty: Optional[bool] = None
    stdout_isatty: Optional[bool] = None
    stderr_isatty: Optional[bool] = None
    environ: Optional[Mapping[str, str]] = field(default=None, repr=False)
    clock: Callable[[], float] = time.monotonic       # durations and deadlines
    now: Callable[[], "datetime"] = _now                # wall-clock timestamps (UTC)
    sleep: Callable[[float], None] = time.sleep        # every wait between retries or polls
    # How long a silent API server may take before the user is told (None = the adapter's 5s).
    slow_notice_after: Optional[float] = None
    # How long a failed deploy's or cache's rollback rides out an API server that does not
    # answer (None = app/deploy_rollback.PATIENCE, 10s). Tests that stop a real API server
    # shorten it rather than wait it out.
    rollback_patience: Optional[float] = None
    # Where a pod's service-account token is mounted (None = Kubernetes' standard path).
    service_account_dir: Optional[str] = None
    # Waits (--wait) follow the API server's watches, on the real clock; False: they poll with
    # `sleep` (tests that drive time through an injected sleep and clock).
    watch: bool = True
    # The console of the use cases: a notice and a warning line, on stderr through the redacting
    # log (kubectl_nim.log's by default). A test hands in its own.
    notice: Callable[[str], None] = field(default=lambda text: _log("notice", text), repr=False)
    warn: Callable[[str], None] = field(default=lambda text: _log("warn", text), repr=False)

    @classmethod
    def default(cls, **fields) -> "Environment":
        """The real one: this process's streams, terminals, clocks and variables."""
        return cls(**fields).bind()

    def bind(self) -> "Environment":
        """Fill what was left open from the process as it is now (the current sys streams)."""
        stdin = sys.stdin if self.stdin is None else self.stdin
        stdout = sys.stdout if self.stdout is None else self.stdout
        stderr = sys.stderr if self.stderr is None else self.stderr
        return dataclasses.replace(
            self, stdin=stdin, stdout=stdout, stderr=stderr,
            stdin_isatty=isatty(stdin) if self.stdin_isatty is None else self.stdin_isatty,
            stdout_isatty=isatty(stdout) if self.stdout_isatty is None else self.stdout_isatty,
            stderr_isatty=isatty(stderr) if self.stderr_isatty is None else self.stderr_isatty,
            environ=os.environ if self.environ is None else self.environ)

    def replace(self, **fields) -> "Environment":
        return dataclasses.replace(self, **fields)

    @property
    def variables(self) -> Mapping[str, str]:
        """`environ`, or this process's variables when left open (what bind() fills in)."""
        return os.environ if self.environ is None else self.environ

    @property
    def colour(self) -> bool:
        """May stderr carry colour (https://no-color.org): a terminal, not TERM=dumb, no
        NO_COLOR. Nothing is coloured today; a verb that adds colour asks this."""
        environ = self.variables
        return bool(self.stderr_isatty) and environ.get("TERM") != "dumb" \
            and not environ.get("NO_COLOR")


def _log(level: str, text: str) -> None:
    """The default console: kubectl_nim.log (standard library only, like this module)."""
    from kubectl_nim import log

    getattr(log, level)(text)
