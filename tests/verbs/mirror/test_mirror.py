"""`mirror plan` through the CLI: each part exactly, the stderr hint and warnings, exit codes,
and the round trip: the plan's ConfigMap loaded by `config set-custom-configmap --from-file` on
the fake API server and listed by `models`."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.helpers.catalog import catalog_configmap
from tests.helpers.day2 import APPS, seed_apps


def entry(name, namespace="nim/meta", tags=("1.0.0", "latest"), latest="1.0.0", **extra):
    return {"name": name, "displayName": name.title(), "shortDescription": f"{name} for tests",
            "namespace": namespace, "tags": list(tags), "latestTag": latest,
            "updatedDate": "2026-01-02T03:04:05.000Z", **extra}


ENTRIES = [
    entry("llama-3.1-8b-instruct", tags=("1.15.5", "1.15", "latest", "1.8.6"), latest="latest"),
    entry("llama-4-scout", tags=("2.0.1", "latest"), latest="2.0.1", euRestricted=True),
    entry("floaty", tags=("latest",), latest="latest"),
]


@pytest.fixture
def catalog(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(catalog_configmap(ENTRIES)))
    return str(path)


def plan(nim, catalog, *args):
    return nim("mirror", "plan", "--catalog", catalog, *args)


ISC = """\
apiVersion: mirror.openshift.io/v2alpha1
kind: ImageSetConfiguration
mirror:
  additionalImages:
  - name: nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5
"""
ITMS = """\
apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata:
  name: nvidia-nim-mirror
spec:
  imageTagMirrors:
  - source: nvcr.io/nim/meta
    mirrors:
    - registry.local:5000/mirror/nim/meta
"""
CATALOG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: nim-models-mirrored
  labels:
    opendatahub.io/managed: 'true'
    app.kubernetes.io/managed-by: kubectl-nim
data:
  llama-3.1-8b-instruct: '{"name":"llama-3.1-8b-instruct","displayName":"Llama-3.1-8B-Instruct","shortDescription":"llama-3.1-8b-instruct for tests","namespace":"nim/meta","tags":["1.15.5"],"latestTag":"1.15.5","updatedDate":"2026-01-02T03:04:05.000Z","euRestricted":false}'
"""
HINT = ("1 image(s) to mirror. oc-mirror pulls from nvcr.io with your container "
        "credentials: first run `podman login nvcr.io --username '$oauthtoken'` and paste your "
        "NVIDIA API key (nvapi-...) when asked for the password.\n")


def test_every_part_by_default(nim, catalog):
    result = plan(nim, catalog, "--model", "llama-3.1-8b-instruct", "--registry",
                  "registry.local:5000/mirror")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{ISC}---\n{ITMS}---\n{CATALOG}"
    assert result.stderr == HINT


@pytest.mark.parametrize("part,expected", [("imageset", ISC), ("itms", ITMS),
                                           ("catalog", CATALOG)])
def test_each_part_alone(nim, catalog, part, expected):
    result = plan(nim, catalog, "--model", "llama-3.1-8b-instruct", "--part", part,
                  "--registry", "registry.local:5000/mirror")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected


def test_without_registry_there_is_no_itms(nim, catalog):
    result = plan(nim, catalog, "--model", "llama-3.1-8b-instruct")
    assert result.stdout == f"{ISC}---\n{CATALOG}"


def test_itms_part_needs_a_registry(nim, catalog):
    result = plan(nim, catalog, "--model", "llama-3.1-8b-instruct", "--part", "itms")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --part itms needs --registry")


def test_unknown_model_names_the_closest_and_exits_1(nim, catalog):
    result = plan(nim, catalog, "--model", "llama-3.1-8b-instrct")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "model 'llama-3.1-8b-instrct' is not in the catalog" in result.stderr
    assert "did you mean llama-3.1-8b-instruct" in result.stderr


def test_floating_only_model_is_a_usage_error_until_named(nim, catalog):
    result = plan(nim, catalog, "--model", "floaty")
    assert result.exit_code == 2
    assert "floaty lists no concrete version" in result.stderr
    named = plan(nim, catalog, "--model", "floaty:latest")
    assert named.exit_code == 0
    assert "nvcr.io/nim/meta/floaty:latest" in named.stdout
    assert "warning: mirroring tag 'latest' of floaty floats" in named.stderr


def test_eu_model_is_flagged(nim, catalog):
    result = plan(nim, catalog, "--model", "llama-4-scout")
    assert result.exit_code == 0
    assert "warning: llama-4-scout is restricted in the European Union" in result.stderr


def test_bad_registry_is_refused_before_anything(nim, catalog):
    result = plan(nim, catalog, "--model", "llama-4-scout", "--registry", "https://a b")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_offline_uses_the_embedded_catalog(nim):
    result = nim("mirror", "plan", "--offline", "--model", "llama-3.1-8b-instruct",
                 "--all-tags", "--part", "imageset")
    assert result.exit_code == 0, result.stderr
    images = [i["name"] for i in yaml.safe_load(result.stdout)["mirror"]["additionalImages"]]
    assert "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5" in images
    assert all(not i.endswith((":latest", ":1")) for i in images)


def test_round_trip_through_set_custom_configmap_and_models(nim, catalog, kube_server,
                                                            tmp_path):
    seed_apps(kube_server)
    kubeconfig = str(kube_server.write_kubeconfig(tmp_path / "kc"))
    out = plan(nim, catalog, "--model", "llama-3.1-8b-instruct:1.8.6", "--model",
               "llama-4-scout", "--part", "catalog")
    assert out.exit_code == 0, out.stderr
    path = tmp_path / "mirrored.yaml"
    path.write_text(out.stdout)
    loaded = nim("config", "set-custom-configmap", "nim-models-mirrored", "--from-file",
                 str(path), "--kubeconfig", kubeconfig)
    assert loaded.exit_code == 0, loaded.stderr
    stored = kube_server.get_object("v1", "configmaps", APPS, "nim-models-mirrored")
    assert set(stored["data"]) == {"llama-3.1-8b-instruct", "llama-4-scout"}
    listed = nim("models", "-o", "json", "--kubeconfig", kubeconfig)
    assert listed.exit_code == 0, listed.stderr
    models = {m["name"]: m for m in json.loads(listed.stdout)["items"]}
    assert set(models) == {"llama-3.1-8b-instruct", "llama-4-scout"}
    assert models["llama-3.1-8b-instruct"]["tags"] == ["1.8.6"]
    assert models["llama-3.1-8b-instruct"]["image"] == \
        "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.6"
    assert models["llama-4-scout"]["euRestricted"] is True
    assert "nim-models-mirrored" in listed.stderr  # the notice names the custom ConfigMap


def test_the_clusters_catalog_is_used_as_models_uses_it(nim, kube_server, tmp_path):
    seed_apps(kube_server)
    kube_server.put_object(catalog_configmap(ENTRIES, namespace=APPS))
    kubeconfig = str(kube_server.write_kubeconfig(tmp_path / "kc"))
    result = nim("mirror", "plan", "--model", "llama-4-scout", "--part", "imageset",
                 "--kubeconfig", kubeconfig, "-v")
    assert result.exit_code == 0, result.stderr
    assert "nvcr.io/nim/meta/llama-4-scout:2.0.1" in result.stdout
    # the shipped ConfigMap, as usual, is named under -v only (docs/architecture.md)
    assert "nvidia-nim-models-data" in result.stderr


def test_no_cluster_points_to_offline(nim, tmp_path):
    missing = tmp_path / "no-kubeconfig"
    result = nim("mirror", "plan", "--model", "x", "--kubeconfig", str(missing))
    assert result.exit_code == 1
    assert "or pass --offline to plan from the catalog embedded in the plugin" in result.stderr
