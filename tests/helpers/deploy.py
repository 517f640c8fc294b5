"""Shared helpers for the `deploy` tests (test_deploy.py, test_deploy_failures.py, test_deploy_wait.py).

A `Project` is the fake API server with a kubeconfig whose context namespace is `team` (which
exists); `run_deploy` invokes `kubectl-nim deploy` in-process against it and the fake NGC API.
`writes()` is the request log filtered to real writes (dry runs excluded), `state()` a snapshot of
every stored object (resourceVersions included, so "unchanged" really means untouched).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
from dataclasses import dataclass

import pytest

from kubectl_nim.environment import Environment
from tests.fakes import kube_apiserver
from tests.fakes.ngc_fixtures import VALID_KEY

KEY = VALID_KEY
NS = "team"
MODEL = "llama-3.1-8b-instruct"        # embedded catalog: latestTag "latest", namespace nim/meta
EU_MODEL = "llama-3.2-11b-vision-instruct"  # embedded catalog: euRestricted true
NAME = "llama"
NOTICE = "Using the embedded catalog and the embedded template.\n"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

SR = "servingruntime.serving.kserve.io"
ISVC = "inferenceservice.serving.kserve.io"


def refs(name: str = NAME) -> list[str]:
    """kubectl-style references of what deploy writes, in write order."""
    return [f"secret/nvidia-nim-secrets-{name}", f"secret/nvidia-nim-image-pull-{name}",
            f"persistentvolumeclaim/nim-pvc-{name}", f"{SR}/{name}", f"{ISVC}/{name}"]


def lines(action: str, name: str = NAME, only: list[str] | None = None) -> str:
    return "".join(f"{r} {action}\n" for r in (refs(name) if only is None else only))


@dataclass
class Project:
    server: kube_apiserver.FakeKubeAPIServer
    kubeconfig: str
    tmp_path: object

    def get(self, kind: str, name: str, namespace: str = NS) -> dict | None:
        api, plural = {
            "Secret": ("v1", "secrets"), "PersistentVolumeClaim": ("v1", "persistentvolumeclaims"),
            "ServingRuntime": ("serving.kserve.io/v1alpha1", "servingruntimes"),
            "InferenceService": ("serving.kserve.io/v1beta1", "inferenceservices"),
            "Namespace": ("v1", "namespaces"), "ConfigMap": ("v1", "configmaps"),
        }[kind]
        return self.server.get_object(api, plural, None if kind == "Namespace" else namespace,
                                      name)


@pytest.fixture
def project(kube_server, tmp_path) -> Project:
    kube_server.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    kubeconfig = kube_server.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)
    kube_server.clear_requests()
    return Project(kube_server, str(kubeconfig), tmp_path)


@pytest.fixture
def cluster(project):
    """The Kubernetes adapter connected to the project's fake API server."""
    from kubectl_nim.adapters.kube.cluster import Cluster

    return Cluster.connect(kubeconfig=project.kubeconfig, env=Environment.default())


@pytest.fixture
def run_deploy(nim, project, ngc_server, ngc_sleeps):
    """`kubectl-nim deploy ARGS --kubeconfig ... --ngc-api-url ...`, key from $NGC_API_KEY."""
    def run(*args, key=KEY, env=None, input=None, ngc_url=None):
        environment = {"NGC_API_KEY": key} if key is not None else {}
        environment.update(env or {})
        return nim("deploy", *args, "--kubeconfig", project.kubeconfig,
                   "--ngc-api-url", ngc_url or ngc_server.url, env=environment, input=input)
    return run


def writes(server) -> list[tuple[str, str]]:
    """Real writes (method, path) the server received; dryRun=All requests excluded."""
    return [(r["method"], r["path"]) for r in server.requests
            if r["method"] in WRITE_METHODS and "dryRun=All" not in r["query"]]


def dry_runs(server) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in server.requests
            if r["method"] in WRITE_METHODS and "dryRun=All" in r["query"]]


def state(server) -> dict:
    """Every stored object by (kind, namespace, name), whole (resourceVersion included).

    Namespaces without their resourceVersion and managedFields, and an emptied annotation map
    as none: deploy adds the project's marker alongside its last write and a rollback removes
    it again, which leaves the namespace as it was but one version on."""
    def settled(o):
        if o["kind"] != "Namespace":
            return o
        meta = {k: v for k, v in o["metadata"].items()
                if k not in ("resourceVersion", "managedFields")
                and not (k == "annotations" and not v)}
        return {**o, "metadata": meta}
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]): settled(o)
            for o in server.objects()}


def decode(secret: dict, key: str) -> str:
    return base64.b64decode(secret["data"][key]).decode()


def dockerconfig(key: str) -> dict:
    auth = base64.b64encode(f"$oauthtoken:{key}".encode()).decode()
    return {"auths": {"nvcr.io": {"username": "$oauthtoken", "password": key, "auth": auth}}}


def kubectl_binary() -> str | None:
    """The real kubectl: next to the interpreter (the venv), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "kubectl")
    if os.access(here, os.X_OK):
        return here
    return shutil.which("kubectl")


def dashboard_config(disconnected=None, custom=None, namespace="redhat-ods-applications") -> dict:
    nim_config: dict = {}
    if disconnected is not None:
        nim_config["disconnected"] = {"disableKeyCollection": disconnected}
    if custom:
        nim_config["customConfigMap"] = custom
    spec = {"nimConfig": nim_config} if nim_config else {}
    return {"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
            "metadata": {"name": "odh-dashboard-config", "namespace": namespace}, "spec": spec}


def as_json(text: str):
    return json.loads(text)
