"""`cache NAME` and `cache profiles M` end to end on the fake API server and the fake NVIDIA API.

The fake has no Job controller: the run's sleep (its Environment) plays one, setting the Job's
status (and a pod with its log) the first time the wait sleeps. The key never appears in the Job,
in any output, or after a successful run in the project.
"""

from __future__ import annotations

import base64
import json

import pytest
import yaml

from tests.helpers.deploy import KEY, MODEL, NS, project  # noqa: F401 - fixture

CACHE = "llama"
JOB = ("batch/v1", "jobs")
REFS = ["secret/nim-cache-llama", "secret/nim-cache-pull-llama",
        "persistentvolumeclaim/nim-pvc-llama", "job.batch/nim-cache-llama"]
FAILED_LOG = ["INFO downloading profile abc", "ERROR 401 Unauthorized", "giving up"]


class JobController:
    """The run's sleep: the first time it is called, the Job completes (or fails) with a pod."""

    def __init__(self, server, outcome="Complete", log=(), job=f"nim-cache-{CACHE}",
                 cache=CACHE):
        self.server, self.outcome, self.log, self.job, self.cache = server, outcome, log, job, \
            cache
        self.calls = 0
        self.seen_job = None

    def __call__(self, seconds):
        self.calls += 1
        if self.calls > 1 or self.outcome is None:
            return
        job = self.server.get_object(*JOB, NS, self.job)
        self.seen_job = job
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": f"{self.job}-x7k2p", "namespace": NS,
                            "labels": {"kubectl-nim/cache": self.cache}},
               "spec": job["spec"]["template"]["spec"],
               "status": {"phase": "Succeeded" if self.outcome == "Complete" else "Failed",
                          "containerStatuses": [{"name": "nim", "ready": False,
                                                 "state": {"terminated": {"exitCode": 1}}}]}}
        self.server.put_object(pod)
        self.server.pods.set_log(NS, pod["metadata"]["name"], "nim", list(self.log))
        job["status"] = {"conditions": [{"type": self.outcome, "status": "True",
                                         "reason": "BackoffLimitExceeded"
                                         if self.outcome == "Failed" else "Completed",
                                         "message": "Job has reached the specified backoff "
                                                    "limit" if self.outcome == "Failed" else ""}],
                         "succeeded" if self.outcome == "Complete" else "failed": 1}
        self.server.put_object(job)


@pytest.fixture
def run_cache(nim, project, ngc_server):  # noqa: F811 - the fixture imported above
    def run(*args, key=KEY, controller=None, env=None):
        if controller is not None:
            nim.environment["sleep"] = controller
        else:
            nim.environment["sleep"] = lambda s: None
        environment = {"NGC_API_KEY": key} if key is not None else {}
        environment.update(env or {})
        return nim("cache", *args, "--offline", "--kubeconfig", project.kubeconfig,
                   "--ngc-api-url", ngc_server.url, env=environment)
    return run


def stored(server, kind, name):
    api, plural = {"Secret": ("v1", "secrets"), "Job": JOB,
                   "PersistentVolumeClaim": ("v1", "persistentvolumeclaims"),
                   "ConfigMap": ("v1", "configmaps")}[kind]
    return server.get_object(api, plural, NS, name)


def assert_key_nowhere(result, *objects):
    for text in (result.stdout, result.stderr, *(json.dumps(o) for o in objects if o)):
        assert KEY not in text
        assert base64.b64encode(KEY.encode()).decode() not in text


def test_wait_creates_fills_and_drops_the_key(run_cache, project):
    controller = JobController(project.server)
    result = run_cache(CACHE, "--model", MODEL, "--profile", "abc123", "--wait",
                       controller=controller)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "".join(f"{r} created\n" for r in REFS)
    assert "job: download complete" in result.stderr
    assert "Cached llama-3.1-8b-instruct:1.15.5 (profile abc123) on " \
           "persistentvolumeclaim/nim-pvc-llama" in result.stderr
    job = controller.seen_job
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5"
    assert (container["command"], container["args"]) == (["download-to-cache"],
                                                         ["--profiles", "abc123"])
    assert container["env"] == [
        {"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {"name": "nim-cache-llama",
                                                               "key": "NGC_API_KEY"}}},
        {"name": "NIM_CACHE_PATH", "value": "/mnt/models/cache"}]
    assert container["volumeMounts"] == [{"name": "nim-cache", "mountPath": "/mnt/models/cache"}]
    assert pod["volumes"] == [{"name": "nim-cache",
                               "persistentVolumeClaim": {"claimName": "nim-pvc-llama"}}]
    assert pod["imagePullSecrets"] == [{"name": "nim-cache-pull-llama"}]
    pvc = stored(project.server, "PersistentVolumeClaim", "nim-pvc-llama")
    assert {k: v for k, v in pvc["metadata"]["annotations"].items()
            if k.startswith("kubectl-nim/")} == {
        "kubectl-nim/cached-model": MODEL, "kubectl-nim/cached-tag": "1.15.5",
        "kubectl-nim/cached-profile": "abc123"}
    # The download is done: the key is gone from the project; the Job stays (its TTL ends it).
    assert stored(project.server, "Secret", "nim-cache-llama") is None
    assert stored(project.server, "Secret", "nim-cache-pull-llama") is None
    assert stored(project.server, "Job", "nim-cache-llama") is not None
    assert_key_nowhere(result, job)


def test_secrets_are_owned_by_the_job_without_wait(run_cache, project):
    result = run_cache(CACHE, "--model", MODEL)
    assert result.exit_code == 0, result.stderr
    job = stored(project.server, "Job", "nim-cache-llama")
    for name in ("nim-cache-llama", "nim-cache-pull-llama"):
        (owner,) = stored(project.server, "Secret", name)["metadata"]["ownerReferences"]
        assert owner == {"apiVersion": "batch/v1", "kind": "Job", "name": "nim-cache-llama",
                         "uid": job["metadata"]["uid"]}
    assert job["spec"]["ttlSecondsAfterFinished"] == 86400
    assert_key_nowhere(result, job)


def test_a_failed_job_shows_its_log_and_rolls_back(run_cache, project):
    controller = JobController(project.server, "Failed", FAILED_LOG)
    result = run_cache(CACHE, "--model", MODEL, "--wait", controller=controller)
    assert result.exit_code == 1
    assert "".join(f"  {line}\n" for line in FAILED_LOG) in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: job.batch/nim-cache-llama failed: BackoffLimitExceeded Job "
                           "has reached the specified backoff limit; rolled back "
                           "job.batch/nim-cache-llama, persistentvolumeclaim/nim-pvc-llama, "
                           "secret/nim-cache-pull-llama, secret/nim-cache-llama")
    for kind, name in (("Job", "nim-cache-llama"), ("Secret", "nim-cache-llama"),
                       ("Secret", "nim-cache-pull-llama")):
        assert stored(project.server, kind, name) is None
    # The failed pod still mounts the claim (the fake has no garbage collector to delete the
    # Job's pods): the claim is Terminating, and goes with the pod, as on a real cluster.
    pvc = stored(project.server, "PersistentVolumeClaim", "nim-pvc-llama")
    assert pvc is None or pvc["metadata"].get("deletionTimestamp")
    assert_key_nowhere(result)


def test_a_rejected_key_writes_nothing(run_cache, project):
    result = run_cache(CACHE, "--model", MODEL, key="nvapi-not-valid-0000")
    assert result.exit_code == 1
    assert [r for r in project.server.requests if r["method"] != "GET"] == []
    assert "nvapi-not-valid-0000" not in result.stderr + result.stdout


@pytest.mark.parametrize("method,path,rolled_back", [
    ("POST", r"/jobs", "persistentvolumeclaim/nim-pvc-llama, secret/nim-cache-pull-llama, "
                       "secret/nim-cache-llama"),
    # the owner patch comes after the Job: the Job goes too
    ("PATCH", r"/secrets/nim-cache-llama", "job.batch/nim-cache-llama, "
     "persistentvolumeclaim/nim-pvc-llama, secret/nim-cache-pull-llama, secret/nim-cache-llama"),
], ids=["job-create", "owner-patch"])
def test_a_failed_write_rolls_back_what_was_created(run_cache, project, method, path,
                                                    rolled_back):
    project.server.fail(method, path, status=500)
    result = run_cache(CACHE, "--model", MODEL)
    assert result.exit_code == 1
    assert f"rolled back {rolled_back}" in result.stderr
    assert [o["kind"] for o in project.server.objects() if o["kind"] != "Namespace"] == []


def test_existing_pvc_gets_the_record_and_loses_it_on_failure(run_cache, project):
    project.server.put_object({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                               "metadata": {"name": "models", "namespace": NS,
                                            "annotations": {"keep": "me"}},
                               "spec": {"accessModes": ["ReadWriteOnce"],
                                        "resources": {"requests": {"storage": "1Gi"}}}})
    ok = run_cache(CACHE, "--model", MODEL, "--existing-pvc", "models")
    assert ok.exit_code == 0, ok.stderr
    assert "persistentvolumeclaim/models annotated" in ok.stdout
    annotations = stored(project.server, "PersistentVolumeClaim", "models")["metadata"][
        "annotations"]
    assert annotations["kubectl-nim/cached-profile"] == "default"
    assert annotations["keep"] == "me"
    job = stored(project.server, "Job", "nim-cache-llama")
    assert job["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"] == \
        {"claimName": "models"}


def test_existing_pvc_must_exist(run_cache, project):
    result = run_cache(CACHE, "--model", MODEL, "--existing-pvc", "nope")
    assert result.exit_code == 1
    assert "persistentvolumeclaim/nope not found" in result.stderr
    assert [r for r in project.server.requests if r["method"] == "POST"] == []


def test_an_existing_cache_is_refused(run_cache, project):
    assert run_cache(CACHE, "--model", MODEL).exit_code == 0
    again = run_cache(CACHE, "--model", MODEL)
    assert again.exit_code == 1
    assert "secret/nim-cache-llama already exists in team" in again.stderr


def test_server_dry_run_persists_nothing(run_cache, project):
    result = run_cache(CACHE, "--model", MODEL, "--dry-run=server")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "".join(f"{r} created (server dry run)\n" for r in REFS)
    assert [o for o in project.server.objects() if o["kind"] != "Namespace"] == []


def test_proxy_credentials_stay_in_the_secret(run_cache, project):
    proxy = "http://alice:s3cret-pw@proxy.corp:3128"
    result = run_cache(CACHE, "--model", MODEL, "--https-proxy", proxy, "--no-proxy",
                       ".corp", "--ca-bundle", "cluster", "-v")
    assert result.exit_code == 0, result.stderr
    job = stored(project.server, "Job", "nim-cache-llama")
    assert "s3cret-pw" not in json.dumps(job) + result.stdout + result.stderr
    env = {e["name"]: e for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["HTTPS_PROXY"]["valueFrom"] == {"secretKeyRef": {"name": "nim-cache-llama",
                                                                "key": "HTTPS_PROXY"}}
    assert env["NO_PROXY"]["value"] == ".corp,localhost,127.0.0.1,.svc,.cluster.local"
    assert env["SSL_CERT_FILE"]["value"] == "/etc/pki/nim-proxy-ca/ca-bundle.crt"
    ca = stored(project.server, "ConfigMap", "nim-proxy-ca-llama")
    assert ca["metadata"]["labels"]["config.openshift.io/inject-trusted-cabundle"] == "true"
    assert ca["metadata"]["ownerReferences"][0]["kind"] == "Job"
    secret = stored(project.server, "Secret", "nim-cache-llama")
    assert base64.b64decode(secret["data"]["HTTPS_PROXY"]).decode() == proxy


def test_client_dry_run_prints_the_objects_with_the_key_only_in_secret_data(nim):
    result = nim("cache", CACHE, "--model", MODEL, "--offline", "--dry-run=client", "-o",
                 "yaml", "-n", NS, env={"NGC_API_KEY": KEY})
    assert result.exit_code == 0, result.stderr
    docs = list(yaml.safe_load_all(result.stdout))
    assert [d["kind"] for d in docs] == ["Secret", "Secret", "PersistentVolumeClaim", "Job"]
    assert KEY not in result.stdout + result.stderr  # base64 inside the Secrets' data only
    encoded = base64.b64encode(KEY.encode()).decode()
    assert [d["kind"] for d in docs if encoded in json.dumps(d)] == ["Secret"]
    assert "auths" in base64.b64decode(docs[1]["data"][".dockerconfigjson"]).decode()
    assert KEY not in json.dumps(docs[-1]) and encoded not in json.dumps(docs[-1])


def test_profiles_prints_the_pods_output_and_cleans_up(run_cache, project):
    output = ["MODEL PROFILES", "- Compatible with system and runnable:",
              "  - 4f904d571fe60ff24695b5ee2aa42da58cb460787a968f1e8a09f5a7e862728d "
              "(vllm-bf16-tp1)"]
    job = "nim-profiles-llama-3-1-8b-instruct"
    controller = JobController(project.server, "Complete", output, job=job,
                               cache="llama-3-1-8b-instruct")
    result = run_cache("profiles", MODEL, "--gpus", "1", controller=controller)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "".join(f"{line}\n" for line in output)
    container = controller.seen_job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["list-model-profiles"]
    assert container["resources"]["limits"] == {"nvidia.com/gpu": "1"}
    assert "volumes" not in controller.seen_job["spec"]["template"]["spec"]
    assert [o for o in project.server.objects() if o["kind"] not in ("Namespace", "Pod")] == []
    assert_key_nowhere(result, controller.seen_job)


@pytest.mark.parametrize("args,message", [
    (("BAD_NAME", "--model", MODEL), "invalid cache name 'BAD_NAME'"),
    (("x", "--model", MODEL, "--toleration", "k:Sometimes"), "unknown effect 'Sometimes'"),
    (("x", "--model", MODEL, "--node-selector", "novalue"), "is not NAME=VALUE"),
    (("x", "--model", MODEL, "--https-proxy", "ftp://p"), "is not an http:// or https:// URL"),
    (("x", "--model", "llama-3.1-8b-instuct"), "did you mean llama-3.1-8b-instruct"),
])
def test_bad_flags_are_refused_before_any_request(run_cache, project, args, message):
    result = run_cache(*args)
    assert result.exit_code in (1, 2)
    assert message in result.stderr
    assert project.server.requests == []


def test_key_hygiene_everywhere_even_in_a_log_that_prints_it(run_cache, project):
    """-vv debug output, the failure's log lines (a NIM that echoes its environment), stdout:
    the key is masked everywhere; the Job never carries it, by value or on argv."""
    leaky = ["env: NGC_API_KEY=" + KEY, "download failed"]
    controller = JobController(project.server, "Failed", leaky)
    result = run_cache(CACHE, "--model", MODEL, "--wait", "-vv", controller=controller)
    assert result.exit_code == 1
    assert "download failed" in result.stderr
    assert_key_nowhere(result, controller.seen_job)
    container = controller.seen_job["spec"]["template"]["spec"]["containers"][0]
    assert all(KEY not in arg for arg in container["command"] + container.get("args", []))
    assert [e["name"] for e in container["env"] if "value" in e and KEY in e["value"]] == []


def test_a_timeout_says_the_job_keeps_running(run_cache, project, nim):
    ticks = iter(range(0, 10_000, 100))
    nim.environment["clock"] = lambda: float(next(ticks))
    result = run_cache(CACHE, "--model", MODEL, "--wait", "--timeout", "5m",
                       controller=JobController(project.server, None))
    assert result.exit_code == 1
    assert "error: timed out after 300s waiting for job/nim-cache-llama: pending; it keeps " \
           "running" in result.stderr
    assert stored(project.server, "Job", "nim-cache-llama") is not None


def test_interrupted_wait_leaves_the_job_running(run_cache, project):
    def interrupt(seconds):
        raise KeyboardInterrupt
    result = run_cache(CACHE, "--model", MODEL, "--wait", controller=interrupt)
    assert result.exit_code == 130
    assert "interrupted while waiting for job/nim-cache-llama; it keeps running" in result.stderr
    assert stored(project.server, "Job", "nim-cache-llama") is not None


def test_a_forbidden_job_create_names_the_cause_and_leaves_nothing(run_cache, project):
    project.server.deny("create", "jobs")
    result = run_cache(CACHE, "--model", MODEL)
    assert result.exit_code == 1
    assert "forbidden" in result.stderr.lower()
    assert result.stderr.count("\n") <= 3  # one error line (after the notices), no traceback
    assert [o["kind"] for o in project.server.objects() if o["kind"] != "Namespace"] == []


def hardware_profile(namespace="redhat-ods-applications", scheduling=None, gpus=2):
    return {"apiVersion": "infrastructure.opendatahub.io/v1", "kind": "HardwareProfile",
            "metadata": {"name": "a100", "namespace": namespace},
            "spec": {"identifiers": [{"displayName": "GPU", "identifier": "nvidia.com/gpu",
                                      "minCount": 1, "defaultCount": gpus,
                                      "resourceType": "Accelerator"}],
                     "scheduling": scheduling or {"type": "Node", "node": {
                         "nodeSelector": {"nvidia.com/gpu.product": "A100", "pool": "gpu"},
                         "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists",
                                          "effect": "NoSchedule"}]}}}}


def test_a_hardware_profiles_placement_with_flags_on_top(run_cache, project):
    project.server.put_object(hardware_profile())
    result = run_cache(CACHE, "--model", MODEL, "--hardware-profile", "a100",
                       "--hardware-profile-namespace", "redhat-ods-applications",
                       "--node-selector", "pool=gpu-big", "--toleration", "spot=yes:NoExecute")
    assert result.exit_code == 0, result.stderr
    pod = stored(project.server, "Job", "nim-cache-llama")["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"nvidia.com/gpu.product": "A100", "pool": "gpu-big"}
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
        {"key": "spot", "operator": "Equal", "value": "yes", "effect": "NoExecute"}]
    assert pod["containers"][0]["resources"]["limits"] == {"nvidia.com/gpu": "2"}


def test_a_queue_scheduled_or_missing_hardware_profile_is_refused(run_cache, project):
    project.server.put_object(hardware_profile(namespace="team", scheduling={
        "type": "Queue", "kueue": {"localQueueName": "q"}}))
    queued = run_cache(CACHE, "--model", MODEL, "--hardware-profile", "a100",
                       "--hardware-profile-namespace", "team")
    assert queued.exit_code == 2
    assert "schedules through a Kueue queue" in queued.stderr
    missing = run_cache(CACHE, "--model", MODEL, "--hardware-profile", "nope",
                        "--hardware-profile-namespace", "team")
    assert missing.exit_code == 1
    assert "hardware profile nope not found in team" in missing.stderr
    assert [r for r in project.server.requests if r["method"] == "POST"] == []


def test_wait_shows_why_the_pod_does_not_run(run_cache, project):
    class Stuck:
        calls = 0

        def __call__(self, seconds):
            self.calls += 1
            if self.calls == 1:
                project.server.put_object({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "nim-cache-llama-abcde", "namespace": NS,
                                 "labels": {"kubectl-nim/cache": CACHE}},
                    "spec": {"containers": [{"name": "nim", "image": "x"}]},
                    "status": {"phase": "Pending", "containerStatuses": [{
                        "name": "nim", "ready": False, "state": {"waiting": {
                            "reason": "ImagePullBackOff",
                            "message": "Back-off pulling image"}}}]}})
            elif self.calls == 2:
                JobController(project.server, "Failed", ["pull failed"])(0)
    result = run_cache(CACHE, "--model", MODEL, "--wait", controller=Stuck())
    assert result.exit_code == 1
    assert "job: pending (ImagePullBackOff: Back-off pulling image)" in result.stderr
