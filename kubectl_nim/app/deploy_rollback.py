"""Undoing a deploy that failed: delete what the run created, newest first.

`app/deploy.write` calls `rollback` when a write fails or a signal arrives; the preflight uses
`rollback_hint` for the same wording when nothing was created. Objects that existed before the run
are never touched here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from kubectl_nim import caller, log
from kubectl_nim.adapters import retry
from kubectl_nim.adapters.kube.cluster import Cluster
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
    unremoved: list[tuple[dict, str]] = field(default_factory=list)  # (object, why) of `left`
    maybe: list[dict] = field(default_factory=list)  # the objects of `uncertain`


# How long a rollback keeps retrying deletes the API server could not serve (no answer, or
# 429/503 while it starts again: ClusterError.unavailable), over all of its objects; and at
# most how many retries, whatever the clock says (retry.ROLLBACK).
PATIENCE = 10.0
MAX_RETRIES = retry.ROLLBACK.attempts - 1


DELETED, ABSENT = "deleted", "absent"


def _delete(cluster: Cluster, obj: dict, patience: retry.Budget) -> "str | ClusterError":
    """DELETED, ABSENT (404) or the error that kept it. A delete the server could not serve
    (`unavailable`) is tried again while `patience` lasts (not one that timed out: that costs
    a timeout each)."""
    while True:
        try:
            cluster.delete(obj["kind"], name_of(obj), obj["metadata"].get("namespace"))
        except ClusterError as e:
            if e.not_found:
                return ABSENT
            if e.unavailable and patience.wait(e):
                continue
            return e
        return DELETED


def _note(undone: Undone, obj: dict, outcome: "str | ClusterError") -> None:
    if outcome == DELETED:
        undone.deleted.append(object_ref(obj))
    elif isinstance(outcome, ClusterError):
        undone.left.append(f"{object_ref(obj)} ({outcome.message})")
        undone.unremoved.append((obj, outcome.message))


def _check(obj: dict) -> str:
    return f"check `{caller.tool()} get {object_ref(obj)} -n {obj['metadata'].get('namespace')}`"


def rollback(cluster: Cluster, created: Sequence[dict], uncertain: Sequence[dict] = (),
             grace: float = 0.0, *, sleep: Callable[[float], None], clock: Callable[[], float],
             patience: float | None, why: str = "its create timed out") -> Undone:
    """Delete what this run created, newest first.

    `uncertain` are creates that got no answer: the server may have carried them out, or may
    still do so. Each is deleted if it is there; if not, the rest is rolled back and then the
    uncertain ones are retried with backoff for up to `grace` seconds, in case the server
    creates them late. Those that never appeared are reported as uncertain, not as undone; so
    are those whose delete got no answer either (the server gone: nobody can tell).

    `patience`: seconds to keep retrying deletes the server could not serve (the run's
    Environment.rollback_patience; None = PATIENCE).
    """
    undone = Undone([], [])
    budget = retry.Budget(retry.ROLLBACK, PATIENCE if patience is None else patience,
                          sleep=sleep, clock=clock)
    todo = list(uncertain) + list(reversed(created))
    pending = []
    current = None
    try:
        while todo:
            current = todo.pop(0)
            outcome = _delete(cluster, current, budget)
            if current in uncertain and outcome == ABSENT:
                pending.append(current)
            elif current in uncertain and isinstance(outcome, ClusterError) and \
                    outcome.unavailable:
                undone.uncertain.append(f"{object_ref(current)} may have been created ({why}) "
                                        f"and could not be deleted ({outcome.message}); "
                                        f"{_check(current)} and delete it if it is there")
                undone.maybe.append(current)
            else:
                _note(undone, current, outcome)
            current = None
    except KeyboardInterrupt:
        # A second signal during the rollback: stop, and say exactly what is left.
        if current is not None:
            undone.uncertain.append(f"{object_ref(current)} was being deleted when interrupted; "
                                    f"check whether it is gone")
        for obj in todo:
            undone.left.append(f"{object_ref(obj)} (rollback interrupted)")
            undone.unremoved.append((obj, "rollback interrupted"))
        for obj in pending:
            undone.uncertain.append(f"{object_ref(obj)} may have been created (rollback "
                                    f"interrupted); check and delete it if it is there")
        return undone
    late = retry.Budget(retry.LATE_CREATES, grace, sleep=sleep, clock=clock)
    while pending and late.wait():
        for obj in list(pending):
            outcome = _delete(cluster, obj, budget)
            if outcome != ABSENT:
                pending.remove(obj)
                _note(undone, obj, outcome)
                if outcome == DELETED:  # report in rollback order: newest first
                    undone.deleted.insert(0, undone.deleted.pop())
    for obj in pending:
        undone.uncertain.append(
            f"{object_ref(obj)} may still be created by the server ({why}); "
            f"{_check(obj)} and delete it if it is there")
        undone.maybe.append(obj)
    if undone.deleted:
        log.debug("rolled back: " + ", ".join(undone.deleted))
    return undone


def rollback_hint(undone: Undone, hint: str | None) -> str | None:
    parts = []
    if undone.deleted:
        parts.append("rolled back " + ", ".join(undone.deleted))
    parts.extend(undone.uncertain)
    if undone.left:
        parts.append("COULD NOT delete " + _left(undone) + "; " + _how_to_remove(undone))
    if not parts:
        parts.append("nothing was created")
    if hint:
        parts.append(hint)
    return "; ".join(parts)


def _left(undone: Undone) -> str:
    """What the rollback could not delete: one reason for all when they share it (the API server
    gone), else each with its own."""
    reasons = {why for _, why in undone.unremoved}
    if len(undone.unremoved) == len(undone.left) and len(reasons) == 1:
        return f"{', '.join(object_ref(obj) for obj, _ in undone.unremoved)} ({reasons.pop()})"
    return ", ".join(undone.left)


def _how_to_remove(undone: Undone) -> str:
    """`delete NAME` when the deployment's ServingRuntime or InferenceService is among what is
    left or may exist (delete finds the rest from it), else the objects by name."""
    objects = [obj for obj, _ in undone.unremoved]
    name = next((name_of(o) for o in objects + undone.maybe
                 if o["kind"] in ("ServingRuntime", "InferenceService")), None)
    if name is not None:
        return f"remove them with `{caller.prog_name()} delete {name}` once the cluster answers"
    namespaces = {o["metadata"].get("namespace") for o in objects}
    if objects and len(namespaces) == 1 and None not in namespaces:
        return (f"delete by hand (`{caller.tool()} delete "
                f"{' '.join(object_ref(o) for o in objects)} -n {namespaces.pop()}`)")
    return "delete by hand"


def unannotate_project(cluster: Cluster, namespace: str, undone: Undone) -> None:
    """Rollback of `annotate_project`: remove the marker this run added."""
    path = "/metadata/annotations/" + NIM_SUPPORT_ANNOTATION.replace("~", "~0").replace("/", "~1")
    try:
        cluster.patch("Namespace", namespace, [{"op": "remove", "path": path}],
                      patch_type="json")
    except ClusterError as e:
        undone.left.append(f"the {NIM_SUPPORT_ANNOTATION} annotation of namespace {namespace} "
                           f"({e.message})")

