"""Benchmark: what `kubectl-nim status NAME` costs in requests and round trips (BENCHMARKS.md "Day-2 observability").

A standalone fake API server (tests/fakes/kube_apiserver.py) holds one deployment as `deploy`
makes it (two secrets, PVC, ServingRuntime, InferenceService) plus a predictor pod, in two
states: Ready, and crash-looping (the worst case: the last log line of the crashed container is
read too). Each state is measured at 0 ms and at L ms of injected latency per request (median of
N whole-process runs). Round trips are counted, not estimated from timings: at L ms latency the
fake logs each request's arrival, and a request sent after another's answer arrives at least L
later (tests/helpers/obs.round_trips); the largest count over the runs is reported.

    python benchmarks/status.py [--runs 7] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._harness import FakeServer, measure, tool  # noqa: E402
from tests.helpers.obs import round_trips  # noqa: E402

NS, NAME = "team", "llama"
POD = f"{NAME}-predictor-6d9f7c-x2x5q"
KEY = "nvapi-benchmark-key-0123456789"


def deployment(crash: bool) -> list[dict]:
    from kubectl_nim.app import discovery, local_catalog
    from kubectl_nim.domain import render

    model = local_catalog.load_embedded().get("llama-3.1-8b-instruct")
    options = render.DeployOptions(name=NAME, namespace=NS, model=model, tag=model.latest_tag)
    objects = render.render_deployment(options, copy.deepcopy(discovery.embedded_template()),
                                       KEY)
    isvc = objects[-1]
    flag = "False" if crash else "True"
    isvc["status"] = {"conditions": [{"type": "Ready", "status": flag}],
                      "address": {"url": f"http://{NAME}-predictor.{NS}.svc.cluster.local"}}
    state = {"waiting": {"reason": "CrashLoopBackOff"}} if crash else {"running": {}}
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": POD, "namespace": NS,
                        "labels": {"serving.kserve.io/inferenceservice": NAME}},
           "spec": {"containers": [{"name": "kserve-container", "image": "x"}]},
           "status": {"conditions": [{"type": "Ready", "status": "False" if crash else "True"}],
                      "containerStatuses": [{
                          "name": "kserve-container", "state": state, "ready": not crash,
                          "restartCount": 3 if crash else 0,
                          "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}}]}}
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1", "namespace": NS},
             "involvedObject": {"kind": "Pod", "name": POD}, "reason": "BackOff",
             "type": "Warning", "message": "Back-off restarting failed container"}
    return [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}},
            *objects, pod, event]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=100)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        kubeconfig = str(Path(tmp) / "kc")
        with FakeServer("kube_apiserver.py", "--kubeconfig-out", kubeconfig,
                        "--namespace", NS) as server:
            for crash in (False, True):
                server.admin("POST", "/_fake/reset")
                server.admin("POST", "/_fake/objects", deployment(crash))
                if crash:
                    server.admin("POST", "/_fake/logs", {
                        "namespace": NS, "pod": POD, "container": "kserve-container",
                        "previous": True, "lines": ["ERROR no compatible profile"]})
                argv = [tool("kubectl-nim"), "status", NAME, "--kubeconfig", kubeconfig]
                timings = {}
                for latency in (0, args.latency_ms):
                    server.admin("POST", "/_fake/latency", {"ms": latency})
                    timings[latency] = measure(f"{latency}", argv, runs=args.runs, warmup=1)
                counts, trips = set(), 0
                for _ in range(3):
                    server.admin("DELETE", "/_fake/requests")
                    subprocess.run(argv, check=True, capture_output=True)
                    log = server.requests()
                    counts.add(len(log))
                    trips = max(trips, round_trips(log, args.latency_ms / 1000))
                rows.append(f"| {'crash-looping (log line read)' if crash else 'Ready'} | "
                            f"{'/'.join(map(str, sorted(counts)))} | {trips} | "
                            f"{timings[0].median_s * 1000:.0f} ms | "
                            f"{timings[args.latency_ms].median_s * 1000:.0f} ms |")
    print(f"### `status NAME`: requests and round trips ({args.runs} runs, "
          f"{args.latency_ms:g} ms injected latency)\n")
    print(f"| deployment | requests | round trips | median at 0 ms | median at "
          f"{args.latency_ms:g} ms |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
