"""Fault injection with real semantics: the fault proxy (tests/realcluster/fault_proxy.py) in
front of the real kube-apiserver fails or holds one request; the deploy rollback and
rotate-key's both-or-neither promise must hold as they do on the fake.

No controllers run here, so a PVC the rollback deletes keeps its `kubernetes.io/pvc-protection`
finalizer and stays Terminating (on a cluster the PVC controller removes it at once: no pod uses
a claim that was just made). "No trace" therefore counts a terminating PVC as gone.
"""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.helpers.realcluster import MODEL

SR = "servingruntime.serving.kserve.io"
ISVC = "inferenceservice.serving.kserve.io"
TIMEOUT = 0.5   # --request-timeout of the runs with a hang
HANG = 0.8      # the proxy holds the request this long, then forwards it: the write lands late
WRITES = [  # each real (not dry-run) write of deploy: method, path regex, nth. The secrets go
    # out together, told apart by the `#NAME` the proxy appends to a POST, as the fake does.
    ("POST", r"/secrets\?fieldManager.*#nvidia-nim-secrets-c1$", 1),
    ("POST", r"/secrets\?fieldManager.*#nvidia-nim-image-pull-c1$", 1),
    ("POST", r"/persistentvolumeclaims\?fieldManager", 1),
    ("POST", r"/servingruntimes\?fieldManager", 1),
    ("POST", r"/inferenceservices\?fieldManager", 1),
]
REFS = ["secret/nvidia-nim-secrets-c1", "secret/nvidia-nim-image-pull-c1",
        "persistentvolumeclaim/nim-pvc-c1", f"{SR}/c1", f"{ISVC}/c1"]


def left(real) -> dict:
    """What exists of the deployment, terminating objects excluded."""
    out = {}
    for kind in ("Secret", "PersistentVolumeClaim", "ServingRuntime", "InferenceService"):
        names = []
        for name in real.names(kind):
            obj = real.get(kind, name)
            if obj and not obj["metadata"].get("deletionTimestamp"):
                names.append(name)
        if names:
            out[kind] = names
    return out


@pytest.mark.parametrize("fault", [403, 500, "hang"])
@pytest.mark.parametrize("index", range(5), ids=[r.split("/")[0].split(".")[0] + s
                                                 for r, s in zip(REFS, ["", "-pull", "", "", ""])])
def test_deploy_fault_leaves_no_trace(real_faulty, index, fault):
    real = real_faulty
    method, path, nth = WRITES[index]
    if fault == "hang":
        real.proxy.fail(method, path, 0, nth=nth, hang_seconds=HANG)
    else:
        real.proxy.fail(method, path, fault, nth=nth)
    started = time.monotonic()
    result = real.nim("deploy", "c1", "--model", MODEL, "--tag", "1.13.1",
                      "--request-timeout", f"{TIMEOUT}s")
    assert result.exit_code == 1
    error = result.stderr.splitlines()[-1]
    assert error.startswith(f"error: cannot create {REFS[index]}: "), error
    time.sleep(max(0.0, started + HANG + 0.2 - time.monotonic()))  # let a late write land
    assert left(real) == {}, error
    ns = real.server.get("Namespace", real.ns)
    assert "opendatahub.io/nim-support" not in (ns["metadata"].get("annotations") or {})


@pytest.mark.parametrize("fault", [500, "hang"])
def test_apply_fault_on_the_runtime_keeps_what_existed(real_faulty, fault):
    real = real_faulty
    first = real.nim("deploy", "c1", "--model", MODEL, "--tag", "1.13.1")
    assert first.exit_code == 0, first.stderr
    before = {k: real.get(*k) for k in (("ServingRuntime", "c1"), ("InferenceService", "c1"))}
    path = r"/servingruntimes/c1\?fieldManager"
    if fault == "hang":
        real.proxy.fail("PATCH", path, 0, hang_seconds=HANG)
    else:
        real.proxy.fail("PATCH", path, fault)
    result = real.nim("deploy", "c1", "--model", MODEL, "--tag", "1.15.5", "--apply",
                      "--request-timeout", f"{TIMEOUT}s")
    assert result.exit_code == 1
    assert f"cannot apply {SR}/c1" in result.stderr
    time.sleep(HANG + 0.2)
    # Objects that existed before the run are never deleted by its rollback.
    assert left(real) == {"Secret": ["nvidia-nim-image-pull-c1", "nvidia-nim-secrets-c1"],
                          "PersistentVolumeClaim": ["nim-pvc-c1"],
                          "ServingRuntime": ["c1"], "InferenceService": ["c1"]}
    assert real.get("InferenceService", "c1")["metadata"]["resourceVersion"] == \
        before[("InferenceService", "c1")]["metadata"]["resourceVersion"]


def _keys(real):
    api = real.get("Secret", "nvidia-nim-secrets-c1")
    pull = real.get("Secret", "nvidia-nim-image-pull-c1")
    docker = json.loads(base64.b64decode(pull["data"][".dockerconfigjson"]))
    return base64.b64decode(api["data"]["NGC_API_KEY"]).decode(), \
        docker["auths"]["nvcr.io"]["password"]


ROTATE_WRITES = [("PUT", r"/secrets/nvidia-nim-secrets-c1\?"),
                 ("PUT", r"/secrets/nvidia-nim-image-pull-c1\?"),
                 ("PATCH", r"/inferenceservices/c1\?")]


@pytest.mark.parametrize("fault", [500, 409, "hang"])
@pytest.mark.parametrize("write", range(3), ids=["api-secret", "pull-secret", "restart"])
def test_rotate_key_fault_never_mixes_keys(real_faulty, write, fault):
    real = real_faulty
    old, new = "nvapi-test-key", "nvapi-rotated-key-0123"
    assert real.nim("deploy", "c1", "--model", MODEL, "--tag", "1.13.1").exit_code == 0
    method, path = ROTATE_WRITES[write]
    if fault == "hang":
        real.proxy.fail(method, path, 0, hang_seconds=HANG)
    else:
        real.proxy.fail(method, path, fault)
    result = real.nim("rotate-key", "c1", "--skip-key-validation",
                      "--request-timeout", f"{TIMEOUT}s", key=new)
    time.sleep(HANG + 0.2)
    keys = _keys(real)
    assert keys[0] == keys[1], (keys, result.stderr)
    assert keys[0] in (old, new)
    if result.exit_code == 0:
        assert keys == (new, new)
        stamp = real.get("InferenceService", "c1")["spec"]["predictor"].get("annotations") or {}
        assert "kubectl-nim/restartedAt" in stamp
    else:
        assert result.stderr.startswith("error:") or "\nerror:" in result.stderr
    assert new not in result.stdout + result.stderr
