"""Concurrent key writers (BENCHMARKS.md "Reliability"): N rounds of two `kubectl-nim` processes writing different
keys into one deployment's Secret pair at once; counts rounds that end with mixed keys (must be
0) and rounds where both runs reported success over each other.

Scenarios: `rotate-key` and `deploy --apply` with a new key, each with random timing (30 ms
fake latency, runs started together, rounds following each other on one deployment, so each
round starts from the previous round's key) and with one slow write (the first run's pull-Secret PUT
held 1.5 s, the second run started once the first run's api-key write landed).

    python benchmarks/concurrent_keys.py [ROUNDS]

Runs real subprocesses (the venv's `kubectl-nim`) against tests/fakes/kube_apiserver.py.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers.day2 import keys_of, opaque_key, secret, seed_plugin  # noqa: E402
from tests.fakes import kube_apiserver  # noqa: E402
from tests.helpers.process import finish, spawn, wait_until  # noqa: E402

KEYS = ("nvapi-AAAA-concurrent-key-0123456789", "nvapi-BBBB-concurrent-key-0123456789")


def command(verb: str, kubeconfig: str) -> list[str]:
    if verb == "rotate-key":
        return ["rotate-key", "x", "--skip-key-validation", "--no-restart",
                "--kubeconfig", kubeconfig]
    return ["deploy", "x", "--model", "llama-3.1-8b-instruct", "--apply",
            "--skip-key-validation", "--kubeconfig", kubeconfig]


def round_(verb: str, slow: bool, tmp: str, server) -> tuple[bool, int]:
    """(mixed keys afterwards, runs that exited 0)."""
    kubeconfig = str(server.write_kubeconfig(Path(tmp) / "kubeconfig"))
    if True:
        first, second = random.sample(KEYS, 2)
        if slow:
            server.fail("PUT", r"/secrets/nvidia-nim-image-pull-x(\?|$)", 0, hang_seconds=1.5)
            a = spawn(*command(verb, kubeconfig), key=first, home=tmp)
            wait_until(lambda: opaque_key(secret(server, "nvidia-nim-secrets-x")) == first,
                       what="first write")
            b = spawn(*command(verb, kubeconfig), key=second, home=tmp)
        else:
            server.set_latency(30)
            a = spawn(*command(verb, kubeconfig), key=first, home=tmp)
            time.sleep(random.uniform(0, 0.05))
            b = spawn(*command(verb, kubeconfig), key=second, home=tmp)
        runs = [finish(a), finish(b)]
        api, pull = keys_of(server, "x")
        return api != pull, sum(r.code == 0 for r in runs)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print("| scenario | rounds | mixed keys | both runs exit 0 | one exit 0 | none exit 0 |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="nim-conc-") as tmp:
        for verb in ("rotate-key", "deploy --apply"):
            for slow in (False, True):
                mixed = both = one = none = 0
                shared = kube_apiserver.FakeKubeAPIServer().start()  # random timing: the
                seed_plugin(shared, "x")  # rounds follow each other on one deployment
                for _ in range(rounds):
                    if slow:
                        with kube_apiserver.FakeKubeAPIServer() as server:
                            seed_plugin(server, "x")
                            m, ok = round_(verb, slow, tmp, server)
                    else:
                        m, ok = round_(verb, slow, tmp, shared)
                    mixed += m
                    both += ok == 2
                    one += ok == 1
                    none += ok == 0
                shared.stop()
                timing = "one slow write" if slow else "random timing"
                print(f"| `{verb}`, {timing} | {rounds} | {mixed} | {both} | {one} | {none} |",
                      flush=True)


if __name__ == "__main__":
    main()
