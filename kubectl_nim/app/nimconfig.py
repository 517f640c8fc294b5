"""Writing `OdhDashboardConfig.spec.nimConfig` (docs/design.md#cluster-configuration) without ever
reporting a pruned write.

Today's OdhDashboardConfig CRD has no `spec.nimConfig` and does not preserve unknown fields: a
plain patch would be answered 200 while the server silently drops the field. Two guards:

1. every patch is sent with `fieldValidation=Strict`, so such a server rejects it (400 "strict
   decoding error: unknown field spec.nimConfig"), which becomes NimConfigUnsupported;
2. the object the server answers is compared with what was asked for, which also catches
   servers that ignore `fieldValidation` (before Kubernetes 1.25) and mutating webhooks.
"""

from __future__ import annotations

from typing import Any, Mapping

from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.adapters.kube.resources import RESOURCES
from kubectl_nim.domain.names import DASHBOARD_CONFIG_NAME
from kubectl_nim.domain.refs import kind_ref
from kubectl_nim.errors import NimError
from kubectl_nim.domain.dry_run import DryRun

KIND = "OdhDashboardConfig"
UNSUPPORTED = "this cluster does not support spec.nimConfig yet"
UNSUPPORTED_HINT = ("its OdhDashboardConfig CRD predates the NIM redesign (no spec.nimConfig), so "
                    "the setting would be dropped; upgrade OpenShift AI / Open Data Hub to a "
                    "release with nimConfig. Nothing was changed")


class NimConfigUnsupported(NimError):
    """The cluster's OdhDashboardConfig has no spec.nimConfig (it rejects or drops it): caught by
    `config set-disconnected`, which names the DataScienceCluster flag that works there."""


def nim_config_patch(nim_config: Mapping[str, Any]) -> dict:
    return {"spec": {"nimConfig": dict(nim_config)}}


def _leaves(patch: Any, path: tuple[str, ...] = ()):
    """(path, value) of every leaf of a merge patch; None = delete."""
    if isinstance(patch, Mapping) and patch:
        for key, value in patch.items():
            yield from _leaves(value, path + (key,))
    else:
        yield path, patch


def _dig(obj: Any, path: tuple[str, ...]) -> tuple[bool, Any]:
    node = obj
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def mismatches(patch: Mapping[str, Any], answer: Mapping[str, Any] | None) -> list[str]:
    """Paths the answered object does not reflect: set leaves must be there with the value,
    deleted (null) leaves must be gone."""
    wrong = []
    for path, value in _leaves(patch):
        present, found = _dig(answer or {}, path)
        if value is None:
            if present and found is not None:
                wrong.append(".".join(path))
        elif not present or found != value:
            wrong.append(".".join(path))
    return wrong


def _unsupported_rejection(error: ApiError) -> bool:
    text = error.message or ""
    return error.rejected_content and "nimConfig" in text and (
        "unknown field" in text or "strict decoding" in text or "not declared" in text)


def forbidden(error: ApiError, verb: str, namespace: str) -> NimError:
    res = RESOURCES[KIND]
    return NimError(
        f"not allowed to {verb} {kind_ref(KIND, DASHBOARD_CONFIG_NAME)} in {namespace}: "
        f"{error.message}",
        hint=f"this needs the '{verb}' permission on {res.qualified} in {namespace} (an "
             f"OpenShift AI administrator has it)")


def patch_nim_config(cluster: Cluster, namespace: str, nim_config: Mapping[str, Any], *,
                     dry_run: DryRun = DryRun.NONE) -> dict:
    """JSON merge patch of spec.nimConfig with fieldValidation=Strict; returns the answer.

    Raises NimConfigUnsupported when the server rejects or drops the field, NimError on
    403 (naming the permission), NimError when there is no OdhDashboardConfig.
    """
    patch = nim_config_patch(nim_config)
    try:
        answer = cluster.patch(KIND, DASHBOARD_CONFIG_NAME, patch, namespace, patch_type="merge",
                               dry_run=dry_run.server_flag, field_validation="Strict")
    except ApiError as e:
        if _unsupported_rejection(e):
            raise NimConfigUnsupported(UNSUPPORTED, hint=UNSUPPORTED_HINT) from None
        if e.forbidden:
            raise forbidden(e, "patch", namespace) from None
        if e.not_found:
            raise NimError(f"there is no {kind_ref(KIND, DASHBOARD_CONFIG_NAME)} in "
                           f"{namespace}",
                           hint="is this the applications namespace? pass --apps-namespace") \
                from None
        raise
    wrong = mismatches(patch, answer)
    if wrong:
        raise NimConfigUnsupported(
            f"{UNSUPPORTED}: the server answered without {', '.join(wrong)}",
            hint=UNSUPPORTED_HINT.replace("Nothing was changed",
                                          "Nothing under spec.nimConfig was stored"))
    return answer


def current_nim_config(odc: Mapping[str, Any] | None) -> dict:
    return dict(((odc or {}).get("spec") or {}).get("nimConfig") or {})


def read_configmap(cluster: Cluster, name: str, namespace: str):
    """(the ConfigMap, None), or (None, why) when it does not exist or may not be read."""
    try:
        return cluster.get("ConfigMap", name, namespace), None
    except ApiError as e:
        if not e.forbidden_or_missing:
            raise
        return None, ("does not exist" if e.not_found else f"cannot be read ({e.message})")
