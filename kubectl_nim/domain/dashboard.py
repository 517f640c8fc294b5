"""The OdhDashboardConfig fields kubectl-nim reads, type-checked once where it is read.

An admin can store anything under spec.nimConfig (a string, a list, `disableKeyCollection:
"false"`); reading it unchecked broke every verb, validate-key included, with "unexpected
failure", and `bool("false")` would even have read as true. A wrongly typed field is
dropped, treated as unset, and reported as a warning naming the field.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from kubectl_nim.domain.validation import problem


def _kind(value: Any) -> str:
    return {str: "a string", list: "a list", bool: "true/false", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


def sanitize(odc: Mapping[str, Any] | None) -> tuple[dict | None, list[str]]:
    """(a copy of `odc` with wrongly typed nimConfig fields removed, one problem per removal)."""
    if odc is None:
        return None, []
    odc = copy.deepcopy(dict(odc))
    problems: list[str] = []
    spec = odc.get("spec")
    if spec is not None and not isinstance(spec, dict):
        problems.append(f"spec: it is {_kind(spec)}, not an object")
        odc["spec"] = {}
        return odc, problems
    spec = spec or {}
    nim = spec.get("nimConfig")
    if nim is None:
        return odc, problems
    if not isinstance(nim, dict):
        problems.append(f"spec.nimConfig: it is {_kind(nim)}, not an object")
        spec.pop("nimConfig")
        return odc, problems

    custom = nim.get("customConfigMap")
    if custom is not None:
        why = None
        if not isinstance(custom, dict):
            why = f"it is {_kind(custom)}, not an object"
        elif not isinstance(custom.get("name"), str) or problem(custom["name"], "subdomain"):
            why = "its name is not a valid ConfigMap name"
        elif custom.get("namespace") is not None and (
                not isinstance(custom["namespace"], str) or problem(custom["namespace"], "label")):
            why = "its namespace is not a valid namespace name"
        if why:
            problems.append(f"spec.nimConfig.customConfigMap: {why}")
            nim.pop("customConfigMap")

    disconnected = nim.get("disconnected")
    if disconnected is not None:
        if not isinstance(disconnected, dict):
            problems.append(f"spec.nimConfig.disconnected: it is {_kind(disconnected)}, "
                            f"not an object")
            nim.pop("disconnected")
        else:
            flag = disconnected.get("disableKeyCollection")
            if flag is not None and not isinstance(flag, bool):
                problems.append(f"spec.nimConfig.disconnected.disableKeyCollection: it is "
                                f"{_kind(flag)}, not true or false")
                disconnected.pop("disableKeyCollection")
    return odc, problems
