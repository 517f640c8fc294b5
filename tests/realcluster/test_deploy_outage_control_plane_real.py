"""kube-apiserver stopped in the middle of `deploy`'s writes, then started again: the plugin either
finishes (and KServe makes the deployment Ready) or fails with one `error:` line whose words say
what was rolled back and what is left, and the cluster holds exactly what it says. Down longer
than the rollback's patience (app/deploy_rollback.PATIENCE, which the run's Environment can
shorten: SHORT_PATIENCE here, so that the test does not wait out ten seconds), it must give up,
name what is left and how to remove it; after the restart `delete` removes it.

`--request-timeout 5s` bounds the wait for a create that got no answer (the rollback waits as long
again for it to land late): with the default 30 s the test would wait out that much.

The outage starts when the deployment's ServingRuntime appears (a watch, so within milliseconds);
KServe's process is paused for that instant so that the InferenceService's create, which goes
through KServe's webhooks next, is surely in flight when the API server goes. The plane is the
session's: each test leaves it running as it found it."""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
import urllib.request

from kubectl_nim.app.deploy_rollback import PATIENCE
from tests.helpers.realcluster import MODEL
from tests.realcluster.server import ADMIN_TOKEN
from tests.helpers.control_plane import TAG, condition, wait_for

NAME = "c1"
SHORT_PATIENCE = 3.0
REQUEST_TIMEOUT = "5s"


class Outage(threading.Thread):
    """Stops kube-apiserver when the ServingRuntime NAME appears, starts it `seconds` later."""

    def __init__(self, plane, seconds: float):
        super().__init__(daemon=True)
        self.plane, self.seconds = plane, seconds
        self.watching = threading.Event()
        self.happened = False
        self.down_for = 0.0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._run()
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e
            self.watching.set()

    def _run(self) -> None:
        api = self.plane.server
        context = ssl.create_default_context(cadata=api.ca_data.decode())
        request = urllib.request.Request(
            f"{api.url}/apis/serving.kserve.io/v1alpha1/namespaces/{self.plane.ns}/"
            f"servingruntimes?watch=1", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        with urllib.request.urlopen(request, context=context, timeout=120) as stream:
            self.watching.set()
            for line in stream:
                event = json.loads(line)
                if event.get("type") == "ADDED" and \
                        event["object"]["metadata"]["name"] == NAME:
                    break
            else:
                return
            kserve = self.plane.plane
            kserve.pause_component("kserve")
            try:
                api.stop_apiserver()
            finally:
                kserve.resume_component("kserve")
        self.happened = True
        stopped = time.monotonic()
        time.sleep(self.seconds)
        api.start_apiserver()
        self.down_for = time.monotonic() - stopped


def deploy_through(plane, seconds: float):
    outage = Outage(plane, seconds)
    outage.start()
    assert outage.watching.wait(30), "the watch did not open"
    started = time.monotonic()
    result = plane.nim("deploy", NAME, "--model", MODEL, "--tag", TAG,
                       "--request-timeout", REQUEST_TIMEOUT)
    took = time.monotonic() - started
    print(f"deploy exit {result.exit_code} after {took:.1f}s:\n{result.stderr}")  # -s shows it
    outage.join(PATIENCE + seconds + 120)
    if outage.happened:  # the tests after this one find the plane as it was
        plane.plane.restart_components()
    assert outage.error is None, outage.error
    assert outage.happened, "the API server was never stopped: " + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    # Ready is not the end of a restart: the custom resources' storage answers 429 "storage is
    # (re)initializing" a little longer.
    paths = [f"/apis/serving.kserve.io/{v}/namespaces/{plane.ns}/{kind}"
             for v, kind in (("v1alpha1", "servingruntimes"), ("v1beta1", "inferenceservices"))]
    wait_for("the API server to serve KServe's kinds again",
             lambda: all(plane.server.request("GET", p)[0] == 200 for p in paths))
    return result, took, outage.down_for


def present(plane) -> set[str]:
    """What of the deployment the cluster holds, as the plugin names objects."""
    refs = {f"secret/{s}" for s in plane.names("Secret") if s.endswith(f"-{NAME}")}
    refs |= {f"persistentvolumeclaim/{c}" for c in plane.names("PersistentVolumeClaim")
             if not ((plane.get("PersistentVolumeClaim", c) or {"metadata": {"gone": 1}})
                     ["metadata"].keys() & {"deletionTimestamp", "gone"})}
    refs |= {f"servingruntime.serving.kserve.io/{r}" for r in plane.names("ServingRuntime")}
    refs |= {f"inferenceservice.serving.kserve.io/{i}" for i in plane.names("InferenceService")}
    return refs


REF = re.compile(r"(?:secret|persistentvolumeclaim|servingruntime\.serving\.kserve\.io|"
                 r"inferenceservice\.serving\.kserve\.io)/[a-z0-9.-]+")


def said(error: str) -> dict[str, set[str]]:
    """The objects the error line puts under: rolled back, left, may exist."""
    out: dict[str, set[str]] = {"rolled back": set(), "left": set(), "may exist": set()}
    for clause in error.split("; "):
        refs = REF.findall(clause)
        if clause.startswith("rolled back "):
            out["rolled back"].update(refs)
        elif clause.startswith("COULD NOT delete "):
            out["left"].update(refs)
        elif "may have been created" in clause or "may still be created" in clause:
            out["may exist"].update(refs[:1])
    return out


def one_error(result) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_apiserver_restarted_during_deploy_writes(plane):
    """Down for about 2 s plus its start-up (about 3 s): within the rollback's patience, the
    product's default."""
    result, _, down_for = deploy_through(plane, 2)
    now = present(plane)
    if result.exit_code == 0:
        assert len(now) == 5, now  # two secrets, the PVC, the runtime, the InferenceService
        wait_for("KServe to make it Ready", lambda: condition(
            plane.get("InferenceService", NAME) or {}, "Ready").get("status") == "True",
            timeout=120)
        return
    error = one_error(result)
    named = said(error)
    # Everything the cluster holds is named as left (or as possibly created); nothing named as
    # rolled back is there; and what it calls left is there.
    assert now <= named["left"] | named["may exist"], (now, error)
    assert not now & named["rolled back"], (now, error)
    assert named["left"] <= now, (now, error)
    if down_for < PATIENCE - 4:  # back well within the rollback's patience: it finished
        assert not named["left"], (down_for, error)


def test_apiserver_down_past_the_rollbacks_patience(plane):
    """Down for longer than the rollback keeps trying: it gives up, names what is left and how
    to remove it; once the API server is back, `delete` removes it. The patience is the run's
    (Environment.rollback_patience): had the default been used, `took` would exceed it."""
    plane.invoke.environment["rollback_patience"] = SHORT_PATIENCE
    result, took, _ = deploy_through(plane, SHORT_PATIENCE + 5)
    assert result.exit_code != 0, result.stderr
    error = one_error(result)
    assert took < PATIENCE, f"the plugin took {took:.0f}s to give up"
    named = said(error)
    # (The ServingRuntime is left, or possibly created when its create's answer was lost.)
    assert f"servingruntime.serving.kserve.io/{NAME}" in named["left"] | named["may exist"], error
    assert f"remove them with `kubectl-nim delete {NAME}` once the cluster answers" in error
    now = present(plane)
    assert now <= named["left"] | named["may exist"], (now, error)
    assert named["left"] <= now, (now, error)
    removed = plane.nim("delete", NAME, "--yes", "--delete-pvc")
    assert removed.exit_code == 0, removed.stderr
    wait_for("nothing of the deployment left", lambda: not present(plane), timeout=60)
