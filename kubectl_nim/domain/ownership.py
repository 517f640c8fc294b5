"""Server-side apply field ownership, decided without a server (pure).

A real API server records who owns each field (`metadata.managedFields`): a manager name plus
the operation, `Apply` for server-side apply and `Update` for create, update and patch. Apply
treats `(kubectl-nim, Update)` as another owner than `(kubectl-nim, Apply)`, so `deploy --apply`
after the plugin's own create, `rotate-key` or `migrate` conflicts with itself. A conflict whose
every field is owned by the plugin's own manager is therefore resolved by applying with
`force`: exactly those fields move to the Apply entry, and fields the plugin writes outside the
rendered objects (rotate-key's restart stamp, owner references) stay where they are, neither
removed nor fought over. A conflict with any other manager is refused and named, unless the user
asks for `--force-conflicts`, as with kubectl.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Optional

# What a server adds or changes on every write and that says nothing about content.
_SERVER_METADATA = ("resourceVersion", "managedFields", "generation", "creationTimestamp", "uid",
                    "selfLink")


def without_server_noise(obj: Mapping[str, Any]) -> dict:
    """The object as content: no status, no server bookkeeping in metadata."""
    clean = {k: copy.deepcopy(v) for k, v in obj.items() if k != "status"}
    meta = dict(clean.get("metadata") or {})
    for key in _SERVER_METADATA:
        meta.pop(key, None)
    clean["metadata"] = meta
    return clean


def same_content(live: Optional[Mapping[str, Any]], answer: Mapping[str, Any]) -> bool:
    """True when a server's dry-run answer stores nothing new over the live object."""
    return live is not None and without_server_noise(live) == without_server_noise(answer)


def owner_of(cause_message: str) -> str:
    """`conflict with "kubectl-client-side-apply" using v1` → `kubectl-client-side-apply`."""
    return cause_message.split('"')[1] if cause_message.count('"') >= 2 else cause_message


def only_own_conflicts(conflicts: list[tuple[str, str]], manager: str) -> bool:
    """Every contested field is owned by `manager` itself (its Update entry): safe to force."""
    return bool(conflicts) and all(owner_of(owner) == manager for _, owner in conflicts)


def describe_conflicts(conflicts: list[tuple[str, str]], own: str = "") -> str:
    """`.spec.containers, .spec.x (owned by kubectl-client-side-apply)`: the fields, grouped by
    owner; fields contested only by the plugin's own manager `own` are left out (they are taken
    over anyway)."""
    by_owner: dict[str, list[str]] = {}
    for field, owner in conflicts:
        if owner_of(owner) != own:
            by_owner.setdefault(owner_of(owner), []).append(field)
    return "; ".join(f"{', '.join(fields)} (owned by {owner})"
                     for owner, fields in by_owner.items())
