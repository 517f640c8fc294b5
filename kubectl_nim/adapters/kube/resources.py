"""The resource types kubectl-nim reads and writes, and the URL path of each.

Its own module because the path rules (issue 10: no empty, `.`, `..` or slash-bearing segment)
are the one place a name becomes part of a URL, shared by the request path and its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote


@dataclass(frozen=True)
class Resource:
    kind: str
    api_version: str
    plural: str
    namespaced: bool = True

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def qualified(self) -> str:
        """`secrets`, `servingruntimes.serving.kserve.io`: as RBAC and kubectl name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The URL path; only `None` omits a namespace or name. An empty, `.`, `..` or
        slash-bearing value raises instead of addressing a collection (issue 10)."""
        from kubectl_nim.domain.validation import check_path_segment

        base = f"/apis/{self.api_version}" if self.group else f"/api/{self.api_version}"
        if self.namespaced and namespace is not None:
            check_path_segment(namespace, "namespace")
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is None:
            return base
        return base + f"/{quote(check_path_segment(name, self.kind.lower()), safe='')}"


_ALL = [
    Resource("Namespace", "v1", "namespaces", namespaced=False),
    Resource("Secret", "v1", "secrets"),
    Resource("ConfigMap", "v1", "configmaps"),
    Resource("PersistentVolumeClaim", "v1", "persistentvolumeclaims"),
    Resource("Event", "v1", "events"),
    Resource("Pod", "v1", "pods"),
    Resource("Service", "v1", "services"),
    Resource("ServingRuntime", "serving.kserve.io/v1alpha1", "servingruntimes"),
    Resource("InferenceService", "serving.kserve.io/v1beta1", "inferenceservices"),
    Resource("Template", "template.openshift.io/v1", "templates"),
    Resource("OdhDashboardConfig", "opendatahub.io/v1alpha", "odhdashboardconfigs"),
    Resource("Account", "nim.opendatahub.io/v1", "accounts"),
    Resource("DSCInitialization", "dscinitialization.opendatahub.io/v1", "dscinitializations",
             namespaced=False),
    Resource("DataScienceCluster", "datasciencecluster.opendatahub.io/v1",
             "datascienceclusters", namespaced=False),
]
RESOURCES: dict[str, Resource] = {r.kind: r for r in _ALL}


def resource_of(obj: Mapping[str, Any]) -> Resource:
    return RESOURCES[obj["kind"]]
