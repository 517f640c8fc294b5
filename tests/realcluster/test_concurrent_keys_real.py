"""Concurrent key writers on the real API server: two real `kubectl-nim` processes
with different keys, one of them slowed by the fault proxy, never leave the deployment's two
Secrets with different keys, and at most one of them reports success."""

from __future__ import annotations

import base64
import json

import pytest

from tests.helpers.process import finish, spawn, wait_until
from tests.helpers.realcluster import KEY, MODEL

KEY_A = "nvapi-AAAA-concurrent-key-0123456789"
KEY_B = "nvapi-BBBB-concurrent-key-0123456789"


def _keys(real):
    api = real.get("Secret", "nvidia-nim-secrets-c1")
    pull = real.get("Secret", "nvidia-nim-image-pull-c1")
    docker = json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))
    return (base64.b64decode(api["data"]["NGC_API_KEY"]).decode(),
            docker["auths"]["nvcr.io"]["password"])


def _rotate(real, key):
    return spawn("rotate-key", "c1", "--skip-key-validation", "--no-restart", "--kubeconfig",
                 real.kubeconfig, key=key, home=str(real.tmp_path))


def _apply(real, key):
    return spawn("deploy", "c1", "--model", MODEL, "--tag", "1.13.1", "--apply",
                 "--skip-key-validation", "--kubeconfig", real.kubeconfig, key=key,
                 home=str(real.tmp_path))


def _check(real, runs):
    api, pull = _keys(real)
    assert api == pull, [r.stderr for r in runs]
    assert api in (KEY_A, KEY_B)
    assert sum(r.code == 0 for r in runs) <= 1, [r.stderr for r in runs]
    for run in runs:
        assert "unexpected failure" not in run.stderr
        for key in (KEY_A, KEY_B, KEY):
            assert key not in run.stdout + run.stderr


@pytest.mark.parametrize("start", [_rotate, _apply], ids=["rotate-key", "deploy-apply"])
def test_slow_write_overtaken_by_a_concurrent_run_never_mixes_keys(real_faulty, start):
    real = real_faulty
    first = real.nim("deploy", "c1", "--model", MODEL, "--tag", "1.13.1")
    assert first.exit_code == 0, first.stderr
    # A's pull-Secret write is held 1.5 s by the proxy (then lands); B starts once A's
    # api-key write is in.
    real.proxy.fail("PUT", r"/secrets/nvidia-nim-image-pull-c1(\?|$)", 0, hang_seconds=1.5)
    a = start(real, KEY_A)
    wait_until(lambda: _keys(real)[0] == KEY_A, what="A's first write")
    b = start(real, KEY_B)
    runs = [finish(a), finish(b)]
    _check(real, runs)
    assert any(r.code for r in runs), "both reported success over each other"
