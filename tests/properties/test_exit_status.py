"""One failure, one exit code, from every verb: the code is chosen at the CLI's
boundary (kubectl_nim/cli/exit_status.py), not where the error is raised."""

from __future__ import annotations

import socket

import pytest

from kubectl_nim.cli.exit_status import ExitStatus, for_error
from kubectl_nim.errors import (ClusterError, Day2Error, KeyRejected, NimError, NotFound,
                                NvidiaUnreachable, UsageError)
from tests.helpers.day2 import seed_legacy, seed_plugin
from tests.helpers.deploy import MODEL


@pytest.fixture(autouse=True)
def _no_backoff(no_backoff):
    pass


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("verb, args, seed", [
    ("deploy", ["llama", "--model", MODEL], None),
    ("rotate-key", ["dash"], seed_plugin),
    ("migrate", ["dash"], seed_legacy),
    ("migrate", ["dash", "--reuse-key"], seed_legacy),
], ids=["deploy", "rotate-key", "migrate", "migrate-reuse-key"])
def test_nvidia_unreachable_exits_3_from_every_verb(nim, kubeconfig, kube_server, ngc_sleeps,
                                                    verb, args, seed):
    if seed:
        seed(kube_server, "dash")
    kube_server.clear_requests()
    port = closed_port()
    env = {} if "--reuse-key" in args else {"NGC_API_KEY": "nvapi-test-key"}
    result = nim(verb, *args, "--kubeconfig", kubeconfig,
                 "--ngc-api-url", f"http://127.0.0.1:{port}", env=env)
    assert result.exit_code == ExitStatus.NVIDIA_UNREACHABLE == 3, result.stderr
    assert f"error: NVIDIA could not be reached at 127.0.0.1:{port}" in result.stderr
    assert "--skip-key-validation" in result.stderr  # every verb names the way on
    # Nothing written; deploy's preflight dry runs (dryRun=All) go out alongside the key check.
    assert [r for r in kube_server.requests
            if r["method"] not in ("GET",) and "dryRun=All" not in r["query"]] == []


@pytest.mark.parametrize("error, status", [
    (NimError("x"), ExitStatus.FAILURE),
    (NotFound("x"), ExitStatus.FAILURE),
    (KeyRejected("x"), ExitStatus.FAILURE),
    (ClusterError("x", status=500), ExitStatus.FAILURE),
    (Day2Error("x"), ExitStatus.FAILURE),
    (UsageError("x"), ExitStatus.USAGE),
    (NvidiaUnreachable("x"), ExitStatus.NVIDIA_UNREACHABLE),
])
def test_one_mapping_from_error_types(error, status):
    assert for_error(error) == status


def test_a_signal_keeps_its_code_whatever_the_error():
    from kubectl_nim.interrupts import Interrupted
    import signal

    assert for_error(Day2Error("x", signal=Interrupted(signal.SIGTERM))) == 143
    assert for_error(UsageError("x", signal=KeyboardInterrupt())) == 130
    assert for_error(KeyboardInterrupt()) == 130
