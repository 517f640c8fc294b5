"""InferenceServices that NVIDIA's NIM Operator makes from a NIMService (pure;
docs/compatibility.md, per-project NIM Accounts: the wizard's operator path). Such an
InferenceService runs its predictor containers itself (no ServingRuntime) and carries a
controller ownerReference to its `apps.nvidia.com` NIMService: the operator would undo any
change made to it, so the plugin shows it (backend `nimservice`) and changes nothing of it."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from kubectl_nim import caller

NIMSERVICE_GROUP = "apps.nvidia.com"
BACKEND_NIMSERVICE = "nimservice"      # `backend` of list/status for these
BACKEND_KSERVE = "servingruntime"      # a ServingRuntime and its InferenceService


def owner(isvc: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The NIMService that controls `isvc`, or None."""
    meta = isvc.get("metadata") if isinstance(isvc, Mapping) else None
    refs = meta.get("ownerReferences") if isinstance(meta, Mapping) else None
    if not isinstance(refs, list):
        return None
    for ref in refs:
        if not isinstance(ref, Mapping) or ref.get("kind") != "NIMService":
            continue
        api_version, name = ref.get("apiVersion"), ref.get("name")
        if isinstance(api_version, str) and api_version.startswith(NIMSERVICE_GROUP + "/") \
                and ref.get("controller") is True and isinstance(name, str) and name:
            return name
    return None


def backend(isvc: Optional[Mapping[str, Any]]) -> str:
    return BACKEND_NIMSERVICE if owner(isvc) else BACKEND_KSERVE


def reference(name: str) -> str:
    return f"nimservice.{NIMSERVICE_GROUP}/{name}"


def refusal(isvc: Optional[Mapping[str, Any]], namespace: str,
            action: str) -> Optional[tuple[str, str]]:
    """(message, hint) refusing to `action` an InferenceService a NIMService controls, or
    None when none does."""
    name = owner(isvc)
    if name is None:
        return None
    isvc_name = ((isvc or {}).get("metadata") or {}).get("name", "?")
    return (f"will not {action} {isvc_name!r} in {namespace}: NVIDIA's NIM Operator makes it from "
            f"{reference(name)} and would undo any change",
            f"change or delete the NIMService instead: `{caller.tool()} edit nimservice {name} "
            f"-n {namespace}` (or `{caller.tool()} delete nimservice {name} -n {namespace}`)")
