"""Shared helpers of the day-2 observability tests (status, logs, test, report, diff): a
deployment seeded the way `deploy` makes it, plus what KServe and the kubelet would add
(InferenceService status, predictor pods, events), written straight into the fake API server."""

from __future__ import annotations

import pytest

from tests.helpers.day2 import OLD_KEY, seed_plugin

NS = "team"
NAME = "llama"
POD = f"{NAME}-predictor-6d9f7c-x2x5q"
KEY = OLD_KEY
ISVC_API = ("serving.kserve.io/v1beta1", "inferenceservices")
URL = f"http://{NAME}-predictor.{NS}.svc.cluster.local"


@pytest.fixture
def cluster(kube_server, tmp_path):
    """(server, args): the fake with project `team` and the kubeconfig flag to reach it."""
    kube_server.put_object({"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": NS}})
    kubeconfig = kube_server.write_kubeconfig(tmp_path / "kubeconfig", namespace=NS)
    return kube_server, ("--kubeconfig", str(kubeconfig))


def deployment(server, name: str = NAME, ready: bool | None = True, key: str = KEY,
               url: str | None = URL, **kw) -> list[dict]:
    """A deployment as `deploy` makes it, with the InferenceService status KServe would write."""
    objects = seed_plugin(server, name, NS, key, **kw)
    isvc = server.get_object(*ISVC_API, NS, name)
    if ready is not None:
        flag = "True" if ready else "False"
        isvc["status"] = {"conditions": [
            {"type": "PredictorReady", "status": flag},
            {"type": "Ready", "status": flag}]}
        if url:
            isvc["status"]["url"] = url if ready else None
            isvc["status"]["address"] = {"url": url}
        server.put_object(isvc)
    pvc = server.get_object("v1", "persistentvolumeclaims", NS, f"nim-pvc-{name}")
    if pvc is not None:
        pvc["status"] = {"phase": "Bound"}
        server.put_object(pvc)
    return objects


def pod(server, name: str = POD, deployment: str = NAME, state: dict | None = None,
        ready: bool = True, restarts: int = 0, last: dict | None = None,
        containers: tuple = ("kserve-container",), unschedulable: str | None = None) -> dict:
    state = {"running": {"startedAt": "2026-01-01T00:00:00Z"}} if state is None else state
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    statuses = []
    if unschedulable:
        conditions.append({"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                           "message": unschedulable})
    else:
        for c in containers:
            status = {"name": c, "image": "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8",
                      "state": state, "ready": ready, "restartCount": restarts}
            if last:
                status["lastState"] = {"terminated": last}
            statuses.append(status)
    obj = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": name, "namespace": NS,
                        "labels": {"serving.kserve.io/inferenceservice": deployment,
                                   "component": "predictor"}},
           "spec": {"containers": [{"name": c, "image": "nvcr.io/nim/x:1"} for c in containers]},
           "status": {"phase": "Pending" if unschedulable else "Running",
                      "conditions": conditions, "containerStatuses": statuses}}
    return server.put_object(obj)


def event(server, involved: str, reason: str, message: str, kind: str = "Pod",
          name: str | None = None, type_: str = "Warning") -> dict:
    return server.put_object({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name or f"{involved}.{reason.lower()}", "namespace": NS},
        "involvedObject": {"kind": kind, "name": involved, "namespace": NS},
        "reason": reason, "message": message, "type": type_})


def not_nim(server, name: str = "sklearn") -> None:
    """A deployment of another model server (no NIM annotation, no nvcr.io/nim image)."""
    server.put_object({"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
                       "metadata": {"name": name, "namespace": NS},
                       "spec": {"containers": [{"name": "kserve-container",
                                                "image": "quay.io/modh/openvino:2025.1"}]}})
    server.put_object({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
                       "metadata": {"name": name, "namespace": NS},
                       "spec": {"predictor": {"model": {"runtime": name,
                                                        "modelFormat": {"name": "sklearn"}}}}})


def round_trips(requests: list[dict], latency_s: float) -> int:
    """How many times a client waited for the server, from the fake's request log: with every
    answer delayed by `latency_s`, a request sent after another's answer arrives at least
    `latency_s` later, while requests sent together arrive together."""
    arrivals = sorted(r["arrived"] for r in requests)
    rounds, start = 0, None
    for at in arrivals:
        if start is None or at - start >= 0.8 * latency_s:
            rounds, start = rounds + 1, at
    return rounds
