"""`rotate-key` against the fake API server (and the fake NGC API for key validation).

Status written by hand: fault injection (a restart never ending); real: day2_control_plane_real.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest

from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.app import optimistic
from kubectl_nim.domain import names, nim_runtime
from kubectl_nim.domain import render
from kubectl_nim.environment import Environment
from tests.fakes.clock import FakeClock
from tests.helpers.day2 import (LEGACY_FORMAT_KEY, NEW_KEY, OLD_KEY, assert_key_hidden, cli,
                                delete_secret, dockerconfig, isvc, keys_of, opaque_key, pull_key,
                                ready_with_an_old_pod, rendered, secret, seed_disconnected,
                                seed_legacy, seed_plugin, writes)

SECRET_PATH = "/api/v1/namespaces/default/secrets/"


@pytest.fixture(autouse=True)
def _no_backoff(no_backoff):
    pass


@pytest.fixture
def rotate(nim, kubeconfig, kube_server, ngc_server):
    return cli(nim, kubeconfig, "rotate-key", flags=lambda args, validate=False: [
        "--ngc-api-url", ngc_server.url, *([] if validate else ["--skip-key-validation"])])


def test_rotates_both_secrets_and_restarts(rotate, kube_server, ngc_server):
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    result = rotate("x", validate=True)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("secret/nvidia-nim-secrets-x configured\n"
                             "secret/nvidia-nim-image-pull-x configured\n"
                             "inferenceservice.serving.kserve.io/x restarted\n")
    assert "needs 1 more nvidia.com/gpu per replica" in result.stderr
    assert keys_of(kube_server, "x") == (NEW_KEY, NEW_KEY)
    # byte for byte what deploy writes
    for built in (render.api_key_secret_for("x", "default", NEW_KEY),
                  render.pull_secret_for("x", "default", NEW_KEY)):
        stored = secret(kube_server, built["metadata"]["name"])
        assert stored["data"] == built["data"] and stored["type"] == built["type"]
        assert stored["metadata"]["labels"] == built["metadata"]["labels"]
    stamp = isvc(kube_server, "x")["spec"]["predictor"]["annotations"][nim_runtime.RESTART_ANNOTATION]
    assert stamp.endswith("Z")
    # optimistic concurrency: each PUT carries the resourceVersion it read
    assert [w for w in writes(kube_server)] == [
        ("PUT", SECRET_PATH + "nvidia-nim-secrets-x"),
        ("PUT", SECRET_PATH + "nvidia-nim-image-pull-x"),
        ("PATCH", "/apis/serving.kserve.io/v1beta1/namespaces/default/inferenceservices/x")]
    assert [r["path"] for r in ngc_server.requests] == ["/v3/keys/get-caller-info"]
    assert_key_hidden(result, NEW_KEY, OLD_KEY)


def test_only_that_deployment_is_touched(rotate, kube_server):
    seed_plugin(kube_server, "x")
    seed_plugin(kube_server, "y")
    assert rotate("x").exit_code == 0
    assert keys_of(kube_server, "y") == (OLD_KEY, OLD_KEY)
    assert "annotations" not in isvc(kube_server, "y")["spec"]["predictor"]


def test_no_restart(rotate, kube_server):
    seed_plugin(kube_server, "x")
    result = rotate("x", "--no-restart")
    assert result.exit_code == 0
    assert "restarted" not in result.stdout and "keep the old key" in result.stderr
    assert "needs 1 more" not in result.stderr
    assert "annotations" not in isvc(kube_server, "x")["spec"]["predictor"]
    assert keys_of(kube_server, "x") == (NEW_KEY, NEW_KEY)


def test_same_key_again_is_unchanged_but_restarts(rotate, kube_server):
    seed_plugin(kube_server, "x", key=NEW_KEY)
    result = rotate("x")
    assert result.stdout.splitlines()[:2] == ["secret/nvidia-nim-secrets-x unchanged",
                                              "secret/nvidia-nim-image-pull-x unchanged"]
    assert [m for m, _ in writes(kube_server)] == ["PATCH"]


def test_same_key_with_no_restart_does_not_warn_of_an_old_key(rotate, kube_server):
    seed_plugin(kube_server, "x", key=NEW_KEY)
    result = rotate("x", "--no-restart")
    assert result.exit_code == 0, result.stderr
    assert "keep the old key" not in result.stderr
    assert "already hold this key" in result.stderr
    assert writes(kube_server) == []


def test_client_dry_run_writes_nothing(rotate, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    result = rotate("x", "--dry-run=client")
    assert result.exit_code == 0
    assert result.stdout == ("secret/nvidia-nim-secrets-x configured (dry run)\n"
                             "secret/nvidia-nim-image-pull-x configured (dry run)\n"
                             "inferenceservice.serving.kserve.io/x restarted (dry run)\n")
    assert writes(kube_server) == []
    assert keys_of(kube_server, "x") == (OLD_KEY, OLD_KEY)


def test_server_dry_run_sends_dry_run_all(rotate, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    result = rotate("x", "--dry-run=server")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.endswith("restarted (server dry run)\n")
    sent = [r for r in kube_server.requests if r["method"] != "GET"]
    assert len(sent) == 3 and all("dryRun=All" in r["query"] for r in sent)
    assert keys_of(kube_server, "x") == (OLD_KEY, OLD_KEY)
    assert "annotations" not in isvc(kube_server, "x")["spec"]["predictor"]


def test_concurrent_writer_conflict_is_reread_and_retried(rotate, kube_server):
    """Someone updates the pull secret between our read and our PUT: the server answers 409
    for our stale resourceVersion; rotate-key reads again and wins on the second try."""
    seed_plugin(kube_server, "x")

    def someone_else():
        other = secret(kube_server, "nvidia-nim-image-pull-x")
        other["metadata"].setdefault("labels", {})["touched-by"] = "someone-else"
        kube_server.put_object(other)  # bumps the resourceVersion

    kube_server.fail("PUT", r"/secrets/nvidia-nim-image-pull-x(\?|$)", before_answer=someone_else)
    result = rotate("x")
    assert result.exit_code == 0, result.stderr
    statuses = [r["status"] for r in kube_server.requests
                if r["method"] == "PUT" and r["path"].endswith("image-pull-x")]
    assert statuses == [409, 200]
    stored = secret(kube_server, "nvidia-nim-image-pull-x")
    assert stored["metadata"]["labels"]["touched-by"] == "someone-else"  # their change kept
    assert keys_of(kube_server, "x") == (NEW_KEY, NEW_KEY)


def test_conflicts_are_bounded(rotate, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.fail("PUT", r"/secrets/nvidia-nim-secrets-x", 409, times=100)
    result = rotate("x")
    assert result.exit_code == 1
    puts = [r for r in kube_server.requests if r["method"] == "PUT"]
    assert len(puts) == optimistic.MAX_ATTEMPTS
    assert "nothing was changed" in result.stderr
    assert keys_of(kube_server, "x") == (OLD_KEY, OLD_KEY)


@pytest.mark.parametrize("status", [403, 500])
def test_second_update_fails_first_is_restored(rotate, kube_server, status):
    seed_plugin(kube_server, "x")
    before = secret(kube_server, "nvidia-nim-secrets-x")
    kube_server.fail("PUT", r"/secrets/nvidia-nim-image-pull-x", status, times=100)
    result = rotate("x")
    assert result.exit_code == 1
    assert "cannot update secret/nvidia-nim-image-pull-x" in result.stderr
    assert "put back secret/nvidia-nim-secrets-x" in result.stderr
    assert "every secret keeps its previous key" in result.stderr
    assert keys_of(kube_server, "x") == (OLD_KEY, OLD_KEY)
    assert secret(kube_server, "nvidia-nim-secrets-x")["data"] == before["data"]
    assert "annotations" not in isvc(kube_server, "x")["spec"]["predictor"]  # no restart
    assert_key_hidden(result, NEW_KEY, OLD_KEY)


def test_restore_failing_too_is_reported_honestly(rotate, kube_server):
    seed_plugin(kube_server, "x")
    kube_server.fail("PUT", r"/secrets/nvidia-nim-image-pull-x", 403, times=100)
    kube_server.fail("PUT", r"/secrets/nvidia-nim-secrets-x", 500, nth=2, times=100)
    result = rotate("x")
    assert result.exit_code == 1
    assert "COULD NOT put back secret/nvidia-nim-secrets-x" in result.stderr
    assert "re-run the same command" in result.stderr


def test_legacy_shared_secrets_are_refused(rotate, kube_server):
    seed_legacy(kube_server, "dash")
    kube_server.clear_requests()
    result = rotate("dash")
    assert result.exit_code == 1
    assert "shared legacy secrets (secret/nvidia-nim-secrets, secret/ngc-secret)" in result.stderr
    assert "kubectl nim migrate dash -n default" in result.stderr
    assert writes(kube_server) == []


def test_disconnected_deployment_has_nothing_to_rotate(rotate, kube_server):
    seed_disconnected(kube_server, "air")
    kube_server.clear_requests()
    result = rotate("air", key="")
    assert result.exit_code == 0
    assert "Nothing to rotate" in result.stderr and result.stdout == ""
    assert writes(kube_server) == []


def test_inline_key_is_refused(rotate, kube_server):
    objects = seed_disconnected(kube_server, "inl")
    rt = next(o for o in objects if o["kind"] == "ServingRuntime")
    rt["spec"]["containers"][0]["env"].append({"name": "NGC_API_KEY", "value": OLD_KEY})
    kube_server.put_object(rt)
    result = rotate("inl")
    assert result.exit_code == 1 and "plain value" in result.stderr
    assert "kubectl nim migrate inl" in result.stderr


def test_key_found_by_env_name_not_position(rotate, kube_server):
    objects = seed_plugin(kube_server, "x")
    rt = next(o for o in objects if o["kind"] == "ServingRuntime")
    env = rt["spec"]["containers"][0]["env"]
    rt["spec"]["containers"][0]["env"] = [env[-1], {"name": "A", "value": "1"}] + env[:-1]
    kube_server.put_object(rt)
    assert rotate("x").exit_code == 0
    assert keys_of(kube_server, "x") == (NEW_KEY, NEW_KEY)


def test_missing_own_pull_secret_is_created(rotate, kube_server):
    seed_plugin(kube_server, "x")
    delete_secret(kube_server, "nvidia-nim-image-pull-x")
    result = rotate("x")
    assert result.exit_code == 0, result.stderr
    assert "secret/nvidia-nim-image-pull-x created" in result.stdout
    built = render.pull_secret_for("x", "default", NEW_KEY)
    assert secret(kube_server, "nvidia-nim-image-pull-x")["data"] == built["data"]


def test_other_registries_in_a_custom_pull_secret_are_kept(rotate, kube_server):
    objects = seed_plugin(kube_server, "x")
    rt = next(o for o in objects if o["kind"] == "ServingRuntime")
    rt["spec"]["imagePullSecrets"] = [{"name": "team-pull"}, {"name": "quay-only"}]
    kube_server.put_object(rt)
    other = {"quay.io": {"auth": "cXVheTpwYXNz"}}
    kube_server.put_object(dockerconfig("team-pull", "default", OLD_KEY, other))
    quay = dockerconfig("quay-only", "default", OLD_KEY)
    quay["data"][".dockerconfigjson"] = base64.b64encode(
        json.dumps({"auths": other}).encode()).decode()
    kube_server.put_object(quay)
    result = rotate("x")
    assert result.exit_code == 0, result.stderr
    assert "Leaving secret/quay-only alone" in result.stderr
    stored = secret(kube_server, "team-pull")
    assert pull_key(stored) == NEW_KEY
    doc = json.loads(base64.b64decode(stored["data"][".dockerconfigjson"]))
    assert doc["auths"]["quay.io"] == other["quay.io"]
    assert opaque_key(secret(kube_server, "nvidia-nim-secrets-x")) == NEW_KEY


@pytest.mark.parametrize("verb,resource,said,keys", [
    # the restart is refused: the secrets are done
    ("patch", "inferenceservices", ["the secrets hold the new key, but restarting"],
     (NEW_KEY, NEW_KEY)),
    # the secrets' update is refused: the permission is named, nothing changed
    ("update", "secrets", ['cannot update resource "secrets"', "nothing was changed"],
     (OLD_KEY, OLD_KEY)),
], ids=["restart-forbidden", "secret-update-forbidden"])
def test_a_forbidden_write_says_what_holds_which_key(rotate, kube_server, verb, resource, said,
                                                     keys):
    seed_plugin(kube_server, "x")
    kube_server.deny(verb, resource)
    result = rotate("x")
    assert result.exit_code == 1
    for text in said:
        assert text in result.stderr
    assert keys_of(kube_server, "x") == keys


def test_rejected_and_legacy_keys_write_nothing(rotate, kube_server, ngc_server):
    seed_plugin(kube_server, "x")
    kube_server.clear_requests()
    result = rotate("x", key="nvapi-revoked-000", validate=True)
    assert result.exit_code == 1 and writes(kube_server) == []
    result = rotate("x", key=LEGACY_FORMAT_KEY, validate=True)
    assert result.exit_code == 1 and "legacy NVIDIA API key" in result.stderr
    assert writes(kube_server) == []
    assert len(ngc_server.requests) == 1  # the legacy key never left the machine
    assert_key_hidden(result, LEGACY_FORMAT_KEY)


def test_not_found(rotate, kube_server):
    result = rotate("ghost")
    assert result.exit_code == 1 and "no NIM deployment 'ghost' in default" in result.stderr


def test_wait_follows_the_new_pods(rotate, kube_server, nim):
    seed_plugin(kube_server, "x")
    stamp = "2026-01-01T00:00:00.000000Z"
    nim.environment["now"] = lambda: datetime(2026, 1, 1, tzinfo=timezone.utc)
    obj = isvc(kube_server, "x")
    obj["status"] = {"observedGeneration": 2,
                     "conditions": [{"type": "Ready", "status": "True"}]}
    kube_server.put_object(obj)
    kube_server.put_object({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "x-predictor-1", "namespace": "default",
                     "labels": {names.ISVC_LABEL: "x"},
                     "annotations": {nim_runtime.RESTART_ANNOTATION: stamp}},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
    result = rotate("x", "--wait", "--timeout", "10s")
    assert result.exit_code == 0, result.stderr
    assert "new pods ready 1/1, old pods 0" in result.stderr


def test_wait_times_out_while_old_pods_remain(rotate, kube_server, monkeypatch):
    seed_plugin(kube_server, "x")
    ready_with_an_old_pod(kube_server, "x")
    result = rotate("x", "--wait", "--timeout", "0s")
    assert result.exit_code == 1
    assert "waiting for inferenceservice.serving.kserve.io/x to restart" in result.stderr
    assert "old pods 1" in result.stderr


def test_wait_and_no_restart_conflict(rotate):
    result = rotate("x", "--wait", "--no-restart")
    assert result.exit_code == 2


def test_verbose_output_never_shows_a_key(rotate, kube_server):
    seed_plugin(kube_server, "x")
    result = rotate("x", "-vv")
    assert result.exit_code == 0
    assert "debug:" in result.stderr
    assert_key_hidden(result, NEW_KEY, OLD_KEY)


# --- the pure core -------------------------------------------------------------------------------

def test_refs_and_schemes():
    plugin = next(o for o in rendered("x") if o["kind"] == "ServingRuntime")
    refs = nim_runtime.runtime_refs(plugin)
    assert refs.key_secrets == ("nvidia-nim-secrets-x",)
    assert refs.pull_secrets == ("nvidia-nim-image-pull-x",)
    assert nim_runtime.key_scheme("x", refs) == nim_runtime.PER_DEPLOYMENT
    assert nim_runtime.key_scheme("y", refs) == nim_runtime.CUSTOM
    assert nim_runtime.key_scheme("x", nim_runtime.Refs((), ())) == nim_runtime.NONE
    legacy = nim_runtime.Refs((nim_runtime.KeyRef("c", "nvidia-nim-secrets", "NGC_API_KEY"),),
                       ("nvidia-nim-image-pull-x",))
    assert nim_runtime.key_scheme("x", legacy) == nim_runtime.SHARED_LEGACY
    assert nim_runtime.key_scheme("x", nim_runtime.Refs((nim_runtime.KeyRef("c", None, None, True),), ())) == \
        nim_runtime.INLINE


def test_the_use_cases_raise_day2_errors(kube_server, kubeconfig):
    """rotate-key's use cases refuse with Day2Error (an inline key) and stop with its subclass
    SecretsFailed (a write failed and the first one was put back): typed, so every day-2 verb
    reports them alike, not as a bare cluster error."""
    from kubectl_nim.app import day2, secret_pair, secret_writes
    from kubectl_nim.errors import ClusterError, Day2Error

    cluster = Cluster.connect(kubeconfig=kubeconfig, env=Environment.default())
    objects = seed_disconnected(kube_server, "inl")
    rt = next(o for o in objects if o["kind"] == "ServingRuntime")
    rt["spec"]["containers"][0]["env"].append({"name": "NGC_API_KEY", "value": OLD_KEY})
    kube_server.put_object(rt)
    with pytest.raises(Day2Error, match="sets NGC_API_KEY as a plain value"):
        day2.plan_rotation(cluster, day2.find_deployment(cluster, "default", "inl"))

    seed_plugin(kube_server, "x")
    kube_server.fail("PUT", r"/secrets/nvidia-nim-image-pull-x", 403, times=100)
    plan = day2.plan_rotation(cluster, day2.find_deployment(cluster, "default", "x"))
    with pytest.raises(secret_writes.SecretsFailed,
                       match="put back secret/nvidia-nim-secrets-x") as caught:
        secret_pair.write_pair(cluster, "default", plan.targets, NEW_KEY,
                                    current=plan.current, sleep=FakeClock().sleep,
                                    now=FakeClock().now, warn=pytest.fail)
    assert not isinstance(caught.value, ClusterError)
    assert keys_of(kube_server, "x") == (OLD_KEY, OLD_KEY)
