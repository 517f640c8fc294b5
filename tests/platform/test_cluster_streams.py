"""Cluster.request_text / request_raw / stream_lines on both transports (httpx and the
kubernetes package), against the fake API server's pods/log and services/proxy."""

from __future__ import annotations

import threading
import time

import pytest

from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.environment import Environment
from tests.helpers.kubeconfigs import exec_plugin_kubeconfig

NS = "team"
LOG = f"/api/v1/namespaces/{NS}/pods/p/log"


def _pod(server):
    server.put_object({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": NS},
                       "spec": {"containers": [{"name": "c", "image": "x"}]}})


@pytest.fixture(params=["httpx", "kubernetes"])
def cluster(request, kube_server, tmp_path):
    if request.param == "httpx":
        path = kube_server.write_kubeconfig(tmp_path / "kc", namespace=NS)
    else:
        path = exec_plugin_kubeconfig(tmp_path, kube_server.url, NS, tmp_path / "m")
    c = Cluster.connect(kubeconfig=str(path), env=Environment.default())
    assert type(c.transport).__name__ == ("HttpxTransport" if request.param == "httpx"
                                          else "KubernetesTransport")
    return c


def test_text_and_errors(cluster, kube_server):
    _pod(kube_server)
    kube_server.pods.set_log(NS, "p", "c", ["one", "two"])
    assert cluster.request_text("GET", LOG, query=[("tailLines", "1")]) == "two\n"
    with pytest.raises(ApiError) as err:
        cluster.request_text("GET", LOG, query=[("container", "nope")])
    assert err.value.status == 400 and "container nope is not valid" in err.value.message


def test_raw_answers_any_status(cluster, kube_server):
    kube_server.pods.set_backend(NS, "svc", "http://127.0.0.1:1")
    status, body = cluster.request_raw(
        "GET", f"/api/v1/namespaces/{NS}/services/svc:80/proxy/v1/models")
    assert status == 502 and b"error trying to reach service" in body


def test_stream_lines_follows_until_the_end(cluster, kube_server):
    _pod(kube_server)
    kube_server.pods.set_log(NS, "p", "c", ["first"])

    def later():
        time.sleep(0.3)
        kube_server.pods.set_log(NS, "p", "c", ["first", "second"], eof=True)

    threading.Thread(target=later, daemon=True).start()
    assert list(cluster.stream_lines(LOG, query=[("follow", "true")])) == ["first", "second"]


def test_stream_lines_error(cluster, kube_server):
    kube_server.deny("get", "pods/log")
    _pod(kube_server)
    with pytest.raises(ApiError) as err:
        list(cluster.stream_lines(LOG, query=[("follow", "true")]))
    assert err.value.status == 403
