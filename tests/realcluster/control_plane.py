"""A real control plane on 127.0.0.1 for tests: the real API server (tests/realcluster/server.py)
plus the controllers a cluster runs, all built from the Go module proxy by build_binaries.sh:

* kube-controller-manager (every controller but service-account tokens, no leader election, the
  host-path provisioner behind a default StorageClass so PVCs bind) and kube-scheduler;
* kwok, the kubelet of fake nodes carrying `nvidia.com/gpu` capacity: lease heartbeats, pods
  Ready at once, Job pods complete, deleted pods go, container logs from a CRI-format file;
* upstream KServe's controller manager with its `inferenceservice-config` ConfigMap and its
  admission webhooks served on 127.0.0.1 with a self-signed certificate.

Readiness, rollouts, garbage collection, scheduling failures and logs are the controllers' own.
Pod IPs are fake: nothing answers on them.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any, Optional

import yaml

from tests.realcluster.server import (VERSION, BinariesMissing, RealAPIServer, _free_port,
                                      cache_dir, crd_documents, require,
                                      yaml_documents)

KSERVE_VERSION = os.environ.get("KSERVE_VERSION", "0.17.0")
KWOK_VERSION = os.environ.get("KWOK_VERSION", "0.8.0")
KSERVE_NAMESPACE = "kserve"
NODE_PREFIX = "gpu-node"
STORAGE_CLASS = "standard"
LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"
# What every container "prints": kwok serves this CRI-format file as each container's log.
LOG_LINES = ("INFO NIM starting", "INFO Loading model", "INFO Uvicorn running on port 8000")

__all__ = ["ControlPlane", "BinariesMissing", "control_plane_binaries"]


def control_plane_binaries() -> dict[str, Path]:
    cache = cache_dir()
    paths = {
        "kube-controller-manager": cache / f"kube-controller-manager-v{VERSION}",
        "kube-scheduler": cache / f"kube-scheduler-v{VERSION}",
        "kwok": cache / f"kwok-v{KWOK_VERSION}",
        "kserve": cache / f"kserve-v{KSERVE_VERSION}" / "manager",
    }
    require(*((name, str(path)) for name, path in paths.items()))
    paths["kwok-stages"] = cache / f"kwok-v{KWOK_VERSION}-stages"
    paths["kserve-dir"] = paths["kserve"].parent
    return paths


def _documents(path: Path) -> list[dict]:
    return [d for d in yaml_documents(path.read_text()) if d]


def control_plane_crds(kserve_dir: Path) -> list[dict]:
    """The reference CRDs, KServe's own replacing the reference serving.kserve.io ones."""
    crds = [c for c in crd_documents() if c["spec"]["group"] != "serving.kserve.io"]
    for path in sorted((kserve_dir / "crds").glob("*.yaml")):
        for doc in _documents(path):
            if doc.get("kind") == "CustomResourceDefinition":
                doc.get("metadata", {}).pop("creationTimestamp", None)
                doc.pop("status", None)
                crds.append(doc)
    return crds


class ControlPlane:
    """`start()` / `stop()`; `api` is the RealAPIServer; components can be stopped, started,
    paused and resumed by name for fault tests."""

    def __init__(self, nodes: int = 1, node_gpus: int = 8, port: int = 0):
        self.nodes, self.node_gpus = nodes, node_gpus
        self._port = port
        self.api: Optional[RealAPIServer] = None
        self.procs: dict[str, subprocess.Popen] = {}
        self._commands: dict[str, tuple[list[str], dict]] = {}

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> "ControlPlane":
        self.bins = control_plane_binaries()
        self.api = RealAPIServer(
            port=self._port, crds=control_plane_crds(self.bins["kserve-dir"]),
            extra_args=("--kubelet-preferred-address-types", "InternalIP"))
        self.api.start(timeout)
        try:
            self.workdir = self.api.workdir
            self.admin_kubeconfig = self.api.kubeconfig(self.workdir / "admin.kubeconfig")
            self._controllers()
            self._storage_class()
            self._kwok(timeout)
            self._kserve(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop_component(name)
        if self.api is not None:
            self.api.stop()

    def __enter__(self) -> "ControlPlane":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- components ----------------------------------------------------------------------

    def _run(self, name: str, args: list[str], env: Optional[dict] = None) -> None:
        self._commands[name] = (args, env or {})
        self.start_component(name)

    def start_component(self, name: str) -> None:
        args, env = self._commands[name]
        log = open(self.workdir / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(args, stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL,
                                            env={**os.environ, **env})
        if name == "kserve":
            self._wait_webhook(60)

    def stop_component(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.kill(proc.pid, signal.SIGCONT)  # a paused process cannot act on SIGTERM
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def restart_components(self, timeout: float = 60.0) -> None:
        """Every component started afresh, caches and all: after kube-apiserver was away their
        informers can miss what changed meanwhile (seen: the scheduler not knowing a new
        PersistentVolume, KServe a Service it had made), which would fail the next tests."""
        names = list(self._commands)
        nodes = [f"{NODE_PREFIX}-{i}" for i in range(self.nodes)]
        before = {node: self._lease_holder(node) for node in nodes}
        for name in reversed(names):
            self.stop_component(name)
        # kwok plays a node's pods only while it holds the node's Lease: a new kwok would wait
        # for the old one's to expire (nodeLeaseDurationSeconds, 40 s), its pods Pending
        # meanwhile. The stopped kwok's leases go, and the new one takes them at once.
        for node in nodes:
            self.api.request("DELETE", f"{LEASES}/{node}")
        for name in names:
            self.start_component(name)
        deadline = time.monotonic() + timeout
        for node in nodes:
            while self._lease_holder(node) in (None, before[node]):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"kwok did not take node {node}'s lease after "
                                       f"{timeout:.0f}s\n{self.log_tail('kwok')}")
                self.check_alive()
                time.sleep(0.1)
            self.wait_node_ready(node, timeout)

    def _lease_holder(self, node: str) -> Optional[str]:
        status, body = self.api.request("GET", f"{LEASES}/{node}")
        return json.loads(body).get("spec", {}).get("holderIdentity") if status == 200 else None

    def pause_component(self, name: str) -> None:
        """SIGSTOP: the process hangs (its sockets accept, nothing answers)."""
        os.kill(self.procs[name].pid, signal.SIGSTOP)

    def resume_component(self, name: str) -> None:
        os.kill(self.procs[name].pid, signal.SIGCONT)

    def check_alive(self) -> None:
        """RuntimeError with its log's tail if a component has exited."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see "
                                   f"{self.workdir}/{name}.log:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 20) -> str:
        path = self.workdir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) \
            if path.exists() else ""

    def _controllers(self) -> None:
        kubeconfig = self.admin_kubeconfig
        self._run("kube-controller-manager", [
            str(self.bins["kube-controller-manager"]), "--kubeconfig", kubeconfig,
            "--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false",
            "--controllers=*,-serviceaccount-token-controller",
            "--enable-hostpath-provisioner=true",
            "--concurrent-deployment-syncs=2", "--concurrent-replicaset-syncs=2",
            "--v=1"])
        self._run("kube-scheduler", [
            str(self.bins["kube-scheduler"]), "--kubeconfig", kubeconfig,
            "--leader-elect=false", "--secure-port=0", "--v=1"])

    def _storage_class(self) -> None:
        # KCM's in-tree host-path provisioner (directories under /tmp/hostpath_pv), Immediate
        # binding: the default class a PVC without storageClassName gets.
        self.api.create({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                         "metadata": {"name": STORAGE_CLASS, "annotations": {
                             "storageclass.kubernetes.io/is-default-class": "true"}},
                         "provisioner": "kubernetes.io/host-path",
                         "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"})

    def remove_namespace(self, name: str, timeout: float = 60.0) -> None:
        """Delete a namespace and wait until its pods are gone (their GPUs free again)."""
        # What makes pods first (KServe's InferenceServices, the Deployments and ReplicaSets),
        # then the pods at once (kwok removes them), rather than after the namespace
        # controller's own pass, which leaves the ReplicaSets time to make more.
        for path in (f"/apis/serving.kserve.io/v1beta1/namespaces/{name}/inferenceservices",
                     f"/apis/apps/v1/namespaces/{name}/deployments",
                     f"/apis/apps/v1/namespaces/{name}/replicasets",
                     f"/api/v1/namespaces/{name}/pods?gracePeriodSeconds=0"):
            self.api.request("DELETE", path)
        self.api.request("DELETE", f"/api/v1/namespaces/{name}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.api.request("GET", f"/api/v1/namespaces/{name}/pods")
            if status == 200 and not json.loads(body)["items"]:
                return
            time.sleep(0.2)
        raise TimeoutError(f"the pods of namespace {name} still exist after {timeout:.0f}s")

    # -- kwok ----------------------------------------------------------------------------

    def node(self, name: str, gpus: int) -> dict:
        resources = {"cpu": "32", "memory": "256Gi", "pods": "110", "nvidia.com/gpu": str(gpus),
                     "ephemeral-storage": "1Ti"}
        return {"apiVersion": "v1", "kind": "Node", "metadata": {
                    "name": name,
                    "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                    "kwok.x-k8s.io/node": "fake"},
                    "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                               "kubernetes.io/arch": "amd64", "type": "kwok",
                               "nvidia.com/gpu.present": "true"}},
                "status": {"allocatable": resources, "capacity": resources}}

    def add_node(self, name: str, gpus: int, timeout: float = 30.0) -> None:
        self.api.create(self.node(name, gpus))
        self.wait_node_ready(name, timeout)

    def wait_node_ready(self, name: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            node = self.api.get({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})
            for c in (node or {}).get("status", {}).get("conditions") or []:
                if c.get("type") == "Ready" and c.get("status") == "True":
                    return
            time.sleep(0.1)
        raise TimeoutError(f"node {name} not Ready after {timeout:.0f}s\n{self.log_tail('kwok')}")

    def _kwok(self, timeout: float) -> None:
        logs = self.workdir / "container.log"
        logs.write_text("".join(f"2026-01-01T00:00:0{i}.000000000Z stdout F {line}\n"
                                for i, line in enumerate(LOG_LINES)))
        self.container_log = logs
        port = _free_port()
        docs: list[dict] = [{
            "apiVersion": "config.kwok.x-k8s.io/v1alpha1", "kind": "KwokConfiguration",
            "options": {"manageAllNodes": False,
                        "manageNodesWithAnnotationSelector": "kwok.x-k8s.io/node=fake",
                        "nodeIP": "127.0.0.1", "nodePort": port,
                        "enableDebuggingHandlers": True,  # the kubelet's /containerLogs
                        "serverAddress": f"127.0.0.1:{port}",
                        "nodeLeaseDurationSeconds": 40, "nodeLeaseParallelism": 4,
                        "nodePlayStageParallelism": 4, "podPlayStageParallelism": 4,
                        "podsOnNodeSyncParallelism": 4, "cidr": "10.0.0.1/16"}},
            {"apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterLogs",
             "metadata": {"name": "all"},
             "spec": {"logs": [{"logsFile": str(logs), "follow": True}]}}]
        for path in sorted(self.bins["kwok-stages"].glob("*.yaml")):
            docs.extend(_documents(path))
        config = self.workdir / "kwok.yaml"
        config.write_text(yaml.safe_dump_all(docs))
        self._run("kwok", [str(self.bins["kwok"]), "--kubeconfig", self.admin_kubeconfig,
                           "--config", str(config)])
        for i in range(self.nodes):
            self.api.create(self.node(f"{NODE_PREFIX}-{i}", self.node_gpus))
        for i in range(self.nodes):
            self.wait_node_ready(f"{NODE_PREFIX}-{i}", timeout)

    # -- KServe --------------------------------------------------------------------------

    def _kserve(self, timeout: float) -> None:
        kdir = self.bins["kserve-dir"]
        self.api.namespace(KSERVE_NAMESPACE)
        configmap = _documents(kdir / "inferenceservice-config.yaml")[0]
        configmap["metadata"] = {"name": "inferenceservice-config",
                                 "namespace": KSERVE_NAMESPACE}
        data = configmap["data"]
        data.pop("_example", None)
        # No Knative and no Istio here: raw Deployments ("Standard"), no ingress objects.
        data["deploy"] = json.dumps({"defaultDeploymentMode": "Standard"})
        ingress = _loose_json(data["ingress"])
        ingress.update(disableIstioVirtualHost=True, disableIngressCreation=True)
        data["ingress"] = json.dumps(ingress)
        self.api.create(configmap)

        certs = self.workdir / "kserve-tmp" / "k8s-webhook-server" / "serving-certs"
        certs.mkdir(parents=True)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(certs / "tls.key"), "-out", str(certs / "tls.crt")],
                       check=True, capture_output=True)
        self.webhook_port = _free_port()
        self.webhook_ca = (certs / "tls.crt").read_bytes()
        bundle = base64.b64encode(self.webhook_ca).decode()
        for doc in _documents(kdir / "webhooks.yaml"):
            doc["metadata"].pop("creationTimestamp", None)
            for hook in doc["webhooks"]:
                path = hook["clientConfig"]["service"]["path"]
                hook["clientConfig"] = {"url": f"https://127.0.0.1:{self.webhook_port}{path}",
                                        "caBundle": bundle}
                hook["timeoutSeconds"] = 5
            self.api.create(doc)
        self._run("kserve", [str(kdir / "manager"), "--webhook-port", str(self.webhook_port),
                             "--metrics-addr", "0", "--health-probe-addr", "0",
                             "--leader-elect=false"],
                  env={"KUBECONFIG": self.admin_kubeconfig, "POD_NAMESPACE": KSERVE_NAMESPACE,
                       "TMPDIR": str(self.workdir / "kserve-tmp")})

    def _wait_webhook(self, timeout: float) -> None:
        context = ssl.create_default_context(cadata=self.webhook_ca.decode())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                with socket.create_connection(("127.0.0.1", self.webhook_port), 1) as sock:
                    with context.wrap_socket(sock, server_hostname="127.0.0.1"):
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"KServe's webhook not serving after {timeout:.0f}s:\n"
                           f"{self.log_tail('kserve')}")


def _loose_json(text: str) -> dict:
    """KServe's ConfigMap values are JSON with `#` comment lines."""
    return json.loads("\n".join(line for line in text.splitlines()
                                if not line.strip().startswith("#")))
