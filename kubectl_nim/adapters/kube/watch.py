"""Watches: the events of a collection (or of one object by name) as the API server streams
them, one JSON object per line, for waits that react the moment something changes instead of
polling. Resuming from a resourceVersion, relisting after 410 Gone and falling back to polling
when the server refuses watches are the caller's (app/follow.py)."""

from __future__ import annotations

import json
from typing import Any, Iterator

from kubectl_nim.adapters.kube.api_errors import error_from_response
from kubectl_nim.adapters.kube.resources import RESOURCES
from kubectl_nim.errors import ClusterError


def events(cluster, kind: str, namespace: str | None = None, *, name: str | None = None,
           selector: str | None = None, resource_version: str | None = None,
           timeout_seconds: int = 60) -> Iterator[dict]:
    """The watch events (dicts with `type` and `object`) of `kind` in the namespace (only
    NAME's with `name`, only those with the labels `selector`), from `resource_version` (None: the current state first, as ADDED
    events), with bookmarks; ends when the server ends the watch (`timeout_seconds`).
    An HTTP error answer raises ApiError, a broken stream ClusterError."""
    res = RESOURCES[kind]
    query = [("watch", "true"), ("allowWatchBookmarks", "true"),
             ("timeoutSeconds", str(int(timeout_seconds)))]
    if name:
        query.append(("fieldSelector", f"metadata.name={name}"))
    if selector:
        query.append(("labelSelector", selector))
    if resource_version:
        query.append(("resourceVersion", resource_version))
    path = res.path(cluster._ns(res, namespace))
    try:
        for line in cluster.stream_lines(path, query=query, accept="application/json"):
            if line.strip():
                yield _event(json.loads(line), path, cluster.server)
    except ValueError:
        raise ClusterError(f"GET {path} (watch): the server at {cluster.server} sent an event "
                           f"that is not JSON") from None


def _event(doc: Any, path: str, server: str) -> dict:
    """One event; an ERROR event (e.g. 410 Gone: the resourceVersion is too old) raised as the
    ApiError its Status describes."""
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str) or \
            not isinstance(doc.get("object"), dict):
        raise ClusterError(f"GET {path} (watch): the server at {server} sent an event without "
                           f"a type and an object")
    if doc["type"] == "ERROR":
        code = doc["object"].get("code")
        raise error_from_response(code if isinstance(code, int) else 500,
                                  json.dumps(doc["object"]).encode(), "GET", path)
    return doc
