"""Input validation: every name, namespace and resource name a user types is checked
as Kubernetes checks it before any request, and no code path can turn a user value into a
collection URL (an empty name made `DELETE .../inferenceservices/` delete everything)."""

from __future__ import annotations

import pytest

from kubectl_nim.adapters.kube import cluster as cluster_mod
from kubectl_nim.adapters.kube.resources import RESOURCES
from kubectl_nim.errors import NimError
from tests.helpers.day2 import isvc, runtime, seed_plugin

BAD_NAMES = ["", ".", "..", "a/b", "../x", "UPPER", "-x", "x_y", "a" * 300]


@pytest.fixture
def run(nim, kubeconfig, ngc_server):
    def invoke(*args, key="nvapi-test-key"):
        return nim(*args, "--kubeconfig", kubeconfig, env={"NGC_API_KEY": key})
    return invoke


def _no_writes(server):
    return [(r["method"], r["path"]) for r in server.requests if r["method"] != "GET"]


@pytest.mark.parametrize("bad", ["", ".", ".."])
def test_delete_with_empty_or_dot_name_deletes_nothing(run, kube_server, bad):
    seed_plugin(kube_server, "x")
    seed_plugin(kube_server, "y")
    kube_server.clear_requests()
    result = run("delete", bad, "--yes")
    assert result.exit_code == 2, result.stderr
    assert "invalid" in result.stderr and "unexpected" not in result.stderr
    assert kube_server.requests == []  # validated before any request
    assert isvc(kube_server, "x") and isvc(kube_server, "y")
    assert runtime(kube_server, "x") and runtime(kube_server, "y")


@pytest.mark.parametrize("argv", [
    ("rotate-key", ""), ("rotate-key", "."), ("migrate", "."), ("migrate", ""),
    ("deploy", "", "--model", "llama-3.1-8b-instruct"),
    ("deploy", "..", "--model", "llama-3.1-8b-instruct"),
    ("list", "-n", ".."), ("list", "-n", ""), ("list", "--namespace", "a/b"),
    ("delete", "x", "--yes", "-n", "."),
    ("config", "view", "--apps-namespace", ".."),
    ("deploy", "x", "--model", "llama-3.1-8b-instruct", "--existing-pvc", ".."),
    ("deploy", "x", "--model", "llama-3.1-8b-instruct", "--storage-class", "a/b"),
    ("deploy", "x", "--model", "llama-3.1-8b-instruct", "--hardware-profile-namespace", ".."),
    ("config", "set-custom-configmap", "..", "--configmap-namespace", "x"),
    ("config", "set-custom-configmap", "cm", "--configmap-namespace", ".."),
])
def test_bad_names_are_usage_errors_before_any_request(run, kube_server, argv):
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    result = run(*argv)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert "unexpected" not in result.stderr
    assert _no_writes(kube_server) == []
    assert kube_server.requests == []
    assert isvc(kube_server, "x")


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_namespace_option_names_the_rule(run, bad):
    result = run("list", "-n", bad)
    assert result.exit_code == 2
    assert "namespace" in result.stderr.lower()


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "/"])
def test_resource_path_refuses_names_that_would_address_a_collection(bad):
    res = RESOURCES["InferenceService"]
    with pytest.raises(NimError):
        res.path("team", bad)
    with pytest.raises(NimError):
        res.path(bad, "x")
    with pytest.raises(NimError):
        res.path(bad)


def test_resource_path_still_builds_valid_urls():
    res = RESOURCES["InferenceService"]
    assert res.path("team", "x") == "/apis/serving.kserve.io/v1beta1/namespaces/team/inferenceservices/x"
    assert res.path("team") == "/apis/serving.kserve.io/v1beta1/namespaces/team/inferenceservices"
    assert res.path(None) == "/apis/serving.kserve.io/v1beta1/inferenceservices"


def test_cluster_delete_with_empty_name_never_sends(kube_server, kubeconfig):
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    c = cluster_mod.Cluster.connect(kubeconfig=kubeconfig)
    with pytest.raises(NimError):
        c.delete("InferenceService", "", "default")
    assert kube_server.requests == []
    assert isvc(kube_server, "x")


def test_invalid_namespace_in_kubeconfig_is_refused(nim, kube_server, tmp_path):
    path = kube_server.write_kubeconfig(tmp_path / "kc", namespace="..")
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    result = nim("delete", "x", "--yes", "--kubeconfig", str(path))
    assert result.exit_code in (1, 2)
    assert "unexpected" not in result.stderr and "namespace" in result.stderr
    assert _no_writes(kube_server) == []
