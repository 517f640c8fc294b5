"""odh-model-controller's part for per-project NIM Accounts, played by a test
(docs/compatibility.md, per-project NIM Accounts): for every Account it validates the key of its key Secret (data
`api_key`) and then writes the conditions, `lastSuccessfulValidation`, and — for a valid key —
the pull secret, ConfigMap and Template it owns. It acts when `reconcile()` is called: tests
call it from the plugin's sleep (every poll waits through it), so the controller answers
exactly when the plugin waits for it. Works on the fake API server (`put_object`) and, through
`writer`, on a real one."""

from __future__ import annotations

import base64
import copy
import json
from datetime import datetime, timezone
from typing import Callable, Optional

FORCE = "runtimes.opendatahub.io/nim-force-validation"
REJECTED = "api key failed validation: NVIDIA answered 401 Unauthorized"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _condition(kind: str, ok: bool, reason_ok: str, reason_bad: str, message: str) -> dict:
    return {"type": kind, "status": "True" if ok else "False",
            "reason": reason_ok if ok else reason_bad, "message": message,
            "lastTransitionTime": _now()}


def pull_secret(name: str, namespace: str, key: str, owner: dict) -> dict:
    auths = {"nvcr.io": {"username": "$oauthtoken", "password": key,
                         "auth": base64.b64encode(f"$oauthtoken:{key}".encode()).decode()}}
    raw = json.dumps({"auths": auths})
    return {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "metadata": {"name": name, "namespace": namespace, "ownerReferences": [owner]},
            "data": {".dockerconfigjson": base64.b64encode(raw.encode()).decode()}}


def wizard_template() -> dict:
    """The Template the controller makes for an Account: the NIM runtime template, reading the
    Account's key Secret and pulling with its pull secret."""
    from kubectl_nim.app.discovery import embedded_template

    template = copy.deepcopy(embedded_template())
    for obj in template.get("objects") or []:
        spec = obj.get("spec") or {}
        for container in spec.get("containers") or []:
            container["env"] = [e for e in container.get("env") or []
                                if e.get("name") != "NGC_API_KEY"] + [
                {"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {
                    "name": "nvidia-nim-secrets", "key": "NGC_API_KEY"}}}]
        spec["imagePullSecrets"] = [{"name": "odh-nim-account-pull"}]
    return template


class NimController:
    def __init__(self, read: Callable[[], list], get_secret: Callable[[str, str], Optional[dict]],
                 write: Callable[[dict], None], write_status: Callable[[dict], None],
                 valid: Callable[[str], bool] = lambda key: key.startswith("nvapi-"),
                 template: Optional[dict] = None):
        self.read, self.get_secret, self.write, self.write_status = read, get_secret, write, \
            write_status
        self.valid = valid
        self.template = template or wizard_template()
        self.seen: dict = {}          # (namespace, name) -> (key, force annotation) handled
        self.paused = False

    @classmethod
    def on_fake(cls, server, **kw) -> "NimController":
        def read():
            return [o for o in server.objects() if o.get("kind") == "Account"]

        def get_secret(namespace, name):
            return server.get_object("v1", "secrets", namespace, name)
        return cls(read, get_secret, server.put_object, server.put_object, **kw)

    def reconcile(self, *_ignored) -> None:
        if self.paused:
            return
        for account in self.read():
            self._one(account)

    def _one(self, account: dict) -> None:
        meta = account["metadata"]
        ns, name = meta["namespace"], meta["name"]
        secret_name = ((account.get("spec") or {}).get("apiKeySecret") or {}).get("name")
        secret = self.get_secret(ns, secret_name) if secret_name else None
        raw = ((secret or {}).get("data") or {}).get("api_key")
        key = base64.b64decode(raw).decode() if raw else ""
        forced = (meta.get("annotations") or {}).get(FORCE)
        if self.seen.get((ns, name)) == (key, forced):
            return
        self.seen[(ns, name)] = (key, forced)
        ok = bool(key) and self.valid(key)
        account = copy.deepcopy(account)
        status = dict(account.get("status") or {})
        status["conditions"] = [
            _condition("APIKeyValidation", ok, "ApiKeyValidated", "ApiKeyNotValidated",
                       "api key validated successfully" if ok else REJECTED),
            _condition("AccountStatus", ok, "AccountSuccessful", "AccountNotSuccessful",
                       "reconciled successfully" if ok else REJECTED)]
        if ok:
            owner = {"apiVersion": "nim.opendatahub.io/v1", "kind": "Account", "name": name,
                     "uid": meta.get("uid", "uid"), "controller": True}
            status["lastSuccessfulValidation"] = _now()
            for _kind, ref_field, obj in (
                    ("Secret", "nimPullSecret",
                     pull_secret(f"{name}-pull", ns, key, owner)),
                    ("ConfigMap", "nimConfig",
                     {"apiVersion": "v1", "kind": "ConfigMap",
                      "metadata": {"name": f"{name}-cm", "namespace": ns,
                                   "ownerReferences": [owner]},
                      "data": {"models": "{}"}}),
                    ("Template", "runtimeTemplate",
                     {**copy.deepcopy(self.template),
                      "metadata": {"name": f"{name}-template", "namespace": ns,
                                   "ownerReferences": [owner]}})):
                self.write(obj)
                status[ref_field] = {"name": obj["metadata"]["name"], "namespace": ns}
        account["status"] = status
        self.write_status(account)


def on_real(server, namespace: str, **kw) -> NimController:
    """The controller on a real API server (tests/realcluster/server.RealAPIServer), for the
    Accounts of `namespace`; status goes through the status subresource, as a controller's."""
    import json as _json

    def read():
        path = server.path_of({"apiVersion": "nim.opendatahub.io/v1", "kind": "Account",
                               "metadata": {"namespace": namespace}})
        status, body = server.request("GET", path)
        assert status == 200, body
        return _json.loads(body)["items"]

    def get_secret(ns, name):
        return server.get("Secret", name, ns)

    def write(obj):
        current = server.get(obj["kind"], obj["metadata"]["name"], obj["metadata"]["namespace"])
        if current is None:
            server.create(obj, "odh-model-controller")
            return
        obj = copy.deepcopy(obj)
        obj["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        server._ok("PUT", server.path_of(obj, obj["metadata"]["name"]), obj)

    def write_status(account):
        meta = account["metadata"]
        server.patch_status("Account", meta["name"], meta["namespace"], account["status"])
    return NimController(read, get_secret, write, write_status, **kw)
