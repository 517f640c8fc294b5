"""docs/design.md#cluster-configuration against the fake API server: every source, its order, and
403/404 fall-through."""

import pytest

from kubectl_nim.app import discovery
from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.environment import Environment

from tests.helpers.catalog import catalog_configmap, model_entry
from tests.helpers.generations import APPS, dsci, odc


def ignore(text: str) -> None:
    """A console that drops what it is told (tests that are not about the warnings)."""


def template(name="nvidia-nim-http-template", ns=APPS, marker="cluster"):
    tpl = discovery.embedded_template()
    tpl["metadata"] = {"name": name, "namespace": ns, "annotations": {
        **tpl["metadata"]["annotations"], "openshift.io/display-name": f"NIM from {marker}"}}
    return tpl


def account(ns=APPS, cm=None, tpl=None):
    status = {}
    if cm:
        status["nimConfig"] = {"kind": "ConfigMap", "name": cm, "namespace": ns}
    if tpl:
        status["runtimeTemplate"] = {"kind": "Template", "name": tpl, "namespace": ns}
    return {"apiVersion": "nim.opendatahub.io/v1", "kind": "Account",
            "metadata": {"name": "odh-nim-account", "namespace": ns},
            "spec": {"apiKeySecret": {"name": "nvidia-nim-access"}}, "status": status}


def cm(name, ns, *models):
    return catalog_configmap([model_entry(m) for m in models], name=name, namespace=ns)


@pytest.fixture
def cluster(kube_server, kubeconfig):
    return Cluster.connect(kubeconfig=kubeconfig, timeout=2, env=Environment.default())


def _apps(cluster, override):
    settings = discovery.read_settings(cluster, override, warn=ignore)
    return settings.apps_namespace, settings.dashboard_config


def test_override_wins_without_any_probe(cluster, kube_server):
    apps, found = _apps(cluster, "mine")
    assert (apps.value, apps.source, found) == ("mine", "--apps-namespace", None)
    assert not [r for r in kube_server.requests if "dscinitializations" in r["path"]]


def test_dsci_names_the_applications_namespace(cluster, kube_server):
    kube_server.put_object(dsci("custom-apps"))
    apps, _ = _apps(cluster, None)
    assert apps.value == "custom-apps"
    assert apps.source == "dscinitialization/default-dsci"


def test_without_dsci_the_first_namespace_holding_an_odc(cluster, kube_server):
    kube_server.put_object(odc("opendatahub"))
    apps, found = _apps(cluster, None)
    assert apps.value == "opendatahub"
    assert found["metadata"]["name"] == "odh-dashboard-config"
    assert "OdhDashboardConfig in redhat-ods-applications: HTTP 404" in apps.probes[-1]


def test_403_on_dsci_falls_through(cluster, kube_server):
    kube_server.put_object(dsci("custom-apps"))
    kube_server.put_object(odc(APPS))
    kube_server.deny("list", "dscinitializations")
    apps, _ = _apps(cluster, None)
    assert apps.value == APPS
    assert apps.probes[0].startswith("DSCInitialization: HTTP 403 (Forbidden)")


def test_500_is_not_swallowed(cluster, kube_server):
    kube_server.fail("GET", "dscinitializations", 500, times=10)  # past the read retries
    with pytest.raises(ApiError) as e:
        _apps(cluster, None)
    assert e.value.status == 500


def test_catalog_order_custom_then_shipped_then_account_then_embedded(cluster, kube_server):
    kube_server.put_object(odc(APPS, {"customConfigMap": {"name": "my-models", "namespace": "cfg"}}))
    kube_server.put_object(cm("my-models", "cfg", "custom-model"))
    kube_server.put_object(cm("nvidia-nim-models-data", APPS, "shipped-model"))
    kube_server.put_object(account(cm="odh-nim-account-cm"))
    kube_server.put_object(cm("odh-nim-account-cm", APPS, "account-model"))

    warnings: list[str] = []

    def resolve():
        settings = discovery.read_settings(cluster, None, warn=warnings.append)
        return discovery.resolve_catalog(cluster, settings, warn=warnings.append)

    first = resolve()
    assert (first.source, first.value.names) == ("configmap cfg/my-models", ["custom-model"])
    assert warnings == []
    kube_server.deny("get", "configmaps", "cfg")   # custom one unreadable → next source
    second = resolve()
    assert warnings == ["the custom catalog ConfigMap cfg/my-models "
                        "(spec.nimConfig.customConfigMap) cannot be read (access denied, "
                        "HTTP 403); falling back to the next catalog source"]
    assert (second.source, second.value.names) == (f"configmap {APPS}/nvidia-nim-models-data",
                                                   ["shipped-model"])
    assert "ConfigMap cfg/my-models: HTTP 403" in second.probes[0]
    path = f"/api/v1/namespaces/{APPS}/configmaps/nvidia-nim-models-data"
    kube_server.fail("GET", path, 404, times=5)
    third = resolve()
    assert third.value.names == ["account-model"]
    assert third.reason == "status.nimConfig of NIM Account odh-nim-account"
    kube_server.deny("list", "accounts", APPS)
    kube_server.fail("GET", path, 404, times=5)
    fourth = resolve()
    assert fourth.source == "embedded catalog"
    assert "llama-3.1-8b-instruct" in fourth.value.names


def test_template_from_apps_namespace_then_account_then_embedded(cluster, kube_server):
    kube_server.put_object(odc(APPS))
    kube_server.put_object(template(marker="apps"))
    kube_server.put_object(account(tpl="nvidia-nim-serving-template"))
    kube_server.put_object(template("nvidia-nim-serving-template", marker="account"))
    settings = discovery.read_settings(cluster, None, warn=ignore)
    first = discovery.resolve_sources(cluster, settings, warn=ignore)[1]
    assert first.source == f"template {APPS}/nvidia-nim-http-template"
    kube_server.deny("get", "templates", APPS)
    kube_server.put_object(template("nvidia-nim-serving-template", ns="other", marker="x"))
    second = discovery.resolve_sources(cluster, settings, warn=ignore)[1]
    assert second.source == "embedded template"  # the account's template is unreadable too
    assert [p.split(":")[0] for p in second.probes] == [
        f"Template {APPS}/nvidia-nim-http-template",
        f"Template {APPS}/nim-http-template",
        f"Template {APPS}/nvidia-nim-serving-template"]


def test_disconnected_flag(cluster, kube_server):
    kube_server.put_object(odc(APPS, {"disconnected": {"disableKeyCollection": True}}))
    settings = discovery.read_settings(cluster, None, warn=ignore)
    assert settings.disconnected.value is True
    assert settings.disconnected.reason == "spec.nimConfig.disconnected.disableKeyCollection"


def test_everything_unreadable_falls_back_to_embedded_copies(cluster, kube_server):
    for verb, res in [("list", "dscinitializations"), ("get", "odhdashboardconfigs")]:
        kube_server.deny(verb, res)
    settings = discovery.read_settings(cluster, None, warn=ignore)
    assert settings.apps_namespace.value is None
    assert discovery.resolve_catalog(cluster, settings, warn=ignore).source == "embedded catalog"
    sources = discovery.resolve_sources(cluster, settings, warn=ignore)
    assert sources[1].source == "embedded template"
    assert settings.disconnected.value is False
