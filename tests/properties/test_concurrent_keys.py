"""Concurrent key writers never leave a deployment's two Secrets with different keys.

Real concurrent `kubectl-nim` processes against one fake API server; the fake's `hang_seconds`
and `nth` rules force the interleavings that mixed keys before (one slow write)."""

from __future__ import annotations

import pytest

from tests.helpers.day2 import OLD_KEY, keys_of, opaque_key, secret, seed_plugin
from tests.helpers.process import finish, spawn, wait_until

KEY_A = "nvapi-AAAA-concurrent-key-0123456789"
KEY_B = "nvapi-BBBB-concurrent-key-0123456789"


def _rotate(kubeconfig, key, tmp_path):
    return spawn("rotate-key", "x", "--skip-key-validation", "--no-restart",
                 "--kubeconfig", kubeconfig, key=key, home=str(tmp_path))


def _deploy_apply(kubeconfig, key, tmp_path):
    return spawn("deploy", "x", "--model", "llama-3.1-8b-instruct", "--apply",
                 "--skip-key-validation", "--kubeconfig", kubeconfig, key=key,
                 home=str(tmp_path))


def _check(server, runs, *keys):
    api, pull = keys_of(server, "x")
    assert api == pull, [r.stderr for r in runs]
    assert api in keys
    assert sum(r.code == 0 for r in runs) <= 1, [r.stderr for r in runs]
    for run in runs:
        assert "unexpected" not in run.stderr
        for key in (KEY_A, KEY_B, OLD_KEY):
            assert key not in run.stdout + run.stderr
        if run.code:
            assert "sha256:" in run.stderr  # which secret holds which key fingerprint


@pytest.mark.parametrize("start", [_rotate, _deploy_apply])
def test_slow_write_overtaken_by_a_concurrent_run_never_mixes_keys(kube_server, kubeconfig,
                                                                   tmp_path, start):
    seed_plugin(kube_server, "x")
    # A's pull-secret write hangs 1.5 s (then lands); B starts once A's api-key write is in.
    kube_server.fail("PUT", r"/secrets/nvidia-nim-image-pull-x(\?|$)", 0, nth=1, times=1,
                     hang_seconds=1.5)
    a = start(kubeconfig, KEY_A, tmp_path)
    wait_until(lambda: opaque_key(secret(kube_server, "nvidia-nim-secrets-x")) == KEY_A,
               what="A's first write")
    b = start(kubeconfig, KEY_B, tmp_path)
    runs = [finish(a), finish(b)]
    _check(kube_server, runs, KEY_A, KEY_B)
    assert any(r.code for r in runs), "both reported success over each other"


@pytest.mark.parametrize("start", [_rotate, _deploy_apply])
def test_concurrent_runs_with_random_timing_never_mix_keys(kube_server, kubeconfig, tmp_path,
                                                           start):
    seed_plugin(kube_server, "x")
    kube_server.set_latency(30)
    for round_ in range(3):
        a = start(kubeconfig, KEY_A, tmp_path)
        b = start(kubeconfig, KEY_B, tmp_path)
        runs = [finish(a), finish(b)]
        api, pull = keys_of(kube_server, "x")
        assert api == pull, (round_, [r.stderr for r in runs])


def test_deploy_apply_new_key_failing_pull_secret_write_keeps_one_key(nim, kube_server,
                                                                      kubeconfig):
    seed_plugin(kube_server, "x")
    kube_server.fail("PUT", r"/secrets/nvidia-nim-image-pull-x(\?|$)", 403, times=100)
    result = nim("deploy", "x", "--model", "llama-3.1-8b-instruct", "--apply",
                 "--skip-key-validation", "--kubeconfig", kubeconfig, env={"NGC_API_KEY": KEY_A})
    assert result.exit_code == 1
    assert keys_of(kube_server, "x") == (OLD_KEY, OLD_KEY)
    assert "nothing was created" not in result.stderr
    assert "put back secret/nvidia-nim-secrets-x" in result.stderr
    assert KEY_A not in result.stderr and OLD_KEY not in result.stderr


def test_late_landing_first_write_and_refused_second_write(nim, kube_server, kubeconfig):
    """The first Secret write times out but lands later; the second is refused: the run must
    not say "nothing was changed", and the pair must end with one key."""
    import time

    from kubectl_nim.app import optimistic

    seed_plugin(kube_server, "x")
    kube_server.fail("PUT", r"/secrets/nvidia-nim-secrets-x(\?|$)", 0, hang_seconds=0.3)
    kube_server.fail("PUT", r"/secrets/nvidia-nim-image-pull-x(\?|$)", 403, times=100)
    result = nim("rotate-key", "x", "--skip-key-validation", "--no-restart", "--kubeconfig",
                 kubeconfig, "--request-timeout", "0.2s", env={"NGC_API_KEY": KEY_A})
    time.sleep(0.8)  # let the held write land
    api, pull = keys_of(kube_server, "x")
    assert result.exit_code == 1
    assert "nothing was changed" not in result.stderr, result.stderr
    assert api == pull == OLD_KEY, result.stderr
    assert optimistic.MAX_ATTEMPTS >= 2


def test_other_run_writing_the_key_we_took_for_old_is_detected(kube_server, kubeconfig,
                                                                tmp_path):
    """The pair starts mixed (api-key: old, pull: B's key). A starts, its pull-Secret write is
    held; B then writes its key into the api-key Secret and fences the pull Secret. A's held
    write meets a 409 and finds "B's key" there, which is also what A took for the old key:
    only the fence tells that another run wrote it. A must not overwrite it."""
    from tests.helpers.day2 import dockerconfig

    seed_plugin(kube_server, "x")
    kube_server.put_object(dockerconfig("nvidia-nim-image-pull-x", "default", KEY_B))
    kube_server.fail("PUT", r"/secrets/nvidia-nim-image-pull-x(\?|$)", 0, nth=1, times=1,
                     hang_seconds=1.5)
    a = _rotate(kubeconfig, KEY_A, tmp_path)
    wait_until(lambda: opaque_key(secret(kube_server, "nvidia-nim-secrets-x")) == KEY_A,
               what="A's first write")
    b = _rotate(kubeconfig, KEY_B, tmp_path)
    runs = [finish(a), finish(b)]
    _check(kube_server, runs, KEY_A, KEY_B)
