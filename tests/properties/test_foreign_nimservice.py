"""InferenceServices that NVIDIA's NIM Operator makes from a NIMService (controller
ownerReference, predictor containers, no ServingRuntime): list and status show them (backend
nimservice), and no verb changes them — delete, rotate-key, migrate and deploy --apply refuse
and name the NIMService.

Status written by hand: no NIM Operator runs on the control plane to make NIMService ones."""

from __future__ import annotations

import json

import pytest

from tests.helpers.day2 import (NEW_KEY, assert_key_hidden, isvc, seed_plugin, writes)
from tests.helpers.deploy import MODEL
from tests.helpers.deploy import writes as real_writes

IMAGE = "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.5"


def operated(name: str, namespace: str = "default") -> dict:
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": namespace, "ownerReferences": [
                {"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService", "name": name,
                 "uid": "0b7c6d8e-1111-2222-3333-444455556666", "controller": True,
                 "blockOwnerDeletion": True}]},
            "spec": {"predictor": {
                "containers": [{"name": "kserve-container", "image": IMAGE, "env": [
                    {"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {
                        "name": "ngc-api-secret", "key": "NGC_API_KEY"}}}]}],
                "imagePullSecrets": [{"name": "ngc-secret"}]}},
            "status": {"url": f"https://{name}.example",
                       "conditions": [{"type": "Ready", "status": "True"}]}}


@pytest.fixture(autouse=True)
def _no_backoff(no_backoff):
    pass


@pytest.fixture
def run(nim, kubeconfig, ngc_server):
    def call(verb, *args):
        return nim(verb, *args, "--kubeconfig", kubeconfig, env={"NGC_API_KEY": NEW_KEY})
    return call


@pytest.fixture
def seeded(kube_server):
    kube_server.put_object(operated("op"))
    seed_plugin(kube_server, "own")
    kube_server.clear_requests()
    return kube_server


def test_list_shows_it_as_a_nimservice(run, seeded):
    rows = {r["name"]: r for r in json.loads(run("list", "-o", "json").stdout)["items"]}
    assert rows["op"]["keyScheme"] == "nimservice" and rows["op"]["backend"] == "nimservice"
    assert rows["op"]["model"] == "llama-3.1-8b-instruct" and rows["op"]["tag"] == "1.8.5"
    assert rows["own"]["backend"] == "servingruntime"
    table = run("list").stdout
    assert "nimservice" in table


def test_status_shows_it_without_asking_for_a_runtime(run, seeded):
    result = run("status", "op")
    assert result.exit_code == 0, result.stderr
    assert "RuntimeMissing" not in result.stdout and "ServingRuntime" not in result.stdout
    assert "Backend:       nimservice: made by nimservice.apps.nvidia.com/op" in result.stdout
    data = json.loads(run("status", "op", "-o", "json").stdout)
    assert data["backend"] == "nimservice" and data["nimService"] == "op"


@pytest.mark.parametrize("verb, args", [
    ("delete", ("--yes",)),
    ("rotate-key", ("--skip-key-validation",)),
    ("migrate", ("--skip-key-validation",)),
])
def test_day2_verbs_refuse_it_and_name_the_nimservice(run, seeded, verb, args):
    result = run(verb, "op", *args)
    assert result.exit_code == 1, result.stderr
    assert "nimservice.apps.nvidia.com/op" in result.stderr
    assert "edit nimservice op" in result.stderr
    assert writes(seeded) == []
    assert isvc(seeded, "op") is not None
    assert_key_hidden(result, NEW_KEY)


def test_deploy_apply_refuses_it(run, seeded, ngc_server):
    result = run("deploy", "op", "--model", MODEL, "--apply", "--ngc-api-url", ngc_server.url)
    assert result.exit_code == 1
    assert "will not update 'op'" in result.stderr
    assert "nimservice.apps.nvidia.com/op" in result.stderr
    assert real_writes(seeded) == []
    assert isvc(seeded, "op")["metadata"]["ownerReferences"][0]["kind"] == "NIMService"


def test_an_owner_of_another_kind_is_not_a_nimservice(run, kube_server):
    obj = operated("x")
    obj["metadata"]["ownerReferences"][0]["apiVersion"] = "example.com/v1"
    kube_server.put_object(obj)
    rows = json.loads(run("list", "-o", "json").stdout)["items"]
    assert rows[0]["backend"] == "servingruntime"


def test_a_nimservice_from_a_mirror_is_still_a_nim(run, kube_server):
    obj = operated("mirrored")
    obj["spec"]["predictor"]["containers"][0]["image"] = "mirror.example/nim/llama:1.8.5"
    kube_server.put_object(obj)
    rows = json.loads(run("list", "-o", "json").stdout)["items"]
    assert [(r["name"], r["backend"]) for r in rows] == [("mirrored", "nimservice")]
