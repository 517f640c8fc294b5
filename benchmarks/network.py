"""Benchmark: the plugin beside the kubectl command a user would type instead, on the real API
server behind a latency-adding TCP proxy (BENCHMARKS.md "Fast where users are").

    .venv/bin/python benchmarks/network.py [--runs 7] [--latency-ms 50] [--quick] [--no-scale]
                                           [--only REGEX] [--nim dist/kubectl-nim/kubectl-nim]

The real kube-apiserver + etcd of tests/realcluster (binaries from build_binaries.sh) is started
once; tests/realcluster/fault_proxy.LatencyProxy passes TLS through to it and delays every byte
the client sends by the latency (0 ms, then --latency-ms), TLS handshakes included. Every row runs
the plugin and its kubectl equivalent alternately, same server, same latency; a ratio is the
median of the per-pair ratios. kubectl gets one warm --cache-dir (its discovery cached), as a user
who ran it before has. The plugin's own cache lives in a HOME of its own, warmed the same way.

Round trips are counted by the proxy at the latency: a chunk the client sends at least 0.8 x
latency after the previous one started a new round trip (tests/helpers/obs.round_trips), TLS
handshake flights included; requests come from the -v logs (the plugin's `-> 200` lines,
kubectl's -v=6 `"Response"` lines).

Rows: list -A, status NAME, status -n NS, models (2,000-model catalog), deploy, rotate-key,
completion of deployment names, start-up (`models --offline`), and with scale (not --quick or
--no-scale): 2,000 deployments in 200 projects (list -A, its peak memory) and status -n NS with 200.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._harness import precompile, tool  # noqa: E402
from tests.helpers.day2 import OLD_KEY, rendered  # noqa: E402
from tests.fakes.ngc_server import generate_catalog  # noqa: E402
from tests.helpers.obs import round_trips  # noqa: E402
from tests.realcluster.fault_proxy import LatencyProxy  # noqa: E402
from tests.realcluster.server import RealAPIServer  # noqa: E402

APPS = "redhat-ods-applications"
NS = "team"           # 10 deployments: status NAME / -n NS, rotate-key, completion
DEPLOYS = "deploys"   # where the deploy rows create theirs
KEYS = ("nvapi-bench-key-a-0123456789", "nvapi-bench-key-b-0123456789")  # NVIDIA accepts both
BIG = "big"           # 200 deployments (scale)
PROJECTS = 20         # list -A: 20 projects x 10 deployments
SCALE_PROJECTS = 200  # scale: 200 projects x 10 deployments
PER_PROJECT = 10
NAME = "llama-0"
MODEL = "llama-3.1-8b-instruct"


# -- seeding ---------------------------------------------------------------------------------

def seed_deployments(server: RealAPIServer, namespace: str, count: int, full: bool,
                     pool: ThreadPoolExecutor) -> None:
    """`count` deployments as `deploy` makes them (full: with secrets and PVC too; else the
    InferenceService and ServingRuntime that `list` reads), Ready."""
    def one(i):
        objects = rendered(f"llama-{i}", namespace, OLD_KEY)
        for obj in objects:
            if full or obj["kind"] in ("ServingRuntime", "InferenceService"):
                server.create(obj)
        server.patch_status("InferenceService", f"llama-{i}", namespace, {"conditions": [
            {"type": "PredictorReady", "status": "True"}, {"type": "Ready", "status": "True"}],
            "url": f"http://llama-{i}-predictor.{namespace}.svc.cluster.local"})
    server.namespace(namespace)
    list(pool.map(one, range(count)))


def seed_cluster(server: RealAPIServer) -> None:
    server.namespace(APPS)
    cm = generate_catalog(2000)
    cm["metadata"]["namespace"] = APPS
    server.create(cm)
    server.create({"apiVersion": "dscinitialization.opendatahub.io/v1", "kind": "DSCInitialization",
                   "metadata": {"name": "default-dsci"}, "spec": {"applicationsNamespace": APPS}})
    server.create({"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
                   "metadata": {"name": "odh-dashboard-config", "namespace": APPS}, "spec": {}})


# -- running -----------------------------------------------------------------------------------

class Runner:
    def __init__(self, server: RealAPIServer, proxy: LatencyProxy, tmp: Path,
                 nim: str | None = None):
        self.server, self.proxy, self.tmp = server, proxy, tmp
        self.kubeconfig = server.kubeconfig(tmp / "kubeconfig", namespace=NS, server=proxy.url)
        self.cache = tmp / "kubectl-cache"
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("KUBECONFIG", "NGC_API_KEY", "HTTPS_PROXY", "HTTP_PROXY",
                                 "https_proxy", "http_proxy", "XDG_CACHE_HOME")}
        self.env.update(HOME=str(tmp / "home"), NO_PROXY="127.0.0.1", KUBECONFIG=self.kubeconfig)
        (tmp / "home").mkdir(exist_ok=True)
        self.nim = nim or tool("kubectl-nim")
        self.kubectl = tool("kubectl")

    def nim_cmd(self, *args: str) -> list[str]:
        return [self.nim, *args]

    def kubectl_cmd(self, *args: str) -> list[str]:
        return [self.kubectl, "--cache-dir", str(self.cache), *args]

    def run(self, commands, env=None, verbose: str | None = None) -> tuple[float, int, str]:
        """Run commands in sequence (a tuple of argv lists is a pipeline a | b); (wall seconds,
        peak RSS MiB of the largest process, stderr of all)."""
        environment = {**self.env, **(env or {})}
        started = time.perf_counter()
        peak, errors = 0, []
        for command in commands:
            stages = command if isinstance(command, tuple) else (command,)
            procs, upstream = [], None
            err = tempfile.TemporaryFile()
            for stage in stages:
                last = stage is stages[-1]
                stage = list(stage) + ([verbose] if verbose and last else [])
                proc = subprocess.Popen(stage, env=environment, stdin=upstream or
                                        subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL if last else subprocess.PIPE,
                                        stderr=err if last else subprocess.DEVNULL)
                if upstream is not None:
                    upstream.close()
                upstream = proc.stdout
                procs.append((stage, proc))
            for stage, proc in procs:  # os.wait4: the peak RSS of exactly that child
                _, status, usage = os.wait4(proc.pid, 0)
                peak = max(peak, usage.ru_maxrss)
                code = os.waitstatus_to_exitcode(status)
                proc.returncode = code
                if code:
                    err.seek(0)
                    raise SystemExit(f"failed ({code}): {' '.join(stage)}\n"
                                     f"{err.read().decode(errors='replace')[-800:]}")
            err.seek(0)
            errors.append(err.read().decode(errors="replace"))
            err.close()
        return time.perf_counter() - started, peak / 1024, "\n".join(errors)


NIM_REQUEST = re.compile(r" -> \d{3} \(\d+ ms\)")
KUBECTL_REQUEST = re.compile(r'"Response" verb=|\b(GET|POST|PUT|PATCH|DELETE) https?://\S+ \d{3} ')


def requests_in(stderr: str, kubectl: bool) -> int:
    return len((KUBECTL_REQUEST if kubectl else NIM_REQUEST).findall(stderr))


class Row:
    def __init__(self, label: str, plugin, kubectl, env=None, kubectl_label: str = "",
                 prepare=None, verbose: bool = True):
        """plugin / kubectl: functions of the run number giving the list of commands."""
        self.label, self.plugin, self.kubectl, self.env = label, plugin, kubectl, env or {}
        self.kubectl_label = kubectl_label
        self.prepare = prepare  # run before each pair (outside the timing)
        self.verbose = verbose  # -v / -v=6 may be appended (request counts)
        self.results: dict = {}


def measure(runner: Runner, row: Row, latencies, runs: int, counter) -> None:
    for latency in latencies:
        runner.proxy.latency = latency / 1000
        pairs = []
        for i in range(runs + 1):  # the first pair warms caches and is dropped
            if row.prepare:
                row.prepare(next(counter))
            n = next(counter)
            t_nim, _, _ = runner.run(row.plugin(n), row.env)
            t_kubectl, _, _ = runner.run(row.kubectl(n))
            if i:
                pairs.append((t_nim, t_kubectl))
        row.results[latency] = {
            "nim_ms": statistics.median(p[0] for p in pairs) * 1000,
            "kubectl_ms": statistics.median(p[1] for p in pairs) * 1000,
            "ratio": statistics.median(p[0] / p[1] for p in pairs),
            "peak_mib": peak_rss(runner, row, counter)}
        if latency:
            row.results["trips"] = {}
            for who, make, verbose in (("nim", row.plugin, "-v"), ("kubectl", row.kubectl,
                                                                    "-v=6")):
                if row.prepare:
                    row.prepare(next(counter))
                runner.proxy.reset()
                _, _, err = runner.run(make(next(counter)), row.env if who == "nim" else None,
                                       verbose=verbose if row.verbose else None)
                arrivals = [{"arrived": at} for at, _ in runner.proxy.arrivals]
                row.results["trips"][who] = (requests_in(err, who == "kubectl"),
                                             round_trips(arrivals, latency / 1000),
                                             runner.proxy.connections)
    runner.proxy.latency = 0


def peak_rss(runner: Runner, row: Row, counter) -> float:
    """The plugin's peak RSS (MiB), through GNU time: os.wait4 of a child forked from this
    process (which holds the seeding's memory) would count the parent's pages too."""
    if row.prepare:
        row.prepare(next(counter))
    commands = row.plugin(next(counter))
    if len(commands) != 1 or isinstance(commands[0], tuple) or not os.path.exists(TIME):
        return float("nan")
    _, _, err = runner.run([[TIME, "-f", "MAXRSS %M", *commands[0]]], row.env)
    found = re.findall(r"MAXRSS (\d+)", err)
    return int(found[-1]) / 1024 if found else float("nan")


TIME = "/usr/bin/time"


def table(rows: list[Row], latency: float) -> str:
    lines = [f"| verb | kubectl equivalent | 0 ms: nim / kubectl | ratio | {latency:g} ms: "
             f"nim / kubectl | ratio | requests nim / kubectl | round trips nim / kubectl "
             f"| connections nim / kubectl | peak RSS nim |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        cells = [row.label, row.kubectl_label]
        for lat in (0, latency):
            r = row.results.get(lat)
            if r is None:
                cells += ["–", "–"]
            else:
                cells += [f"{r['nim_ms']:.0f} / {r['kubectl_ms']:.0f} ms", f"**{r['ratio']:.2f}×**"]
        trips = row.results.get("trips")
        if trips:
            cells += [f"{trips['nim'][0] if row.verbose else '?'} / {trips['kubectl'][0]}",
                      f"{trips['nim'][1]} / {trips['kubectl'][1]}",
                      f"{trips['nim'][2]} / {trips['kubectl'][2]}"]
        else:
            cells += ["–", "–", "–"]
        peak = max(r["peak_mib"] for k, r in row.results.items() if k != "trips")
        cells.append(f"{peak:.0f} MiB")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def rows_for(runner: Runner, ngc: dict, quick: bool) -> list[Row]:
    nim, kubectl = runner.nim_cmd, runner.kubectl_cmd
    manifests = runner.tmp / "manifests"
    manifests.mkdir(exist_ok=True)

    def manifest(n: int) -> str:
        path = manifests / f"d{n}.json"
        if not path.exists():
            objects = [o for o in rendered(f"k{n}", DEPLOYS, KEYS[0]) if o["kind"] != "Secret"]
            path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
        return str(path)

    def kubectl_deploy(n: int) -> list:
        base = [runner.kubectl, "--cache-dir", str(runner.cache)]
        return [
            base + ["create", "secret", "generic", f"nvidia-nim-secrets-k{n}",
                    f"--from-literal=NGC_API_KEY={KEYS[0]}", "-n", DEPLOYS],
            base + ["create", "secret", "docker-registry", f"nvidia-nim-image-pull-k{n}",
                    "--docker-server=nvcr.io", "--docker-username=$oauthtoken",
                    f"--docker-password={KEYS[0]}", "-n", DEPLOYS],
            base + ["create", "-f", manifest(n)],
        ]

    def kubectl_rotate(n: int) -> list:
        base = [runner.kubectl, "--cache-dir", str(runner.cache)]
        key = f"nvapi-rotated-{n:06d}-key"
        render = ["--dry-run=client", "-o", "yaml", "-n", NS]
        apply = base + ["apply", "-f", "-", "-n", NS]
        patch = {"spec": {"predictor": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": f"2026-12-06T00:00:{n % 60:02d}Z"}}}}
        return [
            (base + ["create", "secret", "generic", f"nvidia-nim-secrets-{NAME}",
                     f"--from-literal=NGC_API_KEY={key}"] + render, apply),
            (base + ["create", "secret", "docker-registry", f"nvidia-nim-image-pull-{NAME}",
                     "--docker-server=nvcr.io", "--docker-username=$oauthtoken",
                     f"--docker-password={key}"] + render, apply),
            base + ["patch", "inferenceservice", NAME, "-n", NS, "--type", "merge", "-p",
                    json.dumps(patch)],
        ]

    def ngc_for(n):  # the NVIDIA fake at the same latency as the API server
        return ngc["url"][int(runner.proxy.latency * 1000)]

    rows = [
        Row("`list -A`", lambda n: [nim("list", "-A")],
            lambda n: [kubectl("get", "isvc", "-A")], kubectl_label="`get isvc -A`"),
        Row("`status NAME`", lambda n: [nim("status", NAME)],
            lambda n: [kubectl("get", "isvc", NAME)], kubectl_label="`get isvc NAME`"),
        Row("`status -n NS`", lambda n: [nim("status", "-n", NS)],
            lambda n: [kubectl("get", "isvc", "-n", NS)], kubectl_label="`get isvc -n NS`"),
        Row("`models -o json` (2,000)", lambda n: [nim("models", "-o", "json")],
            lambda n: [kubectl("get", "cm", "nvidia-nim-models-data", "-n", APPS, "-o", "json")],
            kubectl_label="`get cm … -o json`"),
        Row("`models` (2,000)", lambda n: [nim("models")],
            lambda n: [kubectl("get", "cm", "nvidia-nim-models-data", "-n", APPS, "-o", "json")],
            kubectl_label="`get cm … -o json`"),
        Row("`deploy` (key checked)", lambda n: [nim("deploy", f"d{n}", "--model", MODEL,
                                                     "-n", DEPLOYS, "--ngc-api-url", ngc_for(n))],
            kubectl_deploy, env={"NGC_API_KEY": KEYS[0]},
            kubectl_label="warm sequence: 2 × `create secret`, `create -f` (PVC, SR, ISVC)"),
        Row("`rotate-key NAME` (key checked)",
            lambda n: [nim("rotate-key", NAME, "--ngc-api-url", ngc_for(n))],
            kubectl_rotate, env={"NGC_API_KEY": KEYS[1]},
            kubectl_label="2 × `create secret --dry-run=client -o yaml \\| apply -f -`, "
                          "`patch isvc`"),
        Row("completion of NAME (`status <TAB>`)",
            lambda n: [nim("status", "")],
            lambda n: [kubectl("get", "isvc", "-o", "name")], kubectl_label="`get isvc -o name`",
            env={"_KUBECTL_NIM_COMPLETE": "cobra_complete"}, verbose=False),
        Row("`models --offline`", lambda n: [nim("models", "--offline")],
            lambda n: [kubectl("version", "--client")], kubectl_label="`version --client`"),
        Row("`models --offline -o json`", lambda n: [nim("models", "--offline", "-o", "json")],
            lambda n: [kubectl("version", "--client")], kubectl_label="`version --client`"),
    ]
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--quick", action="store_true",
                        help="3 runs, no scale rows (a few minutes)")
    parser.add_argument("--no-scale", action="store_true")
    parser.add_argument("--only", help="regex: only the rows whose label matches")
    parser.add_argument("--nim", metavar="PATH", help="the plugin to measure, e.g. the onedir "
                        "binary dist/kubectl-nim/kubectl-nim (default: the venv's console script)")
    args = parser.parse_args(argv)
    runs = 3 if args.quick else args.runs
    precompile()
    import itertools

    counter = itertools.count()
    from benchmarks._harness import FakeServer

    valid = [arg for key in KEYS for arg in ("--valid-key", key)]

    with tempfile.TemporaryDirectory(prefix="nim-net-") as tmp_name, \
            RealAPIServer() as server, \
            FakeServer("ngc_server.py", *valid) as ngc0, \
            FakeServer("ngc_server.py", "--latency-ms", str(args.latency_ms), *valid) as ngc50, \
            LatencyProxy(server.url) as proxy, \
            ThreadPoolExecutor(8) as pool:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        seed_cluster(server)
        server.namespace(DEPLOYS)
        for p in range(PROJECTS):
            seed_deployments(server, NS if p == 0 else f"p{p:03d}", PER_PROJECT, p == 0, pool)
        print(f"seeded {PROJECTS} projects in {time.perf_counter() - started:.0f} s",
              file=sys.stderr)
        runner = Runner(server, proxy, tmp, args.nim)
        ngc = {"url": {0: ngc0.url, int(args.latency_ms): ngc50.url}}
        for warm in (runner.kubectl_cmd("get", "isvc", "-A"),
                     runner.kubectl_cmd("api-resources"), runner.nim_cmd("models")):
            runner.run([warm])
        rows = rows_for(runner, ngc, args.quick)
        if args.only:
            rows = [r for r in rows if re.search(args.only, r.label)]
        latencies = (0, args.latency_ms)
        for row in rows:
            print(f"measuring {row.label}", file=sys.stderr)
            measure(runner, row, latencies, runs, counter)
        out = [f"Real kube-apiserver behind the latency proxy; {runs} alternating pairs per "
               f"cell (medians; ratio = median of the pairs' ratios); {os.cpu_count()} CPUs; "
               f"{PROJECTS} projects × {PER_PROJECT} deployments.\n", table(rows, args.latency_ms)]
        if not (args.quick or args.no_scale):
            started = time.perf_counter()
            for p in range(PROJECTS, SCALE_PROJECTS):
                seed_deployments(server, f"p{p:03d}", PER_PROJECT, False, pool)
            seed_deployments(server, BIG, 200, True, pool)
            print(f"seeded the scale projects in {time.perf_counter() - started:.0f} s",
                  file=sys.stderr)
            scale = [
                Row("`list -A`, 2,000 in 200 projects", lambda n: [runner.nim_cmd("list", "-A")],
                    lambda n: [runner.kubectl_cmd("get", "isvc", "-A")],
                    kubectl_label="`get isvc -A`"),
                Row("`status -n NS`, 200 deployments",
                    lambda n: [runner.nim_cmd("status", "-n", BIG)],
                    lambda n: [runner.kubectl_cmd("get", "isvc", "-n", BIG)],
                    kubectl_label="`get isvc -n NS`"),
            ]
            for row in scale:
                print(f"measuring {row.label}", file=sys.stderr)
                measure(runner, row, latencies, max(3, runs // 2), counter)
            out += ["\nScale:\n", table(scale, args.latency_ms)]
        print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
