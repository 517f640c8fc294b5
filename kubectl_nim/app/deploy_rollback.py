"""Undoing a deploy that failed: delete what the run created, newest first.

`app/deploy.write` calls `rollback` when a write fails or a signal arrives; the preflight uses
`rollback_hint` for the same wording when nothing was created. Objects that existed before the run
are never touched here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from kubectl_nim import caller, log
from kubectl_nim.adapters.kube.cluster import ApiError, Cluster
from kubectl_nim.domain.names import NIM_SUPPORT_ANNOTATION
from kubectl_nim.domain.objects import name_of
from kubectl_nim.domain.refs import object_ref
from kubectl_nim.errors import ClusterError, NimError


class DeployFailed(NimError):
    pass


@dataclass
class Undone:
    deleted: list[str]
    left: list[str]   # objects the rollback could not delete, with the reason
    uncertain: list[str] = field(default_factory=list)  # unanswered creates that never appeared


def _delete(cluster: Cluster, obj: dict, undone: Undone) -> bool:
    """Delete one object; False when it was not there (404)."""
    ref = object_ref(obj)
    try:
        cluster.delete(obj["kind"], name_of(obj), obj["metadata"].get("namespace"))
    except ApiError as e:
        if e.not_found:
            return False
        undone.left.append(f"{ref} ({e.message})")
    except ClusterError as e:
        undone.left.append(f"{ref} ({e.message})")
    else:
        undone.deleted.append(ref)
    return True


def rollback(cluster: Cluster, created: Sequence[dict], uncertain: Sequence[dict] = (),
             grace: float = 0.0, *, sleep: Callable[[float], None], clock: Callable[[], float],
             why: str = "its create timed out") -> Undone:
    """Delete what this run created, newest first.

    `uncertain` are creates that got no answer: the server may have carried them out, or may
    still do so. Each is deleted if it is there; if not, the rest is rolled back and then the
    uncertain ones are retried with backoff for up to `grace` seconds, in case the server
    creates them late. Those that never appeared are reported as uncertain, not as undone.
    """
    undone = Undone([], [])
    todo = list(uncertain) + list(reversed(created))
    pending = []
    current = None
    try:
        while todo:
            current = todo.pop(0)
            if not _delete(cluster, current, undone) and current in uncertain:
                pending.append(current)
            current = None
    except KeyboardInterrupt:
        # A second signal during the rollback: stop, and say exactly what is left.
        if current is not None:
            undone.uncertain.append(f"{object_ref(current)} was being deleted when interrupted; "
                                    f"check whether it is gone")
        for obj in todo:
            undone.left.append(f"{object_ref(obj)} (rollback interrupted)")
        for obj in pending:
            undone.uncertain.append(f"{object_ref(obj)} may have been created (rollback "
                                    f"interrupted); check and delete it if it is there")
        return undone
    deadline, delay = clock() + grace, 0.05
    while pending and clock() < deadline:
        sleep(min(delay, max(0.0, deadline - clock())))
        delay = min(delay * 2, 1.0)
        for obj in list(pending):
            deleted = len(undone.deleted)
            if _delete(cluster, obj, undone):
                pending.remove(obj)
                if len(undone.deleted) > deleted:  # report in rollback order: newest first
                    undone.deleted.insert(0, undone.deleted.pop())
    for obj in pending:
        undone.uncertain.append(
            f"{object_ref(obj)} may still be created by the server ({why}); "
            f"check `{caller.tool()} get {object_ref(obj)} -n {obj['metadata'].get('namespace')}` and "
            f"delete it if it is there")
    if undone.deleted:
        log.debug("rolled back: " + ", ".join(undone.deleted))
    return undone


def rollback_hint(undone: Undone, hint: str | None) -> str | None:
    parts = []
    if undone.deleted:
        parts.append("rolled back " + ", ".join(undone.deleted))
    parts.extend(undone.uncertain)
    if undone.left:
        parts.append("COULD NOT delete " + ", ".join(undone.left) + "; delete by hand")
    if not parts:
        parts.append("nothing was created")
    if hint:
        parts.append(hint)
    return "; ".join(parts)


def unannotate_project(cluster: Cluster, namespace: str, undone: Undone) -> None:
    """Rollback of `annotate_project`: remove the marker this run added."""
    path = "/metadata/annotations/" + NIM_SUPPORT_ANNOTATION.replace("~", "~0").replace("/", "~1")
    try:
        cluster.patch("Namespace", namespace, [{"op": "remove", "path": path}],
                      patch_type="json")
    except ClusterError as e:
        undone.left.append(f"the {NIM_SUPPORT_ANNOTATION} annotation of namespace {namespace} "
                           f"({e.message})")

