"""`cache` on a real kube-apiserver: the Secret, pull Secret, PVC and Job are accepted as
rendered (server validation of the Job's pod template, ownerReferences to the Job); and, on the
whole control plane (kwok completes Job pods) when that tier is present, `cache --wait` succeeds
and a disconnected `deploy --existing-pvc --profile` on the cache reaches Ready with no Secret."""

from __future__ import annotations

import base64
import json

import pytest

from tests.helpers.realcluster import KEY, MODEL

TAG = "1.13.1"


def job(real, name):
    return real.server.get({"apiVersion": "batch/v1", "kind": "Job",
                            "metadata": {"name": name, "namespace": real.ns}})


def cache(real, *args, key=KEY):
    return real.nim("cache", *args, "--offline", "--ngc-api-url", real.ngc_url, key=key)


def test_the_real_server_accepts_the_cache_objects(real):
    result = cache(real, "llama", "--model", MODEL, "--tag", TAG, "--profile", "abc",
                   "--node-selector", "nvidia.com/gpu.present=true", "--toleration",
                   "nvidia.com/gpu:NoSchedule", "--gpus", "1", "--https-proxy",
                   "http://user:pw-secret@proxy.corp:3128", "--ca-bundle", "cluster")
    assert result.exit_code == 0, result.stderr
    created = job(real, "nim-cache-llama")
    pod = created["spec"]["template"]["spec"]
    assert pod["containers"][0]["command"] == ["download-to-cache"]
    assert pod["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists",
                                   "effect": "NoSchedule"}]
    for name in ("nim-cache-llama", "nim-cache-pull-llama"):
        (owner,) = real.get("Secret", name)["metadata"]["ownerReferences"]
        assert owner["uid"] == created["metadata"]["uid"]
    text = json.dumps(created)
    assert KEY not in text and base64.b64encode(KEY.encode()).decode() not in text
    assert "pw-secret" not in text + result.stdout + result.stderr
    pvc = real.get("PersistentVolumeClaim", "nim-pvc-llama")
    assert pvc["metadata"]["annotations"]["kubectl-nim/cached-tag"] == TAG


def test_server_dry_run_on_the_real_server(real):
    result = cache(real, "dry", "--model", MODEL, "--tag", TAG, "--dry-run=server")
    assert result.exit_code == 0, result.stderr
    assert "job.batch/nim-cache-dry created (server dry run)" in result.stdout
    assert job(real, "nim-cache-dry") is None


@pytest.fixture(scope="session")
def _control_plane_if_any(request):
    """The tier's session fixture, set up before the per-test HOME change (it finds its
    binaries under the real HOME), or None in a tree without the control-plane tier."""
    try:
        return request.getfixturevalue("control_plane")
    except pytest.FixtureLookupError:
        return None


@pytest.fixture
def plane_or_skip(request, _control_plane_if_any):
    """The control-plane tier's `plane` fixture (kwok runs the pods), or a skip without it."""
    if _control_plane_if_any is None:
        pytest.skip("the control-plane tier (fixture `plane`: kwok, kube-controller-manager) "
                    "is not in this tree")
    return request.getfixturevalue("plane")


def test_cache_then_a_disconnected_deploy_on_it(plane_or_skip):
    plane = plane_or_skip
    result = cache(plane, "llama", "--model", MODEL, "--tag", TAG, "--profile", "abc",
                   "--wait", "--timeout", "120")
    assert result.exit_code == 0, result.stderr
    assert plane.get("Secret", "nim-cache-llama") is None  # the key left with the download
    deployed = plane.nim("deploy", "served", "--model", MODEL, "--tag", TAG, "--disconnected",
                         "--existing-pvc", "nim-pvc-llama", "--profile", "abc", "--wait",
                         "--timeout", "120", key=None)
    assert deployed.exit_code == 0, deployed.stderr
    assert "profile" not in deployed.stderr.lower() or "differs" not in deployed.stderr
    secrets = plane.names("Secret")
    assert not [s for s in secrets if s.startswith(("nvidia-nim", "nim-api-key", "nim-cache"))]


def test_deploy_with_profile_and_proxy_on_the_real_server(real, tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    result = real.nim("deploy", "prof", "--model", MODEL, "--tag", TAG, "--profile", "abc",
                      "--https-proxy", "http://proxy.corp:3128", "--ca-bundle", str(ca))
    assert result.exit_code == 0, result.stderr
    runtime = real.get("ServingRuntime", "prof")
    container = next(c for c in runtime["spec"]["containers"] if c["name"] == "kserve-container")
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert (env["NIM_MODEL_PROFILE"], env["HTTPS_PROXY"]) == ("abc", "http://proxy.corp:3128")
    assert real.get("ConfigMap", "nim-proxy-ca-prof")["data"]["ca-bundle.crt"].startswith(
        "-----BEGIN CERTIFICATE-----")


def test_mirror_plan_catalog_round_trip_on_the_real_server(real, apps, nimconfig_crd,
                                                           tmp_path):
    plan = real.nim("mirror", "plan", "--offline", "--model", f"{MODEL}:{TAG}", "--part",
                    "catalog")
    assert plan.exit_code == 0, plan.stderr
    path = tmp_path / "mirrored.yaml"
    path.write_text(plan.stdout)
    loaded = real.nim("config", "set-custom-configmap", "nim-models-mirrored", "--from-file",
                      str(path), "--apps-namespace", apps)
    assert loaded.exit_code == 0, loaded.stderr
    models = real.nim("models", "-o", "json", "--apps-namespace", apps)
    assert models.exit_code == 0, models.stderr
    assert [(m["name"], m["tags"]) for m in json.loads(models.stdout)["items"]] == [(MODEL, [TAG])]
