"""Every verb against each cluster generation (docs/compatibility.md is this file as a table).

Generations, built on the fake API server (`--without-nimconfig` for today's CRD):

* `redesign-seed`: the ADR's redesign as named there: OdhDashboardConfig with nimConfig, the
  shipped ConfigMap `nvidia-nim-models-data` and Template `nvidia-nim-http-template`;
* `redesign-later`: the redesign under upstream's later names, `nim-models-data` and
  `nim-http-template` (deployments get `nim-api-key-*` / `nim-image-pull-*`);
* `today`: today's OpenShift AI: no nimConfig in the CRD, a NIM Account whose status names the
  catalog ConfigMap and the runtime Template (which references the shared legacy secrets);
* `today-airgap`: the same with the DataScienceCluster's `spec.components.kserve.nim.airGapped`;
* `bare`: plain Kubernetes with KServe only: no DSCInitialization, no OdhDashboardConfig.
"""

from __future__ import annotations

import json

import pytest

from kubectl_nim.domain import nim_runtime
from tests.helpers.day2 import APPS, NEW_KEY, OLD_KEY, keys_of, runtime, secret, seed_legacy
from tests.helpers.catalog import catalog_configmap, model_entry
from tests.helpers.generations import GENERATIONS, MODEL, NAME, seed_generation

SEED_SECRETS = (f"nvidia-nim-secrets-{NAME}", f"nvidia-nim-image-pull-{NAME}")
LATER_SECRETS = (f"nim-api-key-{NAME}", f"nim-image-pull-{NAME}")
EXPECTED_SECRETS = {"redesign-seed": SEED_SECRETS, "redesign-later": LATER_SECRETS,
                    "today": SEED_SECRETS, "today-airgap": (), "bare": SEED_SECRETS}


@pytest.fixture(params=GENERATIONS)
def cluster(request, nim, tmp_path, ngc_server, no_backoff):
    """(generation, run) where run(*args, key=...) invokes the CLI against that cluster."""
    today = request.param.startswith("today")
    server = request.getfixturevalue("kube_server_without_nimconfig" if today
                                     else "kube_server")
    seed_generation(server, request.param)
    kubeconfig = str(server.write_kubeconfig(tmp_path / "kc"))
    needs_ngc = ("deploy", "rotate-key", "migrate", "validate-key")

    def run(*args, key=NEW_KEY):
        extra = ["--ngc-api-url", ngc_server.url] if args[0] in needs_ngc else []
        return nim(*args, "--kubeconfig", kubeconfig, *extra,
                   env={"NGC_API_KEY": key} if key else {})
    run.server = server
    run.generation = request.param
    return run


def deployed(run):
    result = run("deploy", NAME, "--model", MODEL if run.generation != "bare"
                 else "llama-3.1-8b-instruct")
    assert result.exit_code == 0, result.stderr
    return result


# --- the verbs ------------------------------------------------------------------------------------

def test_models(cluster):
    result = cluster("models", "-o", "name")
    assert result.exit_code == 0, result.stderr
    if cluster.generation == "bare":
        assert len(result.stdout.splitlines()) == 186  # the full embedded catalog
        assert "Using the embedded catalog" in result.stderr
    else:
        assert result.stdout == f"model/{MODEL}\n"


def test_config_view(cluster):
    result = cluster("config", "view", "-o", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["secretNaming"]["value"] == ("later" if cluster.generation == "redesign-later"
                                             else "seed")
    assert data["disconnected"]["value"] is (cluster.generation == "today-airgap")
    expected_template = {"redesign-seed": "nvidia-nim-http-template",
                         "redesign-later": "nim-http-template",
                         "today": "nvidia-nim-serving-template",
                         "today-airgap": "nvidia-nim-serving-template"}
    assert data["template"]["source"] == (
        f"template {APPS}/{expected_template[cluster.generation]}"
        if cluster.generation != "bare" else "embedded template")


def test_validate_key(cluster):
    result = cluster("validate-key")
    assert result.exit_code == 0, result.stderr
    if cluster.generation == "today-airgap":
        assert "is disconnected" in result.stderr


def test_deploy_writes_the_generations_secrets(cluster):
    deployed(cluster)
    names = EXPECTED_SECRETS[cluster.generation]
    refs = nim_runtime.runtime_refs(runtime(cluster.server, NAME))
    assert refs.names == names  # never the shared legacy secrets of today's template
    if names:
        assert keys_of(cluster.server, NAME) == (NEW_KEY, NEW_KEY)
        owner = secret(cluster.server, names[0])["metadata"]["ownerReferences"][0]
        assert owner["name"] == NAME and owner["kind"] == "ServingRuntime"


def test_deploy_disconnected_flag(cluster):
    result = cluster("deploy", NAME, "--model", MODEL if cluster.generation != "bare"
                     else "llama-3.1-8b-instruct", "--disconnected", key=None)
    assert result.exit_code == 0, result.stderr
    assert nim_runtime.runtime_refs(runtime(cluster.server, NAME)).names == ()


def test_list(cluster):
    deployed(cluster)
    result = cluster("list", "-o", "json")
    assert result.exit_code == 0, result.stderr
    [row] = json.loads(result.stdout)["items"]
    assert row["keyScheme"] == (nim_runtime.NONE if cluster.generation == "today-airgap"
                                else nim_runtime.PER_DEPLOYMENT)


def test_rotate_key(cluster):
    deployed(cluster)
    result = cluster("rotate-key", NAME, "--no-restart", "--skip-key-validation", key=OLD_KEY)
    assert result.exit_code == 0, result.stderr
    if cluster.generation == "today-airgap":
        assert "Nothing to rotate" in result.stderr
    else:
        assert keys_of(cluster.server, NAME) == (OLD_KEY, OLD_KEY)


def test_migrate_a_legacy_deployment(cluster):
    seed_legacy(cluster.server, "dash")
    result = cluster("migrate", "dash", "--skip-key-validation", "--no-restart")
    assert result.exit_code == 0, result.stderr
    want = ("nim-api-key-dash", "nim-image-pull-dash") if cluster.generation == "redesign-later" \
        else ("nvidia-nim-secrets-dash", "nvidia-nim-image-pull-dash")
    assert nim_runtime.runtime_refs(runtime(cluster.server, "dash")).names == want
    assert keys_of(cluster.server, "dash") == (NEW_KEY, NEW_KEY)


def test_delete(cluster):
    deployed(cluster)
    result = cluster("delete", NAME, "--yes")
    assert result.exit_code == 0, result.stderr
    assert runtime(cluster.server, NAME) is None
    for name in EXPECTED_SECRETS[cluster.generation]:
        assert secret(cluster.server, name) is None


@pytest.mark.parametrize("args,today_says", [
    (("set-custom-configmap", "my-catalog"), "does not support spec.nimConfig yet"),
    (("set-disconnected", "true"), "spec.components.kserve.nim.airGapped"),
], ids=["set-custom-configmap", "set-disconnected"])
def test_config_set(cluster, args, today_says):
    """Only the redesign's nimConfig takes the settings; today's OpenShift AI says where they
    live instead, bare KServe has no applications namespace."""
    cluster.server.put_object(catalog_configmap([model_entry("mine")], name="my-catalog",
                                                namespace=APPS))
    result = cluster("config", *args)
    if cluster.generation.startswith("redesign"):
        assert result.exit_code == 0, result.stderr
    elif cluster.generation == "bare":
        assert result.exit_code == 1
        assert "cannot find the applications namespace" in result.stderr
    else:
        assert result.exit_code == 1
        assert today_says in result.stderr
