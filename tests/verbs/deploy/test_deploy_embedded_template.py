"""The embedded runtime template is the one OpenShift AI ships
(docs/design.md#cluster-configuration), field by field.

SHIPPED is the description of the shipped NIM template, written down from
docs/design.md#cluster-configuration list (and
the fields every shipped NIM template has): a path into the Template and the value found there.
The embedded copy differs deliberately in one respect only: it references no secret.
"""

from __future__ import annotations

import pytest

from kubectl_nim.app import discovery
from kubectl_nim.domain import render
from kubectl_nim.adapters.catalog_source import embedded_text

RUNTIME = ("objects", 0)
CONTAINER = RUNTIME + ("spec", "containers", 0)

SHIPPED: list[tuple[tuple, object]] = [
    (("apiVersion",), "template.openshift.io/v1"),
    (("kind",), "Template"),
    (("metadata", "labels", "opendatahub.io/dashboard"), "true"),
    (("metadata", "annotations", "opendatahub.io/apiProtocol"), "REST"),
    (("metadata", "annotations", "opendatahub.io/modelServingSupport"), '["single"]'),
    (("metadata", "annotations", "openshift.io/display-name"), "NVIDIA NIM"),
    (RUNTIME + ("apiVersion",), "serving.kserve.io/v1alpha1"),
    (RUNTIME + ("kind",), "ServingRuntime"),
    (RUNTIME + ("metadata", "annotations", "runtimes.opendatahub.io/nvidia-nim"), "true"),
    (RUNTIME + ("metadata", "annotations", "opendatahub.io/recommended-accelerators"),
     '["nvidia.com/gpu"]'),
    (RUNTIME + ("spec", "annotations", "prometheus.io/path"), "/v1/metrics"),
    (RUNTIME + ("spec", "annotations", "prometheus.io/port"), "8000"),
    (RUNTIME + ("spec", "multiModel"), False),
    (RUNTIME + ("spec", "protocolVersions"), ["grpc-v2", "v2"]),
    (CONTAINER + ("name",), "kserve-container"),
    (CONTAINER + ("ports",), [{"containerPort": 8000, "protocol": "TCP"}]),
]
MOUNTS = {"/dev/shm": "shm", "/mnt/models/cache": "nim-pvc", "/opt/nim/workspace": "nim-workspace"}
VOLUMES = {"shm": {"emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}},
           "nim-pvc": {"persistentVolumeClaim": {"claimName": "nim-pvc"}},
           "nim-workspace": {"emptyDir": {}}}


def dig(obj, path):
    for part in path:
        obj = obj[part]
    return obj


@pytest.fixture(scope="module")
def embedded():
    return discovery.embedded_template()


@pytest.mark.parametrize("path,value", SHIPPED, ids=[".".join(map(str, p)) for p, _ in SHIPPED])
def test_field_as_shipped(embedded, path, value):
    assert dig(embedded, path) == value


def test_mounts_and_volumes_as_shipped(embedded):
    spec = dig(embedded, RUNTIME + ("spec",))
    mounts = {m["mountPath"]: m["name"] for m in dig(embedded, CONTAINER + ("volumeMounts",))}
    assert mounts == MOUNTS
    volumes = {v["name"]: {k: v[k] for k in v if k != "name"} for v in spec["volumes"]}
    assert volumes == VOLUMES


def test_references_no_secret(embedded):
    """The one deliberate difference: deploy adds the deployment's own secrets."""
    spec = dig(embedded, RUNTIME + ("spec",))
    assert "imagePullSecrets" not in spec
    assert not [e for e in dig(embedded, CONTAINER).get("env", [])
                if e["name"] == "NGC_API_KEY"]


def test_comment_tells_the_truth():
    header = embedded_text("template.yaml").split("apiVersion:")[0]
    assert "nim-http-template" in header and "--offline" in header
    assert "references none" in header


def test_a_deployment_from_it_keeps_the_nim_marker_and_workspace(embedded):
    from kubectl_nim.domain.catalog import Model

    model = Model("m", "nim/meta", ("1.0.0",), "1.0.0")
    options = render.DeployOptions(name="x", namespace="ns", model=model, tag="1.0.0")
    runtime = render.render_deployment(options, embedded, "nvapi-x")[3]
    assert runtime["metadata"]["annotations"]["runtimes.opendatahub.io/nvidia-nim"] == "true"
    assert runtime["spec"]["annotations"] == {"prometheus.io/path": "/v1/metrics",
                                              "prometheus.io/port": "8000"}
    assert {"name": "nim-workspace", "mountPath": "/opt/nim/workspace"} in \
        runtime["spec"]["containers"][0]["volumeMounts"]
