"""Shared helpers of the day-2 verb tests: seeding deployments into the fake API server the way
`deploy` and today's dashboard make them, and reading back which key each secret holds."""

from __future__ import annotations

import base64
import copy
import json
from functools import lru_cache

from kubectl_nim.app import local_catalog
from kubectl_nim.domain import render
from kubectl_nim.domain.deploy_values import Storage
from kubectl_nim.app import discovery

OLD_KEY = "nvapi-old-key-0123456789"
NEW_KEY = "nvapi-test-key"          # the fake NGC server's valid key
LEGACY_FORMAT_KEY = "bGVnYWN5LWtleS0wMTIzNDU2Nzg5YWJjZGVm"
MODEL = "llama-3.1-8b-instruct"
APPS = "redhat-ods-applications"


@lru_cache(maxsize=None)
def _model():
    return local_catalog.load_embedded().get(MODEL)


@lru_cache(maxsize=None)
def _template():
    return discovery.embedded_template()


def rendered(name: str, namespace: str = "default", key: str | None = OLD_KEY,
             disconnected: bool = False, existing_pvc: str | None = None) -> list[dict]:
    options = render.DeployOptions(name=name, namespace=namespace, model=_model(),
                                   tag=_model().latest_tag, disconnected=disconnected,
                                   storage=Storage(existing=existing_pvc))
    return render.render_deployment(options, copy.deepcopy(_template()),
                                    None if disconnected else key)


def seed_plugin(server, name: str, namespace: str = "default", key: str = OLD_KEY,
                **kw) -> list[dict]:
    """A deployment exactly as `deploy` creates it (per-deployment secrets)."""
    objects = rendered(name, namespace, key, **kw)
    for obj in objects:
        server.put_object(obj)
    return objects


def seed_disconnected(server, name: str, namespace: str = "default") -> list[dict]:
    return seed_plugin(server, name, namespace, key=None, disconnected=True)


def opaque(name: str, namespace: str, key: str) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace},
            "data": {"NGC_API_KEY": base64.b64encode(key.encode()).decode()}}


def dockerconfig(name: str, namespace: str, key: str, extra: dict | None = None) -> dict:
    auths = {"nvcr.io": {"username": "$oauthtoken", "password": key,
                         "auth": base64.b64encode(f"$oauthtoken:{key}".encode()).decode()}}
    auths.update(extra or {})
    raw = json.dumps({"auths": auths})
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "metadata": {"name": name, "namespace": namespace},
            "data": {".dockerconfigjson": base64.b64encode(raw.encode()).decode()}}


def seed_legacy(server, name: str, namespace: str = "default", key: str = OLD_KEY,
                shared_secrets: bool = True) -> list[dict]:
    """A deployment as today's dashboard makes it: the runtime reads nvidia-nim-secrets and pulls
    with ngc-secret, both shared by every NIM of the project."""
    objects = rendered(name, namespace, None, disconnected=True)
    runtime = next(o for o in objects if o["kind"] == "ServingRuntime")
    runtime["metadata"]["annotations"]["runtimes.opendatahub.io/nvidia-nim"] = "true"
    container = runtime["spec"]["containers"][0]
    container["env"] = [{"name": "NGC_API_KEY", "valueFrom": {
        "secretKeyRef": {"name": "nvidia-nim-secrets", "key": "NGC_API_KEY"}}}] + \
        container.get("env", [])
    runtime["spec"]["imagePullSecrets"] = [{"name": "ngc-secret"}]
    if shared_secrets:
        objects = [opaque("nvidia-nim-secrets", namespace, key),
                   dockerconfig("ngc-secret", namespace, key)] + objects
    for obj in objects:
        server.put_object(obj)
    return objects


def seed_apps(server, nim_config: dict | None = None, namespace: str = APPS) -> None:
    spec = {"dashboardConfig": {"disableTracking": False}}
    if nim_config is not None:
        spec["nimConfig"] = nim_config
    server.put_object({"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
                       "metadata": {"name": "odh-dashboard-config", "namespace": namespace},
                       "spec": spec})


def secret(server, name: str, namespace: str = "default") -> dict | None:
    return server.get_object("v1", "secrets", namespace, name)


def runtime(server, name: str, namespace: str = "default") -> dict | None:
    return server.get_object("serving.kserve.io/v1alpha1", "servingruntimes", namespace, name)


def isvc(server, name: str, namespace: str = "default") -> dict | None:
    return server.get_object("serving.kserve.io/v1beta1", "inferenceservices", namespace, name)


def ready_with_an_old_pod(server, name: str, namespace: str = "default") -> None:
    """The InferenceService `name` is Ready and one predictor pod from before a restart runs:
    waiting for the restart cannot finish."""
    from kubectl_nim.domain.names import ISVC_LABEL

    obj = isvc(server, name, namespace)
    # Fake tier (a stuck restart cannot be staged on a real controller); real rollouts:
    # tests/realcluster/test_day2_control_plane_real.py.
    obj["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
    server.put_object(obj)
    server.put_object({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": "old", "namespace": namespace,
                                    "labels": {ISVC_LABEL: name}}})


def opaque_key(obj: dict | None, data_key: str = "NGC_API_KEY") -> str | None:
    if not obj or data_key not in (obj.get("data") or {}):
        return None
    return base64.b64decode(obj["data"][data_key]).decode()


def pull_key(obj: dict | None) -> str | None:
    if not obj or ".dockerconfigjson" not in (obj.get("data") or {}):
        return None
    doc = json.loads(base64.b64decode(obj["data"][".dockerconfigjson"]))
    return doc["auths"]["nvcr.io"]["password"]


def keys_of(server, name: str, namespace: str = "default") -> tuple:
    """(key in the api-key secret, key in the pull secret) the runtime actually references."""
    rt = runtime(server, name, namespace)
    spec = rt["spec"]
    env = next((e for c in spec["containers"] for e in c.get("env", [])
                if e["name"] == "NGC_API_KEY"), None)
    api = None
    if env:
        ref = env["valueFrom"]["secretKeyRef"]
        api = opaque_key(secret(server, ref["name"], namespace), ref["key"])
    pulls = [pull_key(secret(server, p["name"], namespace))
             for p in spec.get("imagePullSecrets", [])]
    return api, (pulls[0] if pulls else None)


def writes(server) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in server.requests if r["method"] != "GET"]


def assert_key_hidden(result, *keys: str) -> None:
    text = result.stdout + result.stderr
    for key in keys:
        assert key not in text
        assert base64.b64encode(key.encode()).decode() not in text


def delete_secret(server, name: str, namespace: str = "default") -> None:
    """Delete through the fake's HTTP API (it has no Python helper for deletes)."""
    import urllib.request

    url = f"{server.url}/api/v1/namespaces/{namespace}/secrets/{name}"
    urllib.request.urlopen(urllib.request.Request(url, method="DELETE")).read()


ACCOUNT = "odh-nim-account"
ACCOUNT_PULL = "odh-nim-account-pull"


def account(namespace: str = "default", key_secret: str = "nvidia-nim-secrets",
            pull_secret: str | None = ACCOUNT_PULL, ready: bool = True) -> dict:
    """The NIM Account the dashboard's NIM wizard makes (docs/compatibility.md, per-project NIM
    Accounts), with the status odh-model-controller writes once it validated the key."""
    status: dict = {"conditions": [
        {"type": "APIKeyValidation", "status": "True" if ready else "False",
         "reason": "ApiKeyValidated" if ready else "ApiKeyNotValidated",
         "message": "api key validated successfully" if ready else "api key failed validation",
         "lastTransitionTime": "2026-11-30T10:00:00Z"},
        {"type": "AccountStatus", "status": "True" if ready else "False",
         "reason": "AccountSuccessful" if ready else "AccountNotSuccessful",
         "message": "reconciled successfully" if ready else "api key failed validation",
         "lastTransitionTime": "2026-11-30T10:00:00Z"}],
        "lastSuccessfulValidation": "2026-11-30T10:00:00Z"}
    if ready:
        status.update(nimConfig={"name": f"{ACCOUNT}-cm", "namespace": namespace},
                      runtimeTemplate={"name": f"{ACCOUNT}-template", "namespace": namespace})
    if pull_secret:
        status["nimPullSecret"] = {"name": pull_secret, "namespace": namespace}
    return {"apiVersion": "nim.opendatahub.io/v1", "kind": "Account",
            "metadata": {"name": ACCOUNT, "namespace": namespace,
                         "labels": {"opendatahub.io/managed": "true"}},
            "spec": {"apiKeySecret": {"name": key_secret}}, "status": status}


def seed_project_account(server, namespace: str = "default", key: str = OLD_KEY,
                         key_secret: str = "nvidia-nim-secrets", ready: bool = True) -> None:
    """A project with NIM enabled by the wizard: the key Secret (data `api_key` and
    `NGC_API_KEY`), the Account naming it, and the pull secret the controller made."""
    key_obj = opaque(key_secret, namespace, key)
    key_obj["data"]["api_key"] = key_obj["data"]["NGC_API_KEY"]
    key_obj["metadata"]["labels"] = {"opendatahub.io/managed": "true"}
    server.put_object(key_obj)
    server.put_object(account(namespace, key_secret, ready=ready))
    server.put_object(dockerconfig(ACCOUNT_PULL, namespace, key))


def seed_wizard(server, name: str, namespace: str = "default", key: str = OLD_KEY,
                key_secret: str = "nvidia-nim-secrets", account_too: bool = True) -> list[dict]:
    """A deployment the NIM wizard made in a project with an Account: the runtime reads the
    project key Secret and pulls with the Account's pull secret."""
    if account_too:
        seed_project_account(server, namespace, key, key_secret)
    objects = rendered(name, namespace, None, disconnected=True)
    runtime_obj = next(o for o in objects if o["kind"] == "ServingRuntime")
    runtime_obj["metadata"]["annotations"]["runtimes.opendatahub.io/nvidia-nim"] = "true"
    container = runtime_obj["spec"]["containers"][0]
    container["env"] = [{"name": "NGC_API_KEY", "valueFrom": {
        "secretKeyRef": {"name": key_secret, "key": "NGC_API_KEY"}}}] + container.get("env", [])
    runtime_obj["spec"]["imagePullSecrets"] = [{"name": ACCOUNT_PULL}]
    for obj in objects:
        server.put_object(obj)
    return objects


def cli(nim, kubeconfig: str, *verb: str, key: str | None = NEW_KEY, flags=lambda args: ()):
    """`run(*args, key=KEY)`: `kubectl-nim *verb *args --kubeconfig KUBECONFIG *flags(args)`
    in-process, the key in NGC_API_KEY (none when `key` is falsy). `flags(args, **options)`
    adds what a test file always passes (a validation URL, --skip-key-validation...)."""
    default_key = key

    def run(*args, key=default_key, **options):
        env = {"NGC_API_KEY": key} if key else {}
        return nim(*verb, *args, "--kubeconfig", kubeconfig, *flags(args, **options), env=env)
    return run
