"""`logs`: the predictor pods' logs through pods/log, against the fake API server.

Status written by hand: incidental; speed, and log states no kubelet stages on demand."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from tests.helpers.obs import NAME, NS, POD, cluster, deployment, not_nim, pod  # noqa: F401

POD2 = f"{NAME}-predictor-6d9f7c-zzzzz"


def test_one_pod_no_prefix_and_tail(nim, cluster):
    server, kc = cluster
    deployment(server)
    pod(server)
    server.pods.set_log(NS, POD, "kserve-container", ["a", "b", "c"])
    result = nim("logs", NAME, *kc)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "a\nb\nc\n"
    assert nim("logs", NAME, "--tail", "1", *kc).stdout == "c\n"
    log_requests = [r for r in server.requests if r["path"].endswith("/log")]
    assert "tailLines=1" in log_requests[-1]["query"]


def test_since_keeps_recent_lines(nim, cluster):
    server, kc = cluster
    deployment(server)
    pod(server)
    server.pods.set_log(NS, POD, "kserve-container",
                        [{"text": "old", "ageSeconds": 7200}, "new"])
    result = nim("logs", NAME, "--since", "10m", *kc)
    assert result.stdout == "new\n"
    assert "sinceSeconds=600" in [r for r in server.requests
                                  if r["path"].endswith("/log")][-1]["query"]


def test_several_pods_are_prefixed(nim, cluster):
    server, kc = cluster
    deployment(server)
    pod(server)
    pod(server, name=POD2)
    server.pods.set_log(NS, POD, "kserve-container", ["one"])
    server.pods.set_log(NS, POD2, "kserve-container", ["two"])
    result = nim("logs", NAME, *kc)
    assert result.stdout == f"[{POD}] one\n[{POD2}] two\n"


def test_all_containers(nim, cluster):
    server, kc = cluster
    deployment(server)
    pod(server, containers=("kserve-container", "oauth-proxy"))
    server.pods.set_log(NS, POD, "kserve-container", ["model"])
    server.pods.set_log(NS, POD, "oauth-proxy", ["proxy"])
    assert nim("logs", NAME, *kc).stdout == "model\n"
    result = nim("logs", NAME, "--all-containers", *kc)
    assert result.stdout == f"[{POD}/kserve-container] model\n[{POD}/oauth-proxy] proxy\n"


def test_no_pods_yet(nim, cluster):
    server, kc = cluster
    deployment(server, ready=None)
    result = nim("logs", NAME, *kc)
    assert result.exit_code == 1
    assert result.stderr == (f"error: {NAME} has no predictor pod yet, so there is no log to "
                             f"show; `kubectl nim status {NAME}` tells why\n")


def test_container_still_waiting(nim, cluster):
    server, kc = cluster
    deployment(server, ready=False)
    pod(server, ready=False, state={"waiting": {"reason": "ContainerCreating"}})
    result = nim("logs", NAME, *kc)
    assert result.exit_code == 1
    assert "has not started yet (ContainerCreating)" in result.stderr


def test_forbidden_pods_log(nim, cluster):
    server, kc = cluster
    deployment(server)
    pod(server)
    server.deny("get", "pods/log", namespace=NS)
    result = nim("logs", NAME, *kc)
    assert result.exit_code == 1
    assert 'cannot get resource "pods/log"' in result.stderr
    assert "ask a cluster or project admin" in result.stderr
    assert result.stderr.count("\n") == 1


def test_not_found_and_not_nim(nim, cluster):
    server, kc = cluster
    not_nim(server)
    missing = nim("logs", "nope", *kc)
    assert missing.exit_code == 1 and "kubectl nim list" in missing.stderr
    other = nim("logs", "sklearn", *kc)
    assert other.exit_code == 1 and "is not a NIM deployment" in other.stderr


def test_follow_prints_new_lines_and_ends_when_the_container_stops(nim, cluster):
    server, kc = cluster
    deployment(server)
    pod(server)
    server.pods.set_log(NS, POD, "kserve-container", ["start"])

    def later():
        time.sleep(0.4)
        server.pods.set_log(NS, POD, "kserve-container", ["start", "downloading"])
        time.sleep(0.3)
        server.pods.set_log(NS, POD, "kserve-container", ["start", "downloading", "ready"],
                            eof=True)

    threading.Thread(target=later, daemon=True).start()
    started = time.perf_counter()
    result = nim("logs", NAME, "-f", *kc)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "start\ndownloading\nready\n"
    assert time.perf_counter() - started < 10


def test_follow_stops_cleanly_on_ctrl_c(cluster, tmp_path):
    server, kc = cluster
    deployment(server)
    pod(server)
    server.pods.set_log(NS, POD, "kserve-container", ["first line"])
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "kubectl_nim", "logs", NAME, "-f", *kc],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline() == "first line\n"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert err == ""


def test_pods_not_listable(nim, cluster):
    server, kc = cluster
    deployment(server)
    server.deny("list", "pods", namespace=NS)
    result = nim("logs", NAME, *kc)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: you may not list the pods of {NS}")


def test_nothing_read_is_exit_1_with_the_reason(nim, cluster):
    """One pod pulls in vain (no log), the other has written nothing yet: no line was shown,
    so a warning and exit 0 would read as success; kubectl exits 1 with the reason."""
    server, kc = cluster
    deployment(server, ready=False)
    pod(server, ready=False, state={"waiting": {"reason": "ImagePullBackOff",
                                                "message": "Back-off pulling image"}})
    pod(server, name=POD2)
    result = nim("logs", NAME, *kc)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and "ImagePullBackOff" in result.stderr
    assert result.stderr.count("\n") == 1


def test_an_empty_answer_for_a_waiting_container_is_exit_1():
    """Some servers answer 200 and nothing for a container that never started."""
    from kubectl_nim.app import logs
    from kubectl_nim.errors import NimError
    import pytest

    class Empty:
        def request_text(self, *args, **kwargs):
            return ""

    pods = [{"metadata": {"name": "p"}, "spec": {"containers": [{"name": "kserve-container"}]},
             "status": {"containerStatuses": [{"name": "kserve-container", "state": {
                 "waiting": {"reason": "ImagePullBackOff", "message": "Back-off"}}}]}}]
    found = logs.sources(pods, False)
    with pytest.raises(NimError, match=r"p/kserve-container has not started "
                                       r"\(ImagePullBackOff: Back-off\)"):
        list(logs.read(Empty(), "ns", "x", found, None, None, warn=pytest.fail))
    pods[0]["status"] = {}
    assert list(logs.read(Empty(), "ns", "x", logs.sources(pods, False), None, None,
                          warn=pytest.fail)) == []
