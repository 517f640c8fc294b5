"""Fault matrix for `deploy` (BENCHMARKS.md "Fault matrix"): each write fails in turn; no trace may be left.

For each of the five writes (API-key secret, pull secret, PVC, ServingRuntime, InferenceService)
and each fault — 403, 409, 500, and a hang past --request-timeout after which the fake server
*carries the write out* (the hard case: the object appears after the client gave up) — run
`kubectl-nim deploy` against a fresh fake API server and check:

  * the run fails (exit 1),
  * the error message names the object that failed,
  * afterwards the server holds exactly the objects it held before, byte for byte
    (resourceVersions included), the namespace by content: its marker annotation goes out with
    the last write (the InferenceService) and a rollback removes it again, one version on.

Both write modes are covered: plain creates and `--apply` (server-side apply). One more case,
not counted, shows the documented limit: a server that finishes a create later than the request
timeout plus the rollback's grace period leaves that object, and the message says so.

    python benchmarks/fault_matrix.py

Runs in-process (CliRunner) against tests/fakes/kube_apiserver.py; takes a few seconds.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from kubectl_nim import log  # noqa: E402
from kubectl_nim.cli import cli  # noqa: E402
from tests.fakes import kube_apiserver  # noqa: E402

NS, NAME, MODEL, KEY = "team", "llama", "llama-3.1-8b-instruct", "nvapi-test-key"
TIMEOUT, HANG = 0.25, 0.32
WRITES = [  # label, object reference, plural, nth POST to the collection
    # (the secrets go out at once: the fake's `#NAME` suffix of a POST tells them apart)
    ("API-key Secret", f"secret/nvidia-nim-secrets-{NAME}", "secrets", 1),
    ("pull Secret", f"secret/nvidia-nim-image-pull-{NAME}", "secrets", 1),
    ("PVC", f"persistentvolumeclaim/nim-pvc-{NAME}", "persistentvolumeclaims", 1),
    ("ServingRuntime", f"servingruntime.serving.kserve.io/{NAME}", "servingruntimes", 1),
    ("InferenceService", f"inferenceservice.serving.kserve.io/{NAME}", "inferenceservices", 1),
]
FAULTS = ["403", "409", "500", "hang"]


def _snapshot(server) -> dict:
    def settled(o):  # a namespace by content (see the module docstring)
        if o["kind"] != "Namespace":
            return o
        return {**o, "metadata": {k: v for k, v in o["metadata"].items()
                                  if k not in ("resourceVersion", "managedFields")
                                  and not (k == "annotations" and not v)}}
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): settled(o)
            for o in server.objects()}


def run_case(index: int, fault: str, apply: bool, hang: float = HANG) -> dict:
    label, ref, plural, nth = WRITES[index]
    with kube_apiserver.FakeKubeAPIServer() as server, \
            tempfile.TemporaryDirectory(prefix="nim-fault-") as tmp:
        server.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        kubeconfig = server.write_kubeconfig(Path(tmp) / "kubeconfig", namespace=NS)
        before = _snapshot(server)
        if apply:  # server-side apply PATCHes the object's own path
            method, path, nth = "PATCH", rf"/{plural}/{ref.split('/')[1]}\?fieldManager", 1
        else:
            method, path = "POST", rf"/{plural}\?fieldManager.*#{ref.split('/')[1]}$"
        if fault == "hang":
            server.fail(method, path, 0, nth=nth, hang_seconds=hang)
        else:
            server.fail(method, path, int(fault), nth=nth)
        log.forget_secrets()
        started = time.monotonic()
        result = CliRunner().invoke(
            cli, ["deploy", NAME, "--model", MODEL, "--kubeconfig", str(kubeconfig),
                  "--skip-key-validation", "--request-timeout", f"{TIMEOUT}s"]
            + (["--apply"] if apply else []), env={"NGC_API_KEY": KEY})
        elapsed = time.monotonic() - started
        if fault == "hang":  # let the hung request finish (a late success persists then)
            time.sleep(max(0.0, started + hang + 0.6 - time.monotonic()))
        after = _snapshot(server)
    error = (result.stderr.strip().splitlines() or [""])[-1]
    leftovers = sorted(f"{k[0]}/{k[2]}" for k in after if after.get(k) != before.get(k))
    return {"write": label, "fault": fault, "apply": apply, "exit": result.exit_code,
            "names_object": f" {ref}" in error, "no_trace": not leftovers,
            "leftovers": leftovers, "error": error, "seconds": elapsed}


def main() -> int:
    kube_apiserver._Handler.disable_nagle_algorithm = True  # timing only (see benchmarks/deploy.py)
    cases = [run_case(i, f, apply) for apply in (False, True) for i in range(len(WRITES))
             for f in FAULTS]
    ok = [c for c in cases if c["exit"] == 1 and c["no_trace"] and c["names_object"]]
    print(f"Fault matrix: each write fails with 403, 409, 500, or hangs past --request-timeout "
          f"{TIMEOUT:g}s for {HANG:g}s and is then carried out by the server.\n")
    for apply in (False, True):
        print(f"**{'--apply (server-side apply)' if apply else 'create'}**\n")
        print("| Failing write | " + " | ".join(FAULTS) + " |")
        print("|---|" + "---|" * len(FAULTS))
        for label, *_ in WRITES:
            cells = []
            for fault in FAULTS:
                c = next(x for x in cases if x["write"] == label and x["fault"] == fault
                         and x["apply"] == apply)
                good = c["exit"] == 1 and c["no_trace"] and c["names_object"]
                cells.append("no trace, named" if good else
                             f"FAIL exit {c['exit']} left {c['leftovers']} named "
                             f"{c['names_object']}")
            print(f"| {label} | " + " | ".join(cells) + " |")
        print()
    print(f"{len(ok)} of {len(cases)} cases left no trace (and named the failed object).")
    for c in cases:
        if c not in ok:
            print(f"  FAILED: {c['write']} {c['fault']} apply={c['apply']}: {c['error']}")

    limit = run_case(3, "hang", False, hang=1.0)
    print(f"\nBeyond the grace period (not counted): ServingRuntime create hangs 1.0s against a "
          f"{TIMEOUT:g}s timeout + {TIMEOUT:g}s grace -> left {limit['leftovers']}; "
          f"message: {limit['error'].split('; ', 1)[-1]}")
    return 0 if len(ok) == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
