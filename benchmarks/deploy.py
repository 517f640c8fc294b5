"""Benchmark: one `kubectl-nim deploy` vs the equivalent kubectl sequence (BENCHMARKS.md "`deploy`").

Both run against the same standalone fake API server (tests/fakes/kube_apiserver.py) with injected
latency on every request (default 20 ms), and are measured the same way: the requests the server
logged (/_fake/requests) and the wall time of the whole command or command sequence, median of N
runs, with the server reset and re-seeded (project `team`) before each run.

The kubectl sequence is what a user would otherwise type:
    kubectl create secret generic nvidia-nim-secrets-llama --from-literal NGC_API_KEY=...
    kubectl create secret docker-registry nvidia-nim-image-pull-llama --docker-server nvcr.io ...
    kubectl create -f deploy.yaml   # PVC, ServingRuntime, InferenceService from
                                    # `kubectl-nim deploy --dry-run=client --skip-secrets -o yaml`
`kubectl create secret` sends protobuf, which the fake does not decode, so each secret runs as
`kubectl create secret ... --dry-run=client -o json | kubectl create -f -` (two processes in a
pipe, started together; the first sends no request).
It is cheaper than what kubectl-nim does (no labels on the secrets, no namespace annotation, no
key validation, no preflight, no rollback), so it is a lower bound for a real manual deploy.
kubectl gets a fresh --cache-dir per run ("cold") and, separately, one reused cache ("warm").

    python benchmarks/deploy.py [--runs 9] [--latency-ms 20] [--json]
                                [--baseline DIR]

--baseline DIR adds the key-validated deploy of another checkout of the plugin (e.g. `git archive
COMMIT | tar -x -C DIR`), run through the same console script with PYTHONPATH=DIR in the same
interleaved rounds: before/after on the same machine under the same load.

The fake runs exactly as committed, TCP_NODELAY included (tests/fakes/kube_apiserver.py,
`_Handler.disable_nagle_algorithm`): it writes headers and body in two send() calls, and without
it every request on a kept-alive connection would stall ~44 ms on the client's delayed ACK, an
artefact no Go API server has.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAKE_KUBE = ROOT / "tests" / "fakes" / "kube_apiserver.py"
FAKE_NGC = ROOT / "tests" / "fakes" / "ngc_server.py"
KEY = "nvapi-test-key"  # the fake NGC server's valid key
NS = "team"
NAME = "llama"
MODEL = "llama-3.1-8b-instruct"
SEED = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}]


def _tool(name: str) -> str | None:
    here = Path(sys.executable).parent / name
    return str(here) if os.access(here, os.X_OK) else shutil.which(name)


def _admin(url: str, method: str, what: str, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{url}/_fake/{what}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def _start(args: list[str]) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit(f"fake server did not start: {args}")
    return proc, url


def classify(request: dict) -> str:
    method, path, query = request["method"], request["path"], request["query"]
    if "dryRun=All" in query:
        return "preflight (dryRun=All)"
    if re.fullmatch(r"/api/v1/namespaces/[^/]+", path):
        return "namespace"
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        return "writes"
    if path in ("/api", "/apis", "/version") or path.startswith("/openapi") or \
            re.fullmatch(r"/api/v1|/apis/[^/]+(/[^/]+)?", path):
        return "API discovery"
    return "config discovery (docs/design.md#cluster-configuration)"


class Bench:
    def __init__(self, latency_ms: float, tmp: Path):
        self.latency_ms = latency_ms
        self.tmp = tmp
        self.kubeconfig = tmp / "kubeconfig"
        kube_cmd = [sys.executable, str(FAKE_KUBE)]
        self.kube, self.url = _start(kube_cmd + ["--kubeconfig-out", str(self.kubeconfig),
                                                 "--namespace", NS])
        self.ngc, self.ngc_url = _start([sys.executable, str(FAKE_NGC),
                                         "--latency-ms", str(latency_ms)])
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("KUBECONFIG", "NGC_API_KEY", "HTTPS_PROXY", "HTTP_PROXY",
                                 "https_proxy", "http_proxy")}
        self.env["HOME"] = str(tmp / "home")
        self.env["NO_PROXY"] = "127.0.0.1"

    def close(self):
        for proc in (self.kube, self.ngc):
            proc.terminate()
            proc.wait(timeout=10)

    def reset(self):
        _admin(self.url, "POST", "reset")
        _admin(self.url, "POST", "objects", SEED)
        _admin(self.url, "POST", "latency", {"ms": self.latency_ms})
        _admin(self.url, "DELETE", "requests")

    def requests(self) -> list[dict]:
        return _admin(self.url, "GET", "requests")

    def run(self, commands: list, env=None) -> tuple[float, list[dict]]:
        """Run commands one after the other; a command that is a tuple of argv lists is a
        pipeline (`a | b`), started without a shell."""
        self.reset()
        environment = {**self.env, **(env or {})}
        started = time.perf_counter()
        for command in commands:
            stages = command if isinstance(command, tuple) else (command,)
            procs, upstream = [], None
            for stage in stages:
                proc = subprocess.Popen(stage, env=environment, stdin=upstream,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                if upstream is not None:
                    upstream.close()  # the next stage owns it now
                upstream = proc.stdout
                procs.append(proc)
            procs[-1].communicate()
            for stage, proc in zip(stages, procs):
                proc.wait()
                if proc.returncode:
                    raise SystemExit(f"failed: {' '.join(stage)}\n{proc.stderr.read().decode()}")
                proc.stderr.close()
        return time.perf_counter() - started, self.requests()


def measure(bench: Bench, runs: int, variants: dict) -> dict:
    """variants: label -> (make_commands(run_index), env). Runs are interleaved (run 1 of every
    variant, then run 2, ...) so that load changes on a shared machine hit all of them alike."""
    times = {label: [] for label in variants}
    logs: dict = {}
    for i in range(runs):
        for label, (make_commands, env) in variants.items():
            elapsed, requests = bench.run(make_commands(i), env)
            times[label].append(elapsed)
            logs[label] = requests
    reference = list(variants)[-1]  # the last variant: what the others are compared with
    return {label: {"median_s": statistics.median(times[label]), "min_s": min(times[label]),
                    "ratio": statistics.median(t / r for t, r in zip(times[label],
                                                                      times[reference])),
                    "requests": len(logs[label]),
                    "breakdown": Counter(classify(r) for r in logs[label]), "log": logs[label]}
            for label in variants}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--json", action="store_true", help="print raw results as JSON too")
    parser.add_argument("--baseline", metavar="DIR",
                        help="another checkout of the plugin, measured alongside (see module doc)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from benchmarks._harness import precompile

    precompile()  # as installed (see _harness.precompile)
    nim = _tool("kubectl-nim")
    nim_cmd = [nim] if nim else [sys.executable, "-m", "kubectl_nim"]
    kubectl = _tool("kubectl")
    if kubectl is None:
        raise SystemExit("kubectl not found (next to the interpreter or on PATH)")

    with tempfile.TemporaryDirectory(prefix="nim-bench-") as tmp_name:
        tmp = Path(tmp_name)
        bench = Bench(args.latency_ms, tmp)
        try:
            kc = ["--kubeconfig", str(bench.kubeconfig)]
            rendered = subprocess.run(
                nim_cmd + ["deploy", NAME, "--model", MODEL, "--offline", "--dry-run=client",
                           "--skip-secrets", "-o", "yaml", "-n", NS],
                capture_output=True, text=True, check=True, env=bench.env).stdout
            manifest = tmp / "deploy.yaml"
            manifest.write_text(rendered)

            deploy = nim_cmd + ["deploy", NAME, "--model", MODEL] + kc
            key_env = {"NGC_API_KEY": KEY}

            def kubectl_sequence(cache: Path):
                base = [kubectl] + kc + ["--cache-dir", str(cache)]
                # `kubectl create secret` posts protobuf, which the fake cannot decode (415);
                # the same kubectl code renders the secret and a JSON create sends it.
                send = base + ["create", "-f", "-", "--validate=false"]
                render = ["--dry-run=client", "-o", "json"]
                return [
                    (base + ["create", "secret", "generic", f"nvidia-nim-secrets-{NAME}",
                             f"--from-literal=NGC_API_KEY={KEY}"] + render, send),
                    (base + ["create", "secret", "docker-registry",
                             f"nvidia-nim-image-pull-{NAME}", "--docker-server=nvcr.io",
                             "--docker-username=$oauthtoken", f"--docker-password={KEY}"]
                     + render, send),
                    base + ["create", "-f", str(manifest), "--validate=false"],
                ]

            warm = tmp / "warm-cache"
            bench.run(kubectl_sequence(warm))  # fill the cache
            baseline = {}
            if args.baseline:
                import compileall

                compileall.compile_dir(str(Path(args.baseline) / "kubectl_nim"), quiet=1)
                baseline = {f"baseline {args.baseline}: deploy (key validated with NGC)":
                            (lambda i: [deploy + ["--ngc-api-url", bench.ngc_url]],
                             {**key_env, "PYTHONPATH": str(args.baseline)})}
            results = measure(bench, args.runs, {
                **baseline,
                "kubectl-nim deploy (key validated with NGC)":
                    (lambda i: [deploy + ["--ngc-api-url", bench.ngc_url]], key_env),
                "kubectl-nim deploy --skip-key-validation":
                    (lambda i: [deploy + ["--skip-key-validation"]], key_env),
                "kubectl-nim deploy --skip-key-validation --offline":
                    (lambda i: [deploy + ["--skip-key-validation", "--offline"]], key_env),
                "kubectl sequence, cold cache (fresh --cache-dir)":
                    (lambda i: kubectl_sequence(tmp / f"cold-cache-{i}"), None),
                "kubectl sequence, warm cache":
                    (lambda i: kubectl_sequence(warm), None),
            })
        finally:
            bench.close()

    print(f"Fake API server: {args.latency_ms:g} ms injected latency per request; "
          f"median of {args.runs} runs; {os.cpu_count()} CPUs.\n")
    print("| Command | Requests | Wall time (median) | ÷ warm kubectl (median of rounds) | "
          "Where the requests go |")
    print("|---|---:|---:|---:|---|")
    for label, r in results.items():
        where = ", ".join(f"{k} {v}" for k, v in sorted(r["breakdown"].items(),
                                                       key=lambda kv: -kv[1]))
        print(f"| {label} | {r['requests']} | {r['median_s'] * 1000:.0f} ms | "
              f"{r['ratio']:.2f}× | {where} |")
    if args.json:
        print(json.dumps({k: {**v, "breakdown": dict(v["breakdown"]),
                              "log": [f"{x['method']} {x['path']}?{x['query']}" for x in v["log"]]}
                          for k, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
