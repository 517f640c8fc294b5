"""`diff`: live objects vs the server's dry-run apply of what deploy would send.

Status written by hand: incidental (diff ignores it); real: test_deploy_control_plane_real.py"""

from __future__ import annotations

import base64

from kubectl_nim.app import local_catalog
from tests.helpers.day2 import MODEL, OLD_KEY
from tests.helpers.obs import NAME, NS, cluster, deployment, not_nim  # noqa: F401

NEW_KEY = "nvapi-brand-new-key-0123456789"
TAG = local_catalog.load_embedded().get(MODEL).latest_tag


def run(nim, kc, *args, key=OLD_KEY):
    env = {"NGC_API_KEY": key} if key else None
    return nim("diff", NAME, "--model", MODEL, "--tag", TAG, *args, *kc, env=env)


def test_no_change_exits_0(nim, cluster):
    server, kc = cluster
    deployment(server)
    result = run(nim, kc)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == ""
    dry = [r for r in server.requests if r["method"] == "PATCH"]
    assert len(dry) == 5 and all("dryRun=All" in r["query"] for r in dry)
    assert all(r["method"] in ("GET", "PATCH") for r in server.requests)  # nothing written


def test_changed_gpus_show_as_a_unified_diff(nim, cluster):
    server, kc = cluster
    deployment(server)
    result = run(nim, kc, "--gpus", "2")
    assert result.exit_code == 1, result.stderr
    out = result.stdout
    assert f"--- live/inferenceservice.serving.kserve.io/{NAME}\n" in out
    assert f"+++ merged/inferenceservice.serving.kserve.io/{NAME}\n" in out
    assert "-          nvidia.com/gpu: '1'\n+          nvidia.com/gpu: '2'\n" in out
    assert "resourceVersion" not in out and "managedFields" not in out and "uid:" not in out
    assert "secret/" not in out  # unchanged objects print nothing


def test_a_new_key_shows_that_secrets_change_never_the_value(nim, cluster):
    server, kc = cluster
    deployment(server)
    result = run(nim, kc, key=NEW_KEY)
    assert result.exit_code == 1, result.stderr
    out = result.stdout + result.stderr
    assert "-  NGC_API_KEY: '<redacted: old>'\n" in out
    assert "+  NGC_API_KEY: '<redacted: new>'\n" in out
    for key in (NEW_KEY, OLD_KEY):
        assert key not in out
        assert base64.b64encode(key.encode()).decode() not in out


def test_without_a_key_the_secrets_are_not_compared(nim, cluster):
    server, kc = cluster
    deployment(server)
    result = run(nim, kc, key=None)
    assert result.exit_code == 0, result.stderr
    assert "the Secrets are not compared" in result.stderr
    assert not [r for r in server.requests if r["path"].endswith("/secrets")
                or "/secrets/" in r["path"]]


def test_new_deployment_is_all_additions(nim, cluster):
    server, kc = cluster
    result = run(nim, kc)
    assert result.exit_code == 1, result.stderr
    assert f"+++ merged/persistentvolumeclaim/nim-pvc-{NAME}" in result.stdout
    assert not [ln for ln in result.stdout.splitlines()
                if ln.startswith("-") and not ln.startswith("---")]


def test_a_foreign_deployment_of_that_name_is_an_error(nim, cluster):
    server, kc = cluster
    not_nim(server, name=NAME)
    result = run(nim, kc)
    assert result.exit_code == 2
    assert "is not a NIM deployment" in result.stderr
    # The reads and the dry runs share deploy's one round trip; nothing is ever written.
    assert [r for r in server.requests if r["method"] == "PATCH"
            and "dryRun=All" not in r["query"]] == []


def test_api_error_exits_above_1(nim, cluster):
    server, kc = cluster
    deployment(server)
    server.deny("patch", "inferenceservices")
    result = run(nim, kc)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        f"error: cannot apply inferenceservice.serving.kserve.io/{NAME}: ")
    assert "forbidden" in result.stderr


def test_kubectl_external_diff_is_honoured(nim, cluster):
    """As kubectl diff: the program in KUBECTL_EXTERNAL_DIFF (with its own arguments) gets two
    folders, live and merged, one file per object; its exit code 1 means changes."""
    import shutil

    import pytest

    if not shutil.which("diff"):
        pytest.skip("no diff program")
    server, kc = cluster
    deployment(server)
    result = nim("diff", NAME, "--model", MODEL, "--tag", TAG, "--gpus", "2", *kc,
                 env={"NGC_API_KEY": NEW_KEY, "KUBECTL_EXTERNAL_DIFF": "diff -r -N"})
    assert result.exit_code == 1, result.stderr
    out = result.stdout
    assert "nvidia.com/gpu: '2'" in out and "--- live/" not in out  # diff's own format
    assert f"inferenceservice.serving.kserve.io.{NAME}" in out
    assert NEW_KEY not in out and OLD_KEY not in out and "<redacted: new>" in out
    same = nim("diff", NAME, "--model", MODEL, "--tag", TAG, *kc,
               env={"NGC_API_KEY": OLD_KEY, "KUBECTL_EXTERNAL_DIFF": "diff -r -N"})
    assert (same.exit_code, same.stdout) == (0, "")
    broken = nim("diff", NAME, "--model", MODEL, "--tag", TAG, *kc,
                 env={"NGC_API_KEY": OLD_KEY, "KUBECTL_EXTERNAL_DIFF": "no-such-diff-tool"})
    assert broken.exit_code == 2 and "no-such-diff-tool" in broken.stderr
