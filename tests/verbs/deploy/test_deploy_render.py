"""What `deploy` creates (docs/design.md#secrets and docs/design.md#what-deploy-creates): reviewed
expected manifests, then one test per rule.

The fixture comparison catches any change in the output; the focused tests say which design rule (docs/design.md)
a change breaks, and keep each rule tested even if a fixture is regenerated carelessly.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import json
import re

import pytest
import yaml

from tests.helpers.render_cases import load as load_cases
from kubectl_nim.adapters.catalog_source import embedded_text
from kubectl_nim.cli.exit_status import ExitStatus, for_error
from kubectl_nim.errors import NimError, UsageError
from kubectl_nim.domain.formats import dump_yaml_documents
from kubectl_nim.domain.deploy_options import DeployOptions
from kubectl_nim.domain.deploy_values import normalize_subpath, parse_assignments
from tests.helpers.deploy_options import deploy_options
from kubectl_nim.domain.refs import object_ref
from kubectl_nim.domain.render import model_resources, namespace_annotation_patch, render_deployment

pytestmark = pytest.mark.pure


cases = load_cases()
KEY = cases.API_KEY
LLAMA = cases.LLAMA


def options(**overrides) -> DeployOptions:
    return deploy_options(**{**cases.BASE, **overrides})


def render(template="nim-http.yaml", key=KEY, **overrides) -> list[dict]:
    source = cases.load_template(template) if isinstance(template, str) else template
    return render_deployment(options(**overrides), source, key)


def by_kind(objects: list[dict]) -> dict[str, dict]:
    """Kind → object (the pull secret is keyed `PullSecret`)."""
    found = {}
    for obj in objects:
        kind = obj["kind"]
        if kind == "Secret" and obj["type"] == "kubernetes.io/dockerconfigjson":
            kind = "PullSecret"
        found[kind] = obj
    return found


def runtime_of(objects):
    return by_kind(objects)["ServingRuntime"]


def container_of(objects):
    return runtime_of(objects)["spec"]["containers"][0]


def isvc_of(objects):
    return by_kind(objects)["InferenceService"]


# --- Expected manifests --------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_fixture_objects(name):
    expected = [d for d in yaml.safe_load_all(cases.fixture_path(name).read_text()) if d]
    assert cases.render_case(name) == expected


@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_fixture_text(name):
    """The exact YAML `--dry-run=client -o yaml` prints, header aside."""
    assert cases.fixture_text(name, cases.render_case(name)) == \
        cases.fixture_path(name).read_text()


def test_every_fixture_file_is_a_case():
    files = {p.stem for p in cases.HERE.glob("*.yaml")}
    assert files == set(cases.CASES)


def test_rendering_is_deterministic():
    first = cases.render_case("template-parameters")
    second = cases.render_case("template-parameters")
    assert first == second
    assert dump_yaml_documents(first) == dump_yaml_documents(second)


# --- Objects, order, metadata --------------------------------------------------------------------

def test_write_order_connected():
    kinds = [(o["kind"], o.get("type")) for o in render()]
    assert kinds == [("Secret", "Opaque"), ("Secret", "kubernetes.io/dockerconfigjson"),
                     ("PersistentVolumeClaim", None), ("ServingRuntime", None),
                     ("InferenceService", None)]


def test_disconnected_creates_no_secrets_and_needs_no_key():
    kinds = [o["kind"] for o in render(key=None, disconnected=True)]
    assert kinds == ["PersistentVolumeClaim", "ServingRuntime", "InferenceService"]


def test_skip_secrets_omits_the_secrets_but_still_references_them():
    objects = render(key=None, skip_secrets=True)
    assert [o["kind"] for o in objects][0] == "PersistentVolumeClaim"
    assert runtime_of(objects)["spec"]["imagePullSecrets"] == [
        {"name": "nvidia-nim-image-pull-llama-8b"}]
    assert any(e["name"] == "NGC_API_KEY" for e in container_of(objects)["env"])


def test_a_missing_key_in_connected_mode_is_a_programming_error():
    with pytest.raises(ValueError, match="needs the API key"):
        render(key=None)


def test_existing_pvc_creates_no_claim():
    assert "PersistentVolumeClaim" not in by_kind(render(existing_pvc="shared"))


@pytest.mark.parametrize("name", sorted(cases.CASES))
def test_every_object_is_namespaced_and_carries_only_client_fields(name):
    for obj in cases.render_case(name):
        assert obj["metadata"]["namespace"] == "team-a"
        assert set(obj) <= {"apiVersion", "kind", "metadata", "spec", "type", "data"}
        assert set(obj["metadata"]) <= {"name", "namespace", "labels", "annotations"}
        for field in ("labels", "annotations"):
            assert all(isinstance(v, str) for v in obj["metadata"].get(field, {}).values())


def test_the_key_appears_only_inside_secret_data():
    objects = render()
    for obj in objects:
        if obj["kind"] != "Secret":
            assert KEY not in json.dumps(obj)
        else:
            assert KEY not in json.dumps({k: v for k, v in obj.items() if k != "data"})


def test_the_template_is_not_mutated():
    source = cases.load_template("legacy.yaml")
    before = copy.deepcopy(source)
    render_deployment(options(), source, KEY)
    assert source == before


# --- Secrets (docs/design.md#secrets) -------------------------------------------------------------

def test_api_key_secret():
    secret = render()[0]
    assert secret["metadata"]["name"] == "nvidia-nim-secrets-llama-8b"
    assert secret["metadata"]["labels"] == {"opendatahub.io/managed": "true"}
    assert secret["type"] == "Opaque"
    assert base64.b64decode(secret["data"]["NGC_API_KEY"]).decode() == KEY
    assert set(secret["data"]) == {"NGC_API_KEY"}


def test_pull_secret():
    secret = render()[1]
    assert secret["metadata"]["name"] == "nvidia-nim-image-pull-llama-8b"
    assert secret["metadata"]["labels"] == {"opendatahub.io/managed": "true"}
    assert secret["type"] == "kubernetes.io/dockerconfigjson"
    raw = base64.b64decode(secret["data"][".dockerconfigjson"]).decode()
    auth = base64.b64encode(f"$oauthtoken:{KEY}".encode()).decode()
    assert raw == ('{"auths":{"nvcr.io":{"username":"$oauthtoken","password":"%s","auth":"%s"}}}'
                   % (KEY, auth))


# --- PVC (docs/design.md#what-deploy-creates) -----------------------------------------------------

def test_pvc_defaults():
    pvc = by_kind(render())["PersistentVolumeClaim"]
    assert pvc["metadata"]["name"] == "nim-pvc-llama-8b"
    assert pvc["metadata"]["labels"] == {"opendatahub.io/managed": "true"}
    assert pvc["metadata"]["annotations"] == {"openshift.io/display-name": "nim-pvc-llama-8b"}
    assert pvc["spec"] == {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem",
                           "resources": {"requests": {"storage": "30Gi"}}}


def test_pvc_size_and_storage_class():
    pvc = by_kind(render(pvc_size="200Gi", storage_class="fast"))["PersistentVolumeClaim"]
    assert pvc["spec"]["resources"]["requests"]["storage"] == "200Gi"
    assert pvc["spec"]["storageClassName"] == "fast"


# --- ServingRuntime (docs/design.md#what-deploy-creates) ------------------------------------------

def test_runtime_identity_and_image():
    sr = runtime_of(render())
    assert (sr["apiVersion"], sr["kind"], sr["metadata"]["name"]) == (
        "serving.kserve.io/v1alpha1", "ServingRuntime", "llama-8b")
    assert container_of(render())["image"] == "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5"


def test_image_goes_on_the_kserve_container_only():
    source = cases.load_template("nim-http.yaml")
    sidecar = {"name": "sidecar", "image": "sidecar:1", "resources": {"limits": {"cpu": "1"}}}
    source["objects"][0]["spec"]["containers"].insert(0, sidecar)
    containers = runtime_of(render(source))["spec"]["containers"]
    assert containers[0]["image"] == "sidecar:1"
    assert containers[1]["image"].startswith("nvcr.io/nim/meta/")
    assert "resources" not in containers[0] and "resources" not in containers[1]


def test_template_without_kserve_container_is_refused():
    source = cases.load_template("nim-http.yaml")
    source["objects"][0]["spec"]["containers"][0]["name"] = "main"
    with pytest.raises(NimError, match="no container named kserve-container"):
        render(source)


def test_supported_model_formats():
    assert runtime_of(render(tag="1.8.6"))["spec"]["supportedModelFormats"] == [
        {"name": "llama-3.1-8b-instruct", "version": "1.8.6", "autoSelect": False, "priority": 1}]


def test_cache_volume_and_mount_renamed_to_the_claim():
    objects = render()
    volumes = runtime_of(objects)["spec"]["volumes"]
    assert volumes[0] == {"name": "nim-pvc-llama-8b",
                          "persistentVolumeClaim": {"claimName": "nim-pvc-llama-8b"}}
    assert not any(v["name"] == "nim-pvc" for v in volumes)
    mount = [m for m in container_of(objects)["volumeMounts"]
             if m["mountPath"] == "/mnt/models/cache"]
    assert mount == [{"name": "nim-pvc-llama-8b", "mountPath": "/mnt/models/cache"}]


def test_existing_claim_with_subpath():
    objects = render(existing_pvc="shared-models", pvc_subpath="/llama/8b/")
    assert runtime_of(objects)["spec"]["volumes"][0] == {
        "name": "shared-models", "persistentVolumeClaim": {"claimName": "shared-models"}}
    mount = container_of(objects)["volumeMounts"][1]
    assert mount == {"name": "shared-models", "mountPath": "/mnt/models/cache",
                     "subPath": "llama/8b"}


def test_existing_claim_that_is_no_volume_name_keeps_a_valid_volume_name():
    objects = render(existing_pvc="models.team-a")
    volume = runtime_of(objects)["spec"]["volumes"][0]
    assert volume == {"name": "nim-pvc-llama-8b",
                      "persistentVolumeClaim": {"claimName": "models.team-a"}}
    assert container_of(objects)["volumeMounts"][1]["name"] == "nim-pvc-llama-8b"


def test_template_without_cache_volume_or_mount_gets_both():
    source = cases.load_template("nim-http.yaml")
    spec = source["objects"][0]["spec"]
    spec["volumes"] = [v for v in spec["volumes"] if v["name"] != "nim-pvc"]
    spec["containers"][0]["volumeMounts"] = [{"name": "shm", "mountPath": "/dev/shm"}]
    objects = render(source)
    assert {"name": "nim-pvc-llama-8b",
            "persistentVolumeClaim": {"claimName": "nim-pvc-llama-8b"}} in \
        runtime_of(objects)["spec"]["volumes"]
    assert {"name": "nim-pvc-llama-8b", "mountPath": "/mnt/models/cache"} in \
        container_of(objects)["volumeMounts"]


def test_other_mounts_of_the_template_cache_volume_follow_the_rename():
    source = cases.load_template("nim-http.yaml")
    source["objects"][0]["spec"]["containers"][0]["volumeMounts"].append(
        {"name": "nim-pvc", "mountPath": "/opt/nim/.cache", "subPath": "hf"})
    mounts = container_of(render(source))["volumeMounts"]
    assert {"name": "nim-pvc-llama-8b", "mountPath": "/opt/nim/.cache", "subPath": "hf"} in mounts


def test_api_key_env_and_pull_secret_connected():
    objects = render()
    env = container_of(objects)["env"]
    assert env[-1] == {"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {
        "name": "nvidia-nim-secrets-llama-8b", "key": "NGC_API_KEY"}}}
    assert [e["name"] for e in env].count("NGC_API_KEY") == 1
    assert runtime_of(objects)["spec"]["imagePullSecrets"] == [
        {"name": "nvidia-nim-image-pull-llama-8b"}]


@pytest.mark.parametrize("template", ["nim-http.yaml", "legacy.yaml"])
def test_disconnected_runtime_has_neither_key_env_nor_pull_secrets(template):
    objects = render(template, key=None, disconnected=True)
    assert all(e["name"] != "NGC_API_KEY" for e in container_of(objects).get("env", []))
    assert "imagePullSecrets" not in runtime_of(objects)["spec"]


def test_legacy_shared_secret_references_are_replaced():
    text = json.dumps(runtime_of(render("legacy.yaml")))
    assert '"nvidia-nim-secrets"' not in text and "ngc-secret" not in text
    assert "nvidia-nim-secrets-llama-8b" in text and "nvidia-nim-image-pull-llama-8b" in text


def test_env_emptied_by_disconnected_mode_is_dropped():
    source = cases.load_template("legacy.yaml")
    container = source["objects"][0]["spec"]["containers"][0]
    container["env"] = [e for e in container["env"] if e["name"] == "NGC_API_KEY"]
    assert "env" not in container_of(render(source, key=None, disconnected=True))


def test_shm_volume_added_when_the_template_mounts_dev_shm_without_one():
    volumes = runtime_of(render("no-shm-volume.yaml"))["spec"]["volumes"]
    assert volumes[-1] == {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}}


def test_shm_volume_named_after_the_mount():
    source = cases.load_template("no-shm-volume.yaml")
    source["objects"][0]["spec"]["containers"][0]["volumeMounts"][0]["name"] = "dshm"
    volumes = runtime_of(render(source))["spec"]["volumes"]
    assert volumes[-1]["name"] == "dshm"


def test_declared_shm_volume_is_kept_as_is():
    volumes = runtime_of(render("legacy.yaml"))["spec"]["volumes"]
    assert [v for v in volumes if v["name"] == "shm"] == [
        {"name": "shm", "emptyDir": {"medium": "Memory"}}]


def test_no_shm_volume_without_a_dev_shm_mount():
    source = cases.load_template("no-shm-volume.yaml")
    container = source["objects"][0]["spec"]["containers"][0]
    container["volumeMounts"] = container["volumeMounts"][1:]
    assert [v["name"] for v in runtime_of(render(source))["spec"]["volumes"]] == [
        "nim-pvc-llama-8b"]


def test_container_resources_are_removed():
    assert "resources" not in container_of(render())


def test_runtime_labels_and_annotations():
    sr = runtime_of(render(display_name="Chat"))
    assert sr["metadata"]["labels"] == {"opendatahub.io/dashboard": "true"}
    assert sr["metadata"]["annotations"] == {
        "opendatahub.io/recommended-accelerators": '["nvidia.com/gpu"]',  # kept from the template
        "opendatahub.io/runtime-version": "v1",
        "openshift.io/display-name": "Chat",
        "runtimes.opendatahub.io/nvidia-nim": "true",  # kept: NIM metrics and detection need it
        "opendatahub.io/template-name": "nvidia-nim-http-template",
        "opendatahub.io/template-display-name": "NVIDIA NIM",
        "opendatahub.io/apiProtocol": "REST",
    }


def test_api_protocol_and_display_name_come_from_the_template():
    source = cases.load_template("nim-http.yaml")
    source["metadata"]["annotations"].update({"opendatahub.io/apiProtocol": "gRPC",
                                              "openshift.io/display-name": "NIM (custom)"})
    annotations = runtime_of(render(source))["metadata"]["annotations"]
    assert annotations["opendatahub.io/apiProtocol"] == "gRPC"
    assert annotations["opendatahub.io/template-display-name"] == "NIM (custom)"


def test_template_without_annotations_falls_back_to_its_name():
    source = cases.load_template("nim-http.yaml")
    del source["metadata"]["annotations"]
    del source["objects"][0]["metadata"]["annotations"]
    annotations = runtime_of(render(source))["metadata"]["annotations"]
    assert annotations["opendatahub.io/template-display-name"] == "nvidia-nim-http-template"
    assert "opendatahub.io/apiProtocol" not in annotations


def test_server_fields_of_a_cluster_template_are_not_copied():
    source = cases.load_template("nim-http.yaml")
    source["objects"][0]["metadata"].update(
        {"uid": "u", "resourceVersion": "7", "namespace": "redhat-ods-applications",
         "creationTimestamp": "2026-01-01T00:00:00Z"})
    source["objects"][0]["status"] = {"ready": True}
    sr = runtime_of(render(source))
    assert set(sr["metadata"]) == {"name", "namespace", "labels", "annotations"}
    assert sr["metadata"]["namespace"] == "team-a" and "status" not in sr


def test_template_parameters_are_applied():
    objects = render("with-parameters.yaml", template_params=(("RUNTIME_VERSION", "9.9"),))
    assert runtime_of(objects)["metadata"]["annotations"]["opendatahub.io/runtime-version"] == "9.9"


# --- InferenceService (docs/design.md#what-deploy-creates) ----------------------------------------

def test_isvc_identity_labels_and_annotations():
    isvc = isvc_of(render())
    assert (isvc["apiVersion"], isvc["metadata"]["name"]) == (
        "serving.kserve.io/v1beta1", "llama-8b")
    assert isvc["metadata"]["labels"] == {"opendatahub.io/dashboard": "true"}
    assert isvc["metadata"]["annotations"] == {
        "openshift.io/display-name": "Llama-3.1-8B-Instruct",
        "serving.kserve.io/deploymentMode": "RawDeployment"}


def test_isvc_predictor():
    predictor = isvc_of(render(min_replicas=2, max_replicas=4))["spec"]["predictor"]
    assert (predictor["minReplicas"], predictor["maxReplicas"]) == (2, 4)
    assert predictor["model"]["modelFormat"] == {"name": "llama-3.1-8b-instruct"}
    assert predictor["model"]["runtime"] == "llama-8b"


def test_deployment_mode_override():
    annotations = isvc_of(render(deployment_mode="Serverless"))["metadata"]["annotations"]
    assert annotations["serving.kserve.io/deploymentMode"] == "Serverless"


def test_display_name_defaults_to_the_model_display_name_then_its_name():
    assert isvc_of(render())["metadata"]["annotations"]["openshift.io/display-name"] == \
        "Llama-3.1-8B-Instruct"
    bare = dataclasses.replace(LLAMA, display_name="")
    isvc = isvc_of(render(model=bare))
    assert isvc["metadata"]["annotations"]["openshift.io/display-name"] == "llama-3.1-8b-instruct"


def test_resources_default_to_the_template_container():
    assert isvc_of(render())["spec"]["predictor"]["model"]["resources"] == {
        "requests": {"cpu": "1", "memory": "4Gi", "nvidia.com/gpu": "1"},
        "limits": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"}}


@pytest.mark.parametrize("flag, section, resource, value", [
    ("cpu_request", "requests", "cpu", "500m"),
    ("cpu_limit", "limits", "cpu", "3"),
    ("memory_request", "requests", "memory", "2Gi"),
    ("memory_limit", "limits", "memory", "12Gi"),
])
def test_each_resource_flag_overrides_one_value(flag, section, resource, value):
    resources = isvc_of(render(**{flag: value}))["spec"]["predictor"]["model"]["resources"]
    expected = {"requests": {"cpu": "1", "memory": "4Gi", "nvidia.com/gpu": "1"},
                "limits": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"}}
    expected[section][resource] = value
    assert resources == expected


def test_gpus_sets_request_and_limit():
    resources = isvc_of(render(gpus=4))["spec"]["predictor"]["model"]["resources"]
    assert resources["requests"]["nvidia.com/gpu"] == resources["limits"]["nvidia.com/gpu"] == "4"


def test_zero_gpus_removes_the_gpu():
    resources = isvc_of(render(gpus=0))["spec"]["predictor"]["model"]["resources"]
    assert "nvidia.com/gpu" not in resources["requests"]
    assert "nvidia.com/gpu" not in resources["limits"]


def test_resources_without_template_defaults():
    assert model_resources(options(gpus=1, cpu_limit="2"), {}) == {
        "requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1", "cpu": "2"}}
    source = cases.load_template("nim-http.yaml")
    del source["objects"][0]["spec"]["containers"][0]["resources"]
    assert "resources" not in isvc_of(render(source))["spec"]["predictor"]["model"]


def test_numeric_template_quantities_become_strings():
    assert model_resources(options(), {"limits": {"cpu": 2, "memory": "8Gi"}}) == {
        "limits": {"cpu": "2", "memory": "8Gi"}}


@pytest.mark.parametrize("overrides, resource", [
    ({"cpu_request": "4"}, "cpu"),  # above the template's limit of 2
    ({"memory_request": "16Gi", "memory_limit": "8000Mi"}, "memory"),
])
def test_request_above_limit_is_refused(overrides, resource):
    with pytest.raises(UsageError, match=f"the {resource} request .* is more than its limit"):
        render(**overrides)


def test_hardware_profile_annotations():
    annotations = isvc_of(render(hardware_profile="gpu-l", hardware_profile_namespace="apps")
                          )["metadata"]["annotations"]
    assert annotations["opendatahub.io/hardware-profile-name"] == "gpu-l"
    assert annotations["opendatahub.io/hardware-profile-namespace"] == "apps"
    annotations = isvc_of(render(hardware_profile="gpu-l"))["metadata"]["annotations"]
    assert "opendatahub.io/hardware-profile-namespace" not in annotations
    assert "opendatahub.io/hardware-profile-name" not in \
        isvc_of(render())["metadata"]["annotations"]


def test_expose_label():
    assert isvc_of(render(expose=True))["metadata"]["labels"] == {
        "opendatahub.io/dashboard": "true", "networking.kserve.io/visibility": "exposed"}


def test_env_on_the_model():
    model = isvc_of(render(env=[("B", "2"), ("A", "x=y")]))["spec"]["predictor"]["model"]
    assert model["env"] == [{"name": "B", "value": "2"}, {"name": "A", "value": "x=y"}]
    assert "env" not in isvc_of(render())["spec"]["predictor"]["model"]


# --- Options validation --------------------------------------------------------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"name": "Bad.Name"}, "invalid deployment name"),
    ({"name": "a" * 40, "namespace": "p" * 20}, "so use at most"),
    ({"tag": ""}, "tag must not be empty"),
    ({"pvc_size": "30GB"}, "--pvc-size '30GB' is not a Kubernetes quantity"),
    ({"pvc_size": "30Gi\n"}, "--pvc-size"),
    ({"cpu_request": "-1"}, "--cpu-request"),
    ({"memory_limit": "lots"}, "--memory-limit"),
    ({"gpus": -1}, "--gpus must be 0 or more"),
    ({"min_replicas": 2, "max_replicas": 1}, "0 <= min <= max"),
    ({"min_replicas": 0, "max_replicas": 0}, "max >= 1"),
    ({"deployment_mode": "ModelMesh"}, "unknown deployment mode"),
    ({"hardware_profile_namespace": "x"}, "needs --hardware-profile"),
    ({"existing_pvc": "shared", "storage_class": "fast"}, "only to a new PVC"),
    ({"existing_pvc": "Bad_Claim"}, "invalid PVC name"),
    ({"existing_pvc": "shared", "pvc_subpath": "a/../b"}, "must not contain '..'"),
    ({"env": [("NGC_API_KEY", "x")]}, "cannot set NGC_API_KEY"),
    ({"env": [("A", "1"), ("A", "2")]}, "A is given more than once"),
    ({"env": [("1=bad", "x")]}, "is not a valid name"),
    ({"template_params": [("BAD-NAME", "x")]}, "--template-param: 'BAD-NAME'"),
])
def test_invalid_options_are_usage_errors(overrides, message):
    with pytest.raises(UsageError, match=re.escape(message)) as err:
        options(**overrides)
    assert for_error(err.value) == ExitStatus.USAGE


def test_options_normalise_pairs_and_subpath():
    opts = options(env=[["A", "1"]], template_params=[("P", 2)], existing_pvc="shared",
                   pvc_subpath=" / ")
    assert opts.nim.env == (("A", "1"),) and opts.template_params == (("P", "2"),)
    assert opts.storage.subpath is None
    hash(opts)  # frozen and hashable


@pytest.mark.parametrize("quantity", ["1", "500m", "0.5", ".5", "16Gi", "1e3", "2E", "30G"])
def test_valid_quantities_are_accepted_as_options(quantity):
    assert options(cpu_limit=quantity).compute.cpu_limit == quantity


@pytest.mark.parametrize("request_, limit, ok", [
    ("1500m", "2", True), ("2000m", "2", True), ("2001m", "2", False),
    ("1Gi", "1073741824", True), ("1G", "1Gi", True), ("1Gi", "1G", False),
    ("1e3", "1k", True), ("1.5k", "1e3", False), ("0.5", "500m", True),
])
def test_requests_and_limits_are_compared_as_quantities(request_, limit, ok):
    resources = {"requests": {"cpu": request_}, "limits": {"cpu": limit}}
    if ok:
        assert model_resources(options(), resources) == resources
    else:
        with pytest.raises(UsageError, match="more than its limit"):
            model_resources(options(), resources)


@pytest.mark.parametrize("raw, expected", [
    (None, None), ("", None), ("/", None), ("models", "models"), ("/a/b/", "a/b"),
    ("a..b/c", "a..b/c")])
def test_normalize_subpath(raw, expected):
    assert normalize_subpath(raw) == expected


def test_parse_assignments():
    assert parse_assignments(["A=1", "B=x=y", "C="], "--env") == (
        ("A", "1"), ("B", "x=y"), ("C", ""))
    for bad in ("A", "=1"):
        with pytest.raises(UsageError, match=f"--env '{bad}' is not NAME=VALUE"):
            parse_assignments([bad], "--env")


# --- Helpers for the CLI -------------------------------------------------------------------------

def test_namespace_annotation_patch():
    assert namespace_annotation_patch() == {
        "metadata": {"annotations": {"opendatahub.io/nim-support": "true"}}}


def test_object_refs():
    assert [object_ref(o) for o in render()] == [
        "secret/nvidia-nim-secrets-llama-8b",
        "secret/nvidia-nim-image-pull-llama-8b",
        "persistentvolumeclaim/nim-pvc-llama-8b",
        "servingruntime.serving.kserve.io/llama-8b",
        "inferenceservice.serving.kserve.io/llama-8b",
    ]


def test_embedded_template_renders():
    """The template shipped in the package, whatever its current content, yields a deployment."""
    objects = render_deployment(options(), yaml.safe_load(embedded_text("template.yaml")), KEY)
    assert [o["kind"] for o in objects][-2:] == ["ServingRuntime", "InferenceService"]
    assert container_of(objects)["image"] == LLAMA.image("1.15.5")
