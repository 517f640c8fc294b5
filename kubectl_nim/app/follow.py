"""Following one object: a watch on a thread of its own that wakes a waiting loop the moment the
object changes, so that `--wait` reacts at once instead of at its next poll.

The watch starts from the resourceVersion the loop last read; when it ends (the server's timeout,
a dropped connection) it is resumed from the last resourceVersion it saw, bookmarks included;
after 410 Gone (that version is too old) it starts again from the current state, whose ADDED
event then wakes the loop. A server that refuses watches (403, 404, 405) ends the following:
the loop then polls at its interval, as before. Nothing here decides when a wait is over: the
loop reads and judges (app/wait.py). A watch runs on the real clock (a run whose clock is a
test's sets `Environment.watch` False and polls instead): the pause before a broken watch is
resumed waits on the follower's own stop, so that `stop()` ends it at once.
"""

from __future__ import annotations

import threading

from kubectl_nim import log
from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.errors import ClusterError

WATCH_SECONDS = 60          # each watch request's server-side timeout, then resumed
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)  # between attempts after a broken watch


class Follower:
    """Watch `kind` NAME (or the objects with labels `selector`) in `namespace` from
    `resource_version`; `changed` (an Event several followers may share) is set on every change.
    `wait(seconds)` pauses until a change or the time is up. `stop()` ends it."""

    def __init__(self, cluster, kind: str, namespace: str, resource_version: str | None, *,
                 name: str | None = None, selector: str | None = None,
                 changed: threading.Event | None = None,
                 watch_seconds: int = WATCH_SECONDS):
        self.cluster, self.kind, self.name, self.namespace = cluster, kind, name, namespace
        self.selector = selector
        self.resource_version = resource_version
        self.watch_seconds = watch_seconds
        self.changed = changed or threading.Event()
        self.latest: dict | None = None   # the object as the last event carried it
        self.following = True             # False once the server refused to watch
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kubectl-nim-watch", daemon=True)

    def start(self) -> "Follower":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self.changed.set()

    def wait(self, seconds: float) -> bool:
        """Until the object changes or `seconds` pass; True when it changed."""
        changed = self.changed.wait(seconds)
        self.changed.clear()
        return changed

    def _run(self) -> None:
        failures = 0
        while not self._stopped.is_set():
            try:
                for event in self.cluster.watch(self.kind, self.namespace, name=self.name,
                                                selector=self.selector,
                                                resource_version=self.resource_version,
                                                timeout_seconds=self.watch_seconds):
                    if self._stopped.is_set():
                        return
                    failures = 0
                    self._take(event)
            except ApiError as e:
                if e.cannot_watch:
                    log.debug(f"the server does not watch {self.kind} here (HTTP {e.status}); "
                              f"polling instead")
                    self.following = False
                    self.changed.set()
                    return
                if e.expired:
                    self._expired()
                    continue
                failures += 1
            except ClusterError as e:
                log.debug(f"the watch of {self.kind} {self.name or self.selector} broke ({e.message}); resuming "
                          f"from resourceVersion {self.resource_version}")
                failures += 1
            if failures:
                self._stopped.wait(RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1])

    def _take(self, event: dict) -> None:
        kind, obj = event["type"], event["object"]
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if isinstance(version, str) and version:
            self.resource_version = version   # BOOKMARKs carry only this
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            self.latest = None if kind == "DELETED" else obj
            self.changed.set()

    def _expired(self) -> None:
        """410 Gone: the resourceVersion is too old; start again from the current state."""
        log.debug(f"resourceVersion {self.resource_version} expired (410); watching from the "
                  f"current state")
        self.resource_version = None
