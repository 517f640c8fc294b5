"""`models` and `config view` against the fake API server, through the CLI."""

import json

import pytest
import yaml

from tests.helpers.catalog import catalog_configmap, model_entry
from tests.helpers.generations import APPS, dsci, odc


def seed_rhoai(kube_server, models=("cluster-model",), nim_config=None):
    kube_server.put_object(dsci(APPS))
    kube_server.put_object(odc(APPS, nim_config))
    kube_server.put_object(catalog_configmap([model_entry(m) for m in models],
                                             namespace=APPS))


def test_models_reads_the_cluster_catalog_and_names_it_under_v(nim, kube_server, kubeconfig):
    seed_rhoai(kube_server, ["a-model", "b-model"])
    result = nim("models", "--kubeconfig", kubeconfig, "-o", "name")
    assert result.exit_code == 0
    assert result.stdout == "model/a-model\nmodel/b-model\n"
    assert result.stderr == ""  # the usual source is no news
    verbose = nim("models", "--kubeconfig", kubeconfig, "-o", "name", "-v").stderr
    assert (f"Using the configmap {APPS}/nvidia-nim-models-data "
            "(the catalog shipped in the applications namespace).\n") in verbose


def test_models_asks_for_little(nim, kube_server, kubeconfig):
    """Six reads in two round trips: the DataScienceCluster (air-gap flag), the
    DSCInitialization and both well-known OdhDashboardConfigs at once, then the catalog under
    both names (timings: benchmarks/cli_startup.py)."""
    seed_rhoai(kube_server)
    nim("models", "--kubeconfig", kubeconfig)
    paths = [r["path"] for r in kube_server.requests]
    assert sorted(paths[:4]) == sorted([
        "/apis/datasciencecluster.opendatahub.io/v1/datascienceclusters",
        "/apis/dscinitialization.opendatahub.io/v1/dscinitializations",
        f"/apis/opendatahub.io/v1alpha/namespaces/{APPS}/odhdashboardconfigs/odh-dashboard-config",
        "/apis/opendatahub.io/v1alpha/namespaces/opendatahub/odhdashboardconfigs/odh-dashboard-config",
    ])
    assert sorted(paths[4:]) == [f"/api/v1/namespaces/{APPS}/configmaps/nim-models-data",
                                 f"/api/v1/namespaces/{APPS}/configmaps/nvidia-nim-models-data"]


def test_models_with_apps_namespace_after_the_verb(nim, kube_server, kubeconfig):
    kube_server.put_object(catalog_configmap([model_entry("elsewhere")], namespace="apps2"))
    result = nim("models", "--kubeconfig", kubeconfig, "--apps-namespace", "apps2", "-o", "name")
    assert result.stdout == "model/elsewhere\n"
    assert not any("dscinitializations" in r["path"] for r in kube_server.requests)


def test_models_falls_back_to_embedded_with_a_notice(nim, kube_server, kubeconfig):
    result = nim("models", "--kubeconfig", kubeconfig, "-o", "name")
    assert result.exit_code == 0
    assert "model/llama-3.1-8b-instruct\n" in result.stdout
    assert result.stderr == "Using the embedded catalog (no catalog ConfigMap found on the cluster).\n"


def test_models_malformed_cluster_entry_warns(nim, kube_server, kubeconfig):
    kube_server.put_object(dsci(APPS))
    kube_server.put_object(catalog_configmap([model_entry("ok")], namespace=APPS,
                                             raw={"bad": "[]"}))
    result = nim("models", "--kubeconfig", kubeconfig, "-o", "name")
    assert result.stdout == "model/ok\n"
    assert "warning: skipping malformed catalog entry 'bad': value is not a JSON object\n" in result.stderr


def test_verbose_shows_requests_and_fallthrough(nim, kube_server, kubeconfig):
    kube_server.put_object(odc("opendatahub"))
    result = nim("models", "--kubeconfig", kubeconfig, "-v", "-o", "name")
    assert result.exit_code == 0
    assert "debug: GET " in result.stderr
    assert "debug: OdhDashboardConfig in redhat-ods-applications: HTTP 404" in result.stderr


def test_config_view_text(nim, kube_server, kubeconfig):
    seed_rhoai(kube_server, ["a", "b"], {"disconnected": {"disableKeyCollection": True}})
    result = nim("config", "view", "--kubeconfig", kubeconfig, "-n", "team")
    assert result.exit_code == 0
    assert result.stdout == f"""\
Cluster:                 {kube_server.url} (context fake)
Namespace:               team
Applications namespace:  {APPS}
  from: dscinitialization/default-dsci
  why:  spec.applicationsNamespace of the DSCInitialization
Catalog:                 configmap {APPS}/nvidia-nim-models-data (2 models, 0 malformed entries)
  why:  the catalog shipped in the applications namespace
Runtime template:        embedded template
  why:  no runtime Template found on the cluster
  tried: Template {APPS}/nvidia-nim-http-template: HTTP 404 (NotFound), trying the next source
  tried: Template {APPS}/nim-http-template: HTTP 404 (NotFound), trying the next source
Disconnected:            true
  from: odhdashboardconfig {APPS}/odh-dashboard-config
  why:  spec.nimConfig.disconnected.disableKeyCollection
Secret naming:           seed
  why:  no nim-models-data or nim-http-template in {APPS}: the ADR's names, secrets \
nvidia-nim-secrets-NAME / nvidia-nim-image-pull-NAME
"""


def test_config_view_yaml_and_json(nim, kube_server, kubeconfig):
    seed_rhoai(kube_server, nim_config={"customConfigMap": {"name": "mine"}})
    data = yaml.safe_load(nim("config", "view", "--kubeconfig", kubeconfig, "-o", "yaml").stdout)
    assert data["applicationsNamespace"]["value"] == APPS
    assert data["catalog"]["source"] == f"configmap {APPS}/nvidia-nim-models-data"
    assert data["catalog"]["tried"] == [
        f"ConfigMap {APPS}/mine: HTTP 404 (NotFound), trying the next source"]
    as_json = json.loads(nim("config", "view", "--kubeconfig", kubeconfig, "-o", "json").stdout)
    assert as_json == data


def test_config_view_when_nothing_is_readable(nim, kube_server, kubeconfig):
    kube_server.deny("list", "dscinitializations")
    kube_server.deny("get", "odhdashboardconfigs")
    result = nim("config", "view", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0
    assert "Applications namespace:  <none>\n" in result.stdout
    assert "  tried: DSCInitialization: HTTP 403 (Forbidden), trying the next source\n" in result.stdout
    assert "Catalog:                 embedded catalog (186 models, 0 malformed entries)\n" in result.stdout


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"7", b'{"items": {"a": 1}}',
                                  b'{"items": [1]}'])
def test_a_list_answer_of_the_wrong_shape_is_one_clear_error(body):
    """The items of a list answer, whatever the server sent: a ClusterError, never a crash."""
    from kubectl_nim.adapters.kube.cluster import Cluster
    from kubectl_nim.errors import ClusterError

    class Answers:
        def send(self, method, url, data, headers):
            return 200, body, None

    cluster = Cluster(Answers(), "team", "https://hostile")
    with pytest.raises(ClusterError, match="answered with"):
        cluster.list("Pod", "team")
