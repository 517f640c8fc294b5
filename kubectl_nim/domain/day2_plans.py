"""What `delete` removes and keeps, and why a verb refuses the shared legacy secrets (pure).

The rule behind every plan: a ServingRuntime never references a secret that does not exist, and
nothing another deployment still uses is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from kubectl_nim import caller
from kubectl_nim.domain.names import MANAGED_LABEL, derived_names, own_secret_names
from kubectl_nim.domain.nim_runtime import (Deployment, LEGACY_NAMES, mounted_claims,
                                            referenced_config_maps, referenced_secrets)
from kubectl_nim.domain.proxy import ca_configmap_name
from kubectl_nim.domain.project_account import AccountSecrets
from kubectl_nim.errors import Day2Error
from kubectl_nim.domain.refs import kind_ref, object_ref

@dataclass
class DeletePlan:
    delete: list[tuple[str, str]] = field(default_factory=list)   # (kind, name), in order
    kept: list[tuple[str, str]] = field(default_factory=list)     # (ref, why)


def plan_delete(dep: Deployment, others: Sequence[Mapping[str, Any]],
                existing_secrets: Iterable[str], existing_claims: Iterable[str],
                delete_pvc: bool, accounts: AccountSecrets = AccountSecrets(),
                ca_bundle: Any = None) -> DeletePlan:
    """InferenceService, ServingRuntime, then this deployment's own secrets (referenced by their
    per-deployment names and by nothing else, and not a project NIM Account's), then its proxy
    CA ConfigMap (`deploy --ca-bundle`, see `_plan_ca_bundle`), then with --delete-pvc the
    claims it mounts that no other ServingRuntime mounts. `others`: every other
    ServingRuntime/InferenceService of the project; `accounts`: the Secrets its NIM Accounts
    own; `ca_bundle`: the ConfigMap `nim-proxy-ca-NAME` as read (None: there is none,
    UNREADABLE: it may not be read)."""
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

    _plan_ca_bundle(plan, dep, ca_bundle, others)
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


UNREADABLE = "unreadable"  # a ConfigMap the user may not read


def _plan_ca_bundle(plan: DeletePlan, dep: Deployment, found: Any,
                    others: Sequence[Mapping[str, Any]]) -> None:
    """The ConfigMap `deploy --ca-bundle` made (docs/airgap.md) goes with its deployment when it
    is ours as the secrets are: named after the deployment, with the label deploy gives it, owned
    by nothing else (a `cache` run's of the same name goes with its Job), and mounted by no
    other ServingRuntime or InferenceService of the project."""
    name = ca_configmap_name(dep.name)
    ref = kind_ref("ConfigMap", name)
    if found is None:
        return
    if not isinstance(found, Mapping):  # may not be read: kept, said only if ours mounts it
        if name in referenced_config_maps(dep.runtime):
            plan.kept.append((ref, "cannot read it to check that it is this deployment's own"))
        return
    meta = found.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    labels = meta.get("labels")
    owners = meta.get("ownerReferences")
    users = [object_ref(o) for o in others if name in referenced_config_maps(o)]
    if not isinstance(labels, Mapping) or labels.get(MANAGED_LABEL) != "true":
        plan.kept.append((ref, f"not made by deploy --ca-bundle (no {MANAGED_LABEL}=true label)"))
    elif isinstance(owners, list) and owners:
        plan.kept.append((ref, "it goes with " + ", ".join(_owner_ref(o) for o in owners)
                          + " (its ownerReferences)"))
    elif users:
        plan.kept.append((ref, "still mounted by " + ", ".join(users)))
    else:
        plan.delete.append(("ConfigMap", name))


def _owner_ref(owner: Any) -> str:
    """An ownerReference as the object it names (`job.batch/x`)."""
    if not isinstance(owner, Mapping) or not all(
            isinstance(owner.get(k), str) and owner.get(k) for k in ("kind", "name")):
        return "another object"
    return object_ref({"apiVersion": owner.get("apiVersion") or "", "kind": owner["kind"],
                       "metadata": {"name": owner["name"]}})


def legacy_refusal(dep: Deployment, verb: str) -> Day2Error:
    used = ", ".join(kind_ref('Secret', n) for n in dep.refs.names if n in LEGACY_NAMES)
    return Day2Error(
        f"cannot {verb} {dep.name!r}: its ServingRuntime uses the shared legacy secrets ({used}), "
        f"which other deployments of the project share",
        hint=f"give it its own secrets first: `{caller.plugin_cmd('migrate')} {dep.name} -n {dep.namespace}`")
