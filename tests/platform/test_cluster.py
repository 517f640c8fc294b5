"""The Kubernetes adapter against the fake API server, through the real `kubernetes` client."""

import os

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kubectl_nim.adapters.kube import kubeconfig
from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.adapters.kube.resources import RESOURCES
from kubectl_nim.environment import Environment
from kubectl_nim.errors import ClusterError
from tests.helpers.kubeconfigs import exec_plugin_kubeconfig


def secret(name, ns="team", **data):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
            "type": "Opaque", "stringData": data or {"a": "b"}}


@pytest.fixture
def cluster(kube_server, kubeconfig):
    kube_server.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    return Cluster.connect(kubeconfig=kubeconfig, namespace="team", timeout=2, env=Environment.default())


def test_resource_paths():
    assert RESOURCES["Secret"].path("ns", "x") == "/api/v1/namespaces/ns/secrets/x"
    assert RESOURCES["InferenceService"].path("ns") == \
        "/apis/serving.kserve.io/v1beta1/namespaces/ns/inferenceservices"
    assert RESOURCES["DSCInitialization"].path("ignored", "d") == \
        "/apis/dscinitialization.opendatahub.io/v1/dscinitializations/d"
    assert RESOURCES["ServingRuntime"].qualified == "servingruntimes.serving.kserve.io"


def test_create_get_list_delete_round_trip(cluster, kube_server):
    created = cluster.create(secret("s1"))
    assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
    assert cluster.get("Secret", "s1")["metadata"]["uid"] == created["metadata"]["uid"]
    items = cluster.list("Secret")
    assert [i["metadata"]["name"] for i in items] == ["s1"]
    assert items[0]["kind"] == "Secret" and items[0]["apiVersion"] == "v1"
    cluster.delete("Secret", "s1")
    assert cluster.get_or_none("Secret", "s1") is None
    methods = [(r["method"], r["path"]) for r in kube_server.requests]
    assert ("DELETE", "/api/v1/namespaces/team/secrets/s1") in methods


def test_errors_are_status_objects_turned_into_one_line(cluster, kube_server):
    cluster.create(secret("s1"))
    with pytest.raises(ApiError) as e:
        cluster.create(secret("s1"))
    assert (e.value.status, e.value.reason) == (409, "AlreadyExists")
    assert e.value.message == 'secrets "s1" already exists'
    kube_server.deny("get", "secrets", "team")
    with pytest.raises(ApiError) as e:
        cluster.get("Secret", "s1")
    assert e.value.status == 403
    assert 'cannot get resource "secrets"' in e.value.message
    assert "ask a cluster or project admin" in str(e.value)


def test_dry_run_and_field_manager_are_sent(cluster, kube_server):
    cluster.create(secret("s2"), dry_run=True)
    assert cluster.get_or_none("Secret", "s2") is None
    post = [r for r in kube_server.requests if r["method"] == "POST"][0]
    assert "dryRun=All" in post["query"] and "fieldManager=kubectl-nim" in post["query"]


def test_patch_types_and_server_side_apply(cluster, kube_server):
    cluster.create(secret("s3"))
    cluster.patch("Secret", "s3", {"metadata": {"labels": {"x": "1"}}})
    cluster.patch("Secret", "s3", [{"op": "add", "path": "/metadata/labels/y", "value": "2"}],
                  patch_type="json")
    assert cluster.get("Secret", "s3")["metadata"]["labels"] == {"x": "1", "y": "2"}
    applied = cluster.apply({"apiVersion": "v1", "kind": "ConfigMap",
                             "metadata": {"name": "c", "namespace": "team"}, "data": {"k": "v"}})
    again = cluster.apply({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "c", "namespace": "team"}, "data": {"k": "v"}})
    assert applied["metadata"]["resourceVersion"] == again["metadata"]["resourceVersion"]
    managers = [m["manager"] for m in again["metadata"].get("managedFields", [])]
    assert "kubectl-nim" in managers


def test_missing_crd_is_named(cluster, kube_server):
    kube_server.fail("GET", r"inferenceservices", 404)
    with pytest.raises(ApiError) as e:
        cluster.list("InferenceService")
    assert e.value.status == 404


def test_server_errors_hint_at_retrying(cluster, kube_server):
    kube_server.fail("GET", r"/secrets", 503, times=10)  # past the read retries
    with pytest.raises(ApiError) as e:
        cluster.list("Secret")
    assert e.value.status == 503
    assert "try again" in str(e.value)


def test_hang_costs_one_timeout_and_says_so(kube_server, kubeconfig):
    kube_server.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    cluster = Cluster.connect(kubeconfig=kubeconfig, namespace="team", timeout=0.3, env=Environment.default())
    kube_server.fail("GET", r"/secrets", 200, hang_seconds=1.5)
    with pytest.raises(ClusterError) as e:
        cluster.list("Secret")
    assert "timed out after 0.3s" in str(e.value)
    assert "--request-timeout" in str(e.value)
    assert len([r for r in kube_server.requests if "/secrets" in r["path"]]) <= 1


def test_unreachable_cluster(tmp_path, kube_server):
    path = kube_server.write_kubeconfig(tmp_path / "kc")
    url = kube_server.url
    kube_server.stop()
    cluster = Cluster.connect(kubeconfig=str(path), timeout=1, env=Environment.default())
    with pytest.raises(ClusterError) as e:
        cluster.list("Secret")
    assert str(e.value).startswith(f"cannot reach the cluster at {url}: connection refused")


class DroppingServer:
    """An HTTP server on 127.0.0.1 that closes the first `drops` connections once their request
    arrived, with no answer (what a killed or restarting kube-apiserver does to a request in
    flight), and answers the rest with an empty SecretList."""

    BODY = b'{"kind": "SecretList", "apiVersion": "v1", "items": []}'

    def __init__(self, drops: int):
        import socket
        import threading

        self.drops, self.requests = drops, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                continue
            with conn:
                conn.recv(65536)
                self.requests += 1
                if self.requests > self.drops:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Connection: close\r\nContent-Length: "
                                 + str(len(self.BODY)).encode() + b"\r\n\r\n" + self.BODY)

    def cluster(self, tmp_path):
        path = _kubeconfig(tmp_path / "kc", self.url, [("a", "team")], "a")
        return Cluster.connect(kubeconfig=path, timeout=5,
                               env=Environment.default(sleep=lambda seconds: None))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(5)
        self.listener.close()


def test_a_connection_dropped_without_an_answer_says_the_server_may_be_restarting(tmp_path):
    """Not a network problem to check first, and the request may have been carried out (not
    `never_sent`)."""
    with DroppingServer(drops=1000) as server:
        with pytest.raises(ClusterError) as e:
            server.cluster(tmp_path).list("Secret")
    assert e.value.message == (f"cannot reach the cluster at {server.url}: the connection closed "
                               f"without an answer")
    assert e.value.hint == ("the API server closed the connection without an answer: it may be "
                            "restarting (try again in a moment), or a proxy or load balancer "
                            "in between dropped it")
    assert not e.value.never_sent and not e.value.timed_out


def test_a_read_whose_connection_dropped_is_retried(tmp_path):
    with DroppingServer(drops=1) as server:
        assert server.cluster(tmp_path).list("Secret") == []
    assert server.requests == 2


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_transport_words_get_a_known_kind(text):
    """The transports' error texts are anyone's (a proxy's, a library's): classify never fails,
    and a failure after connecting (broken_off) is never taken for one that proves the request
    was not sent (refused, dns, tls)."""
    from kubectl_nim.adapters.kube.transport import broken_off, classify

    kind, detail = classify(text)
    assert kind in ("refused", "dns", "tls", "timeout", "dropped", "other")
    assert isinstance(detail, str)
    assert broken_off(text)[0] in ("dropped", "other")
    for words in ("Server disconnected without sending a response.",
                  "('Connection aborted.', RemoteDisconnected('Remote end closed connection "
                  "without response'))", "[Errno 104] Connection reset by peer"):
        assert broken_off(text + words)[0] == "dropped"


def _kubeconfig(path, server, contexts, current):
    doc = {"apiVersion": "v1", "kind": "Config", "current-context": current,
           "clusters": [{"name": "c", "cluster": {"server": server}}],
           "users": [{"name": "u", "user": {"token": "t"}}],
           "contexts": [{"name": n, "context": {"cluster": "c", "user": "u", **({"namespace": ns} if ns else {})}}
                        for n, ns in contexts]}
    path.write_text(yaml.safe_dump(doc))
    return str(path)


def test_unreachable_cluster_through_the_cli_is_one_clean_line(nim, tmp_path, kube_server):
    path = kube_server.write_kubeconfig(tmp_path / "kc")
    url = kube_server.url
    kube_server.stop()
    result = nim("models", "--kubeconfig", path, "--request-timeout", "1s")
    assert result.exit_code == 1
    assert result.stderr == (f"error: cannot reach the cluster at {url}: connection refused; "
                             "nothing answers there: the API server is down or restarting (try "
                             "again in a moment), or the kubeconfig points elsewhere (`oc login`, "
                             "--kubeconfig, --context); or "
                             "pass --offline to list the catalog embedded in the plugin\n")


def test_namespace_comes_from_the_context_and_flags_win(tmp_path, kube_server, monkeypatch):
    path = _kubeconfig(tmp_path / "kc", kube_server.url, [("a", "ns-a"), ("b", None)], "a")
    assert Cluster.connect(kubeconfig=path, env=Environment.default()).namespace == "ns-a"
    assert Cluster.connect(kubeconfig=path, context="b", env=Environment.default()).namespace == "default"
    assert Cluster.connect(kubeconfig=path, namespace="explicit", env=Environment.default()).namespace == "explicit"


def test_kubeconfig_env_with_several_files(tmp_path, kube_server, monkeypatch):
    first = tmp_path / "first"
    second = tmp_path / "second"
    first.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "Config",
                                     "current-context": "two", "clusters": [], "users": [],
                                     "contexts": []}))
    _kubeconfig(second, kube_server.url, [("two", "from-second")], "two")
    monkeypatch.setenv("KUBECONFIG", f"{first}{os.pathsep}{second}")
    cluster = Cluster.connect(env=Environment.default())
    assert (cluster.namespace, cluster.context, cluster.server) == ("from-second", "two", kube_server.url)


def test_unknown_context_is_one_line(tmp_path, kube_server):
    path = _kubeconfig(tmp_path / "kc", kube_server.url, [("a", None)], "a")
    with pytest.raises(ClusterError) as e:
        Cluster.connect(kubeconfig=path, context="nope", env=Environment.default())
    assert str(e.value).startswith("cannot load the cluster configuration:")
    assert "nope" in str(e.value)


def test_no_kubeconfig_at_all(tmp_path, monkeypatch):
    with pytest.raises(ClusterError) as e:
        Cluster.connect(env=Environment.default())
    assert str(e.value) == ("no kubeconfig found and not running inside a cluster; log in "
                            "(`oc login`), set KUBECONFIG or pass --kubeconfig")


def test_in_cluster_config(tmp_path):
    """CI jobs in pods: service-account token, CA and namespace files, KUBERNETES_SERVICE_*."""
    (tmp_path / "token").write_text("sa-token\n")
    (tmp_path / "ca.crt").write_text("pem")
    (tmp_path / "namespace").write_text("ci-project\n")
    endpoint = kubeconfig.find_endpoint(None, None, {"KUBERNETES_SERVICE_HOST": "10.0.0.1",
                                                      "KUBERNETES_SERVICE_PORT": "6443",
                                                      "KUBECONFIG": str(tmp_path / "missing")},
                                        sa_dir=str(tmp_path))
    assert (endpoint.server, endpoint.namespace, endpoint.token, endpoint.context) == \
        ("https://10.0.0.1:6443", "ci-project", "sa-token", "in-cluster")
    assert endpoint.ca_file == str(tmp_path / "ca.crt")


def test_in_cluster_without_a_token_says_so(tmp_path):
    with pytest.raises(ClusterError) as e:
        kubeconfig.in_cluster({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, sa_dir=str(tmp_path))
    assert "service-account token is not mounted" in str(e.value)


def test_exec_plugin_kubeconfig_goes_through_the_kubernetes_package(tmp_path, kube_server):
    """Credentials only the kubernetes package knows (here an exec plugin) still work."""
    marker = tmp_path / "called"
    path = exec_plugin_kubeconfig(tmp_path, kube_server.url, "ex", marker)
    cluster = Cluster.connect(kubeconfig=str(path), env=Environment.default())
    assert type(cluster.transport).__name__ == "KubernetesTransport"
    assert cluster.namespace == "ex"
    assert cluster.list("Secret") == []
    assert marker.read_text() == "called\n"


def test_token_kubeconfig_does_not_import_kubernetes(tmp_path, kube_server):
    import subprocess
    import sys

    path = kube_server.write_kubeconfig(tmp_path / "kc")
    code = ("import sys\nfrom kubectl_nim.adapters.kube.cluster import Cluster\n"
            "from kubectl_nim.environment import Environment\n"
            f"c = Cluster.connect(kubeconfig={str(path)!r}, env=Environment.default())\n"
            "print(len(c.list('Secret')), 'kubernetes' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout == "0 False\n", out.stderr


def test_kubeconfig_merge_follows_kubectl():
    first = {"current-context": "a", "clusters": [{"name": "c", "cluster": {"server": "https://one"}}],
             "contexts": [{"name": "a", "context": {"cluster": "c"}}]}
    second = {"current-context": "b", "clusters": [{"name": "c", "cluster": {"server": "https://two"}},
                                                    {"name": "d", "cluster": {"server": "https://d"}}],
              "contexts": [{"name": "b", "context": {"cluster": "d"}}]}
    merged = kubeconfig.merge([first, second])
    assert merged["current-context"] == "a"
    assert merged["clusters"]["c"] == {"server": "https://one"}
    assert set(merged["contexts"]) == {"a", "b"}
    assert kubeconfig.resolve(merged, "b", "/").server == "https://d"


@pytest.mark.parametrize("user, expected", [
    ({"token": "t"}, "fast"), ({"client-certificate-data": "eA==", "client-key-data": "eA=="}, "fast"),
    ({"exec": {"command": "x"}}, "delegated"), ({"auth-provider": {"name": "oidc"}}, "delegated"),
    ({"username": "u", "password": "p"}, "delegated"),
])
def test_which_credentials_need_the_kubernetes_package(user, expected):
    merged = kubeconfig.merge([{"current-context": "x", "users": [{"name": "u", "user": user}],
                                "clusters": [{"name": "c", "cluster": {"server": "https://s"}}],
                                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}]}])
    try:
        kubeconfig.resolve(merged, None, "/")
        got = "fast"
    except kubeconfig.NeedsKubernetesLoader:
        got = "delegated"
    assert got == expected


def test_broken_kubeconfig_is_one_line(tmp_path):
    path = tmp_path / "kc"
    path.write_text("clusters: [unclosed")
    with pytest.raises(ClusterError) as e:
        Cluster.connect(kubeconfig=str(path), env=Environment.default())
    assert str(e.value) == (f"kubeconfig {path} is not valid YAML; check the file, or log in "
                            "again (`oc login`)")


def test_models_without_any_kubeconfig_suggests_offline(nim):
    result = nim("models")
    assert result.exit_code == 1
    assert result.stderr == ("error: no kubeconfig found and not running inside a cluster; log "
                             "in (`oc login`), set KUBECONFIG or pass --kubeconfig; or pass "
                             "--offline to list the catalog embedded in the plugin\n")


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"7", b'{"items": {"a": 1}}',
                                  b'{"items": [1]}'])
def test_a_list_answer_of_the_wrong_shape_is_one_clear_error(body):
    """The items of a list answer, whatever the server sent: a ClusterError, never a crash."""
    class Answers:
        def send(self, method, url, data, headers):
            return 200, body, None

    cluster = Cluster(Answers(), "team", "https://hostile")
    with pytest.raises(ClusterError, match="answered with"):
        cluster.list("Pod", "team")
