"""`config view` against the fake API server, through the CLI: every setting, its source and why,
as text, YAML and JSON."""

import json

import yaml

from tests.helpers.generations import APPS, seed_rhoai


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
