"""`models` against the fake API server, through the CLI: the cluster's catalog, its sources and
fallbacks (files and the embedded catalog: test_models.py)."""

from tests.helpers.catalog import catalog_configmap, model_entry
from tests.helpers.generations import APPS, dsci, odc, seed_rhoai


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
