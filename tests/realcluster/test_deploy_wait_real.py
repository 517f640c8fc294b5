"""`--wait` on the real API server: it follows a watch of the InferenceService and returns within
0.3 s of Ready; and the fake's watch semantics (what app/follow.py relies on) agree with the
real server's: event types for a name-selected watch from a resourceVersion, and a too-old
resourceVersion answered by an ERROR event carrying 410 Expired.

Status written by hand: it times the wait from the very patch; KServe's: deploy_control_plane_real.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.request

from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.app.wait import Reporter, wait_ready
from kubectl_nim.environment import Environment

NAME = "llama"
READY = {"conditions": [{"type": "PredictorReady", "status": "True"},
                        {"type": "Ready", "status": "True"}]}
NOT_READY = {"conditions": [{"type": "Ready", "status": "False", "reason": "Starting"}]}


def _isvc(ns: str) -> dict:
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": NAME, "namespace": ns},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "nim"},
                                             "runtime": NAME}}}}


def _echo(text, nl=True, err=False):
    pass


def test_wait_returns_within_0_3_s_of_ready(real):
    real.create(_isvc(real.ns))
    real.server.patch_status("InferenceService", NAME, real.ns, NOT_READY)
    cluster = Cluster.connect(kubeconfig=real.kubeconfig, env=Environment.default())
    result: dict = {}

    def run():
        result["state"] = wait_ready(
            cluster, NAME, real.ns, 30, Reporter(_echo, tty=False, clock=time.monotonic),
            interval=60, clock=time.monotonic, sleep=time.sleep, warn=lambda text: None,
            watch=True)
        result["done"] = time.monotonic()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(1.5)  # the first read is made and the watch is open
    real.server.patch_status("InferenceService", NAME, real.ns, READY)
    ready_at = time.monotonic()  # Ready since the patch was answered (the admin's own TLS
    thread.join(10)              # handshake and request are not the wait's)
    assert result["state"].ready
    assert result["done"] - ready_at < 0.3


def _watch(url: str, path: str, context, token: str | None = None) -> list[dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    req = urllib.request.Request(url + path, headers=headers)
    with urllib.request.urlopen(req, context=context, timeout=15) as resp:
        return [json.loads(line) for line in resp.read().splitlines() if line.strip()]


def _shape(events: list[dict]) -> list[tuple]:
    """What the follower reads of each event; bookmarks (timing-dependent) left out."""
    out = []
    for e in events:
        if e["type"] == "BOOKMARK":
            assert set(e["object"]["metadata"]) <= {"resourceVersion", "annotations"}
            continue
        obj = e["object"]
        out.append((e["type"], obj.get("code"), obj.get("reason"),
                    (obj.get("metadata") or {}).get("name")))
    return out


def test_watch_semantics_agree_with_the_fake(real, kube_server):
    from tests.realcluster.server import ADMIN_TOKEN

    kube_server.put_object({"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": real.ns}})
    base = f"/apis/serving.kserve.io/v1beta1/namespaces/{real.ns}/inferenceservices"
    changed = {**_isvc(real.ns), "metadata": {**_isvc(real.ns)["metadata"],
                                              "labels": {"changed": "yes"}}}

    def change_real():
        real.server._ok("PATCH", f"{base}/{NAME}", {"metadata": {"labels": {"changed": "yes"}}},
                        content_type="application/merge-patch+json")

    real_tls = ssl.create_default_context(cadata=real.server.ca_data.decode())
    answers = []
    for create, change, url, context, token in (
            (kube_server.put_object, lambda: kube_server.put_object(changed), kube_server.url,
             None, None),
            (real.create, change_real, real.server.url, real_tls, ADMIN_TOKEN)):
        version = create(_isvc(real.ns))["metadata"]["resourceVersion"]
        later = threading.Timer(0.5, change)
        later.start()
        events = _watch(url, f"{base}?watch=true&allowWatchBookmarks=true&timeoutSeconds=2"
                        f"&fieldSelector=metadata.name%3D{NAME}&resourceVersion={version}",
                        context, token)
        later.join()
        expired = _watch(url, f"{base}?watch=true&timeoutSeconds=2&resourceVersion=1",
                         context, token)
        answers.append((_shape(events), _shape(expired)))
    fake, real_answer = answers
    assert real_answer[0] == [("MODIFIED", None, None, NAME)]
    assert real_answer[1] == [("ERROR", 410, "Expired", None)]
    assert fake == real_answer
