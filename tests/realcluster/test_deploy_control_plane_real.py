"""deploy on a whole control plane: KServe's own controller turns the plugin's ServingRuntime and
InferenceService into a predictor Deployment, kube-controller-manager rolls it out, the scheduler
places the pod on a kwok GPU node and kwok runs it. Every assertion is on objects the
controllers made; no test here writes a status."""

from __future__ import annotations

import json
import time

import pytest

from tests.helpers.control_plane import (TAG, condition, container, deploy, lst, pods,  # noqa: F401
                                         predictor, wait_for)
from tests.helpers.realcluster import KEY, MODEL

def status_writers(plane, kind, name):
    return {m["manager"] for m in plane.get(kind, name)["metadata"]["managedFields"]
            if m.get("subresource") == "status"}


def test_deploy_wait_is_ready_from_kserves_own_conditions(plane):
    deploy(plane, "c1")
    isvc = plane.get("InferenceService", "c1")
    assert condition(isvc, "Ready").get("status") == "True"
    assert condition(isvc, "PredictorReady").get("status") == "True"
    # Nobody but KServe's controller wrote that status.
    assert status_writers(plane, "InferenceService", "c1") <= {"manager"}
    assert "kubectl-nim" not in status_writers(plane, "InferenceService", "c1")
    running = [p for p in pods(plane, "c1") if p["status"].get("phase") == "Running"]
    assert running and running[0]["spec"]["nodeName"].startswith("gpu-node-")


@pytest.mark.parametrize("naming,secret,pull", [
    ("seed", "nvidia-nim-secrets-c1", "nvidia-nim-image-pull-c1"),
    ("later", "nim-api-key-c1", "nim-image-pull-c1")])
def test_predictor_pod_template_carries_the_deployments_own_secrets_cache_tag_and_gpus(
        plane, naming, secret, pull):
    deploy(plane, "c1", "--secret-naming", naming, "--gpus", "2")
    deployment = predictor(plane, "c1")
    assert deployment is not None, "KServe made no predictor Deployment"
    owners = deployment["metadata"].get("ownerReferences") or []
    assert [(o["kind"], o["name"]) for o in owners] == [("InferenceService", "c1")]
    template = deployment["spec"]["template"]
    kserve = container(template)
    env = {e["name"]: e for e in kserve.get("env") or []}
    assert env["NGC_API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == secret
    assert [s["name"] for s in template["spec"].get("imagePullSecrets") or []] == [pull]
    assert kserve["image"] == f"nvcr.io/nim/meta/{MODEL}:{TAG}"
    assert kserve["resources"]["limits"]["nvidia.com/gpu"] == "2"
    # The PVC is mounted where the ServingRuntime says the cache lives.
    runtime = plane.get("ServingRuntime", "c1")
    cache_path = next(e["value"] for e in container(runtime)["env"]
                      if e["name"] == "NIM_CACHE_PATH")
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"]
              for v in template["spec"].get("volumes") or [] if "persistentVolumeClaim" in v}
    mounts = {m["mountPath"]: m["name"] for m in kserve.get("volumeMounts") or []}
    assert claims[mounts[cache_path]] == "nim-pvc-c1"
    # The claim bound through the default StorageClass's provisioner.
    wait_for("the PVC to bind",
             lambda: plane.get("PersistentVolumeClaim", "nim-pvc-c1")["status"].get("phase")
             == "Bound")
    # The key itself is in no object the controllers made.
    assert KEY not in json.dumps(deployment)


def test_disconnected_deploy_runs_without_key_or_pull_secret(plane):
    deploy(plane, "c1", "--disconnected", key=None)
    template = predictor(plane, "c1")["spec"]["template"]
    kserve = container(template)
    assert "NGC_API_KEY" not in {e["name"] for e in kserve.get("env") or []}
    assert not template["spec"].get("imagePullSecrets")
    assert condition(plane.get("InferenceService", "c1"), "Ready").get("status") == "True"


def test_an_identical_apply_after_kserves_defaulting_changes_nothing(plane):
    """KServe's defaulting rewrites the deploymentMode annotation (RawDeployment → Standard) and
    fills in the predictor: a re-run must still be a no-op, and `diff` empty."""
    deploy(plane, "c1", wait=False)
    # KServe's first reconcile adds its finalizer and records the generation it saw: compare
    # after it, or the diff races the controller's own write (seen on a loaded machine).
    deadline = time.monotonic() + 60
    while True:
        isvc = plane.get("InferenceService", "c1")
        if isvc["metadata"].get("finalizers") and (isvc.get("status") or {}).get(
                "observedGeneration") == isvc["metadata"]["generation"]:
            break
        assert time.monotonic() < deadline, "KServe did not reconcile c1 within 60 s"
        time.sleep(0.2)
    mode = isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"]
    assert mode in ("Standard", "RawDeployment")
    same = plane.nim("diff", "c1", "--model", MODEL, "--tag", TAG)
    assert same.exit_code == 0, same.stdout + same.stderr
    again = plane.nim("deploy", "c1", "--model", MODEL, "--tag", TAG, "--apply")
    assert again.exit_code == 0, again.stderr
    assert plane.get("InferenceService", "c1")["metadata"]["generation"] == \
        isvc["metadata"]["generation"], again.stdout


def test_apply_with_a_new_tag_rolls_the_pods(plane):
    deploy(plane, "c1")
    old = {p["metadata"]["name"] for p in pods(plane, "c1")}
    result = plane.nim("deploy", "c1", "--model", MODEL, "--tag", "1.15.5", "--apply", "--wait",
                       "--timeout", "120")
    assert result.exit_code == 0, result.stderr

    def rolled():
        now = pods(plane, "c1")
        return now and not old & {p["metadata"]["name"] for p in now} and all(
            container(p)["image"].endswith(":1.15.5") for p in now)

    wait_for("pods of the new tag only", rolled)
