"""What `delete` removes and keeps, and why a verb refuses the shared legacy secrets (pure).

The rule behind every plan: a ServingRuntime never references a secret that does not exist, and
nothing another deployment still uses is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from kubectl_nim import caller
from kubectl_nim.domain.names import derived_names, own_secret_names
from kubectl_nim.domain.nim_runtime import Deployment, LEGACY_NAMES, mounted_claims, referenced_secrets
from kubectl_nim.domain.project_account import AccountSecrets
from kubectl_nim.errors import Day2Error
from kubectl_nim.domain.refs import kind_ref, object_ref

@dataclass
class DeletePlan:
    delete: list[tuple[str, str]] = field(default_factory=list)   # (kind, name), in order
    kept: list[tuple[str, str]] = field(default_factory=list)     # (ref, why)


def plan_delete(dep: Deployment, others: Sequence[Mapping[str, Any]],
                existing_secrets: Iterable[str], existing_claims: Iterable[str],
                delete_pvc: bool, accounts: AccountSecrets = AccountSecrets()) -> DeletePlan:
    """InferenceService, ServingRuntime, then this deployment's own secrets (referenced by their
    per-deployment names and by nothing else, and not a project NIM Account's), then with
    --delete-pvc the claims it mounts that no other ServingRuntime mounts. `others`: every other
    ServingRuntime/InferenceService of the project; `accounts`: the Secrets its NIM Accounts
    own."""
    plan = DeletePlan()
    if dep.isvc is not None:
        plan.delete.append(("InferenceService", dep.name))
    if dep.runtime is not None:
        plan.delete.append(("ServingRuntime", dep.runtime_name))
    existing_secrets = set(existing_secrets)
    existing_claims = set(existing_claims)
    other_refs: dict[str, list[str]] = {}
    other_claims: dict[str, list[str]] = {}
    for obj in others:
        label = object_ref(obj)
        for secret in referenced_secrets(obj):
            other_refs.setdefault(secret, []).append(label)
        if obj.get("kind") == "ServingRuntime":
            for claim in mounted_claims(obj):
                other_claims.setdefault(claim, []).append(label)

    own = derived_names(dep.name)
    own_secrets = own_secret_names(dep.name)
    # either naming (docs/design.md#names)
    mine = own_secrets["secret"] + own_secrets["pull_secret"]
    referenced = list(dep.refs.names)
    if dep.runtime is None:  # a half-made deployment: its own secrets, if they are left over
        referenced = [n for n in mine if n in existing_secrets]
    for secret in referenced:
        ref = kind_ref('Secret', secret)
        if secret not in existing_secrets:
            continue
        owned = accounts.why_owned(secret)
        if owned:
            plan.kept.append((ref, owned))
        elif secret in LEGACY_NAMES:
            users = other_refs.get(secret)
            plan.kept.append((ref, "shared legacy secret, still used by " + ", ".join(users)
                              if users else f"shared legacy secret; "
                              f"`{caller.plugin_cmd('migrate --cleanup-shared')}` removes it "
                              f"once nothing references it"))
        elif secret not in mine:
            plan.kept.append((ref, "not this deployment's own secret (not named after it)"))
        elif other_refs.get(secret):
            plan.kept.append((ref, "still used by " + ", ".join(other_refs[secret])))
        else:
            plan.delete.append(("Secret", secret))

    claims = mounted_claims(dep.runtime) if dep.runtime is not None else \
        [own["pvc"]]
    for claim in claims:
        if claim not in existing_claims:
            continue
        ref = kind_ref('PersistentVolumeClaim', claim)
        if not delete_pvc:
            plan.kept.append((ref, "the model cache is kept; --delete-pvc removes it"))
        elif other_claims.get(claim):
            plan.kept.append((ref, "still mounted by " + ", ".join(other_claims[claim])))
        else:
            plan.delete.append(("PersistentVolumeClaim", claim))
    return plan


def legacy_refusal(dep: Deployment, verb: str) -> Day2Error:
    used = ", ".join(kind_ref('Secret', n) for n in dep.refs.names if n in LEGACY_NAMES)
    return Day2Error(
        f"cannot {verb} {dep.name!r}: its ServingRuntime uses the shared legacy secrets ({used}), "
        f"which other deployments of the project share",
        hint=f"give it its own secrets first: `{caller.plugin_cmd('migrate')} {dep.name} -n {dep.namespace}`")
