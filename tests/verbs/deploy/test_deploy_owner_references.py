"""Both secrets carry an ownerReference to the deployment's ServingRuntime
(docs/design.md#secrets), so deleting
the deployment elsewhere (the dashboard deletes the ServingRuntime) lets the garbage collector
remove the key. Set once the runtime exists (its uid is needed): by deploy and by migrate."""

from __future__ import annotations

import yaml

from kubectl_nim.domain import objects
from tests.helpers.day2 import NEW_KEY, runtime, secret, seed_legacy
from tests.helpers.deploy import MODEL, NAME, NS, project, run_deploy, writes  # noqa: F401

SECRETS = (f"nvidia-nim-secrets-{NAME}", f"nvidia-nim-image-pull-{NAME}")


def owners(project, name):
    return project.get("Secret", name)["metadata"].get("ownerReferences")


def test_deploy_points_both_secrets_at_the_runtime(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 0, result.stderr
    uid = project.get("ServingRuntime", NAME)["metadata"]["uid"]
    for name in SECRETS:
        assert owners(project, name) == [{"apiVersion": "serving.kserve.io/v1alpha1",
                                          "kind": "ServingRuntime", "name": NAME, "uid": uid}]
    assert project.get("PersistentVolumeClaim", f"nim-pvc-{NAME}")["metadata"].get(
        "ownerReferences") is None  # the model cache outlives the deployment on purpose


def test_apply_rerun_sends_no_second_patch(run_deploy, project):
    assert run_deploy(NAME, "--model", MODEL, "--apply").exit_code == 0
    project.server.clear_requests()
    result = run_deploy(NAME, "--model", MODEL, "--apply")
    assert result.exit_code == 0, result.stderr
    # An identical re-run writes nothing (its dry runs show no change): no apply and no
    # second ownerReference patch; the reference set by the first run stays.
    assert [w for w in writes(project.server) if "/secrets/" in w[1]] == []
    assert len(owners(project, SECRETS[0])) == 1


def test_a_refused_owner_patch_rolls_everything_back(run_deploy, project):
    project.server.fail("PATCH", rf"/secrets/{SECRETS[1]}", 500)
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(
        "error: cannot set the ownerReferences of the secrets to "
        f"servingruntime.serving.kserve.io/{NAME}: ")
    assert "rolled back inferenceservice.serving.kserve.io/llama" in result.stderr
    for kind, name in [("Secret", SECRETS[0]), ("Secret", SECRETS[1]),
                       ("PersistentVolumeClaim", f"nim-pvc-{NAME}"), ("ServingRuntime", NAME),
                       ("InferenceService", NAME)]:
        assert project.get(kind, name) is None, (kind, name)


def test_dry_runs_send_no_owner_patch_and_client_output_has_none(run_deploy, project):
    server = run_deploy(NAME, "--model", MODEL, "--dry-run=server")
    assert server.exit_code == 0, server.stderr
    assert not [r for r in project.server.requests if r["method"] == "PATCH"
                and "/secrets/" in r["path"]]
    client = run_deploy(NAME, "--model", MODEL, "--dry-run=client", "-o", "yaml")
    assert client.exit_code == 0
    assert "ownerReferences" not in client.stdout
    assert all(d["metadata"]["name"] for d in yaml.safe_load_all(client.stdout))


def test_disconnected_deploy_has_nothing_to_own(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL, "--disconnected", key=None)
    assert result.exit_code == 0, result.stderr
    assert not [w for w in writes(project.server) if "/secrets" in w[1]]


def test_owner_patch_replaces_a_stale_reference_and_keeps_others():
    stale = {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
             "name": "x", "uid": "old"}
    other = {"apiVersion": "v1", "kind": "ConfigMap", "name": "keep", "uid": "c"}
    owner = objects.owner_reference({"metadata": {"name": "x", "uid": "new"}})
    patch = objects.owner_patch({"metadata": {"ownerReferences": [stale, other],
                                             "resourceVersion": "7"}}, owner)
    assert patch == {"metadata": {"ownerReferences": [other, owner], "resourceVersion": "7"}}
    assert objects.owner_patch({"metadata": {"ownerReferences": [owner]}}, owner) is None


def test_migrate_sets_the_owner_references(nim, kubeconfig, kube_server, ngc_server):
    seed_legacy(kube_server, "dash")
    result = nim("migrate", "dash", "--kubeconfig", kubeconfig, "--ngc-api-url", ngc_server.url,
                 "--skip-key-validation", "--no-restart", env={"NGC_API_KEY": NEW_KEY})
    assert result.exit_code == 0, result.stderr
    uid = runtime(kube_server, "dash")["metadata"]["uid"]
    for name in ("nvidia-nim-secrets-dash", "nvidia-nim-image-pull-dash"):
        refs = secret(kube_server, name)["metadata"]["ownerReferences"]
        assert [(r["kind"], r["name"], r["uid"]) for r in refs] == [("ServingRuntime", "dash", uid)]
