"""Today's air-gap flag (docs/design.md#disconnected-clusters): the DataScienceCluster's
`spec.components.kserve.nim.airGapped`
makes a cluster disconnected when nimConfig says nothing; `--disconnected` works with a cluster;
`config view` names the source; `config set-disconnected` on a cluster without nimConfig points
to the DataScienceCluster flag."""

from __future__ import annotations

import json

import pytest

from kubectl_nim.app import discovery
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.environment import Environment
from tests.helpers.day2 import seed_apps

NAME = "llama"


def ignore(text: str) -> None:
    """A console that drops what it is told (tests that are not about the warnings)."""


def dsc(air_gapped=True, name="default-dsc"):
    nim = {"managementState": "Managed"}
    if air_gapped is not None:
        nim["airGapped"] = air_gapped
    return {"apiVersion": "datasciencecluster.opendatahub.io/v1", "kind": "DataScienceCluster",
            "metadata": {"name": name},
            "spec": {"components": {"kserve": {"managementState": "Managed", "nim": nim}}}}


@pytest.fixture
def today(kube_server_without_nimconfig, tmp_path):
    """Today's cluster: OdhDashboardConfig CRD without nimConfig, DSC with the air-gap flag."""
    server = kube_server_without_nimconfig
    seed_apps(server)
    server.put_object(dsc(True))
    server.kubeconfig_path = str(server.write_kubeconfig(tmp_path / "kc"))
    return server


def test_settings_read_the_dsc_flag(today):
    cluster = Cluster.connect(kubeconfig=today.kubeconfig_path, timeout=2, env=Environment.default())
    settings = discovery.read_settings(cluster, None, warn=ignore)
    assert settings.disconnected.value is True
    assert settings.disconnected.source == "datasciencecluster/default-dsc"
    assert settings.disconnected.reason.startswith("spec.components.kserve.nim.airGapped")


def test_dsc_flag_false_and_absent(kube_server, kubeconfig):
    seed_apps(kube_server)
    cluster = Cluster.connect(kubeconfig=kubeconfig, timeout=2, env=Environment.default())
    kube_server.put_object(dsc(None))
    assert discovery.read_settings(cluster, None, warn=ignore).disconnected.value is False
    kube_server.put_object(dsc(False))
    settings = discovery.read_settings(cluster, None, warn=ignore)
    assert (settings.disconnected.value, settings.disconnected.source) == \
        (False, "datasciencecluster/default-dsc")


def test_nimconfig_wins_over_the_dsc_flag(kube_server, kubeconfig):
    seed_apps(kube_server, {"disconnected": {"disableKeyCollection": False}})
    kube_server.put_object(dsc(True))
    cluster = Cluster.connect(kubeconfig=kubeconfig, timeout=2, env=Environment.default())
    settings = discovery.read_settings(cluster, None, warn=ignore)
    assert settings.disconnected.value is False
    assert settings.disconnected.reason == "spec.nimConfig.disconnected.disableKeyCollection"


def test_dsc_read_with_apps_namespace_override_in_one_round(kube_server, kubeconfig):
    kube_server.put_object(dsc(True))
    cluster = Cluster.connect(kubeconfig=kubeconfig, timeout=2, env=Environment.default())
    settings = discovery.read_settings(cluster, "mine", warn=ignore)
    assert settings.disconnected.value is True
    assert sorted(r["path"].split("/")[-1] for r in kube_server.requests) == \
        ["datascienceclusters", "odh-dashboard-config"]


def test_unreadable_dsc_is_not_fatal(kube_server, kubeconfig):
    seed_apps(kube_server)
    kube_server.deny("list", "datascienceclusters")
    cluster = Cluster.connect(kubeconfig=kubeconfig, timeout=2, env=Environment.default())
    settings = discovery.read_settings(cluster, None, warn=ignore)
    assert settings.disconnected.value is False
    assert any(p.startswith("DataScienceCluster: HTTP 403") for p in settings.disconnected.probes)


def test_deploy_on_an_air_gapped_cluster_needs_no_key_and_makes_no_secret(nim, today):
    result = nim("deploy", NAME, "--model", "llama-3.1-8b-instruct", "--kubeconfig",
                 today.kubeconfig_path, "-o", "json")
    assert result.exit_code == 0, result.stderr
    assert "disconnected (datasciencecluster/default-dsc" in result.stderr
    objects = json.loads(result.stdout)["items"]
    assert [o["kind"] for o in objects] == ["PersistentVolumeClaim", "ServingRuntime",
                                            "InferenceService"]
    runtime = objects[1]["spec"]
    assert "imagePullSecrets" not in runtime
    assert not any(e["name"] == "NGC_API_KEY" for c in runtime["containers"]
                   for e in c.get("env") or [])
    assert not [r for r in today.requests if "/secrets" in r["path"]]


def test_disconnected_flag_is_allowed_with_a_cluster(nim, kube_server, kubeconfig):
    seed_apps(kube_server)
    result = nim("deploy", NAME, "--model", "llama-3.1-8b-instruct", "--kubeconfig", kubeconfig,
                 "--disconnected", "--dry-run=client", "-o", "name")
    assert result.exit_code == 0, result.stderr
    assert not any(line.startswith("secret/") for line in result.stdout.splitlines())


def test_config_view_names_the_dsc(nim, today):
    result = nim("config", "view", "--kubeconfig", today.kubeconfig_path)
    assert result.exit_code == 0, result.stderr
    assert "Disconnected:            true\n  from: datasciencecluster/default-dsc\n" \
        in result.stdout


def test_set_disconnected_without_nimconfig_explains_the_dsc_flag(nim, today):
    result = nim("config", "set-disconnected", "true", "--kubeconfig", today.kubeconfig_path)
    assert result.exit_code == 1
    assert "does not support spec.nimConfig yet" in result.stderr
    assert "spec.components.kserve.nim.airGapped" in result.stderr
    assert "oc patch datasciencecluster default-dsc" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
