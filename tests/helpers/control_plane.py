"""What the control-plane tier's tests share (fixture `plane` in tests/realcluster/conftest.py):
deploy and wait, read what the controllers made, and wait for a condition."""

from __future__ import annotations

import json
import time

from tests.helpers.realcluster import KEY, MODEL

TAG = "1.13.1"


def wait_for(what, probe, timeout=60.0, interval=0.2):
    """probe() until it returns something truthy; AssertionError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def lst(plane, path):
    status, body = plane.server.request("GET", path)
    assert status == 200, body
    return json.loads(body)["items"]


def predictor(plane, name):
    return plane.server.get({"apiVersion": "apps/v1", "kind": "Deployment",
                             "metadata": {"name": f"{name}-predictor", "namespace": plane.ns}})


def pods(plane, name):
    return lst(plane, f"/api/v1/namespaces/{plane.ns}/pods?labelSelector="
                      f"serving.kserve.io/inferenceservice%3D{name}")


def condition(obj, kind):
    return next((c for c in (obj.get("status") or {}).get("conditions") or []
                 if c.get("type") == kind), {})


def container(template, name="kserve-container"):
    return next(c for c in template["spec"]["containers"] if c["name"] == name)


def deploy(plane, name, *extra, key=KEY, wait=True):
    args = ["deploy", name, "--model", MODEL, "--tag", TAG, *extra]
    if wait:
        args += ["--wait", "--timeout", "60"]
    result = plane.nim(*args, key=key)
    assert result.exit_code == 0, result.stderr
    return result
