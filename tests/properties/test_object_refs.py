"""One way to name an object: kubectl's `kind.group/name` on stdout and stderr of every
verb (`secret/x`, `servingruntime.serving.kserve.io/y`, never a bare `servingruntime/y`).

Status written by hand: a restart that never finishes, to pin its error's words."""

from __future__ import annotations

import re
import threading
import time

import pytest
from hypothesis import given, strategies as st

from kubectl_nim.adapters.kube.cluster import RESOURCES, concurrently
from kubectl_nim.domain.refs import GROUPS, kind_ref, object_ref
from kubectl_nim.domain import nim_runtime
from tests.helpers.catalog import model_entry
from tests.helpers.day2 import NEW_KEY, ready_with_an_old_pod, seed_apps, seed_legacy, seed_plugin
from tests.helpers.deploy import MODEL, NAME, project, run_deploy  # noqa: F401 - fixtures

# Anything shaped like `resource[.group]/name` whose resource is a kind the plugin names.
_REF = re.compile(r"(?<![\w./-])([a-z]+)((?:\.[a-z0-9-]+)*)/([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)")
_KINDS = {kind.lower(): kind for kind in GROUPS}


def object_refs(text: str) -> list[tuple[str, str]]:
    """(as printed, kubectl's form) of every object reference in `text`."""
    return [(m.group(0), kind_ref(_KINDS[m.group(1)], m.group(3)))
            for m in _REF.finditer(text) if m.group(1) in _KINDS]


def assert_kubectl_refs(*results) -> set[str]:
    """Every reference in the results' stdout and stderr is in kubectl's form; returns the
    resources seen (so a test can check it looked at something)."""
    seen = set()
    for result in results:
        for stream in (result.stdout, result.stderr):
            found = object_refs(stream)
            assert [shown for shown, want in found if shown != want] == [], stream
            seen |= {want.split("/")[0] for _, want in found}
    return seen


# --- the printer ---------------------------------------------------------------------------------

def test_kind_ref_is_kubectls_name_form():
    assert kind_ref("Secret", "x") == "secret/x"
    assert kind_ref("PersistentVolumeClaim", "nim-pvc-x") == "persistentvolumeclaim/nim-pvc-x"
    assert kind_ref("ServingRuntime", "y") == "servingruntime.serving.kserve.io/y"
    assert kind_ref("InferenceService", "y") == "inferenceservice.serving.kserve.io/y"
    assert kind_ref("OdhDashboardConfig", "odh-dashboard-config") == \
        "odhdashboardconfig.opendatahub.io/odh-dashboard-config"


def test_every_kind_the_adapter_knows_has_the_same_group_here():
    """The adapter's URLs and the references come from one table (domain/refs.API_VERSIONS):
    every kind has both, with the same group."""
    assert set(GROUPS) == set(RESOURCES)
    for kind, resource in RESOURCES.items():
        assert GROUPS[kind] == resource.group, kind


@given(kind=st.sampled_from(sorted(RESOURCES)),
       name=st.from_regex(r"[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?", fullmatch=True))
def test_an_object_and_its_kind_name_the_same(kind, name):
    obj = {"apiVersion": RESOURCES[kind].api_version, "kind": kind, "metadata": {"name": name}}
    assert object_ref(obj) == kind_ref(kind, name)
    assert object_refs(f"see {object_ref(obj)}.") == [(kind_ref(kind, name),) * 2]


def test_users_of_a_secret_are_named_with_their_group():
    runtime = {"apiVersion": "serving.kserve.io/v1alpha1", "kind": "ServingRuntime",
               "metadata": {"name": "d2"},
               "spec": {"imagePullSecrets": [{"name": "ngc-secret"}], "containers": []}}
    assert nim_runtime.users_of([runtime], "ngc-secret") == ["servingruntime.serving.kserve.io/d2"]


def test_the_checker_catches_a_bare_reference():
    assert object_refs("Keeping secret/a: still used by servingruntime/y.") == [
        ("secret/a", "secret/a"), ("servingruntime/y", "servingruntime.serving.kserve.io/y")]
    assert object_refs("label serving.kserve.io/inferenceservice=x, image nvcr.io/nim/x") == []


# --- every verb, against the fakes ---------------------------------------------------------------

def test_deploy_names_objects_the_kubectl_way(run_deploy, project):
    results = [run_deploy(NAME, "--model", MODEL, "--dry-run=client"),
               run_deploy(NAME, "--model", MODEL),
               run_deploy(NAME, "--model", MODEL, "--apply", "--dry-run=server")]
    assert [r.exit_code for r in results] == [0, 0, 0], [r.stderr for r in results]
    seen = assert_kubectl_refs(*results)
    assert {"secret", "servingruntime.serving.kserve.io",
            "inferenceservice.serving.kserve.io"} <= seen


@pytest.fixture
def day2(nim, kubeconfig, ngc_server):
    def run(verb, *args, key=NEW_KEY):
        env = {"NGC_API_KEY": key} if key else {}
        extra = ("--skip-key-validation", "--ngc-api-url", ngc_server.url) \
            if verb in ("rotate-key", "migrate") else ()
        return nim(verb, *args, *extra, "--kubeconfig", kubeconfig, env=env)
    return run


def test_rotate_key_migrate_and_delete_name_objects_the_kubectl_way(day2, kube_server):
    seed_plugin(kube_server, "x")
    seed_plugin(kube_server, "y", existing_pvc="nim-pvc-x")
    seed_legacy(kube_server, "d1")
    seed_legacy(kube_server, "d2")
    ready_with_an_old_pod(kube_server, "x")
    results = [
        day2("rotate-key", "x", "--dry-run=client"),
        day2("rotate-key", "x", "--wait", "--timeout", "0s"),  # times out: names what it waited for
        day2("migrate", "d1", "--dry-run=server"),
        day2("migrate", "d1", "--cleanup-shared"),  # keeps the shared secrets: d2 uses them
        day2("delete", "x", "--yes", "--delete-pvc", "--dry-run=client"),
        day2("delete", "x", "--yes", "--delete-pvc"),  # keeps the PVC: y mounts it
    ]
    assert [r.exit_code for r in results] == [0, 1, 0, 0, 0, 0], [r.stderr for r in results]
    seen = assert_kubectl_refs(*results)
    assert {"secret", "persistentvolumeclaim", "servingruntime.serving.kserve.io",
            "inferenceservice.serving.kserve.io"} <= seen
    # the three drifts the issue names, now in one form
    stderr = "".join(r.stderr for r in results)
    assert "waiting for inferenceservice.serving.kserve.io/x to restart" in stderr
    assert "still referenced by servingruntime.serving.kserve.io/d2" in stderr
    assert "still mounted by servingruntime.serving.kserve.io/y" in stderr


def test_config_and_list_name_objects_the_kubectl_way(nim, kube_server, tmp_path, catalog_file):
    seed_apps(kube_server)
    seed_plugin(kube_server, "x")
    kc = ("--kubeconfig", str(kube_server.write_kubeconfig(tmp_path / "kc")))
    path = catalog_file([model_entry("alpha")])
    results = [
        nim("config", "set-custom-configmap", "air-gapped", "--from-file", path,
            "--dry-run=client", *kc),
        nim("config", "set-custom-configmap", "air-gapped", "--from-file", path, *kc),
        nim("config", "set-disconnected", "false", "--dry-run=server", *kc),
        nim("list", "-o", "name", *kc),
    ]
    assert [r.exit_code for r in results] == [0, 0, 0, 0], [r.stderr for r in results]
    seen = assert_kubectl_refs(*results)
    assert {"configmap", "odhdashboardconfig.opendatahub.io",
            "inferenceservice.serving.kserve.io"} <= seen


# --- the one thread pool -------------------------------------------------------------------------

def test_concurrently_bounds_its_threads_and_keeps_the_order():
    lock, running, peak = threading.Lock(), [0], [0]

    def work(i):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return i * 2

    assert concurrently(work, list(range(20)), max_workers=3) == [i * 2 for i in range(20)]
    assert 1 < peak[0] <= 3
    peak[0] = 0
    assert concurrently(work, list(range(5))) == [0, 2, 4, 6, 8]
    assert peak[0] > 3  # unbounded by default: one thread per item
