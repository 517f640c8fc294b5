"""`migrate` against the fake API server: legacy shared secrets to per-deployment secrets."""

from __future__ import annotations

import pytest

from kubectl_nim.app import optimistic
from kubectl_nim.domain import nim_runtime
from kubectl_nim.domain import render
from tests.helpers.day2 import (LEGACY_FORMAT_KEY, NEW_KEY, OLD_KEY, assert_key_hidden, cli,
                                dockerconfig, isvc, keys_of, opaque, runtime, secret,
                                seed_disconnected, seed_legacy, seed_plugin, writes)

SR_REF = "servingruntime.serving.kserve.io"


@pytest.fixture(autouse=True)
def _no_backoff(no_backoff):
    pass


@pytest.fixture
def migrate(nim, kubeconfig, ngc_server):
    return cli(nim, kubeconfig, "migrate", flags=lambda args, validate=False: [
        "--ngc-api-url", ngc_server.url, *([] if validate else ["--skip-key-validation"])])


def refs(server, name):
    return nim_runtime.runtime_refs(runtime(server, name)).names


def test_migrates_to_own_secrets_with_a_new_key(migrate, kube_server, ngc_server):
    seed_legacy(kube_server, "dash")
    result = migrate("dash", validate=True)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("secret/nvidia-nim-secrets-dash created\n"
                             "secret/nvidia-nim-image-pull-dash created\n"
                             f"{SR_REF}/dash configured\n"
                             "inferenceservice.serving.kserve.io/dash restarted\n")
    assert "Verified: dash reads its key from secret/nvidia-nim-secrets-dash" in result.stderr
    assert refs(kube_server, "dash") == ("nvidia-nim-secrets-dash", "nvidia-nim-image-pull-dash")
    assert keys_of(kube_server, "dash") == (NEW_KEY, NEW_KEY)
    for built in (render.api_key_secret_for("dash", "default", NEW_KEY),
                  render.pull_secret_for("dash", "default", NEW_KEY)):
        stored = secret(kube_server, built["metadata"]["name"])
        assert {k: stored[k] for k in ("type", "data")} == \
            {k: built[k] for k in ("type", "data")}
        assert stored["metadata"]["labels"] == built["metadata"]["labels"]
    # the shared secrets are left for the other deployments
    assert secret(kube_server, "nvidia-nim-secrets") and secret(kube_server, "ngc-secret")
    assert nim_runtime.RESTART_ANNOTATION in isvc(kube_server, "dash")["spec"]["predictor"]["annotations"]
    assert len(ngc_server.requests) == 1
    assert_key_hidden(result, NEW_KEY, OLD_KEY)


def test_other_env_and_pull_secrets_are_kept(migrate, kube_server):
    seed_legacy(kube_server, "dash")
    rt = runtime(kube_server, "dash")
    rt["spec"]["imagePullSecrets"].append({"name": "quay-pull"})
    kube_server.put_object(rt)
    assert migrate("dash").exit_code == 0
    after = runtime(kube_server, "dash")
    assert after["spec"]["imagePullSecrets"] == [{"name": "nvidia-nim-image-pull-dash"},
                                                 {"name": "quay-pull"}]
    env = after["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["NGC_API_KEY", "NIM_CACHE_PATH"]


def test_reuse_key_from_the_shared_secret(migrate, kube_server):
    seed_legacy(kube_server, "dash", key=OLD_KEY)
    result = migrate("dash", "--reuse-key", key=None)
    assert result.exit_code == 0, result.stderr
    assert keys_of(kube_server, "dash") == (OLD_KEY, OLD_KEY)
    assert_key_hidden(result, OLD_KEY)


def test_reuse_key_refuses_a_legacy_key(migrate, kube_server):
    seed_legacy(kube_server, "dash", key=LEGACY_FORMAT_KEY)
    kube_server.clear_requests()
    result = migrate("dash", "--reuse-key", key=None)
    assert result.exit_code == 1
    assert "secret/nvidia-nim-secrets holds a legacy NVIDIA key" in result.stderr
    assert "drop --reuse-key" in result.stderr
    assert writes(kube_server) == []
    assert_key_hidden(result, LEGACY_FORMAT_KEY)


def test_reuse_key_with_a_key_file_is_a_usage_error(migrate, tmp_path):
    path = tmp_path / "k"
    path.write_text(NEW_KEY)
    assert migrate("dash", "--reuse-key", "--api-key-file", str(path)).exit_code == 2


def test_cleanup_shared_waits_for_the_last_user(migrate, kube_server):
    seed_legacy(kube_server, "d1")
    seed_legacy(kube_server, "d2")
    result = migrate("d1", "--cleanup-shared")
    assert result.exit_code == 0, result.stderr
    assert "Keeping secret/nvidia-nim-secrets: still referenced by servingruntime.serving.kserve.io/d2" \
        in result.stderr
    assert secret(kube_server, "nvidia-nim-secrets") is not None
    result = migrate("d2", "--cleanup-shared", "--reuse-key", key=None)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("secret/ngc-secret deleted\n"
                                  "secret/nvidia-nim-secrets deleted\n")
    assert secret(kube_server, "nvidia-nim-secrets") is None
    assert secret(kube_server, "ngc-secret") is None
    assert keys_of(kube_server, "d1") == (NEW_KEY, NEW_KEY)
    assert keys_of(kube_server, "d2") == (OLD_KEY, OLD_KEY)


def test_cleanup_alone(migrate, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.put_object(opaque("nvidia-nim-secrets", "default", OLD_KEY))
    kube_server.put_object(dockerconfig("ngc-secret", "default", OLD_KEY))
    result = migrate("--cleanup-shared", "--dry-run=client", key=None)
    assert result.stdout == ("secret/ngc-secret deleted (dry run)\n"
                             "secret/nvidia-nim-secrets deleted (dry run)\n")
    assert secret(kube_server, "ngc-secret") is not None
    result = migrate("--cleanup-shared", key=None)
    assert result.exit_code == 0 and secret(kube_server, "ngc-secret") is None
    result = migrate("--cleanup-shared", key=None)
    assert "No shared legacy secrets in default" in result.stderr


def test_name_or_cleanup_needed(migrate):
    assert migrate(key=None).exit_code == 2


def test_already_migrated_and_disconnected_are_no_ops(migrate, kube_server):
    seed_plugin(kube_server, "x")
    seed_disconnected(kube_server, "air")
    kube_server.clear_requests()
    result = migrate("x")
    assert result.exit_code == 0 and "already uses its own secrets" in result.stderr
    result = migrate("air")
    assert result.exit_code == 0 and "nothing to migrate" in result.stderr
    assert writes(kube_server) == []


def test_custom_secrets_are_refused(migrate, kube_server):
    objects = seed_plugin(kube_server, "x")
    rt = next(o for o in objects if o["kind"] == "ServingRuntime")
    rt["spec"]["containers"][0]["env"][-1]["valueFrom"]["secretKeyRef"]["name"] = "team-key"
    kube_server.put_object(rt)
    result = migrate("x")
    assert result.exit_code == 1 and "rotate-key x" in result.stderr


def test_inline_key_moves_into_secrets(migrate, kube_server):
    objects = seed_disconnected(kube_server, "inl")
    rt = next(o for o in objects if o["kind"] == "ServingRuntime")
    rt["spec"]["containers"][0]["env"].append({"name": "NGC_API_KEY", "value": OLD_KEY})
    kube_server.put_object(rt)
    result = migrate("inl", "--reuse-key", key=None)
    assert result.exit_code == 0, result.stderr
    assert keys_of(kube_server, "inl") == (OLD_KEY, OLD_KEY)
    assert OLD_KEY not in str(runtime(kube_server, "inl"))
    assert_key_hidden(result, OLD_KEY)


def test_client_dry_run(migrate, kube_server):
    seed_legacy(kube_server, "dash")
    kube_server.clear_requests()
    result = migrate("dash", "--dry-run=client", "--cleanup-shared")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("secret/nvidia-nim-secrets-dash created (dry run)\n"
                             "secret/nvidia-nim-image-pull-dash created (dry run)\n"
                             f"{SR_REF}/dash configured (dry run)\n"
                             "inferenceservice.serving.kserve.io/dash restarted (dry run)\n"
                             "secret/ngc-secret deleted (dry run)\n"
                             "secret/nvidia-nim-secrets deleted (dry run)\n")
    assert writes(kube_server) == []


def test_server_dry_run(migrate, kube_server):
    seed_legacy(kube_server, "dash")
    kube_server.clear_requests()
    result = migrate("dash", "--dry-run=server")
    assert result.exit_code == 0, result.stderr
    sent = [r for r in kube_server.requests if r["method"] != "GET"]
    assert len(sent) == 4 and all("dryRun=All" in r["query"] for r in sent)
    assert refs(kube_server, "dash") == ("nvidia-nim-secrets", "ngc-secret")
    assert secret(kube_server, "nvidia-nim-secrets-dash") is None


def test_runtime_update_refused_rolls_the_new_secrets_back(migrate, kube_server):
    seed_legacy(kube_server, "dash")
    kube_server.deny("update", "servingruntimes")
    result = migrate("dash")
    assert result.exit_code == 1
    assert f"cannot point {SR_REF}/dash at its own secrets" in result.stderr
    assert "removed what this run wrote" in result.stderr
    assert "still uses the shared secrets" in result.stderr
    assert refs(kube_server, "dash") == ("nvidia-nim-secrets", "ngc-secret")
    assert secret(kube_server, "nvidia-nim-secrets-dash") is None
    assert secret(kube_server, "nvidia-nim-image-pull-dash") is None


def test_runtime_update_with_unknown_outcome_keeps_the_secrets(migrate, kube_server):
    seed_legacy(kube_server, "dash")
    kube_server.fail("PUT", r"/servingruntimes/dash", 503, times=optimistic.MAX_ATTEMPTS)
    result = migrate("dash")
    assert result.exit_code == 1
    assert "the new secrets are kept" in result.stderr
    assert secret(kube_server, "nvidia-nim-secrets-dash") is not None
    # the rerun finishes the job and reuses them
    result = migrate("dash")
    assert result.exit_code == 0, result.stderr
    assert "secret/nvidia-nim-secrets-dash unchanged" in result.stdout
    assert keys_of(kube_server, "dash") == (NEW_KEY, NEW_KEY)


def test_missing_shared_secret_for_reuse(migrate, kube_server):
    seed_legacy(kube_server, "dash", shared_secrets=False)
    result = migrate("dash", "--reuse-key", key=None)
    assert result.exit_code == 1
    assert "secret/nvidia-nim-secrets does not exist" in result.stderr


def test_concurrent_runtime_change_is_retried(migrate, kube_server):
    seed_legacy(kube_server, "dash")
    kube_server.fail("PUT", r"/servingruntimes/dash", 409)
    result = migrate("dash")
    assert result.exit_code == 0, result.stderr
    assert refs(kube_server, "dash") == ("nvidia-nim-secrets-dash", "nvidia-nim-image-pull-dash")


def test_no_key_mentions_reuse_key(migrate, kube_server):
    seed_legacy(kube_server, "d")
    result = migrate("d", key=None)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no NVIDIA API key given; ")
    assert "--reuse-key" in result.stderr and result.stderr.count("\n") == 1
