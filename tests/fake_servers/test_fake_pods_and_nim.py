"""Keeps the fakes' pods/log, services/proxy (tests/fakes/kube_pods.py) and the fake NIM
(tests/fakes/nim_server.py) honest, over raw HTTP as any client would see them."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

FAKES = Path(__file__).parents[1] / "fakes"
NS = "team"


def pod(name, containers=("kserve-container",), waiting=None, namespace=NS):
    statuses = []
    for c in containers:
        state = {"waiting": {"reason": waiting}} if waiting else {"running": {}}
        statuses.append({"name": c, "state": state, "ready": not waiting, "restartCount": 0})
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": [{"name": c, "image": "x"} for c in containers]},
            "status": {"phase": "Pending" if waiting else "Running",
                       "containerStatuses": statuses}}


def admin(server, what, body):
    r = httpx.post(f"{server.url}/_fake/{what}", json=body)
    assert r.status_code == 200, r.text


def log_url(server, name, **query):
    return httpx.URL(f"{server.url}/api/v1/namespaces/{NS}/pods/{name}/log", params=query)


def test_log_tail_since_and_container_rules(kube_server):
    kube_server.put_object(pod("p1"))
    kube_server.put_object(pod("p2", containers=("a", "b")))
    admin(kube_server, "logs", {"namespace": NS, "pod": "p1", "container": "kserve-container",
                                "lines": [{"text": "old", "ageSeconds": 600}, "one", "two"]})
    r = httpx.get(log_url(kube_server, "p1"))
    assert r.status_code == 200 and r.text == "old\none\ntwo\n"
    assert httpx.get(log_url(kube_server, "p1", tailLines=1)).text == "two\n"
    assert httpx.get(log_url(kube_server, "p1", sinceSeconds=60)).text == "one\ntwo\n"
    several = httpx.get(log_url(kube_server, "p2"))
    assert several.status_code == 400
    assert "a container name must be specified for pod p2, choose one of: [a b]" in \
        several.json()["message"]
    assert httpx.get(log_url(kube_server, "p2", container="zz")).status_code == 400
    assert httpx.get(log_url(kube_server, "missing")).status_code == 404


def test_log_of_a_waiting_container_and_forbidden(kube_server):
    kube_server.put_object(pod("p1", waiting="ContainerCreating"))
    r = httpx.get(log_url(kube_server, "p1"))
    assert r.status_code == 400
    assert "is waiting to start: ContainerCreating" in r.json()["message"]
    kube_server.deny("get", "pods/log", namespace=NS)
    r = httpx.get(log_url(kube_server, "p1"))
    assert r.status_code == 403 and 'cannot get resource "pods/log"' in r.json()["message"]


def test_follow_streams_new_lines_and_ends_at_eof(kube_server):
    kube_server.put_object(pod("p1"))
    kube_server.pods.set_log(NS, "p1", "kserve-container", ["first"])
    got = []

    def read():
        with httpx.stream("GET", log_url(kube_server, "p1", follow="true"), timeout=10) as r:
            for line in r.iter_lines():
                got.append(line)

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.3)
    admin(kube_server, "logs", {"namespace": NS, "pod": "p1", "container": "kserve-container",
                                "lines": ["first", "second"]})
    time.sleep(0.3)
    admin(kube_server, "logs", {"namespace": NS, "pod": "p1", "container": "kserve-container",
                                "lines": ["first", "second", "third"], "eof": True})
    reader.join(5)
    assert not reader.is_alive()
    assert got == ["first", "second", "third"]
    assert any(q["path"].endswith("/log") and "follow=true" in q["query"]
               for q in kube_server.requests)


def test_service_proxy_forwards_and_answers_502_when_unreachable(kube_server, nim_backend):
    backend = nim_backend(kind="llm", model="m")
    admin(kube_server, "backends", {"namespace": NS, "service": "x-predictor",
                                    "url": backend.url})
    base = f"{kube_server.url}/api/v1/namespaces/{NS}/services/x-predictor:80/proxy"
    r = httpx.get(f"{base}/v1/models")
    assert r.status_code == 200 and r.json()["data"][0]["id"] == "m"
    r = httpx.post(f"{base}/v1/chat/completions",
                   json={"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"]
    assert [q["path"] for q in backend.requests] == ["/v1/models", "/v1/chat/completions"]
    admin(kube_server, "backends", {"namespace": NS, "service": "gone",
                                    "url": "http://127.0.0.1:1"})
    r = httpx.get(f"{kube_server.url}/api/v1/namespaces/{NS}/services/gone:80/proxy/v1/models")
    assert r.status_code == 502
    assert "error trying to reach service" in r.json()["message"]
    none = httpx.get(f"{kube_server.url}/api/v1/namespaces/{NS}/services/nosvc/proxy/")
    assert none.status_code == 404
    kube_server.deny("get", "services/proxy")
    assert httpx.get(f"{base}/v1/models").status_code == 403


def test_services_are_a_stored_resource(kube_server):
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80}]}}
    r = httpx.post(f"{kube_server.url}/api/v1/namespaces/{NS}/services", json=body)
    assert r.status_code == 404  # namespace team does not exist yet
    kube_server.put_object({**body, "metadata": {"name": "s", "namespace": NS}})
    r = httpx.get(f"{kube_server.url}/api/v1/namespaces/{NS}/services/s")
    assert r.status_code == 200 and r.json()["kind"] == "Service"
    # a stored service without a backend: the proxy finds no endpoints
    r = httpx.get(f"{kube_server.url}/api/v1/namespaces/{NS}/services/s:80/proxy/v1/models")
    assert r.status_code == 503 and "no endpoints available" in r.json()["message"]


@pytest.mark.parametrize("kind,path,body,key", [
    ("embedding", "/v1/embeddings", {"input": ["hi"], "input_type": "query"}, "data"),
    ("ranking", "/v1/ranking", {"query": {"text": "gpu"}, "passages": [{"text": "a gpu"}]},
     "rankings"),
    ("llm", "/v1/completions", {"prompt": "hi", "max_tokens": 3}, "choices"),
])
def test_nim_kinds(nim_backend, kind, path, body, key):
    server = nim_backend(kind=kind, model="m")
    r = httpx.post(server.url + path, json={"model": "m", **body})
    assert r.status_code == 200 and r.json()[key]
    wrong = "/v1/chat/completions" if kind != "llm" else "/v1/embeddings"
    assert httpx.post(server.url + wrong, json={"model": "m"}).status_code == 404
    assert httpx.post(server.url + path, json={**body, "model": "other"}).status_code == 404


def test_nim_embedding_needs_input_type_and_fail_status(nim_backend):
    server = nim_backend(kind="embedding", model="m")
    r = httpx.post(server.url + "/v1/embeddings", json={"model": "m", "input": ["x"]})
    assert r.status_code == 400 and "input_type" in r.json()["message"]
    failing = nim_backend(fail_status=503)
    assert httpx.get(failing.url + "/v1/models").status_code == 503
    assert httpx.get(failing.url + "/v1/health/ready").status_code == 503


def _standalone(args):
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    return proc, url


def test_standalone_nim_server_prints_its_url_first():
    proc, url = _standalone([str(FAKES / "nim_server.py"), "--port", "0", "--kind", "ranking",
                             "--model", "r", "--latency-ms", "1"])
    try:
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(url + "/v1/models").json()["data"][0]["id"] == "r"
        assert httpx.get(url + "/v1/health/ready").status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_standalone_apiserver_serves_logs_and_errors(tmp_path):
    proc, url = _standalone([str(FAKES / "kube_apiserver.py"), "--kubeconfig-out",
                             str(tmp_path / "kc")])
    try:
        httpx.post(url + "/_fake/objects", json=pod("p1"))
        httpx.post(url + "/_fake/logs", json={"namespace": NS, "pod": "p1",
                                              "container": "kserve-container", "lines": ["hi"]})
        assert httpx.get(f"{url}/api/v1/namespaces/{NS}/pods/p1/log").text == "hi\n"
        r = httpx.get(f"{url}/api/v1/namespaces/{NS}/pods/p1/log", params={"container": "no"})
        assert r.status_code == 400 and json.loads(r.text)["kind"] == "Status"
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_a_streamed_answer_says_it_closes_the_connection(kube_server):
    """Regression: the fake closed the connection after a chunked answer without saying so, and
    a pooled client's next request failed ("Server disconnected without sending a response")."""
    import httpx

    kube_server.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}})
    kube_server.put_object({"apiVersion": "v1", "kind": "Pod",
                            "metadata": {"name": "p", "namespace": "n"},
                            "spec": {"containers": [{"name": "c", "image": "x"}]},
                            "status": {"containerStatuses": [
                                {"name": "c", "state": {"running": {}}}]}})
    kube_server.pods.set_log("n", "p", "c", ["a line"])
    with httpx.Client(base_url=kube_server.url) as client:
        for _ in range(20):
            log = client.get("/api/v1/namespaces/n/pods/p/log")
            assert log.headers.get("connection") == "close"
            assert client.get("/api/v1/namespaces/n").status_code == 200
