"""status, diff, report and logs on a real kube-apiserver. No kubelet and no KServe run here: the
test writes the pods, their status and the events they would (a pull refused by the registry,
which kwok cannot stage); the InferenceService's status is KServe's own on the control-plane
tier (test_day2_control_plane_real.py)."""

from __future__ import annotations

import base64
import json
import tarfile

from tests.helpers.realcluster import KEY, MODEL

TAG = "1.13.1"
POD = "c1-predictor-5f7d9-abcde"


def _deploy(real):
    result = real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG)
    assert result.exit_code == 0, result.stderr


def _pod(real, waiting: dict | None = None, ready: bool = True):
    real.create({"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": POD, "labels": {
                     "serving.kserve.io/inferenceservice": "c1", "component": "predictor"}},
                 "spec": {"containers": [{"name": "kserve-container",
                                          "image": f"nvcr.io/nim/meta/{MODEL}:{TAG}"}]}})
    state = {"waiting": waiting} if waiting else {"running": {"startedAt": "2026-11-29T00:00:00Z"}}
    real.server.patch_status("Pod", POD, real.ns, {
        "phase": "Pending" if waiting else "Running",
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": [{"name": "kserve-container", "ready": ready, "restartCount": 0,
                               "image": f"nvcr.io/nim/meta/{MODEL}:{TAG}", "imageID": "",
                               "state": state}]})


# `status` Ready from KServe's own conditions: test_day2_control_plane_real.py (control plane).


def test_status_names_an_image_pull_refused_by_the_registry(real):
    # Hand-written pod status: kwok pulls no image, so no control plane can produce a refusal.
    _deploy(real)
    _pod(real, ready=False, waiting={
        "reason": "ErrImagePull", "message": f"reading manifest {TAG} in nvcr.io/nim/meta/"
        f"{MODEL}: unauthorized: authentication required"})
    real.create({"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"{POD}.pull"},
                 "involvedObject": {"kind": "Pod", "name": POD, "namespace": real.ns},
                 "reason": "Failed", "type": "Warning",
                 "message": "Failed to pull image: unauthorized: authentication required"})
    result = real.nim("status", "c1", "-o", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "Failed"
    assert "rotate-key" in json.dumps(data["reasons"])


def test_status_of_a_deployment_that_is_not_there(real):
    result = real.nim("status", "nope")
    assert result.exit_code == 1
    assert "nope" in result.stderr and "Traceback" not in result.stderr


def test_diff_shows_what_apply_would_change(real):
    _deploy(real)
    same = real.nim("diff", "c1", "--model", MODEL, "--tag", TAG)
    assert same.exit_code == 0, same.stdout + same.stderr
    assert same.stdout == ""
    changed = real.nim("diff", "c1", "--model", MODEL, "--tag", "1.15.5")
    assert changed.exit_code == 1, changed.stderr
    assert f"+          image: nvcr.io/nim/meta/{MODEL}:1.15.5" in changed.stdout or \
        f"{MODEL}:1.15.5" in changed.stdout
    assert "managedFields" not in changed.stdout and "resourceVersion" not in changed.stdout
    assert real.get("ServingRuntime", "c1")["spec"]["containers"][0]["image"].endswith(TAG)


def test_report_holds_no_key(real):
    _deploy(real)
    out = real.tmp_path / "report.tar.gz"
    result = real.nim("report", "c1", "-f", str(out))
    assert result.exit_code == 0, result.stderr
    forms = {KEY, base64.b64encode(KEY.encode()).decode()}
    with tarfile.open(out) as archive:
        members = archive.getmembers()
        assert members
        for member in members:
            if member.isfile():
                text = archive.extractfile(member).read().decode(errors="replace")
                assert not any(f in text for f in forms), member.name


def test_logs_of_a_pod_no_kubelet_runs(real):
    """A real API server answers 204 No Content for the log of a pod that is on no node (the
    fake's logs need /_fake/logs): nothing to print, no error, no traceback."""
    _deploy(real)
    _pod(real)
    result = real.nim("logs", "c1")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
