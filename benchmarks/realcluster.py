"""Figures of the real-server test tier (BENCHMARKS.md, "Real API server"): start-up time of a
seeded and an unseeded start, and the peak memory of kube-apiserver and etcd.

    .venv/bin/python benchmarks/realcluster.py [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.realcluster import server as real  # noqa: E402


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    seed = real.cache_dir() / real._seed_key(real.crd_documents())
    shutil.rmtree(seed, ignore_errors=True)
    started = time.perf_counter()
    first = real.RealAPIServer().start()
    cold = time.perf_counter() - started
    first.stop()
    seeded = []
    for _ in range(args.runs):
        started = time.perf_counter()
        srv = real.RealAPIServer().start()
        seeded.append(time.perf_counter() - started)
        srv.namespace("bench")
        for i in range(50):  # some load, so that the peaks mean something
            srv.create({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": f"c{i}", "namespace": "bench"}, "data": {"a": "b"}})
        rss = {Path(p.args[0]).name.split("-v")[0]: peak_rss_mib(p.pid) for p in srv._procs}
        srv.stop()
    print(f"start without a seed (seeds it): {cold:.1f} s")
    print(f"seeded start, median of {args.runs}: {statistics.median(seeded):.1f} s")
    for name, mib in sorted(rss.items()):
        print(f"peak RSS {name}: {mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
