"""rotate-key, list, delete, migrate, config and --wait on a real kube-apiserver, and a user
with a project's `edit` / `view` rights only."""

from __future__ import annotations

import json


from tests.helpers.day2 import seed_legacy
from tests.helpers.realcluster import KEY, MODEL, NEW_KEY, Seeder, deployed, keys

def test_rotate_key_updates_both_secrets_and_restarts(real):
    deployed(real)
    result = real.nim("rotate-key", "c1", "--skip-key-validation", key=NEW_KEY)
    assert result.exit_code == 0, result.stderr
    assert keys(real, "c1") == (NEW_KEY, NEW_KEY)
    annotations = real.get("InferenceService", "c1")["spec"]["predictor"]["annotations"]
    assert "kubectl-nim/restartedAt" in annotations
    assert NEW_KEY not in result.stdout + result.stderr
    # Every write of the plugin is recorded under its one field manager.
    for name in ("nvidia-nim-secrets-c1", "nvidia-nim-image-pull-c1"):
        assert {m for m, _ in real.managers("Secret", name)} == {"kubectl-nim"}


def test_apply_after_rotate_and_restart_keeps_the_restart_stamp(real):
    deployed(real)
    assert real.nim("rotate-key", "c1", "--skip-key-validation", key=NEW_KEY).exit_code == 0
    stamp = real.get("InferenceService", "c1")["spec"]["predictor"]["annotations"]
    result = real.nim("deploy", "c1", "--model", MODEL, "--tag", "1.13.1", "--apply",
                      "--skip-key-validation", key=NEW_KEY)
    assert result.exit_code == 0, result.stderr
    assert real.get("InferenceService", "c1")["spec"]["predictor"]["annotations"] == stamp


def test_list_shows_plugin_and_dashboard_deployments(real):
    deployed(real)
    seed_legacy(Seeder(real), "dash", real.ns)
    result = real.nim("list", "-o", "json")
    assert result.exit_code == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["items"]}
    assert rows["c1"]["keyScheme"] == "per-deployment"
    assert rows["dash"]["keyScheme"] == "shared-legacy"


def test_migrate_moves_a_dashboard_deployment_to_its_own_secrets(real):
    seed_legacy(Seeder(real), "dash", real.ns, key=KEY)
    refused = real.nim("rotate-key", "dash", "--skip-key-validation", key=NEW_KEY)
    assert refused.exit_code == 1 and "migrate" in refused.stderr
    result = real.nim("migrate", "dash", "--reuse-key", "--no-restart")
    assert result.exit_code == 0, result.stderr
    assert keys(real, "dash") == (KEY, KEY)
    sr = real.get("ServingRuntime", "dash")
    assert sr["spec"]["imagePullSecrets"] == [{"name": "nvidia-nim-image-pull-dash"}]
    # Taking the dashboard's deployment over with --apply changes fields the dashboard owns
    # (the model-format version of today's default tag): named, and taken only when asked.
    again = real.nim("deploy", "dash", "--model", MODEL, "--apply")
    assert again.exit_code == 1
    assert "owned by odh-dashboard" in again.stderr and "--force-conflicts" in again.stderr
    assert "owned by kubectl-nim" not in again.stderr   # its own fields are not "another tool"
    forced = real.nim("deploy", "dash", "--model", MODEL, "--apply", "--force-conflicts")
    assert forced.exit_code == 0, forced.stderr
    assert keys(real, "dash") == (KEY, KEY)


def test_delete_removes_the_deployment_and_its_own_secrets(real):
    deployed(real)
    result = real.nim("delete", "c1", "--yes")
    assert result.exit_code == 0, result.stderr
    assert real.names("Secret") == [] and real.names("ServingRuntime") == []
    assert real.names("InferenceService") == []
    assert real.names("PersistentVolumeClaim") == ["nim-pvc-c1"]   # kept without --delete-pvc




def test_config_set_is_refused_where_the_crd_has_no_nimconfig(real, apps):
    result = real.nim("config", "set-disconnected", "true", "--apps-namespace", apps)
    assert result.exit_code == 1
    assert "does not support" in result.stderr and "nimConfig" in result.stderr
    cfg = real.server.get("OdhDashboardConfig", "odh-dashboard-config", apps)
    assert "nimConfig" not in cfg["spec"]


def test_config_set_and_unset_with_the_redesigned_crd(real, apps, nimconfig_crd):
    catalog = {"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "my-catalog", "namespace": apps},
               "data": {MODEL: json.dumps({
                   "name": MODEL, "displayName": "Llama", "shortDescription": "x",
                   "namespace": "nim/meta", "tags": ["1.13.1"], "latestTag": "1.13.1",
                   "updatedDate": "2026-01-01T00:00:00.000Z"})}}
    real.server.create(catalog)
    result = real.nim("config", "set-custom-configmap", "my-catalog", "--apps-namespace", apps)
    assert result.exit_code == 0, result.stderr
    cfg = real.server.get("OdhDashboardConfig", "odh-dashboard-config", apps)
    assert cfg["spec"]["nimConfig"]["customConfigMap"]["name"] == "my-catalog"
    models = real.nim("models", "-o", "json", "--apps-namespace", apps)
    assert [m["name"] for m in json.loads(models.stdout)["items"]] == [MODEL]
    unset = real.nim("config", "unset-custom-configmap", "--apps-namespace", apps)
    assert unset.exit_code == 0, unset.stderr
    cfg = real.server.get("OdhDashboardConfig", "odh-dashboard-config", apps)
    assert "customConfigMap" not in (cfg["spec"].get("nimConfig") or {})


# `deploy --wait` until Ready lives on the control plane, where KServe writes the status
# (test_deploy_control_plane_real.py).


def test_edit_user_deploys_view_user_is_refused_with_the_permission_named(real):
    real.server.bind(real.ns, "edit")
    result = real.nim("deploy", "c1", "--model", MODEL, "--tag", "1.13.1",
                      kubeconfig=real.dev_kubeconfig)
    assert result.exit_code == 0, result.stderr
    # edit cannot patch namespaces: the annotation is a warning, not a failure.
    assert "namespace" in result.stderr
    viewer = real.namespace("view")
    real.server.bind(viewer, "view")
    refused = real.nim("deploy", "c1", "--model", MODEL, "--tag", "1.13.1", "-n", viewer,
                       kubeconfig=real.dev_kubeconfig)
    assert refused.exit_code == 1
    assert "forbidden" in refused.stderr.lower()
    assert real.server.get("Secret", "nvidia-nim-secrets-c1", viewer) is None
