"""Figures of the control-plane test tier (BENCHMARKS.md, "A real control plane"): start-up time
of the whole plane (API server, etcd, kube-controller-manager, kube-scheduler, kwok, KServe), the
time `deploy --wait` takes on it, and the memory of each process after that deploy.

    .venv/bin/python benchmarks/control_plane.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.realcluster.control_plane import ControlPlane  # noqa: E402


def rss_mib(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) in MiB."""
    fields = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    starts, deploys = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        plane = ControlPlane().start()
        starts.append(time.perf_counter() - started)
        try:
            plane.api.namespace("bench")
            kubeconfig = plane.api.kubeconfig(plane.workdir / "bench.kubeconfig",
                                              namespace="bench")
            started = time.perf_counter()
            subprocess.run([str(ROOT / ".venv" / "bin" / "kubectl-nim"), "deploy", "c1",
                            "--model", "llama-3.1-8b-instruct", "--tag", "1.13.1",
                            "--skip-key-validation", "--wait", "--timeout", "120",
                            "--kubeconfig", kubeconfig],
                           env={**os.environ, "NGC_API_KEY": "nvapi-benchmark-key"},
                           check=True, capture_output=True)
            deploys.append(time.perf_counter() - started)
            procs = {"kube-apiserver": plane.api._procs[-1].pid,
                     "etcd": plane.api._procs[0].pid,
                     **{name: p.pid for name, p in plane.procs.items()}}
            rss = {name: rss_mib(pid) for name, pid in procs.items()}
        finally:
            plane.stop()
    print(f"whole plane up, median of {args.runs}: {statistics.median(starts):.1f} s "
          f"(runs: {', '.join(f'{s:.1f}' for s in starts)})")
    print(f"deploy --wait to Ready, median: {statistics.median(deploys):.1f} s")
    total = 0.0
    for name, (now, peak) in sorted(rss.items()):
        total += now
        print(f"RSS {name}: {now:.0f} MiB (peak {peak:.0f} MiB)")
    print(f"RSS total: {total:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
