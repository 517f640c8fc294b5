"""How every message names a Kubernetes object: kubectl's `-o name` form, `kind.group/name`.

`secret/x` for the core group, `servingruntime.serving.kserve.io/x` otherwise: what kubectl
prints and accepts back (`kubectl get servingruntime.serving.kserve.io/x`). stdout and stderr
use this one form (issue 11: one run named the same object in three styles).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

# The API group of every kind the plugin names ("" is the core group). The kube adapter's
# RESOURCES holds the full API versions for its URLs; tests/test_refs.py keeps the two in step.
GROUPS: dict[str, str] = {
    "Namespace": "", "Secret": "", "ConfigMap": "", "PersistentVolumeClaim": "", "Event": "",
    "Pod": "", "Service": "",
    "ServingRuntime": "serving.kserve.io",
    "InferenceService": "serving.kserve.io",
    "Template": "template.openshift.io",
    "OdhDashboardConfig": "opendatahub.io",
    "Account": "nim.opendatahub.io",
    "DSCInitialization": "dscinitialization.opendatahub.io",
    "DataScienceCluster": "datasciencecluster.opendatahub.io",
}


def kind_ref(kind: str, name: str, group: Optional[str] = None) -> str:
    """`kind_ref("ServingRuntime", "x")` → `servingruntime.serving.kserve.io/x`. `group`
    overrides the table (for an object whose apiVersion says otherwise)."""
    group = GROUPS[kind] if group is None else group
    resource = kind.lower()
    return f"{resource}.{group}/{name}" if group else f"{resource}/{name}"


def object_ref(obj: Mapping[str, Any]) -> str:
    """The reference of an object by its own apiVersion and kind."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return kind_ref(str(obj.get("kind", "")), (obj.get("metadata") or {}).get("name", ""), group)
