"""`list` against the fake API server: NIM detection, key schemes, formats, -A.

Status written by hand: speed, and other model servers' (ovms) that no plane controller runs."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from kubectl_nim.domain import list_rows
from kubectl_nim.domain import nim_runtime
from tests.helpers.day2 import (OLD_KEY, assert_key_hidden, isvc, rendered, runtime,
                                seed_disconnected, seed_legacy, seed_plugin)


@pytest.fixture
def nim_list(nim, kubeconfig):
    def run(*args):
        return nim("list", "--kubeconfig", kubeconfig, *args)
    return run


def _not_nim(server, name="sk", namespace="default"):
    server.put_object({"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
                       "metadata": {"name": "ovms", "namespace": namespace},
                       "spec": {"containers": [{"name": "kserve-container",
                                                "image": "quay.io/modh/openvino:1"}]}})
    server.put_object({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                       "metadata": {"name": name, "namespace": namespace},
                       "spec": {"predictor": {"model": {"modelFormat": {"name": "onnx"},
                                                        "runtime": "ovms"}}}})


def _ready(server, name, namespace="default", status="True"):
    obj = isvc(server, name, namespace)
    obj["status"] = {"conditions": [{"type": "Ready", "status": status}],
                     "url": f"https://{name}.example"}
    server.put_object(obj)


def test_plugin_and_dashboard_deployments_both_show(nim_list, kube_server):
    seed_plugin(kube_server, "mine")
    seed_legacy(kube_server, "dash")
    seed_disconnected(kube_server, "air")
    _not_nim(kube_server)
    _ready(kube_server, "mine")
    result = nim_list()
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "MODEL", "TAG", "READY", "KEY", "PVC", "AGE"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"mine", "dash", "air"}  # not the OpenVINO model
    assert rows["mine"][1:6] == ["llama-3.1-8b-instruct", "latest", "True", "per-deployment",
                                 "nim-pvc-mine"]
    assert rows["dash"][3:5] == ["Unknown", "shared-legacy"]
    assert rows["air"][4] == "none"
    assert_key_hidden(result, OLD_KEY)


def test_detection_by_annotation_or_image():
    rt = next(o for o in rendered("x") if o["kind"] == "ServingRuntime")
    svc = next(o for o in rendered("x") if o["kind"] == "InferenceService")
    assert nim_runtime.is_nim(svc, rt)
    rt["spec"]["containers"][0]["image"] = "mirror.local/llama:1"
    assert nim_runtime.is_nim(svc, rt)  # the embedded template's marker, as OpenShift AI ships it
    del rt["metadata"]["annotations"][nim_runtime.NIM_RUNTIME_ANNOTATION]
    assert not nim_runtime.is_nim(svc, rt)
    rt["metadata"]["annotations"][nim_runtime.NIM_RUNTIME_ANNOTATION] = "true"
    assert nim_runtime.is_nim(svc, rt)
    # a predictor with its own container (no runtime) running a NIM image
    custom = {"spec": {"predictor": {"containers": [{"image": "nvcr.io/nim/meta/x:1"}]}}}
    assert nim_runtime.is_nim(custom, None)
    assert not nim_runtime.is_nim({"spec": {"predictor": {}}}, None)


def test_custom_and_inline_schemes(nim_list, kube_server):
    objects = seed_plugin(kube_server, "c")
    rt = next(o for o in objects if o["kind"] == "ServingRuntime")
    rt["spec"]["containers"][0]["env"][-1]["valueFrom"]["secretKeyRef"]["name"] = "team-key"
    kube_server.put_object(rt)
    objects = seed_plugin(kube_server, "p")  # an extra pull secret for another registry
    rt = next(o for o in objects if o["kind"] == "ServingRuntime")
    rt["spec"]["imagePullSecrets"].append({"name": "quay-pull"})
    kube_server.put_object(rt)
    objects = seed_disconnected(kube_server, "i")
    rt = next(o for o in objects if o["kind"] == "ServingRuntime")
    rt["spec"]["containers"][0]["env"].append({"name": "NGC_API_KEY", "value": "nvapi-x"})
    kube_server.put_object(rt)
    result = nim_list("-o", "json")
    data = {d["name"]: d for d in json.loads(result.stdout)["items"]}
    assert data["c"]["keyScheme"] == "custom"
    assert data["c"]["secrets"] == ["team-key", "nvidia-nim-image-pull-c"]
    assert data["p"]["keyScheme"] == "per-deployment"
    assert data["i"]["keyScheme"] == "inline"
    assert "nvapi-x" not in result.stdout


def test_output_formats(nim_list, kube_server):
    seed_plugin(kube_server, "mine")
    _ready(kube_server, "mine")
    listed = json.loads(nim_list("-o", "json").stdout)
    assert {k: listed[k] for k in ("apiVersion", "kind")} == {"apiVersion": "v1", "kind": "List"}
    data = listed["items"]
    created = isvc(kube_server, "mine")["metadata"]["creationTimestamp"]
    assert data == [{
        "metadata": {"name": "mine", "namespace": "default",
                     "labels": {"opendatahub.io/dashboard": "true"},
                     "creationTimestamp": created},
        "name": "mine", "namespace": "default", "model": "llama-3.1-8b-instruct",
        "tag": "latest", "ready": "True", "keyScheme": "per-deployment",
        "secrets": ["nvidia-nim-secrets-mine", "nvidia-nim-image-pull-mine"],
        "pvc": ["nim-pvc-mine"], "runtime": "mine",
        "image": "nvcr.io/nim/meta/llama-3.1-8b-instruct:latest",
        "url": "https://mine.example",
        "creationTimestamp": isvc(kube_server, "mine")["metadata"]["creationTimestamp"],
        "backend": "servingruntime"}]
    assert yaml.safe_load(nim_list("-o", "yaml").stdout)["items"] == data
    assert nim_list("-o", "name").stdout == "inferenceservice.serving.kserve.io/mine\n"
    wide = nim_list("-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "MODEL", "TAG", "READY", "KEY", "PVC", "AGE", "RUNTIME",
                               "SECRETS", "IMAGE", "URL"]
    assert "nvidia-nim-secrets-mine,nvidia-nim-image-pull-mine" in wide[1]


def test_empty_project(nim_list, kube_server):
    _not_nim(kube_server)
    result = nim_list()
    assert result.exit_code == 0 and result.stdout == ""
    assert "No NIM deployments found in default" in result.stderr
    assert json.loads(nim_list("-o", "json").stdout) == {
        "apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": []}


def test_all_namespaces(nim_list, kube_server):
    seed_plugin(kube_server, "a", namespace="team-a")
    seed_legacy(kube_server, "b", namespace="team-b")
    result = nim_list("-A")
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert [line.split()[:2] for line in lines[1:]] == [["team-a", "a"], ["team-b", "b"]]
    assert nim_list().stdout == ""  # the context's namespace is default


def test_all_namespaces_project_by_project_when_cluster_list_is_forbidden(nim_list, kube_server):
    seed_plugin(kube_server, "a", namespace="team-a")
    seed_plugin(kube_server, "b", namespace="team-b")
    seed_plugin(kube_server, "c", namespace="secret-team")
    kube_server.deny("list", "inferenceservices", namespace="")      # cluster-wide
    kube_server.deny("list", "inferenceservices", namespace="secret-team")
    kube_server.deny("list", "servingruntimes", namespace="team-b")
    result = nim_list("-A", "-o", "json")
    assert result.exit_code == 0, result.stderr
    data = {d["name"]: d for d in json.loads(result.stdout)["items"]}
    assert set(data) == {"a"}  # b: runtime unreadable and its image is on the runtime only
    assert "cannot list ServingRuntimes in team-b" in result.stderr


def test_unreadable_runtimes_still_show_nim_images_on_the_predictor(nim_list, kube_server):
    kube_server.put_object({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                            "metadata": {"name": "raw", "namespace": "default"},
                            "spec": {"predictor": {"containers": [
                                {"name": "kserve-container",
                                 "image": "nvcr.io/nim/meta/llama3-8b-instruct:1.0.0"}]}}})
    kube_server.deny("list", "servingruntimes")
    data = json.loads(nim_list("-o", "json").stdout)["items"]
    assert [(d["name"], d["model"], d["tag"], d["keyScheme"]) for d in data] == \
        [("raw", "llama3-8b-instruct", "1.0.0", "unknown")]


def test_all_namespaces_without_any_listing_right(nim_list, kube_server):
    kube_server.deny("list", "inferenceservices", namespace="")
    kube_server.deny("list", "namespaces")
    result = nim_list("-A")
    assert result.exit_code == 1 and "drop -A" in result.stderr


def test_dashboard_runtime_named_differently(nim_list, kube_server):
    objects = seed_legacy(kube_server, "dash")
    rt = runtime(kube_server, "dash")
    rt["metadata"]["name"] = "dash-runtime"
    rt["spec"]["containers"][0]["image"] = "registry.local/mirror/llama:1.8"
    kube_server.put_object(rt)
    svc = isvc(kube_server, "dash")
    svc["spec"]["predictor"]["model"]["runtime"] = "dash-runtime"
    kube_server.put_object(svc)
    assert objects
    data = json.loads(nim_list("-o", "json").stdout)["items"]
    assert [(d["name"], d["runtime"], d["keyScheme"]) for d in data] == \
        [("dash", "dash-runtime", "shared-legacy")]


@pytest.mark.parametrize("delta,shown", [
    (timedelta(seconds=5), "5s"), (timedelta(minutes=5, seconds=3), "5m3s"),
    (timedelta(minutes=42), "42m"), (timedelta(hours=5, minutes=2), "5h2m"),
    (timedelta(hours=30), "30h"), (timedelta(days=3, hours=1), "3d1h"),
    (timedelta(days=40), "40d"), (timedelta(days=800), "2y70d"),
])
def test_human_age(delta, shown):
    now = datetime(2026, 3, 1, tzinfo=timezone.utc)
    created = (now - delta).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert list_rows.human_age(created, now) == shown
    assert list_rows.human_age("garbage", now) == "<unknown>"


def test_split_image():
    assert nim_runtime.split_image("nvcr.io/nim/meta/llama:1.8") == ("llama", "1.8")
    assert nim_runtime.split_image("localhost:5000/nim/x") == ("x", "")
    assert nim_runtime.split_image("nvcr.io/nim/x@sha256:abc") == ("x", "sha256:abc")
