"""Start-up of two revisions of the plugin, side by side: CPU time (user + sys of the child,
from os.wait4), the steadier figure on a shared machine, alternating the two so that load
changes hit both alike.

    .venv/bin/python benchmarks/startup_ab.py REV_A REV_B [--runs 41]

Each revision's `kubectl_nim/` is unpacked with `git archive` into a temporary directory, byte
compiled, and run as `PYTHONPATH=DIR python -m kubectl_nim ...` from that directory (so the
editable install of the working tree is not what runs). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (["models", "--offline", "-o", "json"], ["models", "--offline"], ["--help"])


def unpack(rev: str, into: Path) -> Path:
    into.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "kubectl_nim"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into)], check=True)
    return into


def cpu_ms(tree: Path, args: list[str]) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree))
    child = subprocess.Popen([sys.executable, "-m", "kubectl_nim", *args], env=env, cwd=tree,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise SystemExit(f"{' '.join(args)} failed in {tree}")
    return (usage.ru_utime + usage.ru_stime) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev_a")
    parser.add_argument("rev_b")
    parser.add_argument("--runs", type=int, default=41)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        a, b = unpack(args.rev_a, Path(tmp) / "a"), unpack(args.rev_b, Path(tmp) / "b")
        print(f"| command | CPU, {args.rev_a} | CPU, {args.rev_b} | B ÷ A (median of pairs) |")
        print("|---|---:|---:|---:|")
        for command in COMMANDS:
            first, second = [], []
            for _ in range(args.runs):
                first.append(cpu_ms(a, command))
                second.append(cpu_ms(b, command))
            ratio = statistics.median(y / x for x, y in zip(first, second))
            print(f"| `{' '.join(command)}` | {statistics.median(first):.0f} ms "
                  f"(min {min(first):.0f}) | {statistics.median(second):.0f} ms "
                  f"(min {min(second):.0f}) | {ratio:.2f}× |")


if __name__ == "__main__":
    main()
