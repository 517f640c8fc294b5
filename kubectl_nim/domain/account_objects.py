"""The objects the `project` verbs write for a per-project NIM Account, exactly as the
dashboard's "enable NIM on a project" makes them, and which deployments use the project key
(pure; docs/compatibility.md, per-project NIM Accounts)."""

from __future__ import annotations

import base64
from typing import Any, Iterable, Mapping

from kubectl_nim.domain.names import (ACCOUNT_KEY_DATA_KEYS, ACCOUNT_KEY_SECRET, ACCOUNT_NAME,
                                      FORCE_VALIDATION_ANNOTATION, MANAGED_LABEL)
from kubectl_nim.domain.nim_runtime import runtime_name_of, runtime_refs
from kubectl_nim.domain.refs import API_VERSIONS

# The rights the dashboard checks before it offers to enable NIM on a project: (verb, group,
# resource). `enable` names every one the user lacks.
REQUIRED_RIGHTS = (("create", "nim.opendatahub.io", "accounts"),
                   ("delete", "nim.opendatahub.io", "accounts"),
                   ("create", "", "secrets"), ("update", "", "secrets"),
                   ("delete", "", "secrets"))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


def key_data(key: str) -> dict[str, str]:
    """The key Secret's data: the key under both data keys (the controller reads api_key, a
    wizard deployment's runtime NGC_API_KEY)."""
    return {data_key: _b64(key) for data_key in ACCOUNT_KEY_DATA_KEYS}


def key_secret(namespace: str, key: str, name: str = ACCOUNT_KEY_SECRET) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {MANAGED_LABEL: "true"}},
            "data": key_data(key)}


def account(namespace: str, key_secret_name: str = ACCOUNT_KEY_SECRET,
            name: str = ACCOUNT_NAME) -> dict:
    return {"apiVersion": API_VERSIONS["Account"], "kind": "Account",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": {MANAGED_LABEL: "true"}},
            "spec": {"apiKeySecret": {"name": key_secret_name}}}


def force_validation_patch(stamp: str) -> dict:
    """The merge patch that asks the controller to validate the key again (RFC 3339 `stamp`)."""
    return {"metadata": {"annotations": {FORCE_VALIDATION_ANNOTATION: stamp}}}


def rekeyed(secret: dict | None, key: str) -> dict | None:
    """The key Secret with both data keys holding `key` (None: already so), for an optimistic
    read-modify-write; a missing Secret is created as enable makes it."""
    if secret is None:
        return None
    data = dict(secret.get("data") or {})
    want = key_data(key)
    if all(data.get(k) == v for k, v in want.items()):
        return None
    data.update(want)
    secret["data"] = data
    secret.pop("stringData", None)
    return secret


def users(runtimes: Iterable[Mapping[str, Any]], isvcs: Iterable[Mapping[str, Any]],
          key_secrets: Iterable[str]) -> list[str]:
    """The deployments (InferenceService names; a runtime without one by its own name) whose
    ServingRuntime reads one of `key_secrets`, sorted."""
    wanted = set(key_secrets)
    names = {(r.get("metadata") or {}).get("name") for r in runtimes
             if isinstance(r, Mapping) and set(runtime_refs(r).key_secrets) & wanted}
    reading: set[str] = {n for n in names if n is not None}
    found: set[str] = set()
    served: set[str] = set()
    for isvc in isvcs:
        if not isinstance(isvc, Mapping):
            continue
        name = (isvc.get("metadata") or {}).get("name")
        runtime = runtime_name_of(isvc) or name
        if runtime in reading and isinstance(name, str):
            found.add(name)
            served.add(runtime)
    return sorted(found | (reading - served))
