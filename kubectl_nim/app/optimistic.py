"""Cluster writes the day-2 verbs share: read-modify-write with optimistic concurrency (PUT
carrying the resourceVersion that was read; a 409 from a concurrent writer means re-read and
retry, bounded), deletes that only remove what was read, and concurrent secret reads.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from kubectl_nim import log
from kubectl_nim.adapters import retry
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.domain.refs import kind_ref
from kubectl_nim.errors import ClusterError, Day2Error, NimError
from kubectl_nim.domain.dry_run import DryRun

MAX_ATTEMPTS = retry.WRITES.attempts   # per write: the first try plus three retries
# Every function here that retries takes `sleep` (the run's Environment.sleep) for the pauses,
# and retries through the one policy (adapters/retry.WRITES).


def action_of(current: dict | None, want: dict | None) -> str:
    """What writing `want` (None: nothing needed) over `current` does, in kubectl's words;
    what a client dry run reports without sending anything."""
    return "unchanged" if want is None else ("created" if current is None else "configured")


def retryable(error: ClusterError) -> bool:
    """Worth another try: what the error calls transient (no answer, throttling, a server
    error), or a concurrent writer (409)."""
    return error.transient or error.conflict


@dataclass
class Written:
    ref: str
    before: dict | None       # the object as read just before the write (None: created)
    after: dict | None        # what the server answered (None: nothing needed)
    action: str               # created | configured | unchanged | deleted
    uncertain: bool = False   # an earlier attempt failed in a way that may have applied it


def read_modify_write(cluster: Cluster, kind: str, name: str, namespace: str,
                      desired: Callable[[dict | None], dict | None], *, dry_run: DryRun = DryRun.NONE,
                      current: dict | None = None, have_current: bool = False,
                      sleep: Callable[[float], None]) -> Written:
    """Write `desired(current)` (None = nothing to do), retrying a bounded number of times.

    An update is a PUT that carries the resourceVersion it was computed from, so a concurrent
    writer makes it fail with 409 instead of being overwritten; then the object is read again and
    `desired` recomputed. A create that meets AlreadyExists does the same. Server errors and
    timeouts are retried too: with the resourceVersion in the body a repeated PUT is safe.
    """
    ref = kind_ref(kind, name)
    uncertain = False
    last: ClusterError | None = None
    attempts = retry.Attempts(retry.WRITES, sleep)
    for attempt in attempts:
        try:
            if not have_current or attempt:
                current = cluster.get_or_none(kind, name, namespace)
            want = desired(copy.deepcopy(current) if current is not None else None)
            if want is None:
                return Written(ref, current, None, "unchanged", uncertain)
            if current is None:
                answer = cluster.create(want, dry_run=dry_run.server_flag)
                return Written(ref, None, answer, "created", uncertain)
            want.setdefault("metadata", {})["resourceVersion"] = \
                current["metadata"].get("resourceVersion")
            answer = cluster.replace(want, dry_run=dry_run.server_flag)
            return Written(ref, current, answer, "configured", uncertain)
        except ClusterError as e:
            last = e
            attempts.failed(e)
            uncertain = uncertain or e.may_have_applied
            if not retryable(e):
                break
            log.debug(f"{ref}: {e.message}; attempt {attempt + 1} of {MAX_ATTEMPTS}")
    assert last is not None
    last.uncertain = uncertain  # type: ignore[attr-defined]
    raise last


def was_uncertain(error: NimError) -> bool:
    """Did any attempt of a failed read_modify_write end in a way that may have applied it?"""
    return bool(getattr(error, "uncertain", False)) or \
        (isinstance(error, ClusterError) and error.may_have_applied)


def delete_if_unchanged(cluster: Cluster, namespace: str, name: str, ours: Any,
                         sleep: Callable[[float], None]) -> bool:
    attempts = retry.Attempts(retry.WRITES, sleep)
    for attempt in attempts:
        try:
            current = cluster.get_or_none("Secret", name, namespace)
            if current is None:
                return False
            if current.get("data") != ours:
                raise Day2Error(f"{kind_ref('Secret', name)} was changed by someone else "
                                f"meanwhile; left as is")
            cluster.delete("Secret", name, namespace)
            return True
        except ClusterError as e:
            if e.not_found:
                return False
            if not retryable(e) or attempt == attempts.total - 1:
                raise
            attempts.failed(e)
    return False


def delete_object(cluster: Cluster, kind: str, name: str, namespace: str, *,
                  dry_run: DryRun = DryRun.NONE, sleep: Callable[[float], None]) -> bool:
    """Delete, retrying what is worth retrying; False when it was already gone."""
    last: ClusterError | None = None
    attempts = retry.Attempts(retry.WRITES, sleep)
    for attempt in attempts:
        try:
            cluster.delete(kind, name, namespace, dry_run=dry_run.server_flag)
            return True
        except ClusterError as e:
            if e.not_found:
                return attempt > 0  # gone after a failed try: that try did it
            last = e
            attempts.failed(e)
            if not retryable(e) or e.conflict:
                break
    assert last is not None
    raise last


def read_secrets(cluster: Cluster, namespace: str, names: Sequence[str]) -> dict[str, dict | None]:
    from kubectl_nim.adapters.kube.cluster import concurrently

    answers = concurrently(lambda n: cluster.get_or_none("Secret", n, namespace), list(names))
    for name, answer in zip(names, answers):
        if isinstance(answer, ClusterError):
            raise Day2Error(f"cannot read {kind_ref('Secret', name)} in {namespace}: "
                            f"{answer.message}",
                            hint=answer.hint)
    return dict(zip(names, answers))
