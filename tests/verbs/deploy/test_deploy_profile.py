"""`deploy --profile` (NIM_MODEL_PROFILE on the runtime container, in diff and --apply like any
setting), a disconnected deploy onto a cache PVC (the profile check against the cache's record),
and deploy's proxy flags (docs/airgap.md)."""

from __future__ import annotations

import pytest

from kubectl_nim.app.cache_check import mismatch
from tests.helpers.deploy import (KEY, MODEL, NAME, NS, dashboard_config, project,  # noqa: F401
                                  run_deploy)

TAG = "1.15.5"


def kserve_env(project, name=NAME):
    runtime = project.get("ServingRuntime", name)
    container = next(c for c in runtime["spec"]["containers"] if c["name"] == "kserve-container")
    return {e["name"]: e for e in container["env"]}, runtime["spec"]


def cache_pvc(project, profile="abc", model=MODEL, tag=TAG):
    project.server.put_object({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "nim-pvc-llama-cache", "namespace": NS, "annotations": {
            "kubectl-nim/cached-model": model, "kubectl-nim/cached-tag": tag,
            "kubectl-nim/cached-profile": profile}},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}})


def test_profile_sets_nim_model_profile(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL, "--profile", "vllm-bf16-tp1")
    assert result.exit_code == 0, result.stderr
    env, _ = kserve_env(project)
    assert env["NIM_MODEL_PROFILE"] == {"name": "NIM_MODEL_PROFILE", "value": "vllm-bf16-tp1"}


def test_apply_changes_the_profile_and_diff_shows_it(run_deploy, project, nim, ngc_server):
    assert run_deploy(NAME, "--model", MODEL, "--profile", "a1").exit_code == 0
    diff = nim("diff", NAME, "--model", MODEL, "--profile", "b2", "--kubeconfig",
               project.kubeconfig, env={"NGC_API_KEY": KEY})
    assert diff.exit_code == 1, diff.stderr
    assert "-      value: a1\n+      value: b2\n" in diff.stdout
    applied = run_deploy(NAME, "--model", MODEL, "--profile", "b2", "--apply")
    assert applied.exit_code == 0, applied.stderr
    assert kserve_env(project)[0]["NIM_MODEL_PROFILE"]["value"] == "b2"


def test_profile_and_env_cannot_both_set_it(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL, "--profile", "a", "--env", "NIM_MODEL_PROFILE=b")
    assert result.exit_code == 2
    assert "say the same thing" in result.stderr


def test_disconnected_deploy_on_the_cache_with_its_profile(run_deploy, project, ngc_server):
    project.server.put_object(dashboard_config(disconnected=True))
    cache_pvc(project, profile="abc")
    result = run_deploy(NAME, "--model", MODEL, "--tag", TAG, "--existing-pvc",
                        "nim-pvc-llama-cache", "--profile", "abc", key=None)
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    assert ngc_server.requests == []
    env, spec = kserve_env(project)
    assert "NGC_API_KEY" not in env and "imagePullSecrets" not in spec
    assert env["NIM_MODEL_PROFILE"]["value"] == "abc"
    assert [o for o in project.server.objects() if o["kind"] == "Secret"] == []


@pytest.mark.parametrize("args,warning", [
    (("--profile", "xyz"), "caches profile abc of llama-3.1-8b-instruct:1.15.5, and this "
                           "deployment pins profile xyz"),
    ((), "caches profile abc of llama-3.1-8b-instruct:1.15.5; pass --profile abc so the NIM "
         "serves it"),
])
def test_disconnected_deploy_warns_on_another_profile(run_deploy, project, args, warning):
    project.server.put_object(dashboard_config(disconnected=True))
    cache_pvc(project, profile="abc")
    result = run_deploy(NAME, "--model", MODEL, "--tag", TAG, "--existing-pvc",
                        "nim-pvc-llama-cache", *args, key=None)
    assert result.exit_code == 0, result.stderr
    assert f"warning: persistentvolumeclaim/nim-pvc-llama-cache {warning}" in result.stderr


def test_mismatch_rules():
    record = {"model": MODEL, "tag": TAG, "profile": "default"}
    assert mismatch(None, MODEL, TAG, "x", "c") is None
    assert mismatch(record, MODEL, TAG, None, "c") is None
    assert "pins profile x" in mismatch(record, MODEL, TAG, "x", "c")
    assert "caches llama-3.1-8b-instruct:1.15.5, not other:1" in \
        mismatch(record, "other", "1", None, "c")


def test_deploy_proxy_flags(run_deploy, project, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    result = run_deploy(NAME, "--model", MODEL, "--https-proxy", "http://proxy.corp:3128",
                        "--no-proxy", ".corp", "--ca-bundle", str(ca))
    assert result.exit_code == 0, result.stderr
    assert "configmap/nim-proxy-ca-llama created" in result.stdout
    env, spec = kserve_env(project)
    assert env["HTTPS_PROXY"]["value"] == "http://proxy.corp:3128"
    assert env["SSL_CERT_FILE"]["value"] == "/etc/pki/nim-proxy-ca/ca-bundle.crt"
    assert {"name": "nim-proxy-ca", "configMap": {"name": "nim-proxy-ca-llama", "items": [
        {"key": "ca-bundle.crt", "path": "ca-bundle.crt"}]}} in spec["volumes"]
    assert project.get("ConfigMap", "nim-proxy-ca-llama")["data"]["ca-bundle.crt"].startswith(
        "-----BEGIN CERTIFICATE-----")


def test_deploy_refuses_proxy_credentials(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL, "--https-proxy", "http://u:hunter22@proxy:3128")
    assert result.exit_code == 2
    assert "hunter22" not in result.stderr + result.stdout
    assert "a proxy URL with a user and password" in result.stderr
