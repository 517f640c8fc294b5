"""The fake API server must agree with the real one where the plugin's behaviour depends on it:
the same requests, sent to both, get the same answer (status, reason, terminating or gone)."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.helpers.deploy import NS, run_deploy, project  # noqa: F401  (fixtures)
from tests.helpers.realcluster import MODEL


def _fake_request(server, method, path, body=None):
    req = urllib.request.Request(server.url + path, method=method,
                                 data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


@pytest.fixture
def both(real, kube_server):
    """send(method, path, body) → [(status, doc) from the fake, (status, doc) from the real]."""
    kube_server.put_object({"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": real.ns}})

    def send(method, path, body=None):
        status, data = real.server.request(method, path, body)
        return [_fake_request(kube_server, method, path, body),
                (status, json.loads(data or b"{}"))]
    return send


def _pvc(name, storage="1Gi", storage_class=None):
    spec = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": storage}}}
    if storage_class:
        spec["storageClassName"] = storage_class
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": spec}


@pytest.mark.parametrize("storage,storage_class,status", [
    ("1Gi", None, 201), ("0", None, 422), ("-5Gi", None, 422), ("lots", None, 400),
    ("1Gi", "Bad_Class", 422), ("1Gi", "gp3-csi", 201)])
def test_pvc_validation_agrees(real, both, storage, storage_class, status):
    path = f"/api/v1/namespaces/{real.ns}/persistentvolumeclaims"
    answers = both("POST", path, _pvc("c", storage, storage_class))
    statuses = [a[0] for a in answers]
    if status == 400:  # a malformed quantity fails decoding on the real server; both refuse
        assert all(s in (400, 422) for s in statuses), answers
    else:
        assert statuses == [status, status], answers


def test_pvc_gets_the_protection_finalizer_and_terminates_while_mounted(real, both):
    path = f"/api/v1/namespaces/{real.ns}/persistentvolumeclaims"
    created = both("POST", path, _pvc("cache"))
    assert [d["metadata"]["finalizers"] for _, d in created] == \
        [["kubernetes.io/pvc-protection"]] * 2
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "user"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}],
                    "volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "cache"}}]}}
    both("POST", f"/api/v1/namespaces/{real.ns}/pods", pod)
    deleted = both("DELETE", f"{path}/cache")
    assert [s for s, _ in deleted] == [200, 200]
    after = both("GET", f"{path}/cache")
    assert [s for s, _ in after] == [200, 200]
    assert all(d["metadata"].get("deletionTimestamp") for _, d in after)


def test_apply_by_the_plugin_over_its_own_create_agrees(real, run_deploy, project):  # noqa: F811
    """The CI re-run: the fake and the real server both report the new tag as configured."""
    assert run_deploy("c1", "--model", MODEL, "--tag", "1.13.1").exit_code == 0
    fake = run_deploy("c1", "--model", MODEL, "--tag", "1.15.5", "--apply")
    first = real.nim("deploy", "c1", "--model", MODEL, "--tag", "1.13.1")
    assert first.exit_code == 0, first.stderr
    live = real.nim("deploy", "c1", "--model", MODEL, "--tag", "1.15.5", "--apply")
    assert fake.exit_code == live.exit_code == 0, (fake.stderr, live.stderr)
    assert fake.stdout == live.stdout
