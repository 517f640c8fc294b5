"""`status` while KServe's controller is stopped: reason NotReconciled, never Failed — Progressing
for an InferenceService it never saw, still Ready (the older spec's pods serve) for a change it has
not acted on; and Ready again once KServe is back. The plane is the session's: each test puts it
back as it found it."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from tests.helpers.realcluster import MODEL
from tests.helpers.control_plane import TAG, condition, deploy, wait_for

OTHER_TAG = "1.15.5"
HOOKS = ("mutatingwebhookconfigurations", "validatingwebhookconfigurations")
_SERVER_FIELDS = ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields")


def _webhook_configurations(plane) -> list[tuple[str, dict]]:
    """KServe's webhook configurations: those whose webhooks call its webhook port."""
    port = f":{plane.plane.webhook_port}/"
    found = []
    for plural in HOOKS:
        status, body = plane.server.request(
            "GET", f"/apis/admissionregistration.k8s.io/v1/{plural}")
        assert status == 200, body
        for item in json.loads(body)["items"]:
            if any(port in (hook.get("clientConfig") or {}).get("url", "")
                   for hook in item.get("webhooks") or []):
                found.append((plural, item))
    assert found, "KServe's webhook configurations are not there"
    return found


@contextmanager
def kserve_stopped(plane):
    """As on a cluster where KServe is scaled down and its webhooks removed, or in the window
    before KServe reconciles: KServe's controller stopped and its webhook configurations removed
    for the duration (with them in place every write of its kinds is refused); both restored
    afterwards, the webhooks once KServe serves them again."""
    saved = _webhook_configurations(plane)
    plane.plane.stop_component("kserve")
    try:
        for plural, item in saved:
            status, body = plane.server.request(
                "DELETE", f"/apis/admissionregistration.k8s.io/v1/{plural}/"
                          f"{item['metadata']['name']}")
            assert status == 200, body
        yield
    finally:
        plane.plane.start_component("kserve")  # returns once its webhook serves
        for plural, item in saved:
            for key in _SERVER_FIELDS:
                item["metadata"].pop(key, None)
            status, body = plane.server.request(
                "POST", f"/apis/admissionregistration.k8s.io/v1/{plural}", item)
            assert status in (201, 409), body


def names(configurations) -> list[tuple[str, str]]:
    return sorted((plural, item["metadata"]["name"]) for plural, item in configurations)


def status_of(plane, name, now=None):
    """`status NAME -o json` at the run's clock `now` (default: the machine's)."""
    extra = {"now": now} if now is not None else {}
    result = plane.invoke("status", name, "-o", "json", "--kubeconfig", plane.kubeconfig,
                          **extra)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def reconciled_and_ready(plane, name, caught_up=True):
    isvc = plane.get("InferenceService", name) or {}
    observed = (isvc.get("status") or {}).get("observedGeneration")
    return (not caught_up or observed == isvc.get("metadata", {}).get("generation")) and \
        observed is not None and condition(isvc, "Ready").get("status") == "True"


def test_status_says_kserve_is_not_reconciling_not_failed(plane):
    before = names(_webhook_configurations(plane))
    deploy(plane, "c1")
    assert status_of(plane, "c1")["verdict"] == "Ready"
    later = datetime.now(timezone.utc) + timedelta(minutes=3)
    with kserve_stopped(plane):
        # A change KServe does not see: the InferenceService's spec (--gpus: its Ready=True is
        # about the previous generation, whose pods still serve) and the ServingRuntime's image
        # (--tag: the pods keep the old tag until KServe rolls them).
        changed = plane.nim("deploy", "c1", "--model", MODEL, "--tag", OTHER_TAG, "--gpus", "2",
                            "--apply")
        assert changed.exit_code == 0, changed.stderr
        # A deployment KServe never saw: no status at all (the run's clock 3 minutes on).
        fresh = plane.nim("deploy", "c2", "--model", MODEL, "--tag", TAG)
        assert fresh.exit_code == 0, fresh.stderr
        assert not (plane.get("InferenceService", "c2").get("status") or {}).get("conditions")

        c1 = status_of(plane, "c1")
        assert c1["verdict"] == "Ready", c1
        stale = next(r for r in c1["reasons"] if r["code"] == "NotReconciled")
        assert stale["severity"] == "progressing"
        assert "has not acted on the latest change" in stale["message"]
        assert "generation 2, last seen 1" in stale["message"]
        assert "kserve-controller-manager" in stale["advice"]
        rollout = next(r for r in c1["reasons"] if r["code"] == "RolloutPending")
        assert rollout["message"] == (f"predictor pods still run tag {TAG}; servingruntime."
                                      f"serving.kserve.io/c1 names {OTHER_TAG}")

        c2 = status_of(plane, "c2", now=lambda: later)
        assert c2["verdict"] == "Progressing", c2
        never = next(r for r in c2["reasons"] if r["code"] == "NotReconciled")
        assert "has not reconciled" in never["message"] and "no status at all" in \
            never["message"]
        # Within the grace period nothing is said yet: a running KServe would answer by then.
        assert "NotReconciled" not in [r["code"] for r in status_of(plane, "c2")["reasons"]]

        text = plane.invoke("status", "c2", "--kubeconfig", plane.kubeconfig, now=lambda: later)
        assert text.exit_code == 0 and text.stdout.startswith("c2: Progressing"), text.stdout
        assert "… KServe has not reconciled" in text.stdout and "✗" not in text.stdout
        text = plane.invoke("status", "c1", "--kubeconfig", plane.kubeconfig)
        assert text.stdout.startswith("c1: Ready") and "… KServe has not acted" in text.stdout
    # KServe back: it reconciles both (c1 catches up with generation 2; c2, created without
    # its defaulting webhook, gets its defaults from the reconcile, which bumps its generation
    # past the observedGeneration KServe then records: upstream KServe leaves that behind while
    # it serves), and status says Ready.
    for name, caught_up in (("c1", True), ("c2", False)):
        try:
            wait_for(f"KServe to reconcile {name}",
                     lambda n=name, c=caught_up: reconciled_and_ready(plane, n, c), timeout=120)
        except AssertionError as e:
            raise AssertionError(f"{e}: {json.dumps(plane.get('InferenceService', name))}\n"
                                 f"{plane.plane.log_tail('kserve', 30)}") from None
        assert status_of(plane, name)["verdict"] == "Ready"
    # The plane is as it was: KServe running, its webhooks in place.
    assert names(_webhook_configurations(plane)) == before
