"""`delete` against the fake API server: what goes, what stays, confirmation, dry runs."""

from __future__ import annotations

import pytest

from kubectl_nim.domain import day2_plans
from kubectl_nim.domain import nim_runtime
from tests.helpers.day2 import (isvc, runtime, secret, seed_disconnected, seed_legacy,
                                seed_plugin, writes)

ISVC_REF = "inferenceservice.serving.kserve.io"
SR_REF = "servingruntime.serving.kserve.io"




def pvc(server, name, namespace="default"):
    return server.get_object("v1", "persistentvolumeclaims", namespace, name)


def test_deletes_own_objects_and_keeps_the_pvc(delete, kube_server):
    seed_plugin(kube_server, "x")
    seed_plugin(kube_server, "y")
    result = delete("x", "--yes")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (f"{ISVC_REF}/x deleted\n{SR_REF}/x deleted\n"
                             "secret/nvidia-nim-secrets-x deleted\n"
                             "secret/nvidia-nim-image-pull-x deleted\n")
    assert "Keeping persistentvolumeclaim/nim-pvc-x: the model cache is kept; --delete-pvc " \
        "removes it" in result.stderr
    assert isvc(kube_server, "x") is None and runtime(kube_server, "x") is None
    assert secret(kube_server, "nvidia-nim-secrets-x") is None
    assert pvc(kube_server, "nim-pvc-x") is not None
    assert isvc(kube_server, "y") and secret(kube_server, "nvidia-nim-secrets-y")  # untouched


def test_delete_pvc(delete, kube_server):
    seed_plugin(kube_server, "x")
    result = delete("x", "--yes", "--delete-pvc")
    assert result.exit_code == 0
    assert result.stdout.endswith("persistentvolumeclaim/nim-pvc-x deleted\n")
    assert pvc(kube_server, "nim-pvc-x") is None


def test_pvc_mounted_by_another_runtime_is_kept(delete, kube_server):
    seed_plugin(kube_server, "x")
    seed_plugin(kube_server, "y", existing_pvc="nim-pvc-x")
    result = delete("x", "--yes", "--delete-pvc")
    assert result.exit_code == 0
    assert "Keeping persistentvolumeclaim/nim-pvc-x: still mounted by servingruntime.serving.kserve.io/y" \
        in result.stderr
    assert pvc(kube_server, "nim-pvc-x") is not None


def test_shared_legacy_secrets_are_never_deleted(delete, kube_server):
    seed_legacy(kube_server, "d1")
    seed_legacy(kube_server, "d2")
    result = delete("d1", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "secret/" not in result.stdout
    assert "Keeping secret/nvidia-nim-secrets: shared legacy secret, still used by " \
        "servingruntime.serving.kserve.io/d2" in result.stderr
    assert secret(kube_server, "nvidia-nim-secrets") and secret(kube_server, "ngc-secret")
    result = delete("d2", "--yes")  # the last user: still kept, with a pointer to cleanup
    assert "migrate --cleanup-shared" in result.stderr
    assert secret(kube_server, "nvidia-nim-secrets") and secret(kube_server, "ngc-secret")


def test_own_secret_used_elsewhere_is_kept(delete, kube_server):
    seed_plugin(kube_server, "x")
    objects = seed_plugin(kube_server, "y")
    rt = next(o for o in objects if o["kind"] == "ServingRuntime")
    rt["spec"]["imagePullSecrets"] = [{"name": "nvidia-nim-image-pull-x"}]
    kube_server.put_object(rt)
    result = delete("x", "--yes")
    assert "Keeping secret/nvidia-nim-image-pull-x: still used by servingruntime.serving.kserve.io/y" \
        in result.stderr
    assert secret(kube_server, "nvidia-nim-image-pull-x") is not None
    assert secret(kube_server, "nvidia-nim-secrets-x") is None


def test_custom_named_secret_is_not_ours(delete, kube_server):
    objects = seed_plugin(kube_server, "x")
    rt = next(o for o in objects if o["kind"] == "ServingRuntime")
    rt["spec"]["imagePullSecrets"] = [{"name": "team-pull"}]
    kube_server.put_object(rt)
    kube_server.put_object({"apiVersion": "v1", "kind": "Secret",
                            "metadata": {"name": "team-pull", "namespace": "default"}})
    result = delete("x", "--yes")
    assert "Keeping secret/team-pull: not this deployment's own secret" in result.stderr
    assert secret(kube_server, "team-pull") is not None


def test_disconnected_deployment(delete, kube_server):
    seed_disconnected(kube_server, "air")
    result = delete("air", "--yes")
    assert result.stdout == f"{ISVC_REF}/air deleted\n{SR_REF}/air deleted\n"


def test_refuses_without_a_terminal_unless_yes(delete, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    result = delete("x")
    assert result.exit_code == 2
    assert "without confirmation" in result.stderr and "--yes" in result.stderr
    assert writes(kube_server) == []


@pytest.mark.parametrize("answer,deleted", [("y\n", True), ("n\n", False), ("\n", False)])
def test_confirmation_on_a_terminal(delete, kube_server, answer, deleted):
    seed_plugin(kube_server, "x")
    result = delete("x", input=answer, stdin_isatty=True)
    assert "This deletes from project default:" in result.stderr
    assert f"  {ISVC_REF}/x" in result.stderr and "Delete? [y/N]" in result.stderr
    assert (result.exit_code == 0) is deleted
    assert (isvc(kube_server, "x") is None) is deleted


def test_client_dry_run_lists_what_would_go(delete, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    result = delete("x", "--dry-run=client", "--delete-pvc")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{ISVC_REF}/x deleted (dry run)", f"{SR_REF}/x deleted (dry run)",
        "secret/nvidia-nim-secrets-x deleted (dry run)",
        "secret/nvidia-nim-image-pull-x deleted (dry run)",
        "persistentvolumeclaim/nim-pvc-x deleted (dry run)"]
    assert writes(kube_server) == []


def test_server_dry_run(delete, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    result = delete("x", "--dry-run=server")
    assert result.exit_code == 0
    sent = [r for r in kube_server.requests if r["method"] == "DELETE"]
    assert len(sent) == 4 and all("dryRun=All" in r["query"] for r in sent)
    assert isvc(kube_server, "x") is not None


def test_not_found(delete, kube_server):
    result = delete("ghost", "--yes")
    assert result.exit_code == 1 and "no NIM deployment 'ghost'" in result.stderr
    result = delete("ghost", "--yes", "--ignore-not-found")
    assert result.exit_code == 0


def test_failure_midway_leaves_no_dangling_reference(delete, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.fail("DELETE", r"/servingruntimes/x", 403)
    result = delete("x", "--yes")
    assert result.exit_code == 1
    assert f"cannot delete {SR_REF}/x" in result.stderr
    assert f"deleted {ISVC_REF}/x" in result.stderr and "re-run to finish" in result.stderr
    assert runtime(kube_server, "x") is not None
    assert secret(kube_server, "nvidia-nim-secrets-x") is not None  # still referenced: kept
    # re-run (the injected 403 was one-off) finishes the job
    result = delete("x", "--yes")
    assert result.exit_code == 0, result.stderr
    assert runtime(kube_server, "x") is None and secret(kube_server, "nvidia-nim-secrets-x") is None


def test_transient_errors_are_retried(delete, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.fail("DELETE", r"/servingruntimes/x", 503)
    result = delete("x", "--yes")
    assert result.exit_code == 0, result.stderr
    assert runtime(kube_server, "x") is None


def test_cannot_list_runtimes_means_nothing_is_deleted(delete, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.deny("list", "servingruntimes")
    kube_server.clear_requests()
    result = delete("x", "--yes")
    assert result.exit_code == 1 and "cannot list ServingRuntimes" in result.stderr
    assert writes(kube_server) == []


def test_plan_is_pure():
    dep = nim_runtime.Deployment("x", "ns", None, None)
    plan = day2_plans.plan_delete(dep, [], {"nvidia-nim-secrets-x"}, {"nim-pvc-x"}, delete_pvc=True)
    # a half-made deployment (no runtime, no InferenceService): its leftovers go
    assert plan.delete == [("Secret", "nvidia-nim-secrets-x"),
                           ("PersistentVolumeClaim", "nim-pvc-x")]


def test_rerun_after_a_stop_before_the_secrets_deletes_the_leftovers(delete, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.fail("DELETE", r"/secrets/nvidia-nim-secrets-x", 403)
    assert delete("x", "--yes").exit_code == 1
    assert runtime(kube_server, "x") is None and secret(kube_server, "nvidia-nim-secrets-x")
    result = delete("x", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "deleting what is left of it" in result.stderr
    assert secret(kube_server, "nvidia-nim-secrets-x") is None
    assert secret(kube_server, "nvidia-nim-image-pull-x") is None
    assert delete("x", "--yes").exit_code == 1  # now nothing is left


def test_lifecycle_through_the_cli(nim, kube_server, kubeconfig, ngc_server):
    """deploy → list → rotate-key → delete, each verb through the CLI, no seeding."""
    from tests.helpers.day2 import NEW_KEY, OLD_KEY, assert_key_hidden, keys_of

    common = ["--kubeconfig", kubeconfig, "--ngc-api-url", ngc_server.url]
    out = nim("deploy", "llm", "--model", "llama-3.1-8b-instruct", "--skip-key-validation",
              *common, env={"NGC_API_KEY": OLD_KEY})
    assert out.exit_code == 0, out.stderr
    listed = nim("list", "--kubeconfig", kubeconfig)
    assert listed.stdout.splitlines()[1].split()[:6] == [
        "llm", "llama-3.1-8b-instruct", "1.15.5", "Unknown", "per-deployment", "nim-pvc-llm"]
    rotated = nim("rotate-key", "llm", *common, env={"NGC_API_KEY": NEW_KEY})
    assert rotated.exit_code == 0, rotated.stderr
    assert keys_of(kube_server, "llm") == (NEW_KEY, NEW_KEY)
    gone = nim("delete", "llm", "--yes", "--delete-pvc", "--kubeconfig", kubeconfig)
    assert gone.exit_code == 0, gone.stderr
    assert [o["kind"] for o in kube_server.objects() if o["metadata"].get("namespace") ==
            "default" and o["kind"] != "Namespace"] == []
    for result in (out, listed, rotated, gone):
        assert_key_hidden(result, OLD_KEY, NEW_KEY)
