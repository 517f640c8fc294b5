"""What the API server's error answers mean: a Status turned into one line that says what to do.

Separate from the transports because both of them (httpx and the `kubernetes` client) hand the
request path the same (status, body), and the callers catch `ApiError` without caring which
transport produced it.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping, Optional, Sequence

from kubectl_nim import caller
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


# An admission webhook the API server could not get an answer from (failurePolicy Fail): the
# write is refused with a 500 whose message names the webhook. A webhook that answered and denied
# the request is a 4xx with the webhook's own message ("admission webhook ... denied the request").
_WEBHOOK_CALL = re.compile(r'failed calling webhook "([A-Za-z0-9][A-Za-z0-9.-]{0,252})"')
# What "did not answer" looks like, in the words of Go's HTTP client and the API server.
_UNANSWERED = (
    (re.compile(r"deadline exceeded|Client\.Timeout|i/o timeout|timed out", re.I),
     "timed out"),
    (re.compile(r"connection refused", re.I), "connection refused"),
    (re.compile(r'no endpoints available|service "[^"]*" not found', re.I),
     "no pod serves it"),
    (re.compile(r"connection reset|EOF\b|no route to host", re.I), "connection dropped"),
)
MAX_MESSAGE = 4096  # longer Status messages are searched only this far


def unanswered_webhook(message: Any) -> Optional[tuple[str, str]]:
    """(webhook name, why) when `message` says the API server could not get an answer from an
    admission webhook; None for anything else (a denial, another error, a non-string). The name
    is only ever quoted back as text."""
    if not isinstance(message, str):
        return None
    text = message[:MAX_MESSAGE]
    match = _WEBHOOK_CALL.search(text)
    if match is None:
        return None
    rest = text[match.end():]
    why = next((words for pattern, words in _UNANSWERED if pattern.search(rest)), None)
    return (match.group(1), why) if why is not None else None


def webhook_failure(name: str, why: str) -> tuple[str, str]:
    """(message, hint) of a write refused because admission webhook `name` did not answer."""
    message = (f'admission webhook "{name}" did not answer ({why}), so the API server '
               f"refused the write")
    if "kserve" in name.lower():
        hint = ("KServe's controller serves its webhooks: check the kserve-controller-manager "
                f"pods and their logs (`{caller.tool()} get pods -A -l "
                f"control-plane=kserve-controller-manager`), then try again")
    else:
        hint = (f"check the service behind that webhook (`{caller.tool()} get "
                f"validatingwebhookconfigurations,mutatingwebhookconfigurations` names it), "
                f"its pods and their logs, then try again")
    return message, hint


def error_from_response(status: int, body: bytes, method: str, path: str) -> ApiError:
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    causes: Sequence[Mapping[str, Any]] = ()
    if isinstance(doc, dict) and doc.get("kind") == "Status":
        message = doc.get("message")
        message = message if isinstance(message, str) and message else f"HTTP {status}"
        reason = doc.get("reason")
        reason = reason if isinstance(reason, str) else ""
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
    webhook = unanswered_webhook(message) if status >= 500 else None
    if webhook is not None:
        message, hint = webhook_failure(*webhook)
        return ApiError(status, reason, message, hint=hint, causes=causes)
    return ApiError(status, reason, message.rstrip("."), hint=_hint_for(status, reason, message),
                    causes=causes)
