"""Field trees used by the fake API server to mimic structural-schema behaviour.

A real API server decodes built-in kinds into Go structs and prunes custom
resources against their CRD's structural schema: unknown fields are silently
dropped (``fieldValidation=Ignore``), dropped with a ``Warning`` header
(``Warn``, the default) or rejected (``Strict``).  The plugin talks to an
OdhDashboardConfig CRD that exists in two generations — with and without
``spec.nimConfig`` — and whether that field survives a write is exactly what
the tests need to observe, so the fake needs a (tiny) schema model.

A tree is one of:

* a ``dict`` mapping known field names to sub-trees (an object with fixed
  fields; anything else is unknown),
* ``ANY``: any value, unknown fields below it are preserved,
* a type name: ``"string"``, ``"boolean"``, ``"integer"``, ``"number"``,
  ``"stringmap"`` (``map[string]string``),
* a one-element ``list`` ``[tree]``: an array whose items follow ``tree``.

Kinds without an entry are stored as sent (no pruning, no strict checks).
"""

from __future__ import annotations

from typing import Any, Dict, Optional

ANY = "any"

OBJECT_META: Dict[str, Any] = {
    "name": "string",
    "generateName": "string",
    "namespace": "string",
    "selfLink": "string",
    "uid": "string",
    "resourceVersion": "string",
    "generation": "integer",
    "creationTimestamp": ANY,
    "deletionTimestamp": ANY,
    "deletionGracePeriodSeconds": "integer",
    "labels": "stringmap",
    "annotations": "stringmap",
    "ownerReferences": [ANY],
    "finalizers": ["string"],
    "managedFields": [ANY],
}


def _top(**fields: Any) -> Dict[str, Any]:
    """Every object has apiVersion/kind/metadata; add the kind's own fields."""
    return {"apiVersion": "string", "kind": "string", "metadata": OBJECT_META, **fields}


NIM_CONFIG: Dict[str, Any] = {
    "customConfigMap": {"name": "string", "namespace": "string"},
    "disconnected": {"disableKeyCollection": "boolean"},
}

# Spec fields of the real odhdashboardconfigs.opendatahub.io CRD.  Their
# insides are not modelled (ANY) so the fake never prunes something a real
# cluster would keep.
_ODH_SPEC_FIELDS: Dict[str, Any] = {
    "dashboardConfig": ANY,
    "groupsConfig": ANY,
    "notebookController": ANY,
    "notebookSizes": ANY,
    "modelServerSizes": ANY,
    "templateOrder": ANY,
    "templateDisablement": ANY,
    "hardwareProfileOrder": ANY,
}

ODH_DASHBOARD_CONFIG_WITH_NIM = _top(
    spec={**_ODH_SPEC_FIELDS, "nimConfig": NIM_CONFIG}, status=ANY
)
ODH_DASHBOARD_CONFIG_WITHOUT_NIM = _top(spec=dict(_ODH_SPEC_FIELDS), status=ANY)

SECRET = _top(
    data="stringmap", stringData="stringmap", type="string", immutable="boolean"
)
CONFIG_MAP = _top(data="stringmap", binaryData="stringmap", immutable="boolean")
NAMESPACE = _top(spec={"finalizers": ["string"]}, status=ANY)


def schema_for(kind: str, without_nimconfig: bool = False) -> Optional[Dict[str, Any]]:
    """Return the field tree for ``kind`` (None: store as sent).

    ``without_nimconfig`` selects today's OdhDashboardConfig CRD, which has
    no ``spec.nimConfig`` and therefore prunes it.
    """
    if kind == "OdhDashboardConfig":
        if without_nimconfig:
            return ODH_DASHBOARD_CONFIG_WITHOUT_NIM
        return ODH_DASHBOARD_CONFIG_WITH_NIM
    return {"Secret": SECRET, "ConfigMap": CONFIG_MAP, "Namespace": NAMESPACE}.get(kind)


_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "stringmap": lambda v: isinstance(v, dict),
}

_TYPE_NAMES = {"stringmap": "object"}


def check_tree(value: Any, tree: Any, path: str, unknown: list, type_errors: list) -> Any:
    """Return ``value`` pruned to ``tree``.

    Unknown field paths are appended to ``unknown`` (``spec.nimConfig``,
    ``spec.items[0].x``) and wrong leaf types to ``type_errors`` as
    ``(path, value, expected_type)``; null values are accepted everywhere
    (OpenAPI "nullable" is what clients usually send for unset fields).
    """
    if value is None or tree == ANY:
        return value
    if isinstance(tree, dict):
        if not isinstance(value, dict):
            type_errors.append((path, value, "object"))
            return value
        pruned = {}
        for key, sub in value.items():
            sub_path = f"{path}.{key}" if path else key
            if key not in tree:
                unknown.append(sub_path)
                continue
            pruned[key] = check_tree(sub, tree[key], sub_path, unknown, type_errors)
        return pruned
    if isinstance(tree, list):
        if not isinstance(value, list):
            type_errors.append((path, value, "array"))
            return value
        return [
            check_tree(item, tree[0], f"{path}[{i}]", unknown, type_errors)
            for i, item in enumerate(value)
        ]
    if tree == "stringmap" and isinstance(value, dict):
        for item in value.values():
            if not isinstance(item, str) and item is not None:
                type_errors.append((path, item, "string"))  # Go names the map field
    elif not _TYPE_CHECKS[tree](value):
        type_errors.append((path, value, _TYPE_NAMES.get(tree, tree)))
    return value
