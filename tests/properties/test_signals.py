"""SIGINT, SIGTERM and SIGHUP at chosen moments of the writing verbs, against the real
`kubectl-nim` console script in a subprocess. The fake API server holds one request (`hang`)
so that the signal lands while that write is in flight.

Each case checks the exit code (128 + signal), what remained on the cluster, and that stderr
says what was done and what is left. A signal is sent once the fake has *received* the request
it holds (`wait_for_request`), never after a fixed sleep: on a loaded machine the process may
not have got there yet, and the case would test another moment than it says. `KUBECTL_NIM_SIGNAL_MATRIX=path` appends every case's
outcome to a JSON-lines file (the reliability section of BENCHMARKS.md is made from it).
"""

from __future__ import annotations

import json
import os
import signal

import pytest

from tests.helpers.day2 import keys_of, OLD_KEY, seed_apps, seed_plugin
from tests.helpers.process import finish, send, spawn, wait_until

NEW = "nvapi-signal-test-key-0123456789"
MODEL = "llama-3.1-8b-instruct"
HANG = 2.0
KINDS = {"Secret": ("v1", "secrets"), "PersistentVolumeClaim": ("v1", "persistentvolumeclaims"),
         "ServingRuntime": ("serving.kserve.io/v1alpha1", "servingruntimes"),
         "InferenceService": ("serving.kserve.io/v1beta1", "inferenceservices")}
NAMES = {"Secret": ["nvidia-nim-secrets-x", "nvidia-nim-image-pull-x"],
         "PersistentVolumeClaim": ["nim-pvc-x"], "ServingRuntime": ["x"],
         "InferenceService": ["x"]}


def remaining(server) -> list[str]:
    left = []
    for kind, names in NAMES.items():
        api, plural = KINDS[kind]
        left += [f"{kind.lower()}/{n}" for n in names
                 if server.get_object(api, plural, "default", n) is not None]
    return left


def record(verb, moment, signame, ran, left):
    path = os.environ.get("KUBECTL_NIM_SIGNAL_MATRIX")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"verb": verb, "moment": moment, "signal": signame,
                                "exit": ran.code, "remained": left,
                                "said": ran.stderr.strip().splitlines()[-1:]}) + "\n")


def exists(server, kind, name):
    api, plural = KINDS[kind]
    return lambda: server.get_object(api, plural, "default", name) is not None


def deploy(kubeconfig, tmp_path, *extra):
    return spawn("deploy", "x", "--model", MODEL, "--skip-key-validation", "--kubeconfig",
                 kubeconfig, *extra, key=NEW, home=str(tmp_path))


def _common(ran, code):
    assert ran.code == code, ran.stderr
    assert "Traceback" not in ran.stderr and "unexpected failure" not in ran.stderr
    assert NEW not in ran.stdout + ran.stderr and OLD_KEY not in ran.stdout + ran.stderr


@pytest.mark.parametrize("signame,signum", [("SIGINT", signal.SIGINT),
                                            ("SIGTERM", signal.SIGTERM),
                                            ("SIGHUP", signal.SIGHUP)])
@pytest.mark.parametrize("moment,path,after", [
    ("creating the PVC", r"/persistentvolumeclaims\?(?!dryRun)", ("Secret",
                                                                  "nvidia-nim-image-pull-x")),
    ("creating the InferenceService", r"/inferenceservices\?(?!dryRun)", ("ServingRuntime", "x")),
])
def test_deploy_interrupted_mid_write_rolls_back_everything(kube_server, kubeconfig, tmp_path,
                                                            signame, signum, moment, path, after):
    kube_server.fail("POST", path, 0, hang_seconds=HANG)
    process = deploy(kubeconfig, tmp_path)
    kube_server.wait_for_request("POST", path)  # the create is in flight, held by the fake
    wait_until(exists(kube_server, *after), what=f"{after} beside {moment}")  # and one is made
    send(process, signum)
    ran = finish(process)
    left = remaining(kube_server)
    record("deploy", moment, signame, ran, left)
    _common(ran, 128 + signum)
    assert left == [], ran.stderr
    assert "rolled back" in ran.stderr
    if signame != "SIGINT":
        assert f"interrupted by {signame}" in ran.stderr


def test_second_signal_during_the_rollback_says_what_is_left(kube_server, kubeconfig, tmp_path):
    kube_server.fail("POST", r"/inferenceservices\?(?!dryRun)", 0, hang_seconds=HANG)
    kube_server.fail("DELETE", r"/persistentvolumeclaims/", 0, hang_seconds=HANG)
    process = deploy(kubeconfig, tmp_path)
    kube_server.wait_for_request("POST", r"/inferenceservices\?(?!dryRun)")
    send(process, signal.SIGTERM)
    # The held create finishes, the rollback deletes the InferenceService and the runtime, then
    # holds on the PVC's delete: the second SIGTERM lands there.
    kube_server.wait_for_request("DELETE", r"/persistentvolumeclaims/")
    assert not exists(kube_server, "ServingRuntime", "x")(), "rollback"
    send(process, signal.SIGTERM)
    ran = finish(process)
    left = remaining(kube_server)
    record("deploy", "rolling back (second signal)", "SIGTERM x2", ran, left)
    _common(ran, 143)
    assert "rollback interrupted" in ran.stderr
    for ref in ("secret/nvidia-nim-secrets-x", "secret/nvidia-nim-image-pull-x"):
        assert ref in ran.stderr  # named as left
    assert left == ["secret/nvidia-nim-secrets-x", "secret/nvidia-nim-image-pull-x"]


def test_deploy_wait_interrupted_keeps_the_deployment(kube_server, kubeconfig, tmp_path):
    process = deploy(kubeconfig, tmp_path, "--wait", "--timeout", "5m")
    # waiting: it watches the InferenceService once it has read it
    kube_server.wait_for_request("GET", r"/inferenceservices\?.*\bwatch=(1|true)")
    send(process, signal.SIGTERM)
    ran = finish(process)
    left = remaining(kube_server)
    record("deploy --wait", "waiting for Ready", "SIGTERM", ran, left)
    _common(ran, 143)
    assert "the deployment keeps running" in ran.stderr
    assert "resume watching with `oc get inferenceservice x -n default -w`" in ran.stderr
    assert len(left) == 5


@pytest.mark.parametrize("signame,signum", [("SIGINT", signal.SIGINT),
                                            ("SIGTERM", signal.SIGTERM)])
def test_rotate_key_interrupted_mid_pair_keeps_one_key(kube_server, kubeconfig, tmp_path,
                                                       signame, signum):
    seed_plugin(kube_server, "x")
    kube_server.fail("PUT", r"/secrets/nvidia-nim-image-pull-x(\?|$)", 0, hang_seconds=HANG)
    process = spawn("rotate-key", "x", "--skip-key-validation", "--no-restart", "--kubeconfig",
                    kubeconfig, key=NEW, home=str(tmp_path))
    kube_server.wait_for_request("PUT", r"/secrets/nvidia-nim-image-pull-x(\?|$)")
    assert keys_of(kube_server, "x")[0] == NEW, "the first secret write"
    send(process, signum)
    ran = finish(process)
    keys = keys_of(kube_server, "x")
    record("rotate-key", "writing the pull secret", signame, ran,
           ["mixed keys"] if keys[0] != keys[1] else [])
    _common(ran, 128 + signum)
    assert keys == (OLD_KEY, OLD_KEY)
    assert "put back secret/nvidia-nim-image-pull-x, secret/nvidia-nim-secrets-x" in ran.stderr
    assert "every secret keeps its previous key" in ran.stderr
    assert "Aborted." not in ran.stderr


def test_delete_interrupted_says_what_is_left(kube_server, kubeconfig, tmp_path):
    seed_plugin(kube_server, "x")
    kube_server.fail("DELETE", r"/servingruntimes/x(\?|$)", 0, hang_seconds=HANG)
    process = spawn("delete", "x", "--yes", "--kubeconfig", kubeconfig, home=str(tmp_path))
    kube_server.wait_for_request("DELETE", r"/servingruntimes/x(\?|$)")
    assert not exists(kube_server, "InferenceService", "x")(), "first delete"
    send(process, signal.SIGTERM)
    ran = finish(process)
    left = remaining(kube_server)
    record("delete", "deleting the ServingRuntime", "SIGTERM", ran, left)
    _common(ran, 143)
    assert "still there: secret/nvidia-nim-secrets-x, secret/nvidia-nim-image-pull-x" \
        in ran.stderr
    assert left == ["secret/nvidia-nim-secrets-x", "secret/nvidia-nim-image-pull-x",
                    "persistentvolumeclaim/nim-pvc-x"]


def test_config_set_interrupted_finishes_its_one_write(kube_server, kubeconfig, tmp_path):
    seed_apps(kube_server)
    kube_server.fail("PATCH", r"/odhdashboardconfigs/odh-dashboard-config(\?|$)", 0,
                     hang_seconds=HANG)
    process = spawn("config", "set-disconnected", "true", "--kubeconfig", kubeconfig,
                    home=str(tmp_path))
    kube_server.wait_for_request("PATCH", r"/odhdashboardconfigs/odh-dashboard-config(\?|$)")
    send(process, signal.SIGHUP)
    ran = finish(process)
    odc = kube_server.get_object("opendatahub.io/v1alpha", "odhdashboardconfigs",
                                 "redhat-ods-applications", "odh-dashboard-config")
    flag = ((odc["spec"].get("nimConfig") or {}).get("disconnected") or {}) \
        .get("disableKeyCollection")
    record("config set-disconnected", "patching the OdhDashboardConfig", "SIGHUP", ran,
           [f"disableKeyCollection={flag}"])
    _common(ran, 129)
    assert flag is True  # the write in flight was finished, not torn
    assert "interrupted by SIGHUP after sending the patch" in ran.stderr
    assert "kubectl nim config view" in ran.stderr


def test_ctrl_c_outside_deploy_exits_130(kube_server, kubeconfig, tmp_path):
    kube_server.fail("GET", r"/inferenceservices", 0, hang_seconds=HANG)
    process = spawn("list", "--kubeconfig", kubeconfig, home=str(tmp_path))
    kube_server.wait_for_request("GET", r"/inferenceservices")
    send(process, signal.SIGINT)
    ran = finish(process)
    record("list", "reading", "SIGINT", ran, [])
    _common(ran, 130)
    assert "Aborted." not in ran.stderr


def test_migrate_interrupted_while_switching_the_runtime(kube_server, kubeconfig, tmp_path):
    from kubectl_nim.domain import nim_runtime
    from tests.helpers.day2 import runtime, seed_legacy

    def refs_of_runtime(server, name):
        return nim_runtime.runtime_refs(runtime(server, name)).names

    seed_legacy(kube_server, "x")
    kube_server.fail("PUT", r"/servingruntimes/x(\?|$)", 0, hang_seconds=HANG)
    process = spawn("migrate", "x", "--reuse-key", "--skip-key-validation", "--no-restart",
                    "--kubeconfig", kubeconfig, home=str(tmp_path))
    kube_server.wait_for_request("PUT", r"/servingruntimes/x(\?|$)")
    assert exists(kube_server, "Secret", "nvidia-nim-image-pull-x")(), "new secrets"
    send(process, signal.SIGTERM)
    ran = finish(process)
    pointed = refs_of_runtime(kube_server, "x")
    record("migrate", "switching the ServingRuntime", "SIGTERM", ran, [f"runtime uses {pointed}"])
    _common(ran, 143)
    assert "re-run `kubectl nim migrate x -n default` to finish" in ran.stderr
    assert pointed == ("nvidia-nim-secrets-x", "nvidia-nim-image-pull-x")  # finished, not torn
