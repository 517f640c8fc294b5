"""Both secret namings (docs/design.md#names): the ADR's `nvidia-nim-*` (seed) and upstream's later
`nim-api-key-*` / `nim-image-pull-*`. Every verb recognises both as a deployment's own; `deploy`
and `migrate` write the naming of the cluster's generation; `config view` says which and why."""

from __future__ import annotations

import copy
import json

import pytest

from kubectl_nim.app import local_catalog
from kubectl_nim.domain import names, render
from kubectl_nim.app import discovery, secret_writes
from kubectl_nim.domain import nim_runtime
from tests.helpers.day2 import (APPS, NEW_KEY, OLD_KEY, keys_of, runtime, secret, seed_apps,
                                seed_legacy)
from tests.helpers.deploy import KEY

from tests.helpers.catalog import catalog_configmap, model_entry

NAME = "llama"


def later_objects(name: str = NAME, namespace: str = "default", key: str = OLD_KEY):
    """A deployment as the later upstream implementation makes it: nim-api-key-NAME and
    nim-image-pull-NAME."""
    model = local_catalog.load_embedded().get("llama-3.1-8b-instruct")
    options = render.DeployOptions(name=name, namespace=namespace, model=model, tag="1.15.5",
                                   secret_naming=names.LATER)
    return render.render_deployment(options, discovery.embedded_template(), key)


def seed_later(server, name: str = NAME, namespace: str = "default", key: str = OLD_KEY):
    objects = later_objects(name, namespace, key)
    for obj in objects:
        server.put_object(obj)
    return objects


# --- the one place: names.py ---------------------------------------------------------------------

def test_derived_names_in_both_namings():
    assert names.derived_names("x")["secret"] == "nvidia-nim-secrets-x"
    assert names.derived_names("x", names.SEED)["pull_secret"] == "nvidia-nim-image-pull-x"
    later = names.derived_names("x", names.LATER)
    assert (later["secret"], later["pull_secret"], later["pvc"]) == \
        ("nim-api-key-x", "nim-image-pull-x", "nim-pvc-x")
    assert names.own_secret_names("x") == {
        "secret": ("nvidia-nim-secrets-x", "nim-api-key-x"),
        "pull_secret": ("nvidia-nim-image-pull-x", "nim-image-pull-x")}


def test_naming_of_recognises_only_the_deployments_own_names():
    assert names.naming_of("x", "nim-api-key-x") == names.LATER
    assert names.naming_of("x", "nvidia-nim-image-pull-x") == names.SEED
    assert names.naming_of("x", "nim-api-key-y") is None
    assert names.naming_of("x", "nvidia-nim-secrets") is None


def test_choose_secret_naming():
    assert names.choose_secret_naming(None, APPS, [])[0] == names.SEED
    naming, source, why = names.choose_secret_naming(None, APPS, ["configmap nim-models-data"])
    assert naming == names.LATER and source == f"configmap nim-models-data in {APPS}"
    assert "nim-api-key-NAME" in why
    assert names.choose_secret_naming("seed", APPS, ["template nim-http-template"])[:2] == \
        (names.SEED, "--secret-naming")


# --- list, rotate-key, migrate, delete recognise the later naming -------------------------------

def test_key_scheme_of_a_later_named_deployment_is_per_deployment():
    sr = next(o for o in later_objects() if o["kind"] == "ServingRuntime")
    assert nim_runtime.key_scheme(NAME, nim_runtime.runtime_refs(sr)) == nim_runtime.PER_DEPLOYMENT
    # another deployment's later-named secrets are not this one's own
    assert nim_runtime.key_scheme("other", nim_runtime.runtime_refs(sr)) == nim_runtime.CUSTOM


def test_list_calls_a_later_named_deployment_per_deployment(nim, kubeconfig, kube_server):
    seed_later(kube_server)
    result = nim("list", "--kubeconfig", kubeconfig, "-o", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["items"]
    assert [r["keyScheme"] for r in rows] == [nim_runtime.PER_DEPLOYMENT]


def test_rotate_key_updates_the_later_named_secrets(nim, kubeconfig, kube_server, ngc_server,
                                                     no_backoff):
    seed_later(kube_server)
    result = nim("rotate-key", NAME, "--kubeconfig", kubeconfig, "--ngc-api-url", ngc_server.url,
                 "--no-restart", env={"NGC_API_KEY": NEW_KEY})
    assert result.exit_code == 0, result.stderr
    assert keys_of(kube_server, NAME) == (NEW_KEY, NEW_KEY)
    assert secret(kube_server, "nvidia-nim-secrets-llama") is None  # nothing seed-named made


def test_migrate_leaves_a_later_named_deployment_alone(nim, kubeconfig, kube_server, ngc_server):
    seed_later(kube_server)
    result = nim("migrate", NAME, "--kubeconfig", kubeconfig, "--ngc-api-url", ngc_server.url,
                 "--skip-key-validation", env={"NGC_API_KEY": NEW_KEY})
    assert result.exit_code == 0, result.stderr
    assert "already uses its own secrets" in result.stderr
    assert keys_of(kube_server, NAME) == (OLD_KEY, OLD_KEY)


def test_delete_removes_the_later_named_secrets(nim, kubeconfig, kube_server):
    seed_later(kube_server)
    result = nim("delete", NAME, "--kubeconfig", kubeconfig, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "secret/nim-api-key-llama deleted" in result.stdout
    assert "secret/nim-image-pull-llama deleted" in result.stdout
    assert secret(kube_server, "nim-api-key-llama") is None
    assert secret(kube_server, "nim-image-pull-llama") is None


def test_delete_of_a_half_made_later_deployment_removes_its_leftover_secrets(nim, kubeconfig,
                                                                              kube_server):
    objects = later_objects()
    for obj in objects:
        if obj["kind"] in ("Secret", "InferenceService"):
            kube_server.put_object(obj)
    result = nim("delete", NAME, "--kubeconfig", kubeconfig, "--yes")
    assert result.exit_code == 0, result.stderr
    assert secret(kube_server, "nim-api-key-llama") is None


# --- deploy and migrate write the cluster's naming -----------------------------------------------

def later_cluster(server, marker: str = "configmap"):
    seed_apps(server)
    if marker == "configmap":
        server.put_object(catalog_configmap(
            [model_entry("llama-3.1-8b-instruct", tags=("1.15.5", "latest"), latest="1.15.5")],
            name="nim-models-data", namespace=APPS))
    else:
        tpl = copy.deepcopy(discovery.embedded_template())
        tpl["metadata"] = {**tpl["metadata"], "name": "nim-http-template", "namespace": APPS}
        server.put_object(tpl)


@pytest.fixture
def deploy(nim, kubeconfig, ngc_server):
    def run(*args):
        return nim("deploy", NAME, "--model", "llama-3.1-8b-instruct", "--kubeconfig", kubeconfig,
                   "--ngc-api-url", ngc_server.url, *args, env={"NGC_API_KEY": KEY})
    return run


@pytest.mark.parametrize("marker", ["configmap", "template"])
def test_deploy_writes_the_later_naming_on_a_later_cluster(deploy, kube_server, marker):
    later_cluster(kube_server, marker)
    result = deploy()
    assert result.exit_code == 0, result.stderr
    assert "secret/nim-api-key-llama created" in result.stdout
    assert "secret/nim-image-pull-llama created" in result.stdout
    assert keys_of(kube_server, NAME) == (KEY, KEY)
    assert secret(kube_server, "nvidia-nim-secrets-llama") is None


def test_deploy_writes_the_seed_naming_elsewhere_and_the_flag_overrides(deploy, kube_server):
    seed_apps(kube_server)
    result = deploy("--dry-run=client", "-o", "name")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["secret/nvidia-nim-secrets-llama",
                                              "secret/nvidia-nim-image-pull-llama"]
    later = deploy("--dry-run=client", "-o", "name", "--secret-naming", "later")
    assert later.stdout.splitlines()[:2] == ["secret/nim-api-key-llama",
                                             "secret/nim-image-pull-llama"]
    later_cluster(kube_server)
    seed = deploy("--dry-run=client", "-o", "yaml", "--secret-naming", "seed")
    assert "name: nvidia-nim-secrets-llama" in seed.stdout
    assert "nim-api-key-llama" not in seed.stdout


def test_offline_render_takes_the_flag(nim):
    result = nim("deploy", NAME, "--model", "llama-3.1-8b-instruct", "--offline",
                 "--dry-run=client", "-o", "yaml", "--secret-naming", "later",
                 env={"NGC_API_KEY": KEY})
    assert result.exit_code == 0, result.stderr
    assert "name: nim-api-key-llama" in result.stdout
    assert "- name: nim-image-pull-llama" in result.stdout  # imagePullSecrets follows


def test_migrate_on_a_later_cluster_writes_later_names(nim, kubeconfig, kube_server, ngc_server):
    later_cluster(kube_server)
    seed_legacy(kube_server, "dash")
    result = nim("migrate", "dash", "--kubeconfig", kubeconfig, "--ngc-api-url", ngc_server.url,
                 "--skip-key-validation", "--no-restart", env={"NGC_API_KEY": NEW_KEY})
    assert result.exit_code == 0, result.stderr
    assert nim_runtime.runtime_refs(runtime(kube_server, "dash")).names == \
        ("nim-api-key-dash", "nim-image-pull-dash")
    assert keys_of(kube_server, "dash") == (NEW_KEY, NEW_KEY)


def test_config_view_shows_the_naming_and_why(nim, kubeconfig, kube_server):
    seed_apps(kube_server)
    seed = nim("config", "view", "--kubeconfig", kubeconfig, "-o", "json")
    assert json.loads(seed.stdout)["secretNaming"]["value"] == "seed"
    later_cluster(kube_server, "template")
    result = nim("config", "view", "--kubeconfig", kubeconfig)
    assert result.exit_code == 0, result.stderr
    assert "Secret naming:           later" in result.stdout
    assert f"from: template nim-http-template in {APPS}" in result.stdout


# --- catalog and Template under the later names -------------------------------------------------

def test_catalog_and_template_found_under_the_later_names(nim, kubeconfig, kube_server):
    later_cluster(kube_server)
    later_cluster(kube_server, "template")
    result = nim("config", "view", "--kubeconfig", kubeconfig, "-o", "json")
    data = json.loads(result.stdout)
    assert data["catalog"]["source"] == f"configmap {APPS}/nim-models-data"
    assert data["template"]["source"] == f"template {APPS}/nim-http-template"
    # the seed names still win when both exist
    kube_server.put_object(catalog_configmap([model_entry("seed-model")],
                                             name="nvidia-nim-models-data", namespace=APPS))
    data = json.loads(nim("config", "view", "--kubeconfig", kubeconfig, "-o", "json").stdout)
    assert data["catalog"]["source"] == f"configmap {APPS}/nvidia-nim-models-data"
    assert data["secretNaming"]["value"] == "later"  # nim-models-data still marks the generation


def test_rotate_key_recreates_a_missing_later_named_secret_under_its_own_name():
    """A target named the later way is re-made under that name, not the seed one."""
    for name, role in (("nim-api-key-x", "api-key"), ("nim-image-pull-x", "pull")):
        target = secret_writes.SecretTarget(name, role, deployment="x")
        made = target.desired("ns", "nvapi-k")(None)
        assert made["metadata"]["name"] == name


def test_apply_rerun_keeps_the_naming_the_deployment_uses(deploy, kube_server):
    """A later-named deployment re-applied on a cluster that now says seed keeps its names."""
    seed_apps(kube_server)
    assert deploy("--secret-naming", "later", "--apply").exit_code == 0
    result = deploy("--apply")
    assert result.exit_code == 0, result.stderr
    assert secret(kube_server, "nvidia-nim-secrets-llama") is None
    assert nim_runtime.runtime_refs(runtime(kube_server, NAME)).names == \
        ("nim-api-key-llama", "nim-image-pull-llama")
