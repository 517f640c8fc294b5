"""Concurrent key writers never leave a deployment's two Secrets with different keys.

Real concurrent `kubectl-nim` processes against one fake API server; the fake's `nth` rules
and held requests force the interleavings that mixed keys before (one slow write). A held write
is released by an event (the other run has finished), not after a fixed time: on a loaded
machine the other run may need longer than any fixed hold to get going."""

from __future__ import annotations

import re
import threading

import pytest

from tests.helpers.day2 import OLD_KEY, keys_of, opaque_key, secret, seed_plugin
from tests.helpers.process import finish, spawn, wait_until

KEY_A = "nvapi-AAAA-concurrent-key-0123456789"
KEY_B = "nvapi-BBBB-concurrent-key-0123456789"
PULL_PUT = r"/secrets/nvidia-nim-image-pull-x(\?|$)"
# A held write is released at the latest after this long: below the client's 30 s request
# timeout, so that the run it belongs to sees an answer, not a timeout.
HOLD_LIMIT = 20.0


def hold_first(server, method: str, path_regex: str) -> threading.Event:
    """Hold the first `method` request matching `path_regex` until the returned event is set
    (or HOLD_LIMIT); it is then answered as usual, a write applied as it stands."""
    release = threading.Event()
    server.fail(method, path_regex, 0, nth=1, times=1,
                before_answer=lambda: release.wait(HOLD_LIMIT))
    return release


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
    # A's pull-secret write is held (then lands); B runs once A's api-key write is in, and
    # A's write is released only when B is done: B overtakes it, whatever the load.
    release = hold_first(kube_server, "PUT", PULL_PUT)
    a = start(kubeconfig, KEY_A, tmp_path)
    kube_server.wait_for_request("PUT", PULL_PUT)
    assert opaque_key(secret(kube_server, "nvidia-nim-secrets-x")) == KEY_A, "A's first write"
    b = start(kubeconfig, KEY_B, tmp_path)
    ran_b = finish(b)
    release.set()
    runs = [finish(a), ran_b]
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
    from kubectl_nim.app import optimistic

    api_put = r"/secrets/nvidia-nim-secrets-x(\?|$)"
    seed_plugin(kube_server, "x")
    # Held well past the client's timeout, which is itself well above what any other answer
    # takes on a loaded machine: only this write times out.
    kube_server.fail("PUT", api_put, 0, hang_seconds=3.0)
    kube_server.fail("PUT", PULL_PUT, 403, times=100)
    result = nim("rotate-key", "x", "--skip-key-validation", "--no-restart", "--kubeconfig",
                 kubeconfig, "--request-timeout", "1.5s", env={"NGC_API_KEY": KEY_A})

    def answered_all() -> bool:  # the held write landed (answered: applied or refused)
        arrived = [t for m, t in kube_server.arrivals if m == "PUT" and re.search(api_put, t)]
        done = [r for r in kube_server.requests
                if r["method"] == "PUT" and re.search(api_put, r["path"])]
        return len(done) >= len(arrived) >= 1

    wait_until(answered_all, timeout=60, what="the held write to land")
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
    release = hold_first(kube_server, "PUT", PULL_PUT)
    a = _rotate(kubeconfig, KEY_A, tmp_path)
    kube_server.wait_for_request("PUT", PULL_PUT)
    assert opaque_key(secret(kube_server, "nvidia-nim-secrets-x")) == KEY_A, "A's first write"
    b = _rotate(kubeconfig, KEY_B, tmp_path)
    ran_b = finish(b)
    release.set()
    runs = [finish(a), ran_b]
    _check(kube_server, runs, KEY_A, KEY_B)
