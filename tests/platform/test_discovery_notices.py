"""docs/design.md#cluster-configuration notices: a configured but missing/unreadable custom catalog
is named on stderr before
the fallback, and a 403 on the applications namespace is reported as access denied, not as
"is OpenShift AI installed?"."""

from __future__ import annotations

from tests.helpers.day2 import APPS, seed_apps

from tests.helpers.catalog import catalog_configmap, model_entry


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
                             f"(HTTP 403); ask an admin for read access (get) to configmaps in "
                             f"{APPS}).\n")


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


def test_403_on_discovery_makes_models_say_access_denied_not_missing(nim, kube_server,
                                                                      kubeconfig):
    """A user who may not read DSCInitialization nor OdhDashboardConfig: the catalog exists,
    the fallback is the permission's doing; say so, and what to ask an admin for."""
    seed_apps(kube_server)
    shipped(kube_server)
    kube_server.deny("list", "dscinitializations")
    kube_server.deny("get", "odhdashboardconfigs")
    result = nim("models", "--kubeconfig", kubeconfig, "-o", "name")
    assert result.exit_code == 0, result.stderr
    assert "no catalog ConfigMap found" not in result.stderr
    assert result.stderr.startswith("Using the embedded catalog (access denied:")
    assert "ask an admin" in result.stderr and "--apps-namespace" in result.stderr


def test_the_shipped_catalog_is_no_news(nim, kube_server, kubeconfig):
    """The usual source is said under -v only; a fallback or a custom ConfigMap is news."""
    seed_apps(kube_server)
    shipped(kube_server)
    quiet = nim("models", "--kubeconfig", kubeconfig, "-o", "name")
    assert (quiet.exit_code, quiet.stderr) == (0, "")
    seed_apps(kube_server, {"customConfigMap": {"name": "mine", "namespace": "cfg"}})
    kube_server.put_object(catalog_configmap([model_entry("custom")], name="mine",
                                             namespace="cfg"))
    custom = nim("models", "--kubeconfig", kubeconfig, "-o", "name")
    assert custom.stderr.startswith("Using the configmap cfg/mine (spec.nimConfig.customConfigMap")
    seed_apps(kube_server)
    verbose = nim("models", "--kubeconfig", kubeconfig, "-o", "name", "-v")
    assert f"Using the configmap {APPS}/nvidia-nim-models-data" in verbose.stderr


def _shipped_template(server):
    from kubectl_nim.app import discovery

    template = discovery.embedded_template()
    template["metadata"]["namespace"] = APPS
    server.put_object(template)


def _deploy(nim, kubeconfig, *extra):
    return nim("deploy", "x", "--model", "shipped", "--skip-secrets", "--dry-run=server",
               "--kubeconfig", kubeconfig, *extra)


def test_deploy_names_the_shipped_sources_under_v_only(nim, kube_server, kubeconfig):
    seed_apps(kube_server)
    shipped(kube_server)
    _shipped_template(kube_server)
    quiet = _deploy(nim, kubeconfig)
    assert quiet.exit_code == 0, quiet.stderr
    assert "Using the" not in quiet.stderr
    assert f"Using the configmap {APPS}/nvidia-nim-models-data and the template " \
           f"{APPS}/nvidia-nim-http-template." in _deploy(nim, kubeconfig, "-v").stderr


def test_deploy_says_a_permission_made_it_use_the_embedded_copies(nim, kube_server, kubeconfig):
    seed_apps(kube_server)
    shipped(kube_server)
    _shipped_template(kube_server)
    kube_server.deny("get", "configmaps", APPS)
    kube_server.deny("get", "templates", APPS)
    kube_server.deny("list", "accounts", APPS)
    result = nim("deploy", "x", "--model", "llama-3.1-8b-instruct", "--skip-secrets",
                 "--dry-run=server", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.stderr
    assert ("Using the embedded catalog and the embedded template (access denied: this user "
            f"may not read the catalog ConfigMap in the applications namespace {APPS} (HTTP "
            f"403); ask an admin for read access (get) to configmaps in {APPS}).") \
        in result.stderr
