"""Keeps tests/fakes/kube_apiserver.py honest.

The fake is only useful if real clients cannot tell it from a real API
server for the operations the plugin performs, so everything here goes
through the real ``kubernetes`` client, real ``kubectl`` or raw HTTP, and
asserts the wire-level details (status codes, Status bodies, messages,
resourceVersion behaviour) that a sloppy implementation would get wrong.


Status written by hand: it tests the fake's own status subresource and watch."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import urllib3
import yaml
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


from tests.fakes.kube_apiserver import FakeKubeAPIServer

FAKE_MODULE = Path(__file__).parents[1] / "fakes" / "kube_apiserver.py"
ODH = ("opendatahub.io", "v1alpha", "odhdashboardconfigs")
ISVC = ("serving.kserve.io", "v1beta1", "inferenceservices")
SR = ("serving.kserve.io", "v1alpha1", "servingruntimes")


# --------------------------------------------------------------------------- helpers

def api_client_for(server: FakeKubeAPIServer, tmp_path: Path, namespace: str = "default",
                   retries=None):
    """A real kubernetes ApiClient configured from a kubeconfig the fake wrote."""
    path = server.write_kubeconfig(tmp_path / f"kubeconfig-{namespace}", namespace=namespace)
    cfg = client.Configuration()
    config.load_kube_config(config_file=str(path), client_configuration=cfg)
    cfg.retries = retries
    return client.ApiClient(cfg)


@pytest.fixture
def api(kube_server, tmp_path):
    return api_client_for(kube_server, tmp_path)


@pytest.fixture
def core(api):
    return client.CoreV1Api(api)


@pytest.fixture
def custom(api):
    return client.CustomObjectsApi(api)


def status_of(exc: ApiException) -> dict:
    return json.loads(exc.body)


def expect_error(code: int, fn, *args, **kwargs) -> dict:
    """Call ``fn`` expecting an ApiException with ``code``; return the Status body."""
    with pytest.raises(ApiException) as info:
        fn(*args, **kwargs)
    assert info.value.status == code, info.value.body
    body = status_of(info.value)
    assert body["kind"] == "Status" and body["apiVersion"] == "v1"
    assert body["status"] == "Failure" and body["code"] == code
    return body


def raw(server: FakeKubeAPIServer, method: str, path: str, body=None,
        content_type: str = "application/json", timeout: float = 5):
    """Plain HTTP: returns (status, headers, parsed JSON body)."""
    data = None if body is None else (body if isinstance(body, bytes) else
                                      json.dumps(body).encode())
    req = urllib.request.Request(server.url + path, data=data, method=method,
                                 headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, err.headers, json.loads(err.read() or b"null")


def secret(name: str, **extra) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, **extra}


def odh_config(name: str = "odh-dashboard-config", **spec) -> dict:
    return {"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
            "metadata": {"name": name}, "spec": spec or {"dashboardConfig": {}}}


NIM_CONFIG = {"customConfigMap": {"name": "nim-models", "namespace": "nim"},
              "disconnected": {"disableKeyCollection": True}}


def isvc(name: str, **spec) -> dict:
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name},
            "spec": spec or {"predictor": {"model": {"runtime": "nim"}}}}


def kubectl_path():
    here = shutil.which("kubectl", path=os.path.dirname(sys.executable))
    return here or shutil.which("kubectl")


@pytest.fixture
def kubectl(kube_server, tmp_path):
    """Run the real kubectl against the fake: ``kubectl("get", "ns")`` -> CompletedProcess."""
    binary = kubectl_path()
    if binary is None:
        pytest.skip("kubectl binary not found")
    kubeconfig = kube_server.write_kubeconfig(tmp_path / "kubectl-config")

    argv = [binary, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache")]

    def run(*args, check=True):
        proc = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=30)
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc
    run.argv = argv
    return run


def wait_until(predicate, timeout=5.0):
    """Poll an observable condition (not a sleep-as-synchronization)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


# --------------------------------------------------------------------------- discovery

def test_discovery_version_groups_and_resources(kube_server, api):
    version = client.VersionApi(api).get_code()
    assert version.git_version == "v1.31.0" and (version.major, version.minor) == ("1", "31")
    assert client.CoreApi(api).get_api_versions().versions == ["v1"]
    groups = {g.name: g for g in client.ApisApi(api).get_api_versions().groups}
    assert {"apps", "serving.kserve.io", "template.openshift.io", "opendatahub.io",
            "nim.opendatahub.io", "dscinitialization.opendatahub.io"} <= set(groups)
    kserve = groups["serving.kserve.io"]
    assert kserve.preferred_version.group_version == "serving.kserve.io/v1beta1"
    assert {v.version for v in kserve.versions} == {"v1alpha1", "v1beta1"}

    _, _, core_list = raw(kube_server, "GET", "/api/v1")
    by_name = {r["name"]: r for r in core_list["resources"]}
    assert core_list["kind"] == "APIResourceList" and core_list["groupVersion"] == "v1"
    assert by_name["namespaces"]["namespaced"] is False
    assert by_name["namespaces"]["shortNames"] == ["ns"]
    assert by_name["secrets"] == {"name": "secrets", "singularName": "secret",
                                  "namespaced": True, "kind": "Secret",
                                  "verbs": ["create", "delete", "deletecollection", "get",
                                            "list", "patch", "update", "watch"]}
    assert by_name["configmaps"]["shortNames"] == ["cm"]
    _, _, dsci = raw(kube_server, "GET", "/apis/dscinitialization.opendatahub.io/v1")
    entry = next(r for r in dsci["resources"] if r["name"] == "dscinitializations")
    assert (entry["kind"], entry["namespaced"], entry["shortNames"]) == \
        ("DSCInitialization", False, ["dsci"])
    assert raw(kube_server, "GET", "/openapi/v2")[0] == 404
    assert raw(kube_server, "GET", "/apis/nope.example.com/v1")[0] == 404


def test_kubectl_api_resources_sees_every_kind(kubectl):
    out = kubectl("api-resources", "--no-headers").stdout
    rows = {line.split()[0]: line.split() for line in out.splitlines()}
    assert rows["inferenceservices"][1:] == ["isvc", "serving.kserve.io/v1beta1", "true",
                                             "InferenceService"]
    assert rows["servingruntimes"][1:] == ["serving.kserve.io/v1alpha1", "true",
                                           "ServingRuntime"]
    assert rows["odhdashboardconfigs"][-3:] == ["opendatahub.io/v1alpha", "true",
                                                "OdhDashboardConfig"]
    assert rows["namespaces"][1:] == ["ns", "v1", "false", "Namespace"]


# --------------------------------------------------------------------------- kubectl

def test_kubectl_get_create_apply_delete(kube_server, kubectl, tmp_path):
    kube_server.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "nim"}})
    names = kubectl("get", "ns", "-o", "name").stdout.split()
    assert names == ["namespace/default", "namespace/kube-public", "namespace/kube-system",
                     "namespace/nim"]

    manifest = tmp_path / "objects.yaml"
    manifest.write_text(yaml.safe_dump_all([
        secret("ngc-api", stringData={"NGC_API_KEY": "nvapi-123"}),
        {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
         "metadata": {"name": "nim-runtime"}, "spec": {"containers": [{"name": "kserve"}]}},
    ]))
    out = kubectl("create", "--validate=false", "-n", "nim", "-f", str(manifest)).stdout
    assert "secret/ngc-api created" in out
    assert "servingruntime.serving.kserve.io/nim-runtime created" in out
    stored = kube_server.get_object("v1", "secrets", "nim", "ngc-api")
    assert stored["data"] == {"NGC_API_KEY": "bnZhcGktMTIz"} and "stringData" not in stored
    assert kube_server.get_object("serving.kserve.io/v1alpha1", "servingruntimes", "nim",
                                  "nim-runtime")["metadata"]["generation"] == 1
    again = kubectl("create", "--validate=false", "-n", "nim", "-f", str(manifest), check=False)
    assert again.returncode != 0 and 'secrets "ngc-api" already exists' in again.stderr

    kube_server.put_object({"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": "models", "namespace": "nim"},
                            "data": {"a": "1"}})
    cm = json.loads(kubectl("get", "configmap", "models", "-n", "nim", "-o", "json").stdout)
    assert cm["kind"] == "ConfigMap" and cm["data"] == {"a": "1"}

    applied = tmp_path / "cm.yaml"
    applied.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                       "metadata": {"name": "models", "namespace": "nim"},
                                       "data": {"b": "2"}}))
    out = kubectl("apply", "--server-side", "--validate=false", "-f", str(applied)).stdout
    assert "configmap/models serverside-applied" in out
    stored = kube_server.get_object("v1", "configmaps", "nim", "models")
    assert stored["data"] == {"a": "1", "b": "2"}
    assert [m["manager"] for m in stored["metadata"]["managedFields"]] == ["kubectl"]

    out = kubectl("delete", "secret", "ngc-api", "-n", "nim").stdout
    assert 'secret "ngc-api" deleted' in out
    assert kube_server.get_object("v1", "secrets", "nim", "ngc-api") is None
    missing = kubectl("get", "secret", "ngc-api", "-n", "nim", check=False)
    assert 'Error from server (NotFound): secrets "ngc-api" not found' in missing.stderr
    agents = {r["user_agent"].split("/")[0] for r in kube_server.requests}
    assert agents == {"kubectl"}


def test_kubectl_wait_follows_the_watch_list_protocol(kube_server, kubectl):
    model = isvc("m") | {"metadata": {"name": "m", "namespace": "nim"}}
    kube_server.put_object(model)
    proc = subprocess.Popen([*kubectl.argv, "wait", "--for=condition=Ready", "isvc/m", "-n",
                             "nim", "--timeout=10s"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: any("watch=true" in r["query"] for r in kube_server.requests),
                   timeout=10)
        kube_server.put_object(model | {"status": {"conditions": [
            {"type": "Ready", "status": "True"}]}})
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "inferenceservice.serving.kserve.io/m condition met" in out
    watch_query = next(r["query"] for r in kube_server.requests if "watch=true" in r["query"])
    assert "sendInitialEvents=true" in watch_query


# --------------------------------------------------------------------------- CRUD basics

def test_create_assigns_server_fields_and_get_list_return_them(core, kube_server):
    before = core.list_namespaced_secret("default").metadata.resource_version
    created = core.create_namespaced_secret("default", secret("a", stringData={"k": "v"}))
    meta = created.metadata
    assert len(meta.uid) == 36 and meta.uid.count("-") == 4
    assert meta.creation_timestamp.tzinfo is not None
    assert int(meta.resource_version) > int(before)
    assert meta.generation is None  # core kinds do not use generation
    assert created.data == {"k": "dg=="} and created.type == "Opaque"
    assert created.string_data is None

    status, _, listed = raw(kube_server, "GET", "/api/v1/namespaces/default/secrets")
    assert status == 200 and listed["kind"] == "SecretList" and listed["apiVersion"] == "v1"
    assert listed["metadata"]["resourceVersion"] == meta.resource_version
    assert [(i["kind"], i["apiVersion"], i["metadata"]["name"]) for i in listed["items"]] == \
        [("Secret", "v1", "a")]
    fetched = core.read_namespaced_secret("a", "default")
    assert fetched.metadata.uid == meta.uid


def test_generate_name_and_global_resource_version_counter(custom, core):
    first = core.create_namespaced_config_map("default", {"metadata": {"generateName": "cm-"}})
    second = custom.create_namespaced_custom_object(*ISVC[:2], "default", ISVC[2], isvc("m"))
    assert first.metadata.name.startswith("cm-") and len(first.metadata.name) == 8
    assert int(second["metadata"]["resourceVersion"]) == int(first.metadata.resource_version) + 1
    assert second["metadata"]["generation"] == 1
    assert second["metadata"]["creationTimestamp"].endswith("Z")


def test_already_exists_is_409_with_real_status(core):
    core.create_namespaced_secret("default", secret("dup"))
    body = expect_error(409, core.create_namespaced_secret, "default", secret("dup"))
    assert body["reason"] == "AlreadyExists"
    assert body["message"] == 'secrets "dup" already exists'
    assert body["details"] == {"name": "dup", "kind": "secrets"}


def test_replace_with_stale_resource_version_conflicts(custom):
    obj = custom.create_namespaced_custom_object(*ISVC[:2], "default", ISVC[2], isvc("m"))
    stale = json.loads(json.dumps(obj))
    obj["spec"]["predictor"]["minReplicas"] = 1
    updated = custom.replace_namespaced_custom_object(*ISVC[:2], "default", ISVC[2], "m", obj)
    assert updated["metadata"]["uid"] == obj["metadata"]["uid"]
    assert updated["metadata"]["creationTimestamp"] == obj["metadata"]["creationTimestamp"]
    assert int(updated["metadata"]["resourceVersion"]) > int(obj["metadata"]["resourceVersion"])
    assert updated["metadata"]["generation"] == 2

    stale["spec"]["predictor"]["minReplicas"] = 5
    body = expect_error(409, custom.replace_namespaced_custom_object, *ISVC[:2], "default",
                        ISVC[2], "m", stale)
    assert body["reason"] == "Conflict"
    assert body["message"] == (
        'Operation cannot be fulfilled on inferenceservices.serving.kserve.io "m": the object '
        "has been modified; please apply your changes to the latest version and try again")
    assert body["details"] == {"name": "m", "group": "serving.kserve.io",
                               "kind": "inferenceservices"}
    # an unconditional replace (no resourceVersion) is allowed, like on real servers
    del stale["metadata"]["resourceVersion"]
    assert custom.replace_namespaced_custom_object(
        *ISVC[:2], "default", ISVC[2], "m", stale)["spec"]["predictor"]["minReplicas"] == 5


def test_replace_without_changes_keeps_resource_version(custom):
    obj = custom.create_namespaced_custom_object(*ISVC[:2], "default", ISVC[2], isvc("m"))
    same = custom.replace_namespaced_custom_object(*ISVC[:2], "default", ISVC[2], "m", obj)
    assert same["metadata"]["resourceVersion"] == obj["metadata"]["resourceVersion"]
    assert same["metadata"]["generation"] == 1


def test_not_found_cases(core, custom, kube_server):
    body = expect_error(404, core.read_namespaced_secret, "nope", "default")
    assert body["reason"] == "NotFound" and body["message"] == 'secrets "nope" not found'
    body = expect_error(404, custom.get_namespaced_custom_object, *ISVC[:2], "default",
                        ISVC[2], "nope")
    assert body["message"] == 'inferenceservices.serving.kserve.io "nope" not found'
    assert body["details"] == {"name": "nope", "group": "serving.kserve.io",
                               "kind": "inferenceservices"}
    body = expect_error(404, core.create_namespaced_secret, "ghost", secret("s"))
    assert body["message"] == 'namespaces "ghost" not found'
    assert body["details"] == {"name": "ghost", "kind": "namespaces"}
    expect_error(404, core.patch_namespaced_secret, "nope", "default", {"data": {}})
    expect_error(404, core.delete_namespaced_secret, "nope", "default")
    expect_error(404, core.replace_namespaced_secret, "nope", "default", secret("nope"))
    status, _, body = raw(kube_server, "GET", "/api/v1/namespaces/default/widgets")
    assert status == 404 and body["message"] == "the server could not find the requested resource"


def test_invalid_names_are_422(core, custom):
    body = expect_error(422, core.create_namespaced_secret, "default", secret("Bad_Name"))
    assert body["reason"] == "Invalid"
    assert body["message"].startswith(
        'Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase '
        "RFC 1123 subdomain must consist of")
    assert body["details"]["kind"] == "Secret"
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    body = expect_error(422, core.create_namespace, {"metadata": {"name": "has.dot"}})
    assert "RFC 1123 label" in body["message"]
    body = expect_error(422, core.create_namespaced_config_map, "default", {"metadata": {}})
    assert body["message"] == ('ConfigMap "" is invalid: metadata.name: Required value: name '
                               "or generateName is required")
    body = expect_error(422, custom.create_namespaced_custom_object, *ISVC[:2], "default",
                        ISVC[2], isvc("x" * 254))
    assert body["message"].startswith('InferenceService.serving.kserve.io "xxx')
    assert "must be no more than 253 characters" in body["message"]


def test_body_that_does_not_match_the_url_is_rejected(kube_server, core):
    status, _, body = raw(kube_server, "POST", "/api/v1/namespaces/default/secrets",
                          {"apiVersion": "apps/v1", "kind": "Secret", "metadata": {"name": "x"}})
    assert status == 400 and body["reason"] == "BadRequest"
    assert body["message"] == ("the API version in the data (apps/v1) does not match the "
                               "expected API version (v1)")
    status, _, body = raw(kube_server, "POST", "/api/v1/namespaces/default/secrets",
                          {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert status == 400 and "kind in the data (ConfigMap)" in body["message"]
    core.create_namespaced_secret("default", secret("x"))
    body = expect_error(400, core.replace_namespaced_secret, "x", "default", secret("y"))
    assert body["message"] == "the name of the object (y) does not match the name on the URL (x)"


def test_delete_returns_object_or_status_like_real_registries(core, custom, kube_server):
    core.create_namespaced_secret("default", secret("s"))
    status, _, body = raw(kube_server, "DELETE", "/api/v1/namespaces/default/secrets/s",
                          {"kind": "DeleteOptions", "apiVersion": "v1",
                           "propagationPolicy": "Foreground"})
    assert status == 200 and body["kind"] == "Status" and body["status"] == "Success"
    assert body["details"]["name"] == "s" and body["details"]["kind"] == "secrets"
    custom.create_namespaced_custom_object(*ISVC[:2], "default", ISVC[2], isvc("m"))
    gone = custom.delete_namespaced_custom_object(*ISVC[:2], "default", ISVC[2], "m",
                                                  propagation_policy="Background")
    assert gone["kind"] == "InferenceService" and gone["metadata"]["name"] == "m"
    assert kube_server.get_object("serving.kserve.io", "inferenceservices", "default",
                                  "m") is None


def test_deleting_a_namespace_removes_its_objects(core, kube_server):
    kube_server.put_object(secret("in-ns", metadata={"name": "in-ns", "namespace": "doomed"}))
    kube_server.put_object(odh_config() | {"metadata": {"name": "c", "namespace": "doomed"}})
    kube_server.put_object(secret("elsewhere"))
    ns = core.delete_namespace("doomed")
    assert ns["kind"] == "Namespace" and ns["status"]["phase"] == "Terminating"
    remaining = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
                 for o in kube_server.objects() if o["kind"] != "Namespace"}
    assert remaining == {("Secret", "default", "elsewhere")}
    expect_error(404, core.read_namespace, "doomed")
    body = expect_error(403, core.delete_namespace, "default")
    assert "may not be deleted" in body["message"]


# --------------------------------------------------------------------------- authorization

def test_deny_produces_real_forbidden_messages(kube_server, core, custom):
    kube_server.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "nim"}})
    kube_server.deny("create", "secrets", namespace="nim")
    kube_server.deny("list", "namespaces")
    kube_server.deny("get", "inferenceservices")
    body = expect_error(403, core.create_namespaced_secret, "nim", secret("s"))
    assert body["reason"] == "Forbidden"
    assert body["message"] == ('secrets is forbidden: User "fake-user" cannot create resource '
                               '"secrets" in API group "" in the namespace "nim"')
    core.create_namespaced_secret("default", secret("s"))  # other namespaces still allowed
    core.read_namespaced_secret("s", "default")  # other verbs still allowed
    body = expect_error(403, core.list_namespace)
    assert body["message"].endswith('cannot list resource "namespaces" in API group "" at the '
                                    "cluster scope")
    body = expect_error(403, custom.get_namespaced_custom_object, *ISVC[:2], "default",
                        ISVC[2], "m")
    assert body["message"] == (
        'inferenceservices.serving.kserve.io "m" is forbidden: User "fake-user" cannot get '
        'resource "inferenceservices" in API group "serving.kserve.io" in the namespace '
        '"default"')
    assert body["details"] == {"name": "m", "group": "serving.kserve.io",
                               "kind": "inferenceservices"}
    review = client.AuthorizationV1Api(core.api_client).create_self_subject_access_review(
        {"spec": {"resourceAttributes": {"verb": "create", "resource": "secrets",
                                         "namespace": "nim"}}})
    assert review.status.allowed is False


# --------------------------------------------------------------------------- patches

def test_merge_json_and_strategic_patches(core, custom, kube_server):
    custom.create_namespaced_custom_object(*ODH[:2], "default", ODH[2], odh_config(
        dashboardConfig={"disableKServe": False, "disableNIMModelServing": True}))
    merged = custom.patch_namespaced_custom_object(
        *ODH[:2], "default", ODH[2], "odh-dashboard-config",
        {"spec": {"dashboardConfig": {"disableNIMModelServing": False,
                                      "disableKServe": None}}})
    assert merged["spec"]["dashboardConfig"] == {"disableNIMModelServing": False}
    assert merged["metadata"]["generation"] == 2

    core.create_namespaced_config_map("default", {"metadata": {"name": "cm"},
                                                  "data": {"a": "1", "b": "2"}})
    patched = core.patch_namespaced_config_map("cm", "default", [
        {"op": "test", "path": "/data/a", "value": "1"},
        {"op": "replace", "path": "/data/a", "value": "10"},
        {"op": "remove", "path": "/data/b"},
        {"op": "add", "path": "/metadata/labels", "value": {"app": "nim"}},
        {"op": "copy", "from": "/data/a", "path": "/data/c"},
        {"op": "move", "from": "/data/c", "path": "/data/d"}])
    assert patched.data == {"a": "10", "d": "10"} and patched.metadata.labels == {"app": "nim"}
    body = expect_error(422, core.patch_namespaced_config_map, "cm", "default",
                        [{"op": "test", "path": "/data/a", "value": "nope"}])
    assert body["reason"] == "Invalid"
    assert "test failed" in body["details"]["causes"][0]["message"]

    # the client sends dict bodies as strategic merge patches: fine for built-in kinds
    sm = core.patch_namespaced_config_map("cm", "default", {"data": {"e": "5"}})
    assert sm.data == {"a": "10", "d": "10", "e": "5"}
    status, _, body = raw(kube_server, "PATCH",
                          "/apis/opendatahub.io/v1alpha/namespaces/default/odhdashboardconfigs/"
                          "odh-dashboard-config", {"spec": {}},
                          content_type="application/strategic-merge-patch+json")
    assert status == 415 and body["reason"] == "UnsupportedMediaType"


def test_patch_that_changes_nothing_keeps_resource_version(core):
    created = core.create_namespaced_config_map("default", {"metadata": {"name": "cm"},
                                                            "data": {"a": "1"}})
    same = core.patch_namespaced_config_map("cm", "default", {"data": {"a": "1"}})
    assert same.metadata.resource_version == created.metadata.resource_version
    changed = core.patch_namespaced_config_map("cm", "default", {"data": {"a": "2"}})
    assert int(changed.metadata.resource_version) > int(created.metadata.resource_version)


def test_patch_with_stale_resource_version_conflicts(core):
    created = core.create_namespaced_config_map("default", {"metadata": {"name": "cm"}})
    core.patch_namespaced_config_map("cm", "default", {"data": {"a": "1"}})
    body = expect_error(409, core.patch_namespaced_config_map, "cm", "default", {
        "metadata": {"resourceVersion": created.metadata.resource_version},
        "data": {"a": "2"}})
    assert body["reason"] == "Conflict"


# --------------------------------------------------------------------------- server-side apply

def apply(custom, body, manager="kubectl-nim", expect_status=200, **kwargs):
    """SSA through CustomObjectsApi.  The client maps only 200 for this call and returns
    None on the 201 a real server answers when apply creates, so read the raw body."""
    resp = custom.patch_namespaced_custom_object(
        *ISVC[:2], "default", ISVC[2], body["metadata"]["name"], body, field_manager=manager,
        _content_type="application/apply-patch+yaml", _preload_content=False, **kwargs)
    assert resp.status == expect_status, resp.data
    return json.loads(resp.data)


def test_server_side_apply_create_update_and_noop(custom, kube_server):
    created = apply(custom, isvc("m", predictor={"model": {"runtime": "nim", "image": "a"}}),
                    force=True, expect_status=201)
    assert created["metadata"]["generation"] == 1
    managed = created["metadata"]["managedFields"]
    assert [(m["manager"], m["operation"], m["apiVersion"], m["fieldsType"]) for m in managed] \
        == [("kubectl-nim", "Apply", "serving.kserve.io/v1beta1", "FieldsV1")]

    updated = apply(custom, isvc("m", predictor={"model": {"image": "b"}}))
    assert updated["spec"]["predictor"]["model"] == {"runtime": "nim", "image": "b"}
    assert updated["metadata"]["uid"] == created["metadata"]["uid"]
    assert updated["metadata"]["generation"] == 2
    assert int(updated["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])

    again = apply(custom, isvc("m", predictor={"model": {"image": "b"}}))
    assert again["metadata"]["resourceVersion"] == updated["metadata"]["resourceVersion"]
    other = apply(custom, isvc("m", predictor={"model": {"image": "b"}}), manager="someone")
    assert [m["manager"] for m in other["metadata"]["managedFields"]] == ["kubectl-nim",
                                                                           "someone"]


def test_server_side_apply_accepts_yaml_and_requires_field_manager(kube_server):
    path = "/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices/y"
    body = yaml.safe_dump(isvc("y")).encode()
    status, _, resp = raw(kube_server, "PATCH", path, body,
                          content_type="application/apply-patch+yaml")
    assert status == 400 and "fieldManager" in resp["message"]
    status, _, resp = raw(kube_server, "PATCH", path + "?fieldManager=test", body,
                          content_type="application/apply-patch+yaml")
    assert status == 201 and resp["spec"] == isvc("y")["spec"]


# --------------------------------------------------------------------------- dry run

def test_dry_run_never_persists(core, custom, kube_server):
    first = core.create_namespaced_secret("default", secret("real"))
    dry = core.create_namespaced_secret("default", secret("dry"), dry_run="All")
    assert dry.metadata.name == "dry" and dry.metadata.uid
    assert kube_server.get_object("v1", "secrets", "default", "dry") is None
    expect_error(422, core.create_namespaced_secret, "default", secret("Bad"), dry_run="All")

    core.patch_namespaced_secret("real", "default", {"metadata": {"labels": {"a": "b"}}},
                                 dry_run="All")
    replaced = secret("real", metadata={"name": "real", "labels": {"x": "y"}})
    assert core.replace_namespaced_secret("real", "default", replaced,
                                          dry_run="All").metadata.labels == {"x": "y"}
    apply(custom, isvc("dry-isvc"), dry_run="All", expect_status=201)
    core.delete_namespaced_secret("real", "default", dry_run="All")
    stored = kube_server.get_object("v1", "secrets", "default", "real")
    assert stored["metadata"]["resourceVersion"] == first.metadata.resource_version
    assert "labels" not in stored["metadata"]
    assert kube_server.get_object(*ISVC[:1], ISVC[2], "default", "dry-isvc") is None
    nxt = core.create_namespaced_secret("default", secret("next"))
    assert int(nxt.metadata.resource_version) == int(first.metadata.resource_version) + 1


# --------------------------------------------------------------------------- schemas

def test_strict_field_validation_accepts_nimconfig_on_new_crd(custom, kube_server):
    created = custom.create_namespaced_custom_object(
        *ODH[:2], "default", ODH[2], odh_config(nimConfig=NIM_CONFIG),
        field_validation="Strict")
    assert created["spec"]["nimConfig"] == NIM_CONFIG
    body = expect_error(400, custom.patch_namespaced_custom_object, *ODH[:2], "default", ODH[2],
                        "odh-dashboard-config", {"spec": {"nimConfig": {"bogus": 1}}},
                        field_validation="Strict")
    assert body["message"] == 'strict decoding error: unknown field "spec.nimConfig.bogus"'
    body = expect_error(422, custom.patch_namespaced_custom_object, *ODH[:2], "default", ODH[2],
                        "odh-dashboard-config",
                        {"spec": {"nimConfig": {"disconnected": {"disableKeyCollection": "y"}}}})
    assert "spec.nimConfig.disconnected.disableKeyCollection in body must be of type boolean" \
        in body["message"]


def test_old_crd_rejects_nimconfig_when_strict_and_prunes_it_otherwise(
        kube_server_without_nimconfig, tmp_path):
    server = kube_server_without_nimconfig
    custom = client.CustomObjectsApi(api_client_for(server, tmp_path))
    body = expect_error(400, custom.create_namespaced_custom_object, *ODH[:2], "default",
                        ODH[2], odh_config(nimConfig=NIM_CONFIG), field_validation="Strict")
    assert body["reason"] == "BadRequest"
    assert body["message"] == ('OdhDashboardConfig in version "v1alpha" cannot be handled as a '
                               'OdhDashboardConfig: strict decoding error: unknown field '
                               '"spec.nimConfig"')
    assert server.get_object("opendatahub.io/v1alpha", ODH[2], "default",
                             "odh-dashboard-config") is None

    created = custom.create_namespaced_custom_object(*ODH[:2], "default", ODH[2],
                                                     odh_config(nimConfig=NIM_CONFIG))
    assert "nimConfig" not in created["spec"]
    stored = server.get_object("opendatahub.io", ODH[2], "default", "odh-dashboard-config")
    assert stored["spec"] == {}
    # the default (Warn) tells the client what was dropped
    status, headers, _ = raw(server, "PATCH", "/apis/opendatahub.io/v1alpha/namespaces/default/"
                             "odhdashboardconfigs/odh-dashboard-config",
                             {"spec": {"nimConfig": NIM_CONFIG}},
                             content_type="application/merge-patch+json")
    assert status == 200 and headers["Warning"] == '299 - "unknown field \\"spec.nimConfig\\""'
    assert server.get_object(*ODH[:1], ODH[2], "default", "odh-dashboard-config")[
        "metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]
    # server-side apply builds a typed patch and fails on undeclared fields (a 500 today)
    path = "/apis/opendatahub.io/v1alpha/namespaces/default/odhdashboardconfigs/x?fieldManager=t"
    status, _, resp = raw(server, "PATCH", path, odh_config("x", nimConfig=NIM_CONFIG),
                          content_type="application/apply-patch+yaml")
    assert status == 500 and resp["message"] == (
        "failed to create typed patch object (default/x; opendatahub.io/v1alpha, "
        "Kind=OdhDashboardConfig): .spec.nimConfig: field not declared in schema")


def test_builtin_kinds_decode_like_go_structs(core, kube_server):
    status, _, body = raw(kube_server, "POST", "/api/v1/namespaces/default/configmaps",
                          {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                           "data": {"enabled": True}})
    assert status == 400 and body["message"] == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal '
        "bool into Go struct field ConfigMap.data of type string")
    status, _, body = raw(kube_server, "POST", "/api/v1/namespaces/default/secrets?"
                          "fieldValidation=Strict", secret("s", stringdata={"a": "b"}))
    assert status == 400 and 'unknown field "stringdata"' in body["message"]
    status, _, body = raw(kube_server, "POST", "/api/v1/namespaces/default/secrets",
                          secret("s", data={"a": "not base64!"}))
    assert status == 400 and "illegal base64 data at input byte 3" in body["message"]


# --------------------------------------------------------------------------- selectors, paging

def test_label_and_field_selectors(core, kube_server):
    for name, labels in [("a", {"app": "nim", "tier": "gpu"}), ("b", {"app": "nim"}),
                         ("c", {"app": "other"}), ("d", {})]:
        core.create_namespaced_config_map("default", {"metadata": {"name": name,
                                                                   "labels": labels}})

    def names(**kwargs):
        return [c.metadata.name for c in core.list_namespaced_config_map("default",
                                                                        **kwargs).items]
    assert names(label_selector="app=nim") == ["a", "b"]
    assert names(label_selector="app==nim,tier") == ["a"]
    assert names(label_selector="app!=nim") == ["c", "d"]
    assert names(label_selector="!tier") == ["b", "c", "d"]
    assert names(label_selector="app in (other, nim),!tier") == ["b", "c"]
    assert names(label_selector="app notin (nim)") == ["c", "d"]
    assert names(field_selector="metadata.name=c") == ["c"]
    assert names(field_selector="metadata.name!=c", label_selector="app") == ["a", "b"]
    expect_error(400, core.list_namespaced_config_map, "default", label_selector="a=(b")
    expect_error(400, core.list_namespaced_config_map, "default", field_selector="spec.x=1")
    all_ns = core.list_config_map_for_all_namespaces(label_selector="app=nim")
    assert [(c.metadata.namespace, c.metadata.name) for c in all_ns.items] == \
        [("default", "a"), ("default", "b")]


def test_list_pagination_with_limit_and_continue(core):
    for i in range(5):
        core.create_namespaced_config_map("default", {"metadata": {"name": f"cm{i}"}})
    page = core.list_namespaced_config_map("default", limit=2)
    seen = [c.metadata.name for c in page.items]
    while page.metadata._continue:
        page = core.list_namespaced_config_map("default", limit=2,
                                               _continue=page.metadata._continue)
        seen += [c.metadata.name for c in page.items]
    assert seen == ["cm0", "cm1", "cm2", "cm3", "cm4"]


# --------------------------------------------------------------------------- status subresource

def test_status_is_only_written_through_the_status_subresource(custom, kube_server):
    custom.create_namespaced_custom_object(*ISVC[:2], "default", ISVC[2],
                                           isvc("m") | {"status": {"url": "ignored"}})
    assert "status" not in kube_server.get_object(*ISVC[:1], ISVC[2], "default", "m")
    ready = {"conditions": [{"type": "Ready", "status": "True"}], "url": "http://m"}
    custom.patch_namespaced_custom_object_status(*ISVC[:2], "default", ISVC[2], "m",
                                                 {"status": ready})
    custom.patch_namespaced_custom_object(*ISVC[:2], "default", ISVC[2], "m",
                                          {"status": {"url": "nope"}, "metadata": {
                                              "labels": {"a": "b"}}})
    stored = kube_server.get_object(*ISVC[:1], ISVC[2], "default", "m")
    assert stored["status"] == ready and stored["metadata"]["labels"] == {"a": "b"}
    assert stored["metadata"]["generation"] == 1


# --------------------------------------------------------------------------- fault injection

def test_fail_nth_and_times_with_real_status(core, kube_server):
    kube_server.fail("GET", r"/secrets/s$", 503, nth=2, times=2)
    core.create_namespaced_secret("default", secret("s"))
    outcomes = []
    for _ in range(5):
        try:
            core.read_namespaced_secret("s", "default")
            outcomes.append(200)
        except ApiException as exc:
            outcomes.append(exc.status)
            assert status_of(exc)["reason"] == "ServiceUnavailable"
    assert outcomes == [200, 503, 503, 200, 200]
    assert [r["status"] for r in kube_server.requests if r["method"] == "GET"] == outcomes


def test_fail_matches_query_string_and_method(core, kube_server):
    kube_server.fail("*", r"dryRun=All", 429)
    kube_server.fail("DELETE", r"/secrets/", 500, times=10)
    body = expect_error(429, core.create_namespaced_secret, "default", secret("s"),
                        dry_run="All")
    assert body["reason"] == "TooManyRequests"
    core.create_namespaced_secret("default", secret("s"))  # no dryRun: not matched
    body = expect_error(500, core.delete_namespaced_secret, "s", "default")
    assert body["reason"] == "InternalError"
    core.read_namespaced_secret("s", "default")  # GET is not matched by the DELETE rule


def test_hang_exceeds_client_timeout_then_recovers(kube_server, tmp_path):
    api = api_client_for(kube_server, tmp_path, retries=False)  # urllib3 retries timeouts
    core = client.CoreV1Api(api)
    kube_server.fail("GET", r"/secrets/s$", 0, hang_seconds=1.5)
    core.create_namespaced_secret("default", secret("s"))
    started = time.monotonic()
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        core.read_namespaced_secret("s", "default", _request_timeout=0.3)
    assert time.monotonic() - started < 1.2
    started = time.monotonic()
    assert core.read_namespaced_secret("s", "default").metadata.name == "s"
    assert time.monotonic() - started < 0.5


def test_hang_with_a_success_status_delays_the_normal_answer(core, kube_server):
    kube_server.fail("GET", r"/api/v1/namespaces$", 200, hang_seconds=0.3)
    started = time.monotonic()
    names = [ns.metadata.name for ns in core.list_namespace().items]
    assert time.monotonic() - started >= 0.3 and "default" in names
    assert kube_server.requests[-1]["status"] == 200


def test_latency_applies_to_api_not_admin_requests(core, kube_server):
    core.list_namespace()
    kube_server.set_latency(400)
    started = time.monotonic()
    core.list_namespace()
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    raw(kube_server, "GET", "/_fake/requests")
    assert time.monotonic() - started < 0.3
    raw(kube_server, "POST", "/_fake/latency", {"ms": 0})
    started = time.monotonic()
    core.list_namespace()
    assert time.monotonic() - started < 0.3


def test_request_log_records_method_path_query_agent_status(core, kube_server):
    core.create_namespaced_secret("default", secret("s"), field_manager="kubectl-nim")
    expect_error(404, core.read_namespaced_secret, "missing", "default")
    raw(kube_server, "GET", "/_fake/objects")
    log = kube_server.requests
    assert [(r["method"], r["path"], r["query"], r["status"]) for r in log] == [
        ("POST", "/api/v1/namespaces/default/secrets", "fieldManager=kubectl-nim", 201),
        ("GET", "/api/v1/namespaces/default/secrets/missing", "", 404)]
    assert all(r["user_agent"].startswith("OpenAPI-Generator/") for r in log)
    _, _, via_http = raw(kube_server, "GET", "/_fake/requests")
    assert via_http == log


def test_keep_alive_and_chunked_request_bodies(kube_server):
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", int(kube_server.url.rsplit(":", 1)[1]))
    body = json.dumps(secret("chunky")).encode()
    conn.request("POST", "/api/v1/namespaces/default/secrets", body=iter([body[:7], body[7:]]),
                 headers={"Content-Type": "application/json"}, encode_chunked=True)
    first = conn.getresponse()
    assert first.status == 201 and json.loads(first.read())["metadata"]["name"] == "chunky"
    conn.request("GET", "/api/v1/namespaces/default/secrets/chunky")  # same connection
    second = conn.getresponse()
    assert second.status == 200 and second.getheader("Content-Type") == "application/json"
    assert json.loads(second.read())["kind"] == "Secret"
    conn.close()


# --------------------------------------------------------------------------- admin API, helpers

def test_admin_http_api(kube_server, core):
    status, _, stored = raw(kube_server, "POST", "/_fake/objects", [
        secret("seeded", metadata={"name": "seeded", "namespace": "nim"}),
        odh_config() | {"metadata": {"name": "c", "namespace": "nim"}}])
    assert status == 200 and [o["metadata"]["name"] for o in stored] == ["seeded", "c"]
    assert core.read_namespace("nim").status.phase == "Active"  # created implicitly
    assert core.read_namespaced_secret("seeded", "nim").metadata.uid

    raw(kube_server, "POST", "/_fake/deny", {"verb": "get", "resource": "secrets"})
    expect_error(403, core.read_namespaced_secret, "seeded", "nim")
    raw(kube_server, "POST", "/_fake/fail", {"method": "GET", "path_regex": "/namespaces$",
                                             "status": 504})
    body = expect_error(504, core.list_namespace)
    assert body["reason"] == "Timeout"
    _, _, objects = raw(kube_server, "GET", "/_fake/objects")
    assert {o["metadata"]["name"] for o in objects} >= {"seeded", "c", "nim", "default"}

    assert raw(kube_server, "POST", "/_fake/reset", {})[0] == 200
    assert kube_server.requests == []
    assert sorted(o["metadata"]["name"] for o in kube_server.objects()) == \
        ["default", "kube-public", "kube-system"]
    assert core.list_namespace().items  # denials and failures are gone too
    status, _, body = raw(kube_server, "POST", "/_fake/fail", {"path_regex": "("})
    assert status == 400


def test_python_helpers_return_copies_and_fill_metadata(kube_server):
    stored = kube_server.put_object(isvc("m") | {"metadata": {"name": "m", "namespace": "nim"}})
    assert stored["metadata"]["uid"] and stored["metadata"]["generation"] == 1
    again = kube_server.put_object(isvc("m") | {"metadata": {"name": "m", "namespace": "nim"}})
    assert again["metadata"]["uid"] == stored["metadata"]["uid"]
    assert int(again["metadata"]["resourceVersion"]) > int(stored["metadata"]["resourceVersion"])
    for api_version in ("serving.kserve.io/v1beta1", "serving.kserve.io"):
        assert kube_server.get_object(api_version, "inferenceservices", "nim", "m")["kind"] == \
            "InferenceService"
    assert kube_server.get_object("v1", "namespaces", None, "nim")["status"]["phase"] == "Active"
    kube_server.objects()[0]["metadata"]["name"] = "mutated"
    kube_server.get_object("v1", "namespaces", None, "default")["metadata"]["name"] = "x"
    assert "mutated" not in {o["metadata"]["name"] for o in kube_server.objects()}
    assert kube_server.get_object("v1", "namespaces", None, "default") is not None
    with pytest.raises(ValueError):
        kube_server.put_object({"apiVersion": "v1", "kind": "Widget", "metadata": {"name": "w"}})


def test_watch_streams_events(core, kube_server):
    core.create_namespaced_config_map("default", {"metadata": {"name": "before"}})
    events = []

    def consume():
        w = watch.Watch()
        for event in w.stream(core.list_namespaced_config_map, "default", timeout_seconds=5):
            events.append((event["type"], event["object"].metadata.name))
            if len(events) == 3:
                w.stop()
    thread = threading.Thread(target=consume)
    thread.start()
    wait_until(lambda: events)  # the initial ADDED arrived, so the watch is open
    core.create_namespaced_config_map("default", {"metadata": {"name": "after"}})
    core.delete_namespaced_config_map("before", "default")
    thread.join(timeout=10)
    assert events == [("ADDED", "before"), ("ADDED", "after"), ("DELETED", "before")]


# --------------------------------------------------------------------------- standalone

def test_standalone_script_serves_seeds_and_stops_cleanly(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text(yaml.safe_dump_all([
        odh_config(nimConfig=NIM_CONFIG) | {"metadata": {"name": "odh-dashboard-config",
                                                          "namespace": "redhat-ods-applications"}},
        secret("pre", metadata={"name": "pre", "namespace": "nim"})]))
    kubeconfig = tmp_path / "kc.yaml"
    proc = subprocess.Popen([sys.executable, str(FAKE_MODULE), "--kubeconfig-out",
                             str(kubeconfig), "--seed", str(seed), "--without-nimconfig",
                             "--latency-ms", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert yaml.safe_load(kubeconfig.read_text())["clusters"][0]["cluster"]["server"] == url
        cfg = client.Configuration()
        config.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
        api = client.ApiClient(cfg)
        assert client.CoreV1Api(api).read_namespaced_secret("pre", "nim").metadata.uid
        custom = client.CustomObjectsApi(api)
        expect_error(400, custom.create_namespaced_custom_object, *ODH[:2], "nim", ODH[2],
                     odh_config(nimConfig=NIM_CONFIG), field_validation="Strict")
        with urllib.request.urlopen(url + "/_fake/requests", timeout=5) as resp:
            assert json.loads(resp.read())[-1]["status"] == 400
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=10)
        finally:
            proc.kill()
            proc.stdout.close()
            proc.stderr.close()
    assert code == 0


def test_the_fake_sets_tcp_nodelay_like_a_go_api_server():
    """It writes headers and body in two send() calls: without TCP_NODELAY every request on a
    kept-alive connection would wait ~40 ms for the client's delayed ACK, and the timings of
    tests and benchmarks/deploy.py (which rely on this) would measure the fake, not the plugin."""
    from tests.fakes import kube_apiserver

    assert kube_apiserver._Handler.disable_nagle_algorithm is True


# --------------------------------------------------------------------------- metadata-only lists

def test_partial_object_metadata_list_carries_no_secret_values(kube_server):
    kube_server.put_object({**secret("s1", data={"k": "dmFsdWU="}),
                            "metadata": {"name": "s1", "namespace": "default"}})
    req = urllib.request.Request(
        kube_server.url + "/api/v1/namespaces/default/secrets",
        headers={"Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
                           "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        doc = json.loads(resp.read())
    assert doc["kind"] == "PartialObjectMetadataList" and doc["apiVersion"] == "meta.k8s.io/v1"
    assert [(i["kind"], i["metadata"]["name"]) for i in doc["items"]] == [
        ("PartialObjectMetadata", "s1")]
    assert "dmFsdWU=" not in json.dumps(doc) and "data" not in doc["items"][0]


def test_watch_faults(kube_server):
    """405 when watches are off; an ERROR 410 event for a compacted resourceVersion."""
    path = "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1"
    kube_server.set_watch(False)
    assert raw(kube_server, "GET", path)[0] == 405
    kube_server.set_watch(True)
    kube_server.put_object({"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": "c", "namespace": "default"}})
    kube_server.compact()
    with urllib.request.urlopen(kube_server.url + path + "&resourceVersion=101", timeout=5) as r:
        events = [json.loads(line) for line in r.read().splitlines() if line.strip()]
    assert [(e["type"], e["object"]["code"], e["object"]["reason"]) for e in events] == [
        ("ERROR", 410, "Expired")]
