"""How every message names a Kubernetes object: kubectl's `-o name` form, `kind.group/name`.

`secret/x` for the core group, `servingruntime.serving.kserve.io/x` otherwise: what kubectl
prints and accepts back (`kubectl get servingruntime.serving.kserve.io/x`). stdout and stderr
use this one form (one run named the same object in three styles).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from kubectl_nim.domain.names import ISVC_API_VERSION, RUNTIME_API_VERSION

# The API version of every kind the plugin reads, writes or names: the one table. The kube
# adapter builds its URLs from it (adapters/kube/resources.py), references take the group.
API_VERSIONS: dict[str, str] = {
    "Namespace": "v1", "Secret": "v1", "ConfigMap": "v1", "PersistentVolumeClaim": "v1",
    "Event": "v1", "Pod": "v1", "Service": "v1", "Job": "batch/v1",
    "ServingRuntime": RUNTIME_API_VERSION,
    "InferenceService": ISVC_API_VERSION,
    "Template": "template.openshift.io/v1",
    "OdhDashboardConfig": "opendatahub.io/v1alpha",
    "Account": "nim.opendatahub.io/v1",
    "DSCInitialization": "dscinitialization.opendatahub.io/v1",
    "DataScienceCluster": "datasciencecluster.opendatahub.io/v1",
    "HardwareProfile": "infrastructure.opendatahub.io/v1",
}
# The API group of each ("" is the core group).
GROUPS: dict[str, str] = {kind: v.rpartition("/")[0] for kind, v in API_VERSIONS.items()}


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
