"""Every read verb's -o json validates against its JSON Schema in docs/schemas (the documented
fields of each verb's items), and a collection is kubectl's v1 List (docs/schemas/v1-list.json).
The schemas are strict (no undocumented field): a field added to an output must be documented.

Status written by hand: every verdict at once (crash, pull refused) to check the schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.helpers.day2 import seed_disconnected, seed_legacy
from tests.fakes.ngc_fixtures import VALID_KEY
from tests.helpers.obs import NAME, cluster, deployment, pod  # noqa: F401 - fixture
from tests.helpers.paths import SCHEMAS



def schema(name: str) -> dict:
    document = json.loads((SCHEMAS / f"{name}.json").read_text())
    jsonschema.Draft202012Validator.check_schema(document)
    return document


def valid_list(text: str, item_schema: str) -> list:
    data = json.loads(text)
    jsonschema.validate(data, schema("v1-list"))
    for item in data["items"]:
        jsonschema.validate(item, schema(item_schema))
    return data["items"]


def test_every_schema_is_a_valid_json_schema():
    names = sorted(p.stem for p in SCHEMAS.glob("*.json"))
    assert names == ["config-view", "list", "models", "status", "v1-list", "validate-key",
                     "version"]
    for name in names:
        schema(name)


def test_models(nim, shared_data):
    for args in (["--offline"], ["--catalog", str(shared_data / "nvidia-nim-models-data.yaml")]):
        items = valid_list(nim("models", *args, "-o", "json").stdout, "models")
        assert len(items) > 100
    one = json.loads(nim("models", "--offline", "llama-3.1-8b-instruct", "-o", "json").stdout)
    jsonschema.validate(one, schema("models"))


@pytest.fixture
def varied(cluster):  # noqa: F811
    """Deployments in many states: ready, crash-looping, pulling refused, legacy, disconnected,
    a missing secret, no pods yet."""
    server, kc = cluster
    deployment(server)
    pod(server, restarts=2, last={"terminated": {"reason": "Error", "exitCode": 1,
                                                 "finishedAt": "2026-01-01T00:00:00Z"}})
    deployment(server, name="crash", ready=False)
    pod(server, name="crash-predictor-1", deployment="crash", ready=False, restarts=5,
        state={"waiting": {"reason": "CrashLoopBackOff"}})
    deployment(server, name="pull", ready=False)
    pod(server, name="pull-predictor-1", deployment="pull", ready=False,
        state={"waiting": {"reason": "ImagePullBackOff", "message": "unauthorized"}})
    deployment(server, name="fresh", ready=None)
    seed_legacy(server, "dash", "team")
    seed_disconnected(server, "air", "team")
    server.put_object({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                       "metadata": {"name": "gone", "namespace": "team"},
                       "spec": {"predictor": {"model": {"modelFormat": {"name": "x"},
                                                        "runtime": "fresh"}}}})
    return server, kc


def test_list_and_status(nim, varied):
    server, kc = varied
    rows = valid_list(nim("list", *kc, "-o", "json").stdout, "list")
    assert len(rows) >= 6
    rows = valid_list(nim("list", *kc, "-A", "-o", "json").stdout, "list")
    statuses = valid_list(nim("status", *kc, "-o", "json").stdout, "status")
    assert {s["verdict"] for s in statuses} >= {"Ready", "Failed", "Progressing"}
    for name in ("crash", "pull", "fresh", "dash", "air", NAME):
        one = nim("status", name, *kc, "-o", "json")
        assert one.exit_code == 0, one.stderr
        jsonschema.validate(json.loads(one.stdout), schema("status"))


def test_empty_collections_are_valid_lists(nim, cluster):  # noqa: F811
    server, kc = cluster
    assert valid_list(nim("list", *kc, "-o", "json").stdout, "list") == []
    assert valid_list(nim("status", *kc, "-o", "json").stdout, "status") == []
    assert valid_list(nim("models", "--offline", "-s", "no-such-thing-at-all", "-o",
                          "json").stdout, "models") == []


def test_config_view(nim, cluster):  # noqa: F811
    server, kc = cluster
    result = nim("config", "view", *kc, "-o", "json")
    assert result.exit_code == 0, result.stderr
    jsonschema.validate(json.loads(result.stdout), schema("config-view"))


def test_version(nim):
    jsonschema.validate(json.loads(nim("version", "-o", "json").stdout), schema("version"))


def test_validate_key_valid_and_rejected(nim, ngc_server):
    for key, code in ((VALID_KEY, 0), ("nvapi-revoked-0123456789abcdef", 1)):
        result = nim("validate-key", "--ngc-api-url", ngc_server.url, "-o", "json",
                     env={"NGC_API_KEY": key})
        assert result.exit_code == code, result.stderr
        data = json.loads(result.stdout)
        jsonschema.validate(data, schema("validate-key"))
        assert data["valid"] is (code == 0)
        assert key not in result.stdout
