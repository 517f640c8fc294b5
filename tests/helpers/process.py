"""Running the real `kubectl-nim` console script as a subprocess against the in-process fakes:
for signals (sent at chosen moments) and for truly concurrent runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

BINARY = Path(sys.executable).with_name("kubectl-nim")


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


def spawn(*args: str, key: Optional[str] = None, home: Optional[str] = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NGC_API_KEY", "KUBECONFIG", "HTTPS_PROXY", "HTTP_PROXY")}
    if key is not None:
        env["NGC_API_KEY"] = key
    if home:
        env["HOME"] = home
    return subprocess.Popen([str(BINARY), *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


# Generous deadlines: they only bound a run that hangs, and a loaded machine (CI, parallel
# suites) can make a run ten times slower than on an idle one.
FINISH_TIMEOUT = 120.0
WAIT_TIMEOUT = 60.0


def finish(process: subprocess.Popen, timeout: float = FINISH_TIMEOUT) -> Ran:
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"kubectl-nim did not exit within {timeout}s: {err}") from None
    return Ran(process.returncode, out, err)


def wait_until(condition: Callable[[], bool], timeout: float = WAIT_TIMEOUT,
               what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what or condition}")


def send(process: subprocess.Popen, signum: int) -> None:
    if process.poll() is None:
        os.kill(process.pid, signum)


SIGNALS = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGHUP": signal.SIGHUP}
