"""What every object kubectl-nim writes shares: its metadata, its `kind/name` reference, and the
ownerReference that ties the secrets to their ServingRuntime (docs/design.md#secrets).

Separate from render.py because the references are used long after rendering: by deploy's
writes and rollback, by diff, and by the day-2 verbs, which render nothing.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from kubectl_nim.domain.names import RUNTIME_API_VERSION


def name_of(obj: Mapping[str, Any]) -> str:
    """The name of an object this plugin rendered or read back (metadata.name)."""
    return obj["metadata"]["name"]


def object_metadata(namespace: Optional[str], name: str,
                    labels: Optional[Mapping[str, str]] = None,
                    annotations: Optional[Mapping[str, str]] = None) -> dict:
    """Only client-owned fields: nothing a server sets (uid, resourceVersion, ...) is copied."""
    meta: dict[str, Any] = {"name": name}
    if namespace:  # unknown only for offline client rendering: kubectl apply picks one
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def owner_reference(runtime: Mapping[str, Any]) -> dict:
    """An ownerReference to a ServingRuntime as the server returned it (its uid is needed, so
    only after it exists). Not a controller reference and not blocking: it only lets the garbage
    collector delete the secrets when the runtime is deleted elsewhere (docs/design.md#secrets)."""
    meta = runtime.get("metadata") or {}
    return {"apiVersion": RUNTIME_API_VERSION, "kind": "ServingRuntime",
            "name": meta.get("name"), "uid": meta.get("uid")}


def owner_patch(secret: Mapping[str, Any], owner: Mapping[str, Any]) -> Optional[dict]:
    """The merge patch adding `owner` to a secret's ownerReferences (replacing a stale reference
    to a runtime of the same name, e.g. one deleted and re-made), or None when already there.
    It carries the resourceVersion read, so a concurrent change is refused, not overwritten."""
    meta = secret.get("metadata") or {}
    current = list(meta.get("ownerReferences") or [])
    if owner in current:
        return None
    kept = [r for r in current if not (r.get("kind") == owner["kind"]
                                       and r.get("name") == owner["name"])]
    patch: dict[str, Any] = {"ownerReferences": kept + [dict(owner)]}
    if meta.get("resourceVersion"):
        patch["resourceVersion"] = meta["resourceVersion"]
    return {"metadata": patch}
