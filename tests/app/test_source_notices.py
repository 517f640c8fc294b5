"""docs/design.md#cluster-configuration notices: a configured but missing/unreadable custom catalog
is named on stderr before
the fallback, and a 403 on the applications namespace is reported as access denied, not as
"is OpenShift AI installed?"."""

from __future__ import annotations

from tests.day2_support import APPS, seed_apps

from conftest import catalog_configmap, model_entry


def shipped(server):
    server.put_object(catalog_configmap([model_entry("shipped")], namespace=APPS))


def test_missing_custom_catalog_is_named_before_the_fallback(nim, kube_server, kubeconfig):
    seed_apps(kube_server, {"customConfigMap": {"name": "mine", "namespace": "cfg"}})
    shipped(kube_server)
    result = nim("models", "--kubeconfig", kubeconfig, "-o", "name")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "model/shipped\n"
    lines = result.stderr.splitlines()
    assert lines[0] == ("warning: the custom catalog ConfigMap cfg/mine "
                        "(spec.nimConfig.customConfigMap) does not exist; falling back to the "
                        "next catalog source")
    assert lines[1].startswith(f"Using the configmap {APPS}/nvidia-nim-models-data")


def test_unreadable_custom_catalog_says_access_denied(nim, kube_server, kubeconfig):
    seed_apps(kube_server, {"customConfigMap": {"name": "mine", "namespace": "cfg"}})
    kube_server.put_object(catalog_configmap([model_entry("custom")], name="mine",
                                             namespace="cfg"))
    shipped(kube_server)
    kube_server.deny("get", "configmaps", "cfg")
    result = nim("models", "--kubeconfig", kubeconfig, "-o", "name")
    assert result.stdout == "model/shipped\n"
    assert "custom catalog ConfigMap cfg/mine (spec.nimConfig.customConfigMap) cannot be read " \
           "(access denied, HTTP 403)" in result.stderr


def test_no_warning_without_a_custom_catalog(nim, kube_server, kubeconfig):
    seed_apps(kube_server)
    shipped(kube_server)
    assert "warning" not in nim("models", "--kubeconfig", kubeconfig).stderr


def test_403_on_the_applications_namespace_is_access_denied(nim, kube_server, kubeconfig):
    seed_apps(kube_server)
    shipped(kube_server)
    kube_server.deny("get", "configmaps", APPS)
    kube_server.deny("list", "accounts", APPS)
    result = nim("models", "--kubeconfig", kubeconfig, "-o", "name")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (f"Using the embedded catalog (access denied: this user may not read "
                             f"the catalog ConfigMap in the applications namespace {APPS} "
                             f"(HTTP 403)).\n")


def test_403_on_every_discovery_probe_is_access_denied(nim, kube_server, kubeconfig):
    kube_server.deny("list", "dscinitializations")
    kube_server.deny("get", "odhdashboardconfigs")
    result = nim("config", "view", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.stderr
    assert "access denied" in result.stdout
    assert "is OpenShift AI" not in result.stdout


def test_template_403_is_access_denied(nim, kube_server, kubeconfig):
    seed_apps(kube_server)
    shipped(kube_server)
    kube_server.deny("get", "templates", APPS)
    result = nim("config", "view", "--kubeconfig", kubeconfig)
    assert "Runtime template:        embedded template\n  why:  access denied: this user may " \
           f"not read the runtime Template in the applications namespace {APPS} (HTTP 403)" \
        in result.stdout
