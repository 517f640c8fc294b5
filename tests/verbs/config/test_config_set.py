"""`config set-custom-configmap` / `unset-custom-configmap` / `set-disconnected` against both
generations of the OdhDashboardConfig CRD in the fake API server."""

from __future__ import annotations

import json

import pytest
import yaml

from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.app import nimconfig
from kubectl_nim.environment import Environment
from tests.fakes.kube_apiserver import FakeKubeAPIServer
from tests.helpers.catalog import catalog_configmap, model_entry
from tests.helpers.day2 import APPS, cli, seed_apps

ODC = ("opendatahub.io/v1alpha", "odhdashboardconfigs")
ODC_REF = "odhdashboardconfig.opendatahub.io/odh-dashboard-config"
UNSUPPORTED = "error: this cluster does not support spec.nimConfig yet"


def odc(server):
    return server.get_object(*ODC, APPS, "odh-dashboard-config")


def configmap(server, name, namespace=APPS):
    return server.get_object("v1", "configmaps", namespace, name)


def _config(nim, server, tmp_path):
    seed_apps(server)
    return cli(nim, str(server.write_kubeconfig(tmp_path / "kc")), "config", key=None)


@pytest.fixture
def config(nim, kube_server, tmp_path):
    return _config(nim, kube_server, tmp_path)


@pytest.fixture
def old_config(nim, kube_server_without_nimconfig, tmp_path):
    return _config(nim, kube_server_without_nimconfig, tmp_path)


def put_catalog(server, name="my-catalog", entries=None, raw=None, namespace=APPS):
    entries = [model_entry("alpha"), model_entry("beta")] if entries is None else entries
    server.put_object(catalog_configmap(entries, name=name, namespace=namespace, raw=raw))


def patches(server):
    return [r for r in server.requests if r["method"] == "PATCH"]


def test_set_custom_configmap(config, kube_server):
    put_catalog(kube_server, raw={"broken": "{not json"})
    result = config("set-custom-configmap", "my-catalog")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{ODC_REF} patched\n"
    assert f"ConfigMap {APPS}/my-catalog: 2 models, 1 malformed entries." in result.stderr
    assert "skipping malformed catalog entry 'broken'" in result.stderr
    assert odc(kube_server)["spec"]["nimConfig"] == {
        "customConfigMap": {"name": "my-catalog", "namespace": APPS}}
    assert odc(kube_server)["spec"]["dashboardConfig"] == {"disableTracking": False}  # kept
    (patch,) = patches(kube_server)
    assert "fieldValidation=Strict" in patch["query"]


def test_configmap_in_another_namespace(config, kube_server):
    put_catalog(kube_server, namespace="catalogs")
    result = config("set-custom-configmap", "my-catalog", "--configmap-namespace", "catalogs")
    assert result.exit_code == 0, result.stderr
    assert odc(kube_server)["spec"]["nimConfig"]["customConfigMap"] == {
        "name": "my-catalog", "namespace": "catalogs"}


@pytest.mark.parametrize("setup,message", [
    (lambda s: None, "ConfigMap redhat-ods-applications/my-catalog does not exist"),
    (lambda s: put_catalog(s, entries=[]), "holds no usable model"),
    (lambda s: put_catalog(s, entries=[], raw={"a": "[]"}), "holds no usable model"),
    (lambda s: s.put_object({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "my-catalog", "namespace": APPS}}),
     "is not a catalog"),
])
def test_bad_configmaps_are_refused_unless_forced(config, kube_server, setup, message):
    setup(kube_server)
    kube_server.clear_requests()
    result = config("set-custom-configmap", "my-catalog")
    assert result.exit_code == 1 and message in result.stderr
    assert patches(kube_server) == []
    assert "nimConfig" not in odc(kube_server)["spec"]
    result = config("set-custom-configmap", "my-catalog", "--force")
    assert result.exit_code == 0, result.stderr
    assert "--force" in result.stderr
    assert odc(kube_server)["spec"]["nimConfig"]["customConfigMap"]["name"] == "my-catalog"


def test_from_file_creates_then_updates_the_configmap(config, kube_server, catalog_file):
    path = catalog_file([model_entry("alpha")])
    result = config("set-custom-configmap", "air-gapped", "--from-file", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"configmap/air-gapped created\n{ODC_REF} patched\n"
    assert "1 models, 0 malformed entries" in result.stderr
    stored = configmap(kube_server, "air-gapped")
    assert set(stored["data"]) == {"alpha"}
    assert odc(kube_server)["spec"]["nimConfig"]["customConfigMap"] == {
        "name": "air-gapped", "namespace": APPS}
    # the Strict dry-run probe went first, before anything was written
    methods = [(r["method"], "dryRun=All" in r["query"]) for r in kube_server.requests
               if r["method"] != "GET"]
    assert methods == [("PATCH", True), ("POST", False), ("PATCH", False)]

    path = catalog_file([model_entry("alpha"), model_entry("gamma")], name="v2", fmt="json")
    result = config("set-custom-configmap", "air-gapped", "--from-file", path)
    assert result.stdout.startswith("configmap/air-gapped configured\n")
    assert set(configmap(kube_server, "air-gapped")["data"]) == {"alpha", "gamma"}
    result = config("set-custom-configmap", "air-gapped", "--from-file", path)
    assert result.stdout.startswith("configmap/air-gapped unchanged\n")


def test_from_file_refuses_an_empty_catalog(config, kube_server, catalog_file):
    path = catalog_file([])
    result = config("set-custom-configmap", "air-gapped", "--from-file", path)
    assert result.exit_code == 1 and "holds no usable model" in result.stderr
    assert configmap(kube_server, "air-gapped") is None


def test_unsupported_cluster_is_never_success(old_config, kube_server_without_nimconfig):
    server = kube_server_without_nimconfig
    put_catalog(server)
    before = odc(server)
    for args in (["set-custom-configmap", "my-catalog"], ["unset-custom-configmap"],
                 ["set-disconnected", "true"], ["set-custom-configmap", "my-catalog",
                                                "--dry-run=server"]):
        result = old_config(*args)
        assert result.exit_code == 1, args
        assert result.stderr.splitlines()[-1].startswith(UNSUPPORTED), result.stderr
        assert "patched" not in result.stdout
    assert odc(server) == before  # nothing pruned, nothing written


def test_unsupported_cluster_from_file_writes_no_configmap(old_config, kube_server_without_nimconfig,
                                                           catalog_file):
    result = old_config("set-custom-configmap", "air", "--from-file",
                        catalog_file([model_entry("alpha")]))
    assert result.exit_code == 1 and UNSUPPORTED in result.stderr
    assert configmap(kube_server_without_nimconfig, "air") is None


def test_read_back_catches_a_server_that_ignores_strict(nim, tmp_path):
    """A server before Kubernetes 1.25 ignores fieldValidation and prunes silently (200): the
    answer is compared with the patch and the write is still reported as unsupported."""
    with FakeKubeAPIServer(without_nimconfig=True, field_validation=False) as server:
        seed_apps(server)
        kubeconfig = str(server.write_kubeconfig(tmp_path / "kc"))
        result = nim("config", "set-disconnected", "true", "--kubeconfig", kubeconfig)
    assert result.exit_code == 1
    assert f"{UNSUPPORTED}: the server answered without " \
        "spec.nimConfig.disconnected.disableKeyCollection" in result.stderr


def test_forbidden_names_the_permission(config, kube_server):
    put_catalog(kube_server)
    kube_server.deny("patch", "odhdashboardconfigs")
    result = config("set-disconnected", "true")
    assert result.exit_code == 1
    assert "not allowed to patch odhdashboardconfig.opendatahub.io/odh-dashboard-config in " \
        f"{APPS}" in result.stderr
    assert "needs the 'patch' permission on odhdashboardconfigs.opendatahub.io" in result.stderr


def test_unreadable_configmap_needs_force(config, kube_server):
    put_catalog(kube_server)
    kube_server.deny("get", "configmaps", namespace=APPS)
    result = config("set-custom-configmap", "my-catalog")
    assert result.exit_code == 1 and "cannot be read" in result.stderr


def test_unset_and_disconnected(config, kube_server):
    put_catalog(kube_server)
    assert config("set-custom-configmap", "my-catalog").exit_code == 0
    result = config("unset-custom-configmap")
    assert result.exit_code == 0, result.stderr
    assert f"no longer comes from ConfigMap {APPS}/my-catalog" in result.stderr
    assert odc(kube_server)["spec"]["nimConfig"] == {}
    again = config("unset-custom-configmap")
    assert "No custom catalog ConfigMap was set" in again.stderr
    assert again.stdout == f"{ODC_REF} unchanged\n"  # not "patched": nothing changed

    assert config("set-disconnected", "TRUE").exit_code == 0
    assert odc(kube_server)["spec"]["nimConfig"] == {"disconnected": {"disableKeyCollection": True}}
    assert config("set-disconnected", "false").exit_code == 0
    assert odc(kube_server)["spec"]["nimConfig"]["disconnected"] == {"disableKeyCollection": False}
    assert config("set-disconnected", "maybe").exit_code == 2


def test_dry_runs(config, kube_server):
    put_catalog(kube_server)
    before = odc(kube_server)
    kube_server.clear_requests()
    result = config("set-disconnected", "true", "--dry-run=client")
    assert result.exit_code == 0
    assert result.stdout == f"{ODC_REF} patched (dry run)\n"
    assert '{"spec":{"nimConfig":{"disconnected":{"disableKeyCollection":true}}}}' in result.stderr
    assert patches(kube_server) == []
    result = config("set-custom-configmap", "my-catalog", "--dry-run=server")
    assert result.stdout == f"{ODC_REF} patched (server dry run)\n"
    assert all("dryRun=All" in p["query"] for p in patches(kube_server))
    assert odc(kube_server) == before


def test_from_file_client_dry_run(config, kube_server, catalog_file):
    kube_server.clear_requests()
    result = config("set-custom-configmap", "air", "--from-file",
                    catalog_file([model_entry("alpha")]), "--dry-run=client")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"configmap/air created (dry run)\n{ODC_REF} patched (dry run)\n"
    assert [r for r in kube_server.requests if r["method"] != "GET"] == []


def test_no_applications_namespace(nim, kubeconfig):
    result = nim("config", "set-disconnected", "true", "--kubeconfig", kubeconfig)
    assert result.exit_code == 1 and "--apps-namespace" in result.stderr


def test_view_sees_what_set_wrote(config, kube_server):
    put_catalog(kube_server)
    config("set-custom-configmap", "my-catalog")
    config("set-disconnected", "true")
    view = yaml.safe_load(config("view", "-o", "yaml").stdout)
    assert view["catalog"]["source"] == f"configmap {APPS}/my-catalog"
    assert view["disconnected"]["value"] is True


def test_mismatches_is_pure():
    patch = nimconfig.nim_config_patch({"customConfigMap": None,
                                        "disconnected": {"disableKeyCollection": True}})
    assert nimconfig.mismatches(patch, {"spec": {"nimConfig": {
        "disconnected": {"disableKeyCollection": True}}}}) == []
    assert nimconfig.mismatches(patch, {"spec": {}}) == [
        "spec.nimConfig.disconnected.disableKeyCollection"]
    assert nimconfig.mismatches(patch, {"spec": {"nimConfig": {
        "customConfigMap": {"name": "x"}, "disconnected": {"disableKeyCollection": True}}}}) == [
        "spec.nimConfig.customConfigMap"]
    assert json.dumps(patch)


def test_a_cluster_without_nimconfig_raises_nimconfig_unsupported(kube_server_without_nimconfig,
                                                                   tmp_path):
    """`config set-disconnected` catches exactly this type to name the flag that works there."""
    server = kube_server_without_nimconfig
    seed_apps(server)
    cluster = Cluster.connect(kubeconfig=str(server.write_kubeconfig(tmp_path / "kc")), env=Environment.default())
    with pytest.raises(nimconfig.NimConfigUnsupported, match="does not support spec.nimConfig"):
        nimconfig.patch_nim_config(cluster, APPS, {"disconnected": {"disableKeyCollection": True}})
    assert "nimConfig" not in odc(server)["spec"]


def test_set_disconnected_on_an_old_cluster_names_the_datasciencecluster_flag(
        old_config, kube_server_without_nimconfig):
    kube_server_without_nimconfig.put_object({
        "apiVersion": "datasciencecluster.opendatahub.io/v1", "kind": "DataScienceCluster",
        "metadata": {"name": "default-dsc"}, "spec": {"components": {}}})
    result = old_config("set-disconnected", "true")
    assert result.exit_code == 1
    assert "on this release the way is the DataScienceCluster flag " \
        "spec.components.kserve.nim.airGapped" in result.stderr
    assert '"airGapped":true' in result.stderr


def test_set_disconnected_names_no_datasciencecluster_that_does_not_exist(old_config):
    result = old_config("set-disconnected", "true")
    assert result.exit_code == 1
    assert "default-dsc" not in result.stderr
    assert "no DataScienceCluster" in result.stderr


def test_set_disconnected_names_the_real_datasciencecluster(old_config,
                                                           kube_server_without_nimconfig):
    kube_server_without_nimconfig.put_object({
        "apiVersion": "datasciencecluster.opendatahub.io/v1", "kind": "DataScienceCluster",
        "metadata": {"name": "rhods"}, "spec": {"components": {}}})
    result = old_config("set-disconnected", "true")
    assert result.exit_code == 1
    assert "oc patch datasciencecluster rhods --type merge" in result.stderr
