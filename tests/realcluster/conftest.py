"""Fixtures of the real-server tier: one kube-apiserver + etcd per pytest session (`real`), one
whole control plane per session (`plane`: controllers, scheduler, kwok nodes, KServe), a fresh
namespace per test, the plugin run in-process and the real kubectl beside it.

Without the binaries (tests/realcluster/build_binaries.sh not run) the tier skips, unless
KUBECTL_NIM_REQUIRE_REAL_APISERVER=1 (set by .ci/run), where a missing binary is a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import subprocess
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

import pytest

from tests.helpers.deploy import kubectl_binary
from tests.helpers.realcluster import KEY, MODEL  # noqa: F401 - MODEL for fixtures
from tests.realcluster.control_plane import ControlPlane
from tests.realcluster.fault_proxy import FaultProxy
from tests.realcluster.server import DEV_TOKEN, BinariesMissing, RealAPIServer

_counter = itertools.count(1)


@pytest.hookimpl(trylast=True)  # after a shuffling plugin, keeping its order within each group
def pytest_collection_modifyitems(items):
    """The control plane's tests (those that ask for it, fixture `plane` or `control_plane`)
    last: once its session starts, its controllers keep working in the background and would slow
    the API-server-only tests' tight timeouts."""
    items.sort(key=lambda item: "control_plane" in getattr(item, "fixturenames", ()))


def _started(thing):
    try:
        return thing.start()
    except BinariesMissing as e:
        if os.environ.get("KUBECTL_NIM_REQUIRE_REAL_APISERVER") == "1":
            pytest.fail(str(e))
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def real_apiserver(tmp_path_factory) -> Iterator[RealAPIServer]:
    server = _started(RealAPIServer())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def control_plane() -> Iterator[ControlPlane]:
    """One node with 8 GPUs; tests that need a full node add their own."""
    plane = _started(ControlPlane(nodes=1, node_gpus=8))
    try:
        yield plane
    finally:
        plane.stop()


@dataclass
class Real:
    """One test's view of the real server: its own namespace and kubeconfigs."""

    server: RealAPIServer
    ns: str
    kubeconfig: str
    dev_kubeconfig: str
    tmp_path: Any
    invoke: Any
    ngc_url: str
    proxy: Optional[FaultProxy] = None
    _extra: list = field(default_factory=list)
    plane: Optional[ControlPlane] = None

    def nim(self, *args: Any, key: Optional[str] = KEY, kubeconfig: Optional[str] = None,
            env: Optional[dict] = None, input: Optional[str] = None):
        """`kubectl-nim ARGS` in-process against this namespace; key from $NGC_API_KEY."""
        environment = {"NGC_API_KEY": key} if key is not None else {}
        environment.update(env or {})
        args = [*args, "--kubeconfig", kubeconfig or self.kubeconfig]
        if args[0] in ("deploy", "rotate-key", "migrate", "validate-key"):
            args += ["--ngc-api-url", self.ngc_url]
        return self.invoke(*args, env=environment, input=input)

    def kubectl(self, *args: Any, input: Optional[str] = None, check: bool = True,
                kubeconfig: Optional[str] = None) -> subprocess.CompletedProcess:
        binary = kubectl_binary()
        if binary is None:
            pytest.skip("no kubectl binary")
        proc = subprocess.run(
            [binary, "--kubeconfig", kubeconfig or self.kubeconfig, "--cache-dir",
             str(self.tmp_path / "kubectl-cache"), *map(str, args)],
            input=input, capture_output=True, text=True, timeout=60)
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(map(str, args))} failed: {proc.stderr}")
        return proc

    def get(self, kind: str, name: str, namespace: Optional[str] = None) -> Optional[dict]:
        return self.server.get(kind, name, namespace or self.ns)

    def create(self, obj: dict, field_manager: Optional[str] = None) -> dict:
        obj.setdefault("metadata", {}).setdefault("namespace", self.ns)
        return self.server.create(obj, field_manager)

    def names(self, kind: str) -> list[str]:
        plural = {"Secret": "secrets", "PersistentVolumeClaim": "persistentvolumeclaims",
                  "ServingRuntime": "servingruntimes", "InferenceService": "inferenceservices"}
        path = self.server.path_of({"apiVersion": {"Secret": "v1", "PersistentVolumeClaim": "v1"}
                                    .get(kind, "serving.kserve.io/v1beta1" if kind ==
                                         "InferenceService" else "serving.kserve.io/v1alpha1"),
                                    "kind": kind, "metadata": {"namespace": self.ns}})
        assert path.endswith(plural[kind])
        status, body = self.server.request("GET", path)
        assert status == 200, body
        return sorted(item["metadata"]["name"] for item in json.loads(body)["items"])

    def namespace(self, prefix: str = "apps") -> str:
        """Another fresh namespace (an applications namespace, say)."""
        name = f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:5]}"
        self.server.namespace(name)
        return name

    def managers(self, kind: str, name: str) -> list[tuple[str, str]]:
        obj = self.get(kind, name)
        return sorted((m["manager"], m["operation"]) for m in obj["metadata"]["managedFields"])


def _real(server: RealAPIServer, nim, ngc_server, tmp_path) -> Real:
    ns = f"t{next(_counter)}-{uuid.uuid4().hex[:6]}"
    server.namespace(ns)
    home = tmp_path / "real"  # apart from the fakes' kubeconfigs in the same tmp_path
    home.mkdir()
    kubeconfig = server.kubeconfig(home / "kubeconfig", namespace=ns)
    dev = server.kubeconfig(home / "kubeconfig-dev", token=DEV_TOKEN, user="dev", namespace=ns)
    return Real(server, ns, kubeconfig, dev, home, nim, ngc_server.url)


@pytest.fixture
def real(real_apiserver, nim, ngc_server, tmp_path) -> Real:
    return _real(real_apiserver, nim, ngc_server, tmp_path)


@pytest.fixture
def plane(control_plane, nim, ngc_server, tmp_path) -> Iterator[Real]:
    """`real` on the whole control plane: `plane.plane` is the ControlPlane. The namespace is
    deleted afterwards (the namespace controller and kwok remove its pods), so that the next
    test finds the node's GPUs free."""
    view = _real(control_plane.api, nim, ngc_server, tmp_path)
    view.plane = control_plane
    yield view
    control_plane.remove_namespace(view.ns)


@pytest.fixture
def real_faulty(real) -> Iterator[Real]:
    """`real` with the plugin's kubeconfig pointing at a FaultProxy in front of the server."""
    proxy = FaultProxy(real.server.url, real.server.ca_data).start()
    try:
        path = real.tmp_path / "kubeconfig-proxy"
        real.server.kubeconfig(path, namespace=real.ns, server=proxy.url)
        real.kubeconfig, real.proxy = str(path), proxy
        yield real
    finally:
        proxy.stop()


@pytest.fixture
def apps(real):
    """An applications namespace with today's OdhDashboardConfig (no nimConfig in the CRD)."""
    ns = real.namespace("apps")
    real.server.create({"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
                        "metadata": {"name": "odh-dashboard-config", "namespace": ns},
                        "spec": {"dashboardConfig": {"disableTracking": False}}})
    return ns


@pytest.fixture
def nimconfig_crd(real_apiserver):
    """The OdhDashboardConfig CRD with the redesign's spec.nimConfig, restored afterwards."""
    path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/" \
           "odhdashboardconfigs.opendatahub.io"
    original = json.loads(real_apiserver.request("GET", path)[1])
    crd = json.loads(json.dumps(original))
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"]["nimConfig"] = {"type": "object", "properties": {
        "customConfigMap": {"type": "object", "properties": {
            "name": {"type": "string"}, "namespace": {"type": "string"}}},
        "disconnected": {"type": "object", "properties": {
            "disableKeyCollection": {"type": "boolean"}}}}}
    assert real_apiserver.request("PUT", path, crd)[0] == 200
    time.sleep(1.0)  # the new schema reaches the handlers a moment after the update
    yield
    current = json.loads(real_apiserver.request("GET", path)[1])
    original["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    assert real_apiserver.request("PUT", path, original)[0] == 200
    time.sleep(1.0)
