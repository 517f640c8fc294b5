"""What the API server's error answers mean: a Status turned into one line that says what to do.

Separate from the transports because both of them (httpx and the `kubernetes` client) hand the
request path the same (status, body), and the callers catch `ApiError` without caring which
transport produced it.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

from kubectl_nim.errors import ClusterError


class ApiError(ClusterError):
    """A Status answer from the API server, turned into one line that says what to do.

    `causes` are the Status's `details.causes` (`field`, `message`, `reason`): for a
    server-side apply conflict, one per contested field, naming the manager that owns it."""

    def __init__(self, status: int, reason: str, message: str, hint: str | None = None,
                 causes: Sequence[Mapping[str, Any]] = ()):
        super().__init__(message, hint=hint, status=status, reason=reason)
        self.causes = [dict(c) for c in causes if isinstance(c, Mapping)]
        self.retry_after: float | None = None  # the answer's Retry-After (Cluster.request)

    @property
    def conflicts(self) -> list[tuple[str, str]]:
        """(field, what owns it) of a server-side apply conflict; empty for other errors."""
        if self.status != 409:
            return []
        return [(c.get("field") or "?", c.get("message") or "another manager")
                for c in self.causes if c.get("reason") == "FieldManagerConflict"]


TERMINATING_NAMESPACE = "because it is being terminated"


def _hint_for(status: int, reason: str, message: str = "") -> str | None:
    if status == 401:
        return "your credentials were refused or have expired; log in again (`oc login`)"
    if status == 403 and TERMINATING_NAMESPACE in message:
        # NamespaceLifecycle admission, not RBAC: the project is being deleted.
        return "the project is terminating (being deleted); use another project with -n"
    if status == 403:
        return "ask a cluster or project admin for that permission, or use another --namespace"
    if status >= 500:
        return "the API server failed; try again, and check the cluster's health if it persists"
    return None


def error_from_response(status: int, body: bytes, method: str, path: str) -> ApiError:
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    causes: Sequence[Mapping[str, Any]] = ()
    if isinstance(doc, dict) and doc.get("kind") == "Status":
        message = doc.get("message") or f"HTTP {status}"
        reason = doc.get("reason") or ""
        details = doc.get("details")
        if isinstance(details, dict) and isinstance(details.get("causes"), list):
            causes = details["causes"]
    elif status == 404:
        # Not a Status object: the API server does not know the resource type at all.
        return ApiError(404, "NotFound", f"the cluster does not serve {path.split('/namespaces/')[0]}",
                        hint="is the CRD installed (KServe / OpenShift AI / Open Data Hub)?")
    else:
        message = f"{method} {path} failed with HTTP {status}"
        reason = ""
    return ApiError(status, reason, message.rstrip("."), hint=_hint_for(status, reason, message),
                    causes=causes)
