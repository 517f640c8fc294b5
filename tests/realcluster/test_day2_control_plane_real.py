"""status, rotate-key, logs, report and delete on a whole control plane: the verdicts, rollouts,
garbage collection, scheduling failures and container logs are the controllers' own."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

from tests.helpers.realcluster import KEY
from tests.realcluster.control_plane import LOG_LINES
from tests.helpers.day2 import seed_legacy
from tests.helpers.control_plane import (condition, container, deploy, lst, pods, predictor,
                                         wait_for)
from tests.helpers.realcluster import Seeder

NEW_KEY = "nvapi-rotated-key-0123"


def status(plane, name="c1"):
    result = plane.nim("status", name, "-o", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def replicasets(plane, name="c1"):
    return [rs for rs in lst(plane, f"/apis/apps/v1/namespaces/{plane.ns}/replicasets")
            if rs["metadata"]["name"].startswith(f"{name}-predictor-")]


def test_status_is_ready_once_kserve_says_so(plane):
    deploy(plane, "c1")
    data = status(plane)
    assert data["verdict"] == "Ready", data


def test_status_names_the_schedulers_own_message_when_no_node_has_free_gpus(plane):
    """More GPUs than any node has: the scheduler's FailedScheduling, KServe not Ready."""
    deploy(plane, "c1", "--gpus", "16", wait=False)
    wait_for("the scheduler to give up on the pod", lambda: [
        p for p in pods(plane, "c1")
        if condition(p, "PodScheduled").get("reason") == "Unschedulable"])
    data = status(plane)
    assert data["verdict"] == "Failed", data
    text = json.dumps(data["reasons"])
    assert "Insufficient nvidia.com/gpu" in text  # the scheduler's wording, quoted
    assert "no node has 16 free nvidia.com/gpu" in text


def test_status_is_progressing_before_the_pod_runs(plane):
    """Right after deploy, before any controller caught up: not Failed, not Ready."""
    deploy(plane, "c1", wait=False)
    data = status(plane)
    assert data["verdict"] in ("Progressing", "Ready"), data
    if data["verdict"] == "Progressing":
        assert not [r for r in data["reasons"] if r.get("severity") == "blocking"], data


def test_rotate_key_wait_rolls_a_new_replicaset_and_the_old_pods_go(plane):
    deploy(plane, "c1")
    before = {rs["metadata"]["name"] for rs in replicasets(plane)}
    old_pods = {p["metadata"]["name"] for p in pods(plane, "c1")}
    result = plane.nim("rotate-key", "c1", "--skip-key-validation", "--wait",
                       "--timeout", "120", key=NEW_KEY)
    assert result.exit_code == 0, result.stderr
    after = {rs["metadata"]["name"] for rs in replicasets(plane)}
    assert after - before, "no new ReplicaSet"
    wait_for("the old pods to go", lambda: not old_pods & {
        p["metadata"]["name"] for p in pods(plane, "c1")})
    assert NEW_KEY not in result.stdout + result.stderr


def test_logs_come_from_the_kubelet(plane):
    deploy(plane, "c1")
    result = plane.nim("logs", "c1")
    assert result.exit_code == 0, result.stderr
    for line in LOG_LINES:
        assert line in result.stdout


def test_logs_follow_streams_from_the_kubelet(plane):
    """`logs -f` as a process: the lines arrive while the stream stays open."""
    deploy(plane, "c1")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("kubectl-nim")), "logs", "c1", "-f",
         "--kubeconfig", plane.kubeconfig], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    try:
        got = [proc.stdout.readline() for _ in LOG_LINES]
        assert all(want in line for want, line in zip(LOG_LINES, got)), got
        assert proc.poll() is None  # still following
    finally:
        proc.terminate()
        proc.wait(10)


def test_report_of_a_running_deployment_holds_real_pods_and_events(plane):
    deploy(plane, "c1")
    out = plane.tmp_path / "report.tar.gz"
    result = plane.nim("report", "c1", "-f", str(out))
    assert result.exit_code == 0, result.stderr
    pod = pods(plane, "c1")[0]["metadata"]["name"]
    with tarfile.open(out) as archive:
        text = "\n".join(archive.extractfile(m).read().decode(errors="replace")
                         for m in archive.getmembers() if m.isfile())
    assert pod in text
    assert "Scheduled" in text  # the scheduler's event on the pod
    forms = {KEY, base64.b64encode(KEY.encode()).decode()}
    assert not any(f in text for f in forms)


def test_delete_leaves_nothing_behind(plane):
    deploy(plane, "c1")
    result = plane.nim("delete", "c1", "--yes", "--delete-pvc")
    assert result.exit_code == 0, result.stderr

    def owned_left():
        left = []
        for path in (f"/apis/apps/v1/namespaces/{plane.ns}/deployments",
                     f"/apis/apps/v1/namespaces/{plane.ns}/replicasets",
                     f"/api/v1/namespaces/{plane.ns}/pods",
                     f"/api/v1/namespaces/{plane.ns}/services"):
            left += [o["metadata"]["name"] for o in lst(plane, path)
                     if o["metadata"]["name"].startswith("c1-")]
        return left

    wait_for("the garbage collector to remove what KServe made", lambda: not owned_left())
    for kind in ("InferenceService", "ServingRuntime", "PersistentVolumeClaim"):
        assert plane.names(kind) == [], kind
    assert [s for s in plane.names("Secret") if "c1" in s] == []
    again = plane.nim("delete", "c1", "--yes", "--ignore-not-found")
    assert again.exit_code == 0, again.stderr


def test_a_full_node_gives_the_schedulers_message(plane):
    """A second node without free GPUs beside the first: pods go to the one with GPUs."""
    name = f"gpu-full-{uuid.uuid4().hex[:5]}"
    plane.plane.add_node(name, gpus=0)
    deploy(plane, "c1")
    running = [p for p in pods(plane, "c1") if p["status"].get("phase") == "Running"]
    assert running and running[0]["spec"]["nodeName"] != name
    assert predictor(plane, "c1")["status"].get("readyReplicas") == 1


def test_migrate_rolls_a_running_dashboard_deployment_onto_its_own_secrets(plane):
    seed_legacy(Seeder(plane), "dash", plane.ns, key=KEY)
    wait_for("KServe to make the dashboard's deployment Ready", lambda: condition(
        plane.get("InferenceService", "dash"), "Ready").get("status") == "True")
    old_pods = {p["metadata"]["name"] for p in pods(plane, "dash")}
    result = plane.nim("migrate", "dash", "--reuse-key", "--wait", "--timeout", "60")
    assert result.exit_code == 0, result.stderr
    template = predictor(plane, "dash")["spec"]["template"]
    env = {e["name"]: e for e in container(template).get("env") or []}
    assert env["NGC_API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "nvidia-nim-secrets-dash"
    assert [s["name"] for s in template["spec"]["imagePullSecrets"]] == \
        ["nvidia-nim-image-pull-dash"]
    wait_for("the pods on the shared secrets to go", lambda: not old_pods & {
        p["metadata"]["name"] for p in pods(plane, "dash")})


def test_rotate_key_wait_with_no_gpu_for_the_surge_pod_says_so(plane):
    """All 8 GPUs in use: the rollout's extra pod cannot be scheduled; `--wait` must say why
    rather than claim success. (The scheduler says so within a second or two; the timeout only
    bounds how long the test waits.)"""
    deploy(plane, "c1", "--gpus", "8")
    result = plane.nim("rotate-key", "c1", "--skip-key-validation", "--wait", "--timeout", "10s",
                       key=NEW_KEY)
    assert result.exit_code != 0
    assert "Insufficient nvidia.com/gpu" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and NEW_KEY not in result.stderr
