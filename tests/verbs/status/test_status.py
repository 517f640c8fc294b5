"""`status`: verdict, reasons and facts of a NIM deployment, against the fake API server.

Status written by hand: failures no controller makes on demand; see test_day2_control_plane_real."""

from __future__ import annotations

import json

from tests.helpers.day2 import delete_secret
from tests.helpers.obs import (ISVC_API, NAME, NS, POD, URL, cluster, deployment,  # noqa: F401
                               event, not_nim, pod, round_trips)


def test_ready_deployment(nim, cluster):
    server, kc = cluster
    deployment(server)
    pod(server)
    result = nim("status", NAME, *kc)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == f"{NAME}: Ready"
    assert "Model:         llama-3.1-8b-instruct" in out
    assert "Key:           per-deployment (seed naming)" in out
    assert "Replicas:      1/1 ready" in out
    assert f"URL:           {URL}" in out
    assert f"PVC:           nim-pvc-{NAME} (Bound)" in out
    assert "EU restricted: no" in out


def test_image_pull_refused_by_the_registry(nim, cluster):
    server, kc = cluster
    deployment(server, ready=False)
    pod(server, ready=False, state={"waiting": {
        "reason": "ErrImagePull", "message": "initializing source docker://nvcr.io/nim/meta/x:1: "
        "reading manifest 1 in nvcr.io/nim/meta/x: unauthorized: authentication required"}})
    result = nim("status", NAME, *kc, "-o", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["verdict"] == "Failed"
    assert data["reasons"][0]["code"] == "ImagePullUnauthorized"
    assert "the NVIDIA registry rejected the key (401)" in data["reasons"][0]["message"]
    assert f"rotate-key {NAME}" in data["reasons"][0]["advice"]
    assert data["url"] is None  # not ready: KServe has not published it


def test_no_pods_yet(nim, cluster):
    server, kc = cluster
    deployment(server, ready=None)
    result = nim("status", NAME, *kc)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"{NAME}: Progressing"
    assert "no predictor pod exists yet" in result.stdout
    # status prints no events: it must not promise "the events below"
    assert "below" not in result.stdout and "oc get events" in result.stdout
    assert "Replicas:      0/1 ready" in result.stdout


def test_not_schedulable_for_lack_of_gpus(nim, cluster):
    server, kc = cluster
    deployment(server, ready=False)
    pod(server, ready=False, unschedulable="0/4 nodes are available: 4 Insufficient "
                                          "nvidia.com/gpu.")
    result = nim("status", NAME, *kc)
    assert result.stdout.splitlines()[0] == f"{NAME}: Failed"
    assert "no node has 1 free nvidia.com/gpu" in result.stdout


def test_crash_loop_shows_the_last_log_line(nim, cluster):
    server, kc = cluster
    deployment(server, ready=False)
    pod(server, ready=False, restarts=5, state={"waiting": {"reason": "CrashLoopBackOff"}},
        last={"reason": "Error", "exitCode": 1, "finishedAt": "2026-01-01T00:10:00Z"})
    server.pods.set_log(NS, POD, "kserve-container",
                        ["INFO starting", "ERROR no compatible profile for this GPU"],
                        previous=True)
    result = nim("status", NAME, *kc)
    assert result.stdout.splitlines()[0] == f"{NAME}: Failed"
    assert "keeps crashing (Error with exit code 1, 5 restarts); last log line: ERROR no " \
           "compatible profile for this GPU" in result.stdout
    assert "Restarts:      5 (last 2026-01-01T00:10:00Z)" in result.stdout


def test_model_still_downloading(nim, cluster):
    server, kc = cluster
    deployment(server, ready=False)
    pod(server, ready=False)
    result = nim("status", NAME, *kc)
    assert result.stdout.splitlines()[0] == f"{NAME}: Progressing"
    assert "still downloading or loading the model" in result.stdout


def test_missing_secret(nim, cluster):
    server, kc = cluster
    deployment(server, ready=False)
    delete_secret(server, f"nvidia-nim-image-pull-{NAME}", NS)
    result = nim("status", NAME, *kc)
    assert result.stdout.splitlines()[0] == f"{NAME}: Failed"
    assert f"secret/nvidia-nim-image-pull-{NAME} is missing" in result.stdout


def test_pvc_pending_without_storage_class(nim, cluster):
    server, kc = cluster
    deployment(server, ready=False)
    pvc = server.get_object("v1", "persistentvolumeclaims", NS, f"nim-pvc-{NAME}")
    pvc["status"] = {"phase": "Pending"}
    server.put_object(pvc)
    event(server, f"nim-pvc-{NAME}", "FailedBinding", "no persistent volumes available for this "
          "claim and no storage class is set", kind="PersistentVolumeClaim")
    result = nim("status", NAME, *kc)
    assert f"persistentvolumeclaim/nim-pvc-{NAME} is Pending: no default storage class" in result.stdout


def test_forbidden_pods_and_events_still_give_a_verdict(nim, cluster):
    server, kc = cluster
    deployment(server, ready=False)
    server.deny("list", "pods")
    server.deny("list", "events")
    result = nim("status", NAME, *kc)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"{NAME}: Progressing"
    assert "Replicas:      ?/1 ready" in result.stdout


def test_deployment_not_found(nim, cluster):
    server, kc = cluster
    result = nim("status", "nope", *kc)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: no NIM deployment 'nope' in team")
    assert "kubectl nim list -n team" in result.stderr
    assert "Traceback" not in result.stderr


def test_deployment_not_found_names_the_callers_client(cluster):
    """An `oc nim` user is told to run `oc nim list`, not kubectl (app/day2.deployment_not_found,
    the one wording of status, list and the day-2 verbs)."""
    from click.testing import CliRunner

    from kubectl_nim.cli import cli

    server, kc = cluster
    result = CliRunner().invoke(cli, ["status", "nope", *kc], prog_name="oc nim")
    assert result.exit_code == 1
    assert "`oc nim list -n team` shows the deployments" in result.stderr


def test_not_a_nim_deployment(nim, cluster):
    server, kc = cluster
    not_nim(server)
    result = nim("status", "sklearn", *kc)
    assert result.exit_code == 1
    assert "is not a NIM deployment" in result.stderr
    assert "quay.io/modh/openvino:2025.1" in result.stderr


def test_all_deployments_one_line_each(nim, cluster):
    server, kc = cluster
    deployment(server)
    pod(server)
    deployment(server, name="mistral", ready=False)
    not_nim(server)
    result = nim("status", *kc)
    assert result.exit_code == 0, result.stderr
    rows = [line.split()[:2] for line in result.stdout.splitlines()]
    assert rows == [["NAME", "VERDICT"], ["llama", "Ready"], ["mistral", "Progressing"]]
    data = json.loads(nim("status", "--all", *kc, "-o", "json").stdout)["items"]
    assert [d["verdict"] for d in data] == ["Ready", "Progressing"]


def test_status_costs_at_most_three_round_trips(nim, cluster):
    """Every answer delayed 300 ms; the fake's log of arrivals shows the client's waits."""
    server, kc = cluster
    deployment(server, ready=False)
    pod(server, ready=False, restarts=1, state={"waiting": {"reason": "CrashLoopBackOff"}})
    server.pods.set_log(NS, POD, "kserve-container", ["boom"], previous=True)
    server.clear_requests()
    server.set_latency(300)
    result = nim("status", NAME, *kc)
    assert result.exit_code == 0, result.stderr
    assert "last log line: boom" in result.stdout
    # isvc, runtime, pods, events, NIM Accounts, the project's secrets (names) and PVCs | crash
    # log
    assert len(server.requests) == 8
    assert round_trips(server.requests, 0.3) == 2


def test_a_serving_deployment_costs_one_round_trip(nim, cluster):
    """The secrets and PVCs come from two collection reads beside the others, not one read per
    name after them; the secrets' metadata only (no value crosses the wire)."""
    server, kc = cluster
    deployment(server)
    pod(server)
    server.clear_requests()
    server.set_latency(300)
    result = nim("status", NAME, *kc)
    assert result.stdout.splitlines()[0] == f"{NAME}: Ready", result.stderr
    assert f"Secrets:       nvidia-nim-secrets-{NAME}, nvidia-nim-image-pull-{NAME}" \
        in result.stdout
    assert round_trips(server.requests, 0.3) == 1
    paths = sorted(r["path"] for r in server.requests)
    assert f"/api/v1/namespaces/{NS}/secrets" in paths
    assert not any(p.startswith(f"/api/v1/namespaces/{NS}/secrets/") for p in paths)


def test_secrets_that_may_be_read_but_not_listed_are_read_one_by_one(nim, cluster):
    server, kc = cluster
    deployment(server)
    pod(server)
    delete_secret(server, f"nvidia-nim-image-pull-{NAME}", NS)
    server.deny("list", "secrets", namespace=NS)
    server.deny("list", "persistentvolumeclaims", namespace=NS)
    server.clear_requests()
    server.set_latency(300)
    result = nim("status", NAME, *kc)
    assert result.exit_code == 0, result.stderr
    assert f"nvidia-nim-image-pull-{NAME} (missing)" in result.stdout
    assert f"PVC:           nim-pvc-{NAME} (Bound)" in result.stdout
    assert round_trips(server.requests, 0.3) == 2


def test_a_runtime_of_another_name_costs_one_more_round_trip(nim, cluster):
    server, kc = cluster
    deployment(server)
    pod(server)
    isvc = server.get_object(*ISVC_API, NS, NAME)
    isvc["spec"]["predictor"]["model"]["runtime"] = "custom-runtime"
    server.put_object(isvc)
    runtime = server.get_object("serving.kserve.io/v1alpha1", "servingruntimes", NS, NAME)
    runtime["metadata"]["name"] = "custom-runtime"
    server.put_object(runtime)
    server.clear_requests()
    server.set_latency(300)
    result = nim("status", NAME, *kc)
    assert result.stdout.splitlines()[0] == f"{NAME}: Ready", result.stderr
    assert round_trips(server.requests, 0.3) == 2  # one more than a runtime named NAME
