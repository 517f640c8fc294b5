"""The resource types kubectl-nim reads and writes, and the URL path of each.

Its own module because the path rules (no empty, `.`, `..` or slash-bearing segment)
are the one place a name becomes part of a URL, shared by the request path and its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import quote

from kubectl_nim.domain.refs import API_VERSIONS


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
        slash-bearing value raises instead of addressing a collection."""
        from kubectl_nim.domain.validation import check_path_segment

        base = f"/apis/{self.api_version}" if self.group else f"/api/{self.api_version}"
        if self.namespaced and namespace is not None:
            check_path_segment(namespace, "namespace")
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is None:
            return base
        return base + f"/{quote(check_path_segment(name, self.kind.lower()), safe='')}"


# kind: (plural, namespaced); the API versions come from domain/refs.API_VERSIONS.
_URL_NAMES = {
    "Namespace": ("namespaces", False),
    "Secret": ("secrets", True),
    "ConfigMap": ("configmaps", True),
    "PersistentVolumeClaim": ("persistentvolumeclaims", True),
    "Event": ("events", True),
    "Pod": ("pods", True),
    "Service": ("services", True),
    "Job": ("jobs", True),
    "ServingRuntime": ("servingruntimes", True),
    "InferenceService": ("inferenceservices", True),
    "Template": ("templates", True),
    "OdhDashboardConfig": ("odhdashboardconfigs", True),
    "Account": ("accounts", True),
    "DSCInitialization": ("dscinitializations", False),
    "DataScienceCluster": ("datascienceclusters", False),
    "HardwareProfile": ("hardwareprofiles", True),
}
RESOURCES: dict[str, Resource] = {
    kind: Resource(kind, API_VERSIONS[kind], plural, namespaced)
    for kind, (plural, namespaced) in _URL_NAMES.items()}


def resource_of(obj: Mapping[str, Any]) -> Resource:
    return RESOURCES[obj["kind"]]


def url_of(path: str, query: Iterable[tuple[str, str]]) -> str:
    """A request's path with its query string (values encoded)."""
    from urllib.parse import urlencode

    query = list(query)
    return path + (f"?{urlencode(query)}" if query else "")
