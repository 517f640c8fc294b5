"""The cluster generations of docs/compatibility.md on the real API server: the redesign under
either naming, today's OpenShift AI (NIM Account status, no nimConfig, with and without the
DataScienceCluster air-gap flag) and bare KServe. The generation is seeded into
`redhat-ods-applications` (and cluster-scoped DSCInitialization / DataScienceCluster), and
removed again after each test, so discovery runs exactly as on such a cluster."""

from __future__ import annotations

import json

import pytest

from tests.helpers.generations import APPS, GENERATIONS, MODEL, NAME, seed_generation

SECRETS = {"redesign-seed": [f"nvidia-nim-image-pull-{NAME}", f"nvidia-nim-secrets-{NAME}"],
           "redesign-later": [f"nim-api-key-{NAME}", f"nim-image-pull-{NAME}"],
           "today": [f"nvidia-nim-image-pull-{NAME}", f"nvidia-nim-secrets-{NAME}"],
           "today-airgap": [],
           "bare": [f"nvidia-nim-image-pull-{NAME}", f"nvidia-nim-secrets-{NAME}"]}


class _Seeder:
    """put_object on the real server: status goes through the status subresource, and every
    object is remembered so the generation can be removed after the test."""

    def __init__(self, server):
        self.server, self.made = server, []

    def put_object(self, obj):
        # Only operator-reported status is seeded (the NIM Account's), never an InferenceService's.
        status = obj.pop("status", None)
        self.server.create(obj)
        if status is not None:
            meta = obj["metadata"]
            self.server.patch_status(obj["kind"], meta["name"], meta.get("namespace"), status)
        self.made.append(obj)

    def remove(self):
        for obj in reversed(self.made):
            self.server.request("DELETE", self.server.path_of(obj, obj["metadata"]["name"]))


@pytest.fixture(params=GENERATIONS)
def generation(request, real):
    if real.server.get("Namespace", APPS) is None:
        real.server.namespace(APPS)
    seeder = _Seeder(real.server)
    try:
        seed_generation(seeder, request.param)
        yield request.param
    finally:
        seeder.remove()


def _model(generation):
    return MODEL if generation != "bare" else "llama-3.1-8b-instruct"


def test_models_come_from_the_generations_catalog(real, generation):
    result = real.nim("models", "-o", "json")
    assert result.exit_code == 0, result.stderr
    names = [m["name"] for m in json.loads(result.stdout)["items"]]
    if generation == "bare":
        assert len(names) > 100 and "embedded catalog" in result.stderr
    else:
        assert names == [MODEL]


def test_deploy_list_delete_follow_the_generation(real, generation):
    deployed = real.nim("deploy", NAME, "--model", _model(generation))
    assert deployed.exit_code == 0, deployed.stderr
    assert real.names("Secret") == SECRETS[generation]
    sr = real.get("ServingRuntime", NAME)
    container = sr["spec"]["containers"][0]
    refs = [e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env") or []
            if (e.get("valueFrom") or {}).get("secretKeyRef")]
    if generation == "today-airgap":
        assert refs == [] and "imagePullSecrets" not in sr["spec"]
    else:
        assert refs == [s for s in SECRETS[generation] if "pull" not in s]
    listed = real.nim("list", "-o", "json")
    assert listed.exit_code == 0, listed.stderr
    row = next(r for r in json.loads(listed.stdout)["items"] if r["name"] == NAME)
    assert row["keyScheme"] == ("none" if generation == "today-airgap" else "per-deployment")
    gone = real.nim("delete", NAME, "--yes")
    assert gone.exit_code == 0, gone.stderr
    assert real.names("Secret") == [] and real.names("ServingRuntime") == []


def test_config_view_names_the_naming_and_the_air_gap(real, generation):
    result = real.nim("config", "view", "-o", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["secretNaming"]["value"] == ("later" if generation == "redesign-later"
                                             else "seed")
    assert data["disconnected"]["value"] is (generation == "today-airgap")
