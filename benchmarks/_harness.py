"""Shared helpers for the benchmark scripts: timing child processes and running fake servers.

Each measurement runs a command N times as a child process and keeps the median wall time and
the child's own peak RSS (os.wait4 gives the rusage of exactly that child).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def precompile() -> None:
    """Byte-compile the plugin first, as an installed wheel (pip) or the binary ships it: with
    PYTHONDONTWRITEBYTECODE set (some shells and CI images do), every run would otherwise
    compile the changed modules from source again, ~25 ms that no user pays."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "kubectl_nim")],
                   check=True)


def tool(name: str) -> str:
    """A console script or binary next to this interpreter, else on PATH."""
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    import shutil

    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found next to {sys.executable} or on PATH")
    return found


@dataclass
class Measurement:
    label: str
    median_s: float
    min_s: float
    peak_rss_mib: float
    runs: int
    argv: tuple = ()

    def row(self) -> str:
        return (f"| {self.label} | {self.median_s * 1000:.0f} ms | {self.min_s * 1000:.0f} ms | "
                f"{self.peak_rss_mib:.1f} MiB |")


def measure(label: str, argv: list[str], runs: int = 15, env: dict | None = None,
            warmup: int = 2, check: bool = True) -> Measurement:
    times, peaks = [], []
    for i in range(warmup + runs):
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if check and proc.returncode != 0:
            raise SystemExit(f"{label}: {' '.join(argv)} exited {proc.returncode}: "
                             f"{proc.stderr.read().decode()[-500:]}")
        proc.stderr.close()
        if i >= warmup:
            times.append(elapsed)
            peaks.append(usage.ru_maxrss / 1024)  # KiB on Linux
    return Measurement(label, statistics.median(times), min(times), max(peaks), runs, tuple(argv))


def paired_ratio(argv: list[str], reference: list[str], runs: int = 15,
                 env: dict | None = None) -> float:
    """Median of per-pair ratios argv/reference, the two run back to back in each pair.

    On a shared machine the load drifts during a benchmark; a pair sees the same load, so the
    ratio of a pair is steadier than a ratio of two medians taken minutes apart."""
    ratios = []
    for _ in range(runs + 1):
        pair = []
        for command in (list(argv), list(reference)):
            started = time.perf_counter()
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env=env, check=True)
            pair.append(time.perf_counter() - started)
        ratios.append(pair[0] / pair[1])
    return statistics.median(ratios[1:])  # the first pair warms the caches


class FakeServer:
    """A fake server script started standalone; its URL is the first line it prints."""

    def __init__(self, script: str, *args: str):
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fakes" / script),
                                      *args], stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise SystemExit(f"{script} did not start: {self.url!r}")

    def admin(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None

    def requests(self) -> list[dict]:
        return self.admin("GET", "/_fake/requests")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def table(title: str, rows: list[Measurement]) -> str:
    lines = [f"### {title}", "", "| command | median | min | peak RSS |", "|---|---|---|---|"]
    lines += [m.row() for m in rows]
    return "\n".join(lines) + "\n"
