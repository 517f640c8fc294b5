"""BENCHMARKS.md "Start-up and `models`": start-up of the plugin beside kubectl, and `models` against a big catalog.

    .venv/bin/python benchmarks/cli_startup.py [--runs 15] [--old-kubernetes-python PATH]
                                               [--baseline DIR]

--baseline DIR: also run `models -o json` (2,000 models) from another checkout of the plugin
(`git archive COMMIT | tar -x -C DIR`; the same console script with PYTHONPATH=DIR), in rounds of
kubectl, this checkout and the baseline back to back: before/after under the same load, with the
CPU time (user + system) of each process beside its wall time.

Prints markdown tables (BENCHMARKS.md holds a copy with the date and machine).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._harness import (FakeServer, measure, paired_ratio, precompile, table,  # noqa: E402
                                 tool)
from tests.fakes.ngc_server import generate_catalog  # noqa: E402

APPS = "redhat-ods-applications"

# Three ways to read one ConfigMap with the kubernetes package (the choice made in adapters/kube: cluster.py and its two transports).
CLIENT_OPTIONS = {
    "kubectl-nim Cluster, token kubeconfig: httpx, no kubernetes import (chosen)": """
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.environment import Environment
c = Cluster.connect(kubeconfig=KC, env=Environment.default())
c.get("ConfigMap", "nvidia-nim-models-data", "%(ns)s")
""",
    "raw JSON through kubernetes ApiClient (exec/OIDC kubeconfigs)": """
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.adapters.kube.kubernetes_transport import KubernetesTransport
c = Cluster(KubernetesTransport(KC, None, 30), "default", "")
c.get("ConfigMap", "nvidia-nim-models-data", "%(ns)s")
""",
    "typed CoreV1Api": """
from kubernetes import client, config
config.load_kube_config(config_file=KC)
client.CoreV1Api().read_namespaced_config_map("nvidia-nim-models-data", "%(ns)s")
""",
    "dynamic client": """
from kubernetes import config, dynamic
from kubernetes.client import api_client
dyn = dynamic.DynamicClient(api_client.ApiClient(configuration=config.load_kube_config(config_file=KC) or None))
dyn.resources.get(api_version="v1", kind="ConfigMap").get(name="nvidia-nim-models-data", namespace="%(ns)s")
""",
    "import kubernetes only": """
import kubernetes.client, kubernetes.config
""",
    "python -c pass (interpreter floor)": "pass",
}


def startup(runs: int) -> str:
    nim = tool("kubectl-nim")
    kubectl = tool("kubectl")
    rows = [
        measure("kubectl version --client (Go floor)", [kubectl, "version", "--client"], runs),
        measure("kubectl-nim --help", [nim, "--help"], runs),
        measure("kubectl-nim version", [nim, "version"], runs),
        measure("kubectl-nim models --offline (table)", [nim, "models", "--offline"], runs),
        measure("kubectl-nim models --offline -o json", [nim, "models", "--offline", "-o", "json"],
                runs),
    ]
    floor = [kubectl, "version", "--client"]
    as_table = paired_ratio([nim, "models", "--offline"], floor, runs)
    as_json = paired_ratio([nim, "models", "--offline", "-o", "json"], floor, runs)
    return table("Start-up (no cluster)", rows) + \
        f"\nRatios to `kubectl version --client`, median of back-to-back pairs (target ≤ 2.0× " \
        f"each): `models --offline` **{as_table:.2f}×**, `models --offline -o json` " \
        f"**{as_json:.2f}×**\n"


def _seed_big_catalog(tmp: Path) -> tuple[Path, dict]:
    """A seed file for the fake API server: a 2,000-model catalog ConfigMap in the applications
    namespace, with the DSCInitialization and OdhDashboardConfig that point discovery there."""
    seed = tmp / "seed.json"
    cm = generate_catalog(2000)
    cm["metadata"]["namespace"] = APPS
    dsci = {"apiVersion": "dscinitialization.opendatahub.io/v1", "kind": "DSCInitialization",
            "metadata": {"name": "default-dsci"}, "spec": {"applicationsNamespace": APPS}}
    odc = {"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
           "metadata": {"name": "odh-dashboard-config", "namespace": APPS}, "spec": {}}
    seed.write_text("\n---\n".join(json.dumps(o) for o in (cm, dsci, odc)))
    return seed, cm


@contextmanager
def _big_catalog_server():
    """The fake API server with the 2,000-model catalog: (temporary folder, environment with
    KUBECONFIG, the ConfigMap)."""
    with tempfile.TemporaryDirectory() as tmp:
        seed, cm = _seed_big_catalog(Path(tmp))
        kc = str(Path(tmp) / "kubeconfig")
        with FakeServer("kube_apiserver.py", "--kubeconfig-out", kc, "--seed", str(seed)):
            yield tmp, {**os.environ, "KUBECONFIG": kc}, cm


def big_catalog(runs: int, old_python: str | None) -> str:
    nim = tool("kubectl-nim")
    kubectl = tool("kubectl")
    with tempfile.TemporaryDirectory() as tmp:
        seed, cm = _seed_big_catalog(Path(tmp))
        size = len(json.dumps(cm))
        kc = str(Path(tmp) / "kubeconfig")
        with FakeServer("kube_apiserver.py", "--kubeconfig-out", kc, "--seed", str(seed)):
            env = {**os.environ, "KUBECONFIG": kc}
            cache = str(Path(tmp) / "kube-cache")
            rows = [
                measure("kubectl get configmap nvidia-nim-models-data -o json",
                        [kubectl, "get", "configmap", "nvidia-nim-models-data", "-n", APPS,
                         "-o", "json", "--cache-dir", cache], runs, env=env),
                measure("kubectl-nim models -o json (discovery + 2,000 models)",
                        [nim, "models", "-o", "json"], runs, env=env),
                measure("kubectl-nim models -o json --apps-namespace (no discovery)",
                        [nim, "models", "-o", "json", "--apps-namespace", APPS], runs, env=env),
            ]
            ratio = paired_ratio(rows[1].argv, rows[0].argv, runs, env=env)
            table_ratio = paired_ratio([nim, "models"], rows[0].argv, runs, env=env)
            out = table(f"`models` against the fake API server, 2,000-model ConfigMap "
                        f"({size / 1024:.0f} KiB)", rows)
            out += f"\nRatios to `kubectl get configmap -o json`, median of back-to-back pairs " \
                   f"(target ≤ 2.0×): `kubectl-nim models -o json` **{ratio:.2f}×**, " \
                   f"`kubectl-nim models` (table) **{table_ratio:.2f}×**\n\n"
            options = []
            for label, code in CLIENT_OPTIONS.items():
                script = f"KC = {kc!r}\n" + code % {"ns": APPS}
                options.append(measure(label, [sys.executable, "-c", script], runs, env=env))
            if old_python:
                script = f"KC = {kc!r}\n" + CLIENT_OPTIONS["typed CoreV1Api"] % {"ns": APPS}
                version = subprocess.run([old_python, "-c", "import kubernetes;print(kubernetes.__version__)"],
                                         capture_output=True, text=True).stdout.strip()
                options.append(measure(f"typed CoreV1Api, kubernetes {version}",
                                       [old_python, "-c", script], runs, env=env))
            out += table("kubernetes client options: one process reading that ConfigMap", options)
            floor = options[-2 if old_python else -1].median_s
            kube_import = options[4].median_s - floor
            out += (f"\nImporting `kubernetes` alone costs **{kube_import * 1000:.0f} ms**: "
                    f"{kube_import / rows[1].median_s:.0%} of what the whole "
                    f"`kubectl-nim models -o json` takes without it. kubectl-nim pays it only "
                    f"for exec-plugin, auth-provider and basic-auth kubeconfigs.\n")
    return out


def rounds(variants: dict[str, tuple[list[str], dict]], runs: int) -> str:
    """Each round runs every variant once, back to back; the first variant is the reference.
    Medians of wall time, of CPU time (user + system, os.wait4) and of each round's ratio."""
    import statistics
    import time

    wall: dict[str, list[float]] = {k: [] for k in variants}
    cpu: dict[str, list[float]] = {k: [] for k in variants}
    for i in range(runs + 1):  # the first round warms the caches
        for label, (argv, env) in variants.items():
            started = time.perf_counter()
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    env=env)
            _, status, usage = os.wait4(proc.pid, 0)
            if os.waitstatus_to_exitcode(status):
                raise SystemExit(f"{label} failed")
            if i:
                wall[label].append(time.perf_counter() - started)
                cpu[label].append(usage.ru_utime + usage.ru_stime)
    reference = next(iter(variants))
    out = "| command | wall (median) | CPU (median) | ÷ reference, wall (median of rounds) |\n" \
          "|---|---:|---:|---:|\n"
    for label in variants:
        ratio = statistics.median(w / r for w, r in zip(wall[label], wall[reference]))
        out += (f"| {label} | {statistics.median(wall[label]) * 1000:.0f} ms | "
                f"{statistics.median(cpu[label]) * 1000:.0f} ms | {ratio:.2f}× |\n")
    return out


def baseline_catalog(runs: int, baseline: str) -> str:
    import compileall

    compileall.compile_dir(str(Path(baseline) / "kubectl_nim"), quiet=1)
    nim = tool("kubectl-nim")
    kubectl = tool("kubectl")
    with _big_catalog_server() as (tmp, env, cm):
        return f"`models -o json`, 2,000 models: this checkout and {baseline}\n\n" + rounds({
            "kubectl get configmap nvidia-nim-models-data -o json":
                ([kubectl, "get", "configmap", "nvidia-nim-models-data", "-n", APPS, "-o",
                  "json", "--cache-dir", str(Path(tmp) / "kube-cache")], env),
            "kubectl-nim models -o json (this checkout)": ([nim, "models", "-o", "json"], env),
            f"kubectl-nim models -o json ({baseline})":
                ([nim, "models", "-o", "json"], {**env, "PYTHONPATH": baseline}),
        }, runs)


GAP_STEPS = {  # each step adds one piece of `models -o json` to the one before
    "python -c pass (interpreter, site)": "pass",
    "+ import click": "import click",
    "+ the CLI (kubectl_nim.cli.root, the models verb)":
        "import kubectl_nim.cli.root, kubectl_nim.cli.commands.models",
    "+ the cluster adapter (httpx, PyYAML) and discovery":
        "import kubectl_nim.cli.root, kubectl_nim.cli.commands.models\n"
        "from kubectl_nim.adapters.kube.cluster import Cluster\n"
        "import kubectl_nim.app.discovery, kubectl_nim.app.session",
    "+ import httpx, httpcore, PyYAML (imported on connection)":
        "import kubectl_nim.cli.root, kubectl_nim.cli.commands.models\n"
        "from kubectl_nim.adapters.kube.cluster import Cluster\n"
        "import kubectl_nim.app.discovery, kubectl_nim.app.session\n"
        "from kubectl_nim.adapters.netenv import import_httpx\n"
        "import_httpx(); import httpcore, yaml",
    "+ kubeconfig, connection, GET of the ConfigMap (json.loads)":
        "import kubectl_nim.cli.root, kubectl_nim.cli.commands.models\n"
        "from kubectl_nim.adapters.kube.cluster import Cluster\n"
        "import kubectl_nim.app.discovery, kubectl_nim.app.session\n"
        "from kubectl_nim.environment import Environment\n"
        "Cluster.connect(env=Environment.default()).get('ConfigMap', 'nvidia-nim-models-data',"
        " %(ns)r)",
}


def gap(runs: int) -> str:
    """Where the time of `models -o json` (2,000 models) goes: a ladder of processes, each doing
    one thing more than the previous, beside kubectl's whole `get`."""
    nim = tool("kubectl-nim")
    kubectl = tool("kubectl")
    with _big_catalog_server() as (tmp, env, cm):
        variants = {"kubectl get configmap nvidia-nim-models-data -o json":
                    ([kubectl, "get", "configmap", "nvidia-nim-models-data", "-n", APPS,
                      "-o", "json", "--cache-dir", str(Path(tmp) / "kube-cache")], env)}
        for label, code in GAP_STEPS.items():
            variants[label] = ([sys.executable, "-c", code % {"ns": APPS}], env)
        variants["kubectl-nim models -o json (everything)"] = ([nim, "models", "-o", "json"],
                                                              env)
        return "Where `models -o json` (2,000 models) spends its time\n\n" + \
            rounds(variants, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--old-kubernetes-python",
                        help="python of a venv with kubernetes < 37, to compare the typed API")
    parser.add_argument("--baseline", metavar="DIR",
                        help="another checkout of the plugin, measured alongside (see above)")
    parser.add_argument("--only-baseline", action="store_true",
                        help="with --baseline: print only that comparison")
    parser.add_argument("--gap", action="store_true",
                        help="only the ladder of where `models -o json` spends its time")
    args = parser.parse_args()
    precompile()
    if args.gap:
        print(gap(args.runs))
        return
    if args.baseline:
        print(baseline_catalog(args.runs, args.baseline))
        if args.only_baseline:
            return
    print(startup(args.runs))
    print(big_catalog(args.runs, args.old_kubernetes_python))


if __name__ == "__main__":
    main()
