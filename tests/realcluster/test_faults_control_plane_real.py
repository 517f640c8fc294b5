"""Faults on real semantics: KServe's process hung (its admission webhooks time out, so every
write of its kinds fails) and kube-apiserver restarted while `deploy --wait` follows the
rollout. The components are the session's: each test puts them back as it found them."""

from __future__ import annotations

import re
import threading
import time

from tests.helpers.realcluster import MODEL
from tests.helpers.control_plane import TAG, condition


def test_hung_kserve_webhook_is_named_and_nothing_is_left(plane):
    plane.plane.pause_component("kserve")
    try:
        result = plane.nim("deploy", "c1", "--model", MODEL, "--tag", TAG)
    finally:
        plane.plane.resume_component("kserve")
    print(result.stderr)  # -s shows the words
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    # The API server's answer names the webhook that did not answer; the error says so, and
    # where to look, in place of the generic "the API server failed".
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert re.search(r'admission webhook "[a-z.]*kserve-webhook-server[a-z.]*" did not answer '
                     r'\(timed out\), so the API server refused the write', errors[0]), \
        result.stderr
    assert "nothing was created" in result.stderr, result.stderr
    assert "kserve-controller-manager pods and their logs" in result.stderr, result.stderr
    assert "the API server failed" not in result.stderr, result.stderr
    for kind in ("ServingRuntime", "InferenceService", "PersistentVolumeClaim"):
        assert plane.names(kind) == [], kind
    assert [s for s in plane.names("Secret") if s.endswith("-c1")] == []


def test_apiserver_restart_during_wait(plane):
    """kube-apiserver goes away for a few seconds while `--wait` follows the rollout: the wait
    rides it out (or fails with one clean line) and KServe makes the deployment Ready.

    The components are restarted the moment the API server is back: their informers would
    otherwise reconnect on their own backoff (10-15 s here) and may have missed changes (see
    ControlPlane.restart_components); what is under test is the plugin's wait, not their
    reconnection."""
    api = plane.server
    done, happened = threading.Event(), threading.Event()

    def outage():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not done.is_set():
            if api.get("InferenceService", "c1", plane.ns) is not None:
                api.stop_apiserver()
                happened.set()
                time.sleep(1)  # down for that plus its start-up: about 4 s
                api.start_apiserver()
                plane.plane.restart_components()
                return
            time.sleep(0.05)

    thread = threading.Thread(target=outage)
    thread.start()
    try:
        result = plane.nim("deploy", "c1", "--model", MODEL, "--tag", TAG, "--wait",
                           "--timeout", "90")
    finally:
        done.set()
        thread.join()
    print(result.stderr)  # -s shows what the wait said
    assert happened.is_set(), "the API server was never stopped: " + result.stderr
    assert "Traceback" not in result.stderr
    if result.exit_code != 0:  # a clean failure must say what happened, on one error line
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, result.stderr
    # Whatever the plugin said, the plane recovers and KServe makes the deployment Ready.
    deadline = time.monotonic() + 90
    while condition(plane.get("InferenceService", "c1") or {}, "Ready").get("status") != "True":
        assert time.monotonic() < deadline, "KServe did not recover after the restart"
        time.sleep(0.5)
