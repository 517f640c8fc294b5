"""Every rendered object is valid for the real API server: KServe objects against the real CRDs
in ../shared/data/crds, Secret and PVC against the Kubernetes OpenAPI schema.

A CRD's structural schema is turned into a JSON Schema (Draft 7) the way the API server applies
it to a write with `fieldValidation=Strict`: unknown fields are errors (the server would prune
them silently, losing what we meant to set), int-or-string and nullable are honoured. The tests
at the end prove the validators are live: a dropped required field or a typo must fail.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.helpers.render_cases import load as load_cases
from kubectl_nim.adapters.catalog_source import embedded_text
from tests.helpers.paths import SHARED_DATA, TEMPLATES

pytestmark = pytest.mark.pure

CRDS = SHARED_DATA / "crds"
CRD_FILES = {
    "InferenceService": "serving.kserve.io_inferenceservices.yaml",
    "ServingRuntime": "serving.kserve.io_servingruntimes.yaml",
    "Template": "template.openshift.io_templates.yaml",
}
KUBERNETES_VERSION = "1.31"

# `metadata` is only `type: object` in a CRD (the server validates it as ObjectMeta); what we
# send must stay within the client-owned part of ObjectMeta.
OBJECT_META = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "required": ["name"],
    "additionalProperties": False,
}


cases = load_cases()
RENDERED = [(f"{name}-{i}-{obj['kind']}", obj)
            for name in sorted(cases.CASES) for i, obj in enumerate(cases.render_case(name))]


# --- CRD schema → JSON Schema ------------------------------------------------------------------

def to_json_schema(node: Any) -> Any:
    """Translate an OpenAPI v3 structural schema into a strict Draft 7 JSON Schema."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    schema = {k: to_json_schema(v) for k, v in node.items()
              if k not in ("description", "nullable") and not k.startswith("x-kubernetes-")}
    if node.get("x-kubernetes-int-or-string") and "anyOf" not in schema:
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if ("properties" in node and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        schema["additionalProperties"] = False  # the server would prune: Strict makes it an error
    if node.get("nullable"):
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def crd_validator(crd: dict) -> jsonschema.Draft7Validator:
    """The validator of the CRD's storage version, with `metadata` checked as ObjectMeta."""
    version = next(v for v in crd["spec"]["versions"] if v.get("storage"))
    schema = to_json_schema(version["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = OBJECT_META
    schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind",
                                                                    "metadata"})
    schema["properties"]["apiVersion"] = {
        "const": f"{crd['spec']['group']}/{version['name']}"}
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def crd_validators() -> dict[str, jsonschema.Draft7Validator]:
    """Parsed once per module: the InferenceService CRD alone is 1 MB of YAML."""
    if not CRDS.is_dir():
        pytest.skip("../shared/data/crds is not present")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return {kind: crd_validator(yaml.load((CRDS / file).read_text(), Loader=loader))
            for kind, file in CRD_FILES.items()}


def errors(request: pytest.FixtureRequest, obj: dict) -> list[str]:
    """Every schema violation of `obj`, as `path: message` lines (empty when valid).

    Core kinds need no reference data, so they are checked even where ../shared/data is absent.
    """
    if obj["kind"] in CRD_FILES:
        validator = request.getfixturevalue("crd_validators")[obj["kind"]]
        return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(obj)]
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [f"{'.'.join(map(str, e.path))}: {e.message}"]
    return []


# --- Every rendered object -----------------------------------------------------------------------

@pytest.mark.parametrize("obj", [o for _, o in RENDERED], ids=[i for i, _ in RENDERED])
def test_rendered_object_is_valid(request, obj):
    assert errors(request, obj) == []


def test_every_rendered_kind_has_a_validator():
    kinds = {obj["kind"] for _, obj in RENDERED}
    assert kinds == {"Secret", "PersistentVolumeClaim", "ServingRuntime", "InferenceService"}


@pytest.mark.parametrize("file", sorted(p.name for p in TEMPLATES.glob("*.yaml")))
def test_template_fixture_is_a_valid_template(request, file):
    assert errors(request, yaml.safe_load((TEMPLATES / file).read_text())) == []


def test_embedded_template_is_a_valid_template(request):
    template = yaml.safe_load(embedded_text("template.yaml"))
    assert errors(request, template) == []
    assert errors(request, {**template["objects"][0],
                                   "metadata": {"name": "x"}}) == []


# --- The validators are live ---------------------------------------------------------------------

def rendered(kind: str) -> dict:
    """A fresh copy of the `connected` case's object of `kind` (the Opaque one for Secret)."""
    return copy.deepcopy(next(obj for obj in cases.render_case("connected")
                              if obj["kind"] == kind and obj.get("type", "Opaque") == "Opaque"))


def _drop(path: str) -> Callable[[dict], None]:
    *parents, last = path.split(".")

    def mutate(obj: dict) -> None:
        for key in parents:
            obj = obj[int(key)] if isinstance(obj, list) else obj[key]
        del obj[last]
    return mutate


def _set(path: str, value: Any) -> Callable[[dict], None]:
    *parents, last = path.split(".")

    def mutate(obj: dict) -> None:
        for key in parents:
            obj = obj[int(key)] if isinstance(obj, list) else obj[key]
        obj[last] = value
    return mutate


BROKEN = {
    # Required fields. Note: the CRD does not require spec.predictor.model (a predictor may
    # name a framework instead), so dropping the whole predictor is what the schema can catch.
    "isvc without spec.predictor": ("InferenceService", _drop("spec.predictor")),
    "isvc without spec": ("InferenceService", _set("spec", None)),
    "runtime without containers": ("ServingRuntime", _drop("spec.containers")),
    "runtime model format without name": (
        "ServingRuntime", _drop("spec.supportedModelFormats.0.name")),
    "runtime container without name": ("ServingRuntime", _drop("spec.containers.0.name")),
    # Typos the server would prune silently.
    "isvc typo minReplica": ("InferenceService", _set("spec.predictor.minReplica", 1)),
    "isvc model typo runtimes": ("InferenceService", _set("spec.predictor.model.runtimes", "x")),
    "runtime typo imagePullSecret": ("ServingRuntime", _set("spec.imagePullSecret", [])),
    "metadata typo label": ("InferenceService", _set("metadata.label", {})),
    # Wrong types and ranges.
    "isvc replicas as string": ("InferenceService", _set("spec.predictor.maxReplicas", "1")),
    "runtime priority 0": ("ServingRuntime", _set("spec.supportedModelFormats.0.priority", 0)),
    "runtime autoSelect as string": (
        "ServingRuntime", _set("spec.supportedModelFormats.0.autoSelect", "false")),
    "isvc bad quantity": ("InferenceService",
                          _set("spec.predictor.model.resources.limits.cpu", "two")),
    "label value not a string": ("ServingRuntime", _set("metadata.labels.x", True)),
    "wrong apiVersion": ("ServingRuntime", _set("apiVersion", "serving.kserve.io/v1beta1")),
    # Core objects, through kubernetes-validate.
    "secret data not a string": ("Secret", _set("data.NGC_API_KEY", 1)),
    "secret typo datas": ("Secret", _set("datas", {})),
    "pvc access modes not a list": ("PersistentVolumeClaim", _set("spec.accessModes", "RWO")),
    "pvc typo storageClass": ("PersistentVolumeClaim", _set("spec.storageClass", "x")),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_object_is_rejected(request, case):
    kind, mutate = BROKEN[case]
    obj = rendered(kind)
    assert errors(request, obj) == []
    mutate(obj)
    assert errors(request, obj) != []


def test_int_or_string_and_nullable_are_translated():
    schema = to_json_schema({"type": "object", "properties": {
        "port": {"x-kubernetes-int-or-string": True},
        "note": {"type": "string", "nullable": True},
        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True,
                 "properties": {"a": {"type": "string"}}}}})
    validator = jsonschema.Draft7Validator(schema)
    assert validator.is_valid({"port": 8080, "note": None, "free": {"b": 1}})
    assert validator.is_valid({"port": "http"})
    assert not validator.is_valid({"port": 1.5})
    assert not validator.is_valid({"unknown": 1})
