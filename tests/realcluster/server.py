"""A real kube-apiserver + etcd on 127.0.0.1 for tests (envtest-style: no controllers).

The binaries come from `tests/realcluster/build_binaries.sh` (kube-apiserver and etcd 3.6 built
from the Go module proxy), cached outside the clone. What a test gets:

* token users: `admin` (group `system:masters`) and `dev` (no rights until a test binds some);
* RBAC authorization, the ServiceAccount admission plugin off (nothing would create tokens), no
  endpoint reconciler (no controllers to serve the `kubernetes` Service);
* the reference CRDs from `../shared/data/crds`, the Template CRD's `objects` items made to
  preserve unknown fields as the aggregated Template API does on OpenShift;
* flattened copies of the `edit` and `view` ClusterRoles (aggregation needs the controller
  manager, which does not run here), so RBAC tests can bind what real projects grant.

Without controllers, namespaces and PVCs with finalizers never go away and no pod ever starts;
what controllers do is tests/realcluster/control_plane.py's part (KServe, KCM, scheduler, kwok).

The first start on a machine seeds an etcd data directory (CRDs and RBAC included) into the cache;
later starts copy it, so a pytest session pays about 4 s instead of about 15 s.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Optional

import yaml

HERE = Path(__file__).resolve().parent
SHARED_CRDS = HERE.parents[2] / "shared" / "data" / "crds"
VERSION = os.environ.get("KUBE_APISERVER_VERSION", "1.37.2")
ETCD_VERSION = os.environ.get("ETCD_VERSION", "3.6.17")
ADMIN_TOKEN = "admin-token-kubectl-nim-tests"
DEV_TOKEN = "dev-token-kubectl-nim-tests"
SERVICE_CIDR = "10.96.0.0/24"  # never routed anywhere: no kube-proxy runs


class BinariesMissing(RuntimeError):
    """kube-apiserver or etcd is not built/installed yet."""


def cache_dir() -> Path:
    default = Path.home() / ".cache" / "kubectl-nim" / "realcluster"
    return Path(os.environ.get("KUBECTL_NIM_TEST_BIN_CACHE") or default)


def binaries() -> tuple[str, str]:
    apiserver = os.environ.get("KUBE_APISERVER") or str(cache_dir() / f"kube-apiserver-v{VERSION}")
    etcd = os.environ.get("ETCD") or str(cache_dir() / f"etcd-v{ETCD_VERSION}")
    require(("kube-apiserver", apiserver), ("etcd", etcd))
    return apiserver, etcd


def require(*named: tuple[str, str]) -> None:
    """BinariesMissing naming each (name, path) that is not an executable file."""
    missing = [name for name, path in named if not path or not os.access(path, os.X_OK)]
    if missing:
        raise BinariesMissing(
            f"{' and '.join(missing)} not found in {cache_dir()}; run "
            f"tests/realcluster/build_binaries.sh (needs Go and the Go module proxy)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def yaml_documents(text: str) -> list:
    """Every document of a multi-document YAML text, parsed by libyaml when PyYAML has it: the
    CRDs are megabytes, which the pure-Python parser takes seconds over at every start."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return list(yaml.load_all(text, Loader=loader))  # noqa: S506 - a safe loader


def crd_documents() -> list[dict]:
    """The reference CRDs, with the Template CRD's `objects` items preserving unknown fields."""
    docs = []
    for path in sorted(SHARED_CRDS.glob("*.yaml")):
        for doc in yaml_documents(path.read_text()):
            if not doc or doc.get("kind") != "CustomResourceDefinition":
                continue
            if doc["spec"]["group"] == "template.openshift.io":
                for version in doc["spec"]["versions"]:
                    props = version["schema"]["openAPIV3Schema"]["properties"]
                    items = props["objects"].setdefault("items", {"type": "object"})
                    items["x-kubernetes-preserve-unknown-fields"] = True
                    items.setdefault("type", "object")
            doc.get("metadata", {}).pop("creationTimestamp", None)
            doc.pop("status", None)
            docs.append(doc)
    return docs


def _seed_key(crds: list[dict]) -> str:
    digest = hashlib.sha256(json.dumps(crds, sort_keys=True).encode()).hexdigest()[:12]
    return f"etcd-seed-v{VERSION}-etcd{ETCD_VERSION}-{digest}"


# Flattened `edit`/`view` for the handful of resources the plugin touches: the real roles are
# aggregated by the controller manager from labelled pieces, and KServe's pieces add its kinds.
_EDIT_RULES = [
    {"apiGroups": [""], "resources": ["secrets", "configmaps", "persistentvolumeclaims", "pods",
                                      "pods/log", "services", "services/proxy", "events"],
     "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
    {"apiGroups": ["serving.kserve.io"],
     "resources": ["inferenceservices", "servingruntimes"],
     "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]},
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
]
_VIEW_RULES = [
    {"apiGroups": [""], "resources": ["configmaps", "persistentvolumeclaims", "pods", "pods/log",
                                      "services", "events"],
     "verbs": ["get", "list", "watch"]},
    {"apiGroups": ["serving.kserve.io"], "resources": ["inferenceservices", "servingruntimes"],
     "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
]


class RealAPIServer:
    """Start with `start()`, stop with `stop()` (or use `with`). `url`, `admin`, `kubeconfig`."""

    def __init__(self, port: int = 0, workdir: Optional[str] = None,
                 crds: Optional[list[dict]] = None, extra_args: tuple[str, ...] = ()):
        self.port = port or _free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self._own_workdir = workdir is None
        base = "/dev/shm" if os.path.isdir("/dev/shm") else None  # etcd fsyncs: keep it in RAM
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="kubectl-nim-real-", dir=base))
        self._procs: list[subprocess.Popen] = []
        self.ca_data: bytes = b""
        self._ssl: Optional[ssl.SSLContext] = None
        self._crds = crds
        self._extra_args = tuple(extra_args)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> "RealAPIServer":
        apiserver, etcd = self._binaries = binaries()  # tests may move $HOME afterwards
        crds = self._crds if self._crds is not None else crd_documents()
        seed = cache_dir() / _seed_key(crds)
        data = self.workdir / "etcd"
        seeded = seed.is_dir()
        if seeded:
            shutil.copytree(seed, data)
        try:
            self._start_etcd(etcd, data)
            self._start_apiserver(apiserver)
            self._wait_ready(timeout)
            if not seeded:
                self._install(crds)
                self._save_seed(seed, data, etcd, apiserver, timeout)
            self._wait_crds(crds, timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_etcd(self, etcd: str, data: Path) -> None:
        client, peer = _free_port(), _free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        log = open(self.workdir / "etcd.log", "ab")
        self._procs.append(subprocess.Popen(
            [etcd, "--data-dir", str(data), "--name", "default",
             "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
             "--listen-peer-urls", f"http://127.0.0.1:{peer}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}",
             "--initial-cluster", f"default=http://127.0.0.1:{peer}",
             "--quota-backend-bytes", str(1 << 30), "--logger", "zap", "--log-level", "error"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL))

    def _start_apiserver(self, apiserver: str) -> None:
        certs = self.workdir / "certs"
        certs.mkdir(exist_ok=True)
        sa_key = self.workdir / "sa.key"
        if not sa_key.exists():
            subprocess.run(["openssl", "genrsa", "-out", str(sa_key), "2048"], check=True,
                           capture_output=True)
        tokens = self.workdir / "tokens.csv"
        tokens.write_text(f'{ADMIN_TOKEN},admin,admin,"system:masters"\n{DEV_TOKEN},dev,dev\n')
        log = open(self.workdir / "kube-apiserver.log", "ab")
        self._procs.append(subprocess.Popen(
            [apiserver, "--etcd-servers", self.etcd_url,
             "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
             "--secure-port", str(self.port), "--cert-dir", str(certs),
             "--token-auth-file", str(tokens), "--authorization-mode", "RBAC",
             "--disable-admission-plugins", "ServiceAccount",
             "--endpoint-reconciler-type", "none",
             "--service-cluster-ip-range", SERVICE_CIDR,
             "--service-account-issuer", "https://kubernetes.default.svc",
             "--service-account-key-file", str(sa_key),
             "--service-account-signing-key-file", str(sa_key),
             "--allow-privileged=true", "--enable-priority-and-fairness=false",
             "--v", "0", *self._extra_args],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL))

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        crt = self.workdir / "certs" / "apiserver.crt"
        last = "not started"
        while time.monotonic() < deadline:
            for proc in self._procs:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}; see "
                                       f"{self.workdir}/*.log:\n{self._log_tail()}")
            if crt.exists() and not self.ca_data:
                # The self-signed serving certificate file holds the certificate and its CA.
                self.ca_data = crt.read_bytes()
                self._ssl = ssl.create_default_context(cadata=self.ca_data.decode())
            if self._ssl is not None:
                try:
                    status, body = self.request("GET", "/readyz")
                    if status == 200:
                        return
                    last = body.decode(errors="replace")[-300:]
                except OSError as e:
                    last = str(e)
            time.sleep(0.1)
        raise TimeoutError(f"kube-apiserver not ready after {timeout:.0f}s: {last}\n"
                           f"{self._log_tail()}")

    def _log_tail(self) -> str:
        out = []
        for name in ("kube-apiserver.log", "etcd.log"):
            path = self.workdir / name
            if path.exists():
                out.append(f"--- {name}\n" + "\n".join(path.read_text(errors="replace")
                                                       .splitlines()[-15:]))
        return "\n".join(out)

    def _install(self, crds: list[dict]) -> None:
        for crd in crds:
            self.create(crd)
        for name, rules in (("kubectl-nim-edit", _EDIT_RULES), ("kubectl-nim-view", _VIEW_RULES)):
            self.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                         "metadata": {"name": name}, "rules": rules})

    def _wait_crds(self, crds: list[dict], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for crd in crds:
            path = ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                    + crd["metadata"]["name"])
            while True:
                _, body = self.request("GET", path)
                conditions = json.loads(body).get("status", {}).get("conditions") or []
                if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"CRD {crd['metadata']['name']} not established")
                time.sleep(0.05)
        # Discovery for the new groups is served a moment after Established.
        for crd in crds:
            group, version = crd["spec"]["group"], crd["spec"]["versions"][0]["name"]
            while self.request("GET", f"/apis/{group}/{version}")[0] != 200:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{group}/{version} not served")
                time.sleep(0.05)

    def _save_seed(self, seed: Path, data: Path, etcd: str, apiserver: str,
                   timeout: float) -> None:
        """Stop both, copy etcd's data as the seed for later sessions, start again."""
        self._wait_crds(self._crds if self._crds is not None else crd_documents(), timeout)
        self._stop_procs()
        seed.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=seed.parent))
        shutil.copytree(data, tmp / "data")
        try:
            (tmp / "data").rename(seed)
        except OSError:
            pass  # another session seeded it first
        shutil.rmtree(tmp, ignore_errors=True)
        self._start_etcd(etcd, data)
        self._start_apiserver(apiserver)
        self._wait_ready(timeout)

    def stop_apiserver(self) -> None:
        """Kill kube-apiserver only (etcd keeps the data): an outage in the middle of a verb.
        (A graceful stop drains watches for longer than an outage test wants to wait.)"""
        proc = self._procs.pop()
        proc.kill()
        proc.wait(10)

    def start_apiserver(self, timeout: float = 60.0) -> None:
        """Start kube-apiserver again on the same port, certificate and etcd."""
        self._start_apiserver(self._binaries[0])
        self._wait_ready(timeout)

    def _stop_procs(self) -> None:
        for proc in reversed(self._procs):  # the API server before its etcd
            if proc.poll() is None:
                # kube-apiserver's graceful stop waits out its shutdown grace (10 s here) with
                # nothing to hand over: killed, like stop_apiserver. etcd stops cleanly (its data
                # may become the seed).
                if proc.args[0] == self._binaries[0]:
                    proc.kill()
                else:
                    proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs = []

    def stop(self) -> None:
        self._stop_procs()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "RealAPIServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- admin requests (tests' own set-up, not the plugin's) ----------------------------------

    def request(self, method: str, path: str, body: Any = None, token: str = ADMIN_TOKEN,
                content_type: str = "application/json") -> tuple[int, bytes]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"Bearer {token}", "Content-Type": content_type,
            "Accept": "application/json"})
        try:
            with urllib.request.urlopen(req, context=self._ssl, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def _ok(self, method: str, path: str, body: Any = None, **kw: Any) -> dict:
        status, data = self.request(method, path, body, **kw)
        if status >= 300:
            raise AssertionError(f"{method} {path} -> {status}: {data.decode(errors='replace')}")
        return json.loads(data) if data else {}

    @staticmethod
    def path_of(obj: dict, name: Optional[str] = None) -> str:
        api_version, kind = obj["apiVersion"], obj["kind"]
        plural = PLURALS.get(kind) or kind.lower() + "s"
        base = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
        ns = obj.get("metadata", {}).get("namespace")
        if ns and kind not in CLUSTER_SCOPED:
            base += f"/namespaces/{ns}"
        base += f"/{plural}"
        return base + (f"/{name}" if name else "")

    def create(self, obj: dict, field_manager: Optional[str] = None) -> dict:
        query = f"?fieldManager={field_manager}" if field_manager else ""
        return self._ok("POST", self.path_of(obj) + query, obj)

    def get(self, obj_or_kind: Any, name: Optional[str] = None,
            namespace: Optional[str] = None) -> Optional[dict]:
        obj = _stub(obj_or_kind, name, namespace)
        status, data = self.request("GET", self.path_of(obj, obj["metadata"]["name"]))
        if status == 404:
            return None
        if status >= 300:
            raise AssertionError(f"GET -> {status}: {data!r}")
        return json.loads(data)

    def patch_status(self, kind: str, name: str, namespace: str, status: dict) -> dict:
        obj = _stub(kind, name, namespace)
        return self._ok("PATCH", self.path_of(obj, name) + "/status", {"status": status},
                        content_type="application/merge-patch+json")

    def namespace(self, name: str) -> dict:
        return self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})

    def bind(self, namespace: str, role: str, user: str = "dev") -> None:
        """Grant `user` the flattened `edit` or `view` role in `namespace`."""
        self.create({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                     "metadata": {"name": f"{user}-{role}", "namespace": namespace},
                     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                 "name": f"kubectl-nim-{role}"},
                     "subjects": [{"kind": "User", "name": user,
                                   "apiGroup": "rbac.authorization.k8s.io"}]})

    # -- kubeconfigs -----------------------------------------------------------------------------

    def kubeconfig(self, path: Any, token: str = ADMIN_TOKEN, user: str = "admin",
                   namespace: Optional[str] = None, server: Optional[str] = None) -> str:
        context: dict = {"cluster": "real", "user": user}
        if namespace:
            context["namespace"] = namespace
        doc = {"apiVersion": "v1", "kind": "Config", "current-context": "real",
               "clusters": [{"name": "real", "cluster": {
                   "server": server or self.url,
                   "certificate-authority-data": base64.b64encode(self.ca_data).decode()}}],
               "users": [{"name": user, "user": {"token": token}}],
               "contexts": [{"name": "real", "context": context}]}
        Path(path).write_text(yaml.safe_dump(doc))
        os.chmod(path, 0o600)
        return str(path)


CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding",
                  "DSCInitialization", "DataScienceCluster", "StorageClass"}
PLURALS = {"InferenceService": "inferenceservices", "ServingRuntime": "servingruntimes",
           "PersistentVolumeClaim": "persistentvolumeclaims", "OdhDashboardConfig":
           "odhdashboardconfigs", "DSCInitialization": "dscinitializations",
           "DataScienceCluster": "datascienceclusters", "StorageClass": "storageclasses",
           "ClusterRole": "clusterroles", "RoleBinding": "rolebindings", "Role": "roles",
           "ClusterRoleBinding": "clusterrolebindings", "Template": "templates",
           "Account": "accounts", "Policy": "policies"}
_KINDS = {
    "Secret": "v1", "ConfigMap": "v1", "PersistentVolumeClaim": "v1", "Namespace": "v1",
    "Pod": "v1", "Event": "v1", "Service": "v1",
    "ServingRuntime": "serving.kserve.io/v1alpha1",
    "InferenceService": "serving.kserve.io/v1beta1",
    "OdhDashboardConfig": "opendatahub.io/v1alpha", "Template": "template.openshift.io/v1",
    "DSCInitialization": "dscinitialization.opendatahub.io/v1",
    "DataScienceCluster": "datasciencecluster.opendatahub.io/v1",
    "Account": "nim.opendatahub.io/v1",
}


def _stub(obj_or_kind: Any, name: Optional[str], namespace: Optional[str]) -> dict:
    if isinstance(obj_or_kind, dict):
        return obj_or_kind
    return {"apiVersion": _KINDS[obj_or_kind], "kind": obj_or_kind,
            "metadata": {"name": name, "namespace": namespace}}
