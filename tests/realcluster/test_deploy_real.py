"""deploy on a real kube-apiserver: create, dry runs, the CI re-run (`--apply`) after the
plugin's own writes and after a GitOps `kubectl apply`, terminating objects, server validation,
and deployments that are not NIM ones."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers.realcluster import KEY, MODEL

SR = "servingruntime.serving.kserve.io"
ISVC = "inferenceservice.serving.kserve.io"
TAG_A, TAG_B = "1.13.1", "1.15.5"   # both concrete tags of MODEL in every catalog we ship


def refs(name):
    return {f"secret/nvidia-nim-secrets-{name}", f"secret/nvidia-nim-image-pull-{name}",
            f"persistentvolumeclaim/nim-pvc-{name}", f"{SR}/{name}", f"{ISVC}/{name}"}


def outcome(stdout: str) -> dict:
    """`ref action` lines → {ref: action}."""
    return dict(line.rsplit(" ", 1) for line in stdout.splitlines() if line.strip())


def image(real, name):
    sr = real.get("ServingRuntime", name)
    return next(c["image"] for c in sr["spec"]["containers"] if c["name"] == "kserve-container")


def versions(real, name):
    return {kind: real.get(kind, n)["metadata"]["resourceVersion"] for kind, n in (
        ("Secret", f"nvidia-nim-secrets-{name}"), ("Secret", f"nvidia-nim-image-pull-{name}"),
        ("PersistentVolumeClaim", f"nim-pvc-{name}"), ("ServingRuntime", name),
        ("InferenceService", name))}


def test_create_writes_everything_with_one_field_manager(real):
    result = real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_A)
    assert result.exit_code == 0, result.stderr
    assert set(outcome(result.stdout)) == refs("c1")
    assert set(outcome(result.stdout).values()) == {"created"}
    assert image(real, "c1") == f"nvcr.io/nim/meta/{MODEL}:{TAG_A}"
    for kind, name in (("ServingRuntime", "c1"), ("Secret", "nvidia-nim-secrets-c1")):
        assert {m for m, _ in real.managers(kind, name)} == {"kubectl-nim"}


def test_apply_after_create_takes_a_new_tag(real):
    """Failed before: SSA conflicted with the plugin's own create (manager kubectl-nim, Update)."""
    assert real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_A).exit_code == 0
    result = real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_B, "--apply")
    assert result.exit_code == 0, result.stderr
    assert outcome(result.stdout)[f"{SR}/c1"] == "configured"
    assert image(real, "c1") == f"nvcr.io/nim/meta/{MODEL}:{TAG_B}"
    sr = real.get("ServingRuntime", "c1")
    assert sr["spec"]["supportedModelFormats"][0]["version"] == TAG_B
    # The contested fields moved to the plugin's Apply entry; the rest stays shared with its
    # create's Update entry. No other manager appears.
    managers = real.managers("ServingRuntime", "c1")
    assert ("kubectl-nim", "Apply") in managers
    assert {m for m, _ in managers} == {"kubectl-nim"}


@pytest.mark.parametrize("before_runs", [[("--apply",)], [(), ("--apply",)]],
                         ids=["apply", "create-then-apply"])
def test_identical_apply_rerun_changes_nothing(real, before_runs):
    for flags in before_runs:
        first = real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_A, *flags)
        assert first.exit_code == 0, first.stderr
    before = versions(real, "c1")
    again = real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_A, "--apply")
    assert again.exit_code == 0, again.stderr
    assert set(outcome(again.stdout).values()) == {"unchanged"}
    assert versions(real, "c1") == before


def test_apply_after_rotate_key(real):
    """Failed before: conflict on .data.NGC_API_KEY with rotate-key's update."""
    assert real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_A).exit_code == 0
    rotated = real.nim("rotate-key", "c1", "--no-restart", "--skip-key-validation",
                       key="nvapi-rotated-key-42")
    assert rotated.exit_code == 0, rotated.stderr
    result = real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_A, "--apply")
    assert result.exit_code == 0, result.stderr
    assert outcome(result.stdout)["secret/nvidia-nim-secrets-c1"] == "configured"
    secret = real.get("Secret", "nvidia-nim-secrets-c1")
    import base64
    assert base64.b64decode(secret["data"]["NGC_API_KEY"]).decode() == KEY
    assert "nvapi-rotated-key-42" not in result.stdout + result.stderr


def test_apply_after_gitops_kubectl_apply_names_the_conflict(real):
    rendered = real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_A, "--dry-run=client",
                        "-o", "yaml", "--skip-secrets", "-n", real.ns)
    assert rendered.exit_code == 0, rendered.stderr
    real.kubectl("apply", "-f", "-", input=rendered.stdout)
    refused = real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_B, "--apply",
                       "--skip-secrets")
    assert refused.exit_code == 1
    assert "kubectl-client-side-apply" in refused.stderr
    assert "--force-conflicts" in refused.stderr
    assert image(real, "c1").endswith(TAG_A)          # nothing taken over
    forced = real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_B, "--apply",
                      "--skip-secrets", "--force-conflicts")
    assert forced.exit_code == 0, forced.stderr
    assert image(real, "c1").endswith(TAG_B)


def test_dry_run_server_writes_nothing(real):
    result = real.nim("deploy", "c1", "--model", MODEL, "--dry-run=server", "-o", "json")
    assert result.exit_code == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    assert {i["kind"] for i in items} == {"Secret", "PersistentVolumeClaim", "ServingRuntime",
                                          "InferenceService"}
    assert all(i["metadata"].get("uid") for i in items)   # the server's answers
    assert real.names("ServingRuntime") == [] and real.names("Secret") == []


def test_client_dry_run_output_is_accepted_by_real_kubectl(real):
    rendered = real.nim("deploy", "c1", "--model", MODEL, "--dry-run=client", "-o", "yaml",
                        "--skip-secrets", "-n", real.ns)
    assert rendered.exit_code == 0, rendered.stderr
    docs = [d for d in yaml.safe_load_all(rendered.stdout) if d]
    assert [d["kind"] for d in docs] == ["PersistentVolumeClaim", "ServingRuntime",
                                         "InferenceService"]
    out = real.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-",
                       input=rendered.stdout)
    assert "serverside-applied (server dry run)" in out.stdout


def test_pvc_left_terminating_by_delete_blocks_a_redeploy(real):
    """The real server adds kubernetes.io/pvc-protection; without a controller the claim stays
    Terminating. Failed before: a redeploy advised --existing-pvc, --apply reused it."""
    assert real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_A).exit_code == 0
    deleted = real.nim("delete", "c1", "--delete-pvc", "--yes")
    assert deleted.exit_code == 0, deleted.stderr
    pvc = real.get("PersistentVolumeClaim", "nim-pvc-c1")
    assert pvc["metadata"]["deletionTimestamp"]
    assert "terminating" in deleted.stderr.lower()
    again = real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_A)
    assert again.exit_code == 1
    assert "persistentvolumeclaim/nim-pvc-c1 is terminating" in again.stderr
    assert "--existing-pvc" not in again.stderr
    applied = real.nim("deploy", "c1", "--model", MODEL, "--tag", TAG_A, "--apply")
    assert applied.exit_code == 1
    assert "terminating" in applied.stderr
    assert real.names("ServingRuntime") == [] and real.names("Secret") == []


def test_existing_pvc_that_is_terminating_or_missing_is_refused(real):
    missing = real.nim("deploy", "c1", "--model", MODEL, "--existing-pvc", "nope")
    assert missing.exit_code == 1
    assert "persistentvolumeclaim/nope" in missing.stderr and "not found" in missing.stderr
    real.create({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                 "metadata": {"name": "cache"},
                 "spec": {"accessModes": ["ReadWriteOnce"],
                          "resources": {"requests": {"storage": "1Gi"}}}})
    real.kubectl("delete", "pvc", "cache", "-n", real.ns, "--wait=false")
    terminating = real.nim("deploy", "c1", "--model", MODEL, "--existing-pvc", "cache")
    assert terminating.exit_code == 1
    assert "persistentvolumeclaim/cache is terminating" in terminating.stderr
    assert real.names("ServingRuntime") == [] and real.names("Secret") == []


def test_values_the_server_rejects_are_refused_before_any_request(real):
    for flags, word in ((("--pvc-size", "0"), "--pvc-size"),
                        (("--pvc-size", "-5Gi"), "--pvc-size"),
                        (("--storage-class", "Bad_Class"), "storage class name")):
        result = real.nim("deploy", "c1", "--model", MODEL, *flags)
        assert result.exit_code == 2, (flags, result.stderr)
        assert word in result.stderr
    assert real.names("PersistentVolumeClaim") == []


def test_terminating_namespace_is_named_not_blamed_on_rbac(real):
    ns = real.namespace("doomed")
    real.kubectl("delete", "namespace", ns, "--wait=false")
    result = real.nim("deploy", "c1", "--model", MODEL, "-n", ns)
    assert result.exit_code == 1
    assert "terminating" in result.stderr
    assert "permission" not in result.stderr


def _vllm(real, name="chat"):
    real.create({"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
                 "metadata": {"name": name},
                 "spec": {"supportedModelFormats": [{"name": "vLLM", "autoSelect": True}],
                          "containers": [{"name": "kserve-container",
                                          "image": "quay.io/modh/vllm:rhoai-2.20"}]}})
    real.create({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                 "metadata": {"name": name},
                 "spec": {"predictor": {"model": {"modelFormat": {"name": "vLLM"},
                                                  "runtime": name,
                                                  "storageUri": "oci://quay.io/x/granite"}}}})


def test_apply_and_delete_refuse_a_deployment_that_is_not_nim(real):
    _vllm(real)
    before = (real.get("ServingRuntime", "chat"), real.get("InferenceService", "chat"))
    applied = real.nim("deploy", "chat", "--model", MODEL, "--apply")
    assert applied.exit_code == 1
    assert "not a NIM deployment" in applied.stderr
    deleted = real.nim("delete", "chat", "--yes")
    assert deleted.exit_code == 1
    assert "not a NIM deployment" in deleted.stderr
    after = (real.get("ServingRuntime", "chat"), real.get("InferenceService", "chat"))
    assert [o["metadata"]["resourceVersion"] for o in after] == \
        [o["metadata"]["resourceVersion"] for o in before]
    assert real.names("Secret") == []
