"""`deploy` end to end against the fake API server and the fake NGC API
(docs/design.md#verbs-and-global-options and docs/design.md#secrets and
docs/design.md#what-deploy-creates).

Happy paths, outputs, the namespace annotation, `--apply`, `--dry-run=client|server`,
disconnected clusters, cluster-provided catalog/template, and secret hygiene. Failures before and
during the writes are in test_deploy_failures.py, `--wait` in test_deploy_wait.py.
"""

from __future__ import annotations

import base64
import json
import subprocess

import pytest
import yaml

from kubectl_nim.app import discovery
from tests.helpers.catalog import catalog_configmap, model_entry
from tests.helpers.deploy import (EU_MODEL, ISVC, KEY, MODEL, NAME, NOTICE, NS, SR, decode,
                                  dashboard_config, dockerconfig, dry_runs,  # noqa: F401
                                  kubectl_binary, lines, project,  # noqa: F401 - fixture
                                  refs, run_deploy, state,  # noqa: F401 - fixture
                                  writes)

IMAGE = "nvcr.io/nim/meta/llama-3.1-8b-instruct"
NS_PATCH = ("PATCH", f"/api/v1/namespaces/{NS}")
CREATES = [("POST", f"/api/v1/namespaces/{NS}/secrets"),
           ("POST", f"/api/v1/namespaces/{NS}/secrets"),
           ("POST", f"/api/v1/namespaces/{NS}/persistentvolumeclaims"),
           ("POST", f"/apis/serving.kserve.io/v1alpha1/namespaces/{NS}/servingruntimes"),
           ("POST", f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices")]
# Once the ServingRuntime exists (its uid is needed): both secrets get an ownerReference to it.
OWNER_PATCHES = [("PATCH", f"/api/v1/namespaces/{NS}/secrets/nvidia-nim-secrets-{NAME}"),
                 ("PATCH", f"/api/v1/namespaces/{NS}/secrets/nvidia-nim-image-pull-{NAME}")]
WRITES = CREATES + OWNER_PATCHES


def _created_kinds(server) -> list[tuple[str, str]]:
    return sorted((o["kind"], o["metadata"]["name"]) for o in server.objects()
                  if o["metadata"].get("namespace") == NS)


# --- the happy path: exactly docs/design.md#what-deploy-creates -----------------------------------

def test_deploy_creates_exactly_the_objects_of_spec_6(run_deploy, project, ngc_server):
    result = run_deploy(NAME, "--model", MODEL)

    assert (result.exit_code, result.stdout, result.stderr) == (0, lines("created"), NOTICE)
    assert _created_kinds(project.server) == [
        ("InferenceService", NAME), ("PersistentVolumeClaim", f"nim-pvc-{NAME}"),
        ("Secret", f"nvidia-nim-image-pull-{NAME}"), ("Secret", f"nvidia-nim-secrets-{NAME}"),
        ("ServingRuntime", NAME)]
    # The key was validated with NVIDIA exactly once, before anything was written.
    assert [r["path"] for r in ngc_server.requests] == ["/v3/keys/get-caller-info"]
    # The first batch at once (any order), then the InferenceService with the namespace marker
    # (see test_namespace_annotation_goes_with_the_last_batch).
    # ... and the ownerReference patches of the secrets (the ServingRuntime's uid exists by then).
    sent = writes(project.server)
    assert sorted(sent[:4]) == sorted(CREATES[:4])
    assert sorted(sent[4:]) == sorted([CREATES[4], NS_PATCH] + OWNER_PATCHES)
    # Every write was preflighted with dryRun=All first.
    assert sorted(dry_runs(project.server)) == sorted(CREATES)


def test_secrets_hold_the_key(run_deploy, project):
    assert run_deploy(NAME, "--model", MODEL).exit_code == 0

    secret = project.get("Secret", f"nvidia-nim-secrets-{NAME}")
    assert secret["type"] == "Opaque"
    assert list(secret["data"]) == ["NGC_API_KEY"]
    assert decode(secret, "NGC_API_KEY") == KEY
    assert secret["metadata"]["labels"] == {"opendatahub.io/managed": "true"}

    pull = project.get("Secret", f"nvidia-nim-image-pull-{NAME}")
    assert pull["type"] == "kubernetes.io/dockerconfigjson"
    assert list(pull["data"]) == [".dockerconfigjson"]
    assert json.loads(decode(pull, ".dockerconfigjson")) == dockerconfig(KEY)
    assert pull["metadata"]["labels"] == {"opendatahub.io/managed": "true"}


def test_pvc(run_deploy, project):
    assert run_deploy(NAME, "--model", MODEL, "--pvc-size", "50Gi").exit_code == 0
    pvc = project.get("PersistentVolumeClaim", f"nim-pvc-{NAME}")
    assert pvc["spec"] == {"accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem",
                           "resources": {"requests": {"storage": "50Gi"}}}
    assert pvc["metadata"]["labels"] == {"opendatahub.io/managed": "true"}
    assert pvc["metadata"]["annotations"] == {"openshift.io/display-name": f"nim-pvc-{NAME}"}


def test_pvc_storage_class(run_deploy, project):
    assert run_deploy(NAME, "--model", MODEL, "--storage-class", "fast").exit_code == 0
    assert project.get("PersistentVolumeClaim", f"nim-pvc-{NAME}")["spec"][
        "storageClassName"] == "fast"


def test_serving_runtime(run_deploy, project):
    assert run_deploy(NAME, "--model", MODEL).exit_code == 0
    runtime = project.get("ServingRuntime", NAME)
    spec = runtime["spec"]
    [container] = spec["containers"]
    assert container["name"] == "kserve-container"
    # latestTag is the floating `latest`: the newest concrete tag is deployed instead
    # (docs/design.md#catalog)
    assert container["image"] == f"{IMAGE}:1.15.5"
    assert "resources" not in container
    assert container["env"] == [
        {"name": "NIM_CACHE_PATH", "value": "/mnt/models/cache"},
        {"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {
            "name": f"nvidia-nim-secrets-{NAME}", "key": "NGC_API_KEY"}}}]
    assert spec["imagePullSecrets"] == [{"name": f"nvidia-nim-image-pull-{NAME}"}]
    assert spec["supportedModelFormats"] == [
        {"name": MODEL, "version": "1.15.5", "autoSelect": False, "priority": 1}]
    assert {"name": f"nim-pvc-{NAME}",
            "persistentVolumeClaim": {"claimName": f"nim-pvc-{NAME}"}} in spec["volumes"]
    assert {"name": f"nim-pvc-{NAME}", "mountPath": "/mnt/models/cache"} in \
        container["volumeMounts"]
    assert runtime["metadata"]["labels"] == {"opendatahub.io/dashboard": "true"}
    assert runtime["metadata"]["annotations"] == {
        "opendatahub.io/recommended-accelerators": '["nvidia.com/gpu"]',
        "opendatahub.io/runtime-version": "v1",
        "openshift.io/display-name": "Llama-3.1-8B-Instruct",
        "runtimes.opendatahub.io/nvidia-nim": "true",
        "opendatahub.io/template-name": "nvidia-nim-http-template",
        "opendatahub.io/template-display-name": "NVIDIA NIM",
        "opendatahub.io/apiProtocol": "REST"}


def test_inference_service(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL, "--display-name", "My Llama", "--gpus", "2",
                        "--env", "NIM_MAX_MODEL_LEN=4096", "--expose", "--max-replicas", "3",
                        "--hardware-profile", "gpu-large")
    assert result.exit_code == 0, result.stderr
    isvc = project.get("InferenceService", NAME)
    assert isvc["metadata"]["labels"] == {"opendatahub.io/dashboard": "true",
                                          "networking.kserve.io/visibility": "exposed"}
    assert isvc["metadata"]["annotations"] == {
        "openshift.io/display-name": "My Llama",
        "serving.kserve.io/deploymentMode": "RawDeployment",
        "opendatahub.io/hardware-profile-name": "gpu-large"}
    assert isvc["spec"]["predictor"] == {
        "minReplicas": 1, "maxReplicas": 3,
        "model": {"modelFormat": {"name": MODEL}, "runtime": NAME,
                  "resources": {"requests": {"cpu": "1", "memory": "4Gi", "nvidia.com/gpu": "2"},
                                "limits": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "2"}},
                  "env": [{"name": "NIM_MAX_MODEL_LEN", "value": "4096"}]}}
    assert project.get("ServingRuntime", NAME)["metadata"]["annotations"][
        "openshift.io/display-name"] == "My Llama"


def test_name_derived_from_the_model(run_deploy, project):
    result = run_deploy("--model", MODEL, "--tag", "1.15.5")
    assert result.exit_code == 0
    assert result.stdout == lines("created", name="llama-3-1-8b-instruct")
    runtime = project.get("ServingRuntime", "llama-3-1-8b-instruct")
    assert runtime["spec"]["containers"][0]["image"] == f"{IMAGE}:1.15.5"


def test_existing_pvc_is_reused_not_created(run_deploy, project):
    project.server.put_object({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                               "metadata": {"name": "shared-cache", "namespace": NS},
                               "spec": {"accessModes": ["ReadWriteMany"]}})
    result = run_deploy(NAME, "--model", MODEL, "--existing-pvc", "shared-cache",
                        "--pvc-subpath", "/llama/")
    assert result.exit_code == 0
    assert result.stdout == lines("created", only=[r for r in refs() if "nim-pvc" not in r])
    assert project.get("PersistentVolumeClaim", f"nim-pvc-{NAME}") is None
    container = project.get("ServingRuntime", NAME)["spec"]["containers"][0]
    assert {"name": "shared-cache", "mountPath": "/mnt/models/cache", "subPath": "llama"} in \
        container["volumeMounts"]


def test_key_from_file_and_stdin(run_deploy, project, tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text(f"  {KEY}\n")
    result = run_deploy("a", "--model", MODEL, "--api-key-file", str(key_file), key=None)
    assert result.exit_code == 0
    assert run_deploy("b", "--model", MODEL, "--api-key-file", "-", key=None,
                      input=KEY + "\n").exit_code == 0
    for name in ("a", "b"):
        assert decode(project.get("Secret", f"nvidia-nim-secrets-{name}"), "NGC_API_KEY") == KEY


# --- output formats ------------------------------------------------------------------------------

def test_output_name(run_deploy):
    result = run_deploy(NAME, "--model", MODEL, "-o", "name")
    assert (result.exit_code, result.stdout) == (0, "".join(r + "\n" for r in refs()))


def test_output_yaml_prints_what_the_server_stored(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL, "-o", "yaml")
    assert result.exit_code == 0
    docs = list(yaml.safe_load_all(result.stdout))
    assert [f"{d['kind']}/{d['metadata']['name']}" for d in docs] == [
        f"Secret/nvidia-nim-secrets-{NAME}", f"Secret/nvidia-nim-image-pull-{NAME}",
        f"PersistentVolumeClaim/nim-pvc-{NAME}", f"ServingRuntime/{NAME}",
        f"InferenceService/{NAME}"]
    stored = state(project.server)
    for doc in docs:  # the server's answers: uid and resourceVersion as stored
        key = (doc["kind"], NS, doc["metadata"]["name"])
        assert doc["metadata"]["uid"] == stored[key]["metadata"]["uid"]
        assert doc["metadata"]["resourceVersion"] == stored[key]["metadata"]["resourceVersion"]
    # The key is in the secrets the user asked to print, base64-encoded only.
    assert KEY not in result.stdout
    assert base64.b64encode(KEY.encode()).decode() in result.stdout


def test_output_json_is_a_v1_list(run_deploy):
    result = run_deploy(NAME, "--model", MODEL, "-o", "json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert (doc["apiVersion"], doc["kind"]) == ("v1", "List")
    assert [i["kind"] for i in doc["items"]] == ["Secret", "Secret", "PersistentVolumeClaim",
                                                 "ServingRuntime", "InferenceService"]
    assert all(i["metadata"].get("uid") for i in doc["items"])


# --- namespace annotation (docs/design.md#what-deploy-creates) ------------------------------------

def test_namespace_annotation_added(run_deploy, project):
    assert run_deploy(NAME, "--model", MODEL).exit_code == 0
    annotations = project.get("Namespace", NS)["metadata"]["annotations"]
    assert annotations == {"opendatahub.io/nim-support": "true"}


def test_namespace_annotation_goes_with_the_last_batch(run_deploy, project):
    """The marker is written alongside the InferenceService, once everything else exists; a
    run refused by preflight or rolled back leaves the project as it was (the rollback removes
    a marker it added: test_deploy_failures.py checks that)."""
    assert run_deploy(NAME, "--model", MODEL).exit_code == 0
    assert NS_PATCH in writes(project.server)[-4:]      # with the InferenceService and owners
    assert NS_PATCH not in writes(project.server)[:-4]


def test_existing_annotation_is_not_patched(run_deploy, project):
    project.server.put_object({"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": NS, "annotations": {"opendatahub.io/nim-support": "true", "other": "x"}}})
    project.server.clear_requests()
    assert run_deploy(NAME, "--model", MODEL).exit_code == 0
    assert sorted(writes(project.server)) == sorted(WRITES)
    assert NS_PATCH not in dry_runs(project.server)


def test_namespace_patch_forbidden_is_a_warning(run_deploy, project):
    project.server.deny("patch", "namespaces")
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 0
    assert result.stdout == lines("created")
    assert result.stderr == NOTICE + (
        "warning: not allowed to annotate namespace team with opendatahub.io/nim-support=true; "
        "the dashboard may not list NIM for it until an admin does\n")
    assert len(_created_kinds(project.server)) == 5
    assert "annotations" not in project.get("Namespace", NS)["metadata"]


def test_namespace_patch_failing_after_the_writes_is_a_warning(run_deploy, project):
    """By the time the marker is written the deployment exists: a failure there only warns."""
    project.server.fail("PATCH", rf"/namespaces/{NS}\?", 500)
    result = run_deploy(NAME, "--model", MODEL)
    assert (result.exit_code, result.stdout) == (0, lines("created"))
    assert result.stderr == NOTICE + (
        "warning: could not annotate namespace team with opendatahub.io/nim-support=true: "
        "Internal error occurred: injected failure (fake API server)\n")
    assert len(_created_kinds(project.server)) == 5


def test_namespace_unreadable_is_a_warning(run_deploy, project):
    project.server.deny("get", "namespaces")
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 0
    assert "warning: cannot read namespace team to check its opendatahub.io/nim-support " \
           "annotation; going on\n" in result.stderr
    assert sorted(writes(project.server)) == sorted(WRITES)  # no blind namespace patch


# --- EU restriction ------------------------------------------------------------------------------

def test_eu_restricted_model_warns_and_deploys(run_deploy, project):
    result = run_deploy("vision", "--model", EU_MODEL)
    assert result.exit_code == 0
    assert result.stderr.startswith(
        f"warning: {EU_MODEL} is restricted in the European Union: NVIDIA refuses to serve it "
        f"(HTTP 451) to EU locations, so pulls from such a cluster will fail\n")
    assert result.stdout == lines("created", name="vision")


# --- --apply: CI re-runs converge ----------------------------------------------------------------

def test_apply_converges(run_deploy, project):
    first = run_deploy(NAME, "--model", MODEL, "--tag", "1.15.4", "--apply")
    assert (first.exit_code, first.stdout) == (0, lines("created"))
    after_first = state(project.server)
    for key, obj in after_first.items():
        if key[1] == NS and key[0] != "Namespace":
            assert [(m["manager"], m["operation"]) for m in obj["metadata"]["managedFields"]] \
                == [("kubectl-nim", "Apply")], key

    # The same run again: nothing changes, not even a resourceVersion.
    project.server.clear_requests()
    second = run_deploy(NAME, "--model", MODEL, "--tag", "1.15.4", "--apply")
    assert (second.exit_code, second.stdout) == (0, lines("unchanged"))
    assert state(project.server) == after_first
    assert all(m == "PATCH" for m, _ in writes(project.server))  # server-side apply only
    assert all("fieldManager=kubectl-nim" in r["query"] for r in project.server.requests
               if r["method"] == "PATCH")

    # A new tag updates the runtime (image and model format version) and nothing else.
    third = run_deploy(NAME, "--model", MODEL, "--tag", "1.15.5", "--apply")
    assert third.exit_code == 0
    assert third.stdout == (f"secret/nvidia-nim-secrets-{NAME} unchanged\n"
                            f"secret/nvidia-nim-image-pull-{NAME} unchanged\n"
                            f"persistentvolumeclaim/nim-pvc-{NAME} unchanged\n"
                            f"{SR}/{NAME} configured\n"
                            f"{ISVC}/{NAME} unchanged\n")
    after_third = state(project.server)
    changed = {k for k in after_third if after_third[k] != after_first.get(k)}
    assert changed == {("ServingRuntime", NS, NAME)}
    runtime = after_third[("ServingRuntime", NS, NAME)]["spec"]
    assert runtime["containers"][0]["image"] == f"{IMAGE}:1.15.5"
    assert runtime["supportedModelFormats"][0]["version"] == "1.15.5"


def test_apply_takes_over_a_created_deployment(run_deploy, project):
    assert run_deploy(NAME, "--model", MODEL, "--tag", "1.13.1").exit_code == 0
    result = run_deploy(NAME, "--model", MODEL, "--apply", "--tag", "1.15.5")
    assert result.exit_code == 0
    assert f"{SR}/{NAME} configured\n" in result.stdout
    assert project.get("ServingRuntime", NAME)["spec"]["containers"][0]["image"] == \
        f"{IMAGE}:1.15.5"


# --- --dry-run=client ----------------------------------------------------------------------------

def test_dry_run_client_offline_sends_nothing(nim, project):
    result = nim("deploy", NAME, "--model", MODEL, "--offline", "--dry-run=client", "-o", "yaml",
                 "--kubeconfig", project.kubeconfig, env={"NGC_API_KEY": KEY})
    assert (result.exit_code, result.stderr) == (0, "")
    assert project.server.requests == []
    docs = list(yaml.safe_load_all(result.stdout))
    assert [d["kind"] for d in docs] == ["Secret", "Secret", "PersistentVolumeClaim",
                                         "ServingRuntime", "InferenceService"]
    assert all("namespace" not in d["metadata"] for d in docs)  # kubectl apply picks it
    assert KEY not in result.stdout


def test_dry_run_client_offline_needs_no_cluster_at_all(nim, tmp_path):
    result = nim("deploy", NAME, "--model", MODEL, "--offline", "--dry-run=client",
                 "--skip-secrets", "--kubeconfig", str(tmp_path / "missing"))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == lines("created (dry run)", only=refs()[2:])


def test_dry_run_client_default_output(nim, project):
    result = nim("deploy", NAME, "--model", MODEL, "--offline", "--dry-run=client",
                 "-n", NS, env={"NGC_API_KEY": KEY})
    assert (result.exit_code, result.stdout) == (0, lines("created (dry run)"))


def test_dry_run_client_without_key_refuses_and_names_skip_secrets(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL, "--dry-run=client", key=None)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == NOTICE + (
        "error: the two Secrets need the NVIDIA API key, and none was given; provide it "
        "(--api-key-file PATH, - for stdin, or NGC_API_KEY), or pass --skip-secrets to render "
        "everything but the Secrets\n")
    assert writes(project.server) == [] and dry_runs(project.server) == []


def test_dry_run_client_skip_secrets(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL, "--dry-run=client", "--skip-secrets", "-o",
                        "json", key=None)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert (doc["apiVersion"], doc["kind"]) == ("v1", "List")
    assert [i["kind"] for i in doc["items"]] == ["PersistentVolumeClaim", "ServingRuntime",
                                                 "InferenceService"]
    assert all(i["metadata"]["namespace"] == NS for i in doc["items"])
    # The runtime still reads the secrets that GitOps will provide under the same names.
    runtime = doc["items"][1]["spec"]
    assert runtime["imagePullSecrets"] == [{"name": f"nvidia-nim-image-pull-{NAME}"}]
    assert runtime["containers"][0]["env"][-1]["valueFrom"]["secretKeyRef"]["name"] == \
        f"nvidia-nim-secrets-{NAME}"
    assert writes(project.server) == [] and dry_runs(project.server) == []


def test_dry_run_client_does_not_call_nvidia(run_deploy, ngc_server):
    result = run_deploy(NAME, "--model", MODEL, "--dry-run=client", "-o", "name")
    assert result.exit_code == 0
    assert ngc_server.requests == []


def _kubectl(project, *args, input: str) -> subprocess.CompletedProcess:
    binary = kubectl_binary()
    if binary is None:
        pytest.skip("kubectl is not installed")
    return subprocess.run([binary, "--kubeconfig", project.kubeconfig, "--cache-dir",
                           str(project.tmp_path / "kube-cache"), *args],
                          input=input, capture_output=True, text=True, timeout=60)


def test_dry_run_client_yaml_is_accepted_by_kubectl_apply(nim, project):
    rendered = nim("deploy", NAME, "--model", MODEL, "--offline", "--dry-run=client", "-o",
                   "yaml", env={"NGC_API_KEY": KEY})
    assert rendered.exit_code == 0
    applied = _kubectl(project, "apply", "--server-side", "--validate=false", "-f", "-",
                       input=rendered.stdout)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines() == [f"{r} serverside-applied" for r in refs()]
    assert decode(project.get("Secret", f"nvidia-nim-secrets-{NAME}"), "NGC_API_KEY") == KEY
    assert project.get("ServingRuntime", NAME)["spec"]["containers"][0]["image"] == \
        f"{IMAGE}:1.15.5"
    assert project.get("InferenceService", NAME)["spec"]["predictor"]["model"]["runtime"] == NAME


def test_dry_run_client_json_is_accepted_by_kubectl_create(nim, project):
    rendered = nim("deploy", NAME, "--model", MODEL, "--offline", "--dry-run=client",
                   "--skip-secrets", "-o", "json")
    assert rendered.exit_code == 0
    created = _kubectl(project, "create", "--validate=false", "-f", "-", input=rendered.stdout)
    assert created.returncode == 0, created.stderr
    assert created.stdout.splitlines() == [f"{r} created" for r in refs()[2:]]


# --- --dry-run=server ----------------------------------------------------------------------------

def test_dry_run_server_persists_nothing(run_deploy, project):
    before = state(project.server)
    result = run_deploy(NAME, "--model", MODEL, "--dry-run=server")
    assert (result.exit_code, result.stdout) == (0, lines("created (server dry run)"))
    assert state(project.server) == before
    assert writes(project.server) == []
    assert sorted(dry_runs(project.server)) == sorted(CREATES + [NS_PATCH])


def test_dry_run_server_prints_the_server_answers(run_deploy, project):
    result = run_deploy(NAME, "--model", MODEL, "--dry-run=server", "-o", "yaml")
    assert result.exit_code == 0
    docs = list(yaml.safe_load_all(result.stdout))
    assert [d["kind"] for d in docs] == ["Secret", "Secret", "PersistentVolumeClaim",
                                         "ServingRuntime", "InferenceService"]
    # Fields only the server fills in: what was printed came back from the API server.
    assert all(d["metadata"].get("uid") and d["metadata"].get("creationTimestamp")
               for d in docs)
    assert all(d["metadata"]["namespace"] == NS for d in docs)
    assert KEY not in result.stdout


def test_dry_run_server_apply(run_deploy, project):
    assert run_deploy(NAME, "--model", MODEL, "--apply").exit_code == 0
    before = state(project.server)
    project.server.clear_requests()
    result = run_deploy(NAME, "--model", MODEL, "--apply", "--tag", "1.15.5",
                        "--dry-run=server", "-o", "json")
    assert result.exit_code == 0
    items = json.loads(result.stdout)["items"]
    assert items[3]["spec"]["containers"][0]["image"] == f"{IMAGE}:1.15.5"
    assert state(project.server) == before
    assert writes(project.server) == []


# --- disconnected clusters (docs/design.md#disconnected-clusters) ---------------------------------

def test_disconnected_cluster(run_deploy, project, ngc_server):
    project.server.put_object(dashboard_config(disconnected=True))
    result = run_deploy(NAME, "--model", MODEL, key=None)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == lines("created", only=refs()[2:])
    assert ngc_server.requests == []
    assert [k for k in _created_kinds(project.server) if k[0] == "Secret"] == []
    runtime = project.get("ServingRuntime", NAME)["spec"]
    assert "imagePullSecrets" not in runtime
    assert [e["name"] for e in runtime["containers"][0]["env"]] == ["NIM_CACHE_PATH"]


def test_disconnected_ignores_a_key_file_with_a_warning(run_deploy, project, ngc_server,
                                                        tmp_path):
    project.server.put_object(dashboard_config(disconnected=True))
    key_file = tmp_path / "key"
    key_file.write_text(KEY)
    result = run_deploy(NAME, "--model", MODEL, "--api-key-file", str(key_file), key=None)
    assert result.exit_code == 0
    assert "warning: the cluster is disconnected: key collection is disabled, the key is " \
           "ignored\n" in result.stderr
    assert ngc_server.requests == []
    assert KEY not in json.dumps(project.server.objects())


def test_connected_dashboard_config_still_needs_a_key(run_deploy, project):
    project.server.put_object(dashboard_config(disconnected=False))
    result = run_deploy(NAME, "--model", MODEL, key=None)
    assert result.exit_code == 2
    assert "error: no NVIDIA API key given" in result.stderr
    assert writes(project.server) == []


# --- catalog and template from the cluster (docs/design.md#cluster-configuration) -----------------

def test_cluster_catalog_and_template_are_used(run_deploy, project):
    project.server.put_object(dashboard_config(custom={"name": "my-models",
                                                       "namespace": "nim-admin"}))
    entry = model_entry("acme-coder", namespace="nim/acme", tags=("2.0.1", "1.9.0"), latest="2.0.1",
                        displayName="Acme Coder")
    project.server.put_object(catalog_configmap([entry], name="my-models",
                                                namespace="nim-admin"))
    template = discovery.embedded_template()
    template["metadata"]["namespace"] = "redhat-ods-applications"
    runtime = template["objects"][0]
    runtime["metadata"]["annotations"]["example.com/from"] = "cluster-template"
    runtime["spec"]["containers"][0]["ports"] = [{"containerPort": 9000, "protocol": "TCP"}]
    project.server.put_object(template)

    result = run_deploy("coder", "--model", "acme-coder")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ("Using the configmap nim-admin/my-models and the template "
                             "redhat-ods-applications/nvidia-nim-http-template.\n")
    runtime = project.get("ServingRuntime", "coder")
    assert runtime["metadata"]["annotations"]["example.com/from"] == "cluster-template"
    assert runtime["spec"]["containers"][0]["ports"] == [{"containerPort": 9000,
                                                          "protocol": "TCP"}]
    assert runtime["spec"]["containers"][0]["image"] == "nvcr.io/nim/acme/acme-coder:2.0.1"
    assert project.get("InferenceService", "coder")["metadata"]["annotations"][
        "openshift.io/display-name"] == "Acme Coder"


def test_model_missing_from_the_cluster_catalog(run_deploy, project):
    """The cluster's catalog decides: a model only the embedded copy knows is refused."""
    project.server.put_object(dashboard_config())
    project.server.put_object(catalog_configmap([model_entry("acme-coder")],
                                                namespace="redhat-ods-applications"))
    result = run_deploy(NAME, "--model", MODEL)
    assert result.exit_code == 1
    assert f"error: model '{MODEL}' is not in the catalog (configmap " \
           f"redhat-ods-applications/nvidia-nim-models-data)" in result.stderr
    assert writes(project.server) == []


# --- secret hygiene (docs/design.md#the-api-key) --------------------------------------------------

def test_the_key_is_never_printed(run_deploy, project, tmp_path):
    outputs = []
    ok = run_deploy(NAME, "--model", MODEL, "-v")
    assert ok.exit_code == 0 and "debug: POST" in ok.stderr
    outputs.append(ok)
    outputs.append(run_deploy(NAME, "--model", MODEL, "-vv"))               # already exists
    outputs.append(run_deploy("b", "--model", MODEL, "-vv", key="nvapi-unknown"))  # rejected
    project.server.fail("POST", r"/inferenceservices\?fieldManager", 500)
    failed = run_deploy("c", "--model", MODEL, "-vv")                          # rolled back
    assert failed.exit_code == 1 and "Traceback" in failed.stderr
    outputs.append(failed)
    outputs.append(run_deploy("d", "--model", MODEL, "-vv", "--dry-run=server", "-o", "yaml"))
    outputs.append(run_deploy("e", "--model", MODEL, "-vv", "--dry-run=client", "-o", "json"))
    for result in outputs:
        assert KEY not in result.stdout
        assert KEY not in result.stderr
    # The secret data the user asked for is there, encoded.
    assert base64.b64encode(KEY.encode()).decode() in outputs[-1].stdout
