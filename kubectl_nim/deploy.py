"""Sending a rendered deployment to the cluster: preflight, ordered writes, rollback.

The objects come from `render.render_deployment` (pure); this module only decides how they reach
the API server. Every write is first sent with `dryRun=All` (concurrently: one round-trip of wall
time) so admission, schema and RBAC errors surface before anything exists; then the real writes go
out in order, and if one fails every object this run created is deleted again, newest first.
Objects that existed before the run are never touched by the rollback.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

from kubectl_nim import log
from kubectl_nim.cluster import ApiError, Cluster
from kubectl_nim.errors import ClusterError, NimError
from kubectl_nim.render import object_ref

NIM_SUPPORT_ANNOTATION = "opendatahub.io/nim-support"


@dataclass(frozen=True)
class Outcome:
    ref: str       # kubectl-style `secret/nvidia-nim-secrets-x`
    action: str    # created | configured | unchanged
    obj: dict      # what the server answered


class DeployFailed(NimError):
    pass


def _name(obj: dict) -> str:
    return obj["metadata"]["name"]


def _concurrently(fn: Callable, items: Sequence) -> list:
    """fn over items in parallel; each result is the value or the exception it raised."""
    def guarded(item):
        try:
            return fn(item)
        except ClusterError as e:
            return e
    if len(items) <= 1:
        return [guarded(i) for i in items]
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(guarded, items))


def ensure_nim_support(cluster: Cluster, namespace: str, dry_run: bool = False) -> None:
    """Annotate the project `opendatahub.io/nim-support: "true"` (the dashboard's marker).

    A missing project is an error (nothing else could succeed); a 403 only warns, because many
    users may deploy into a project they cannot patch.
    """
    try:
        ns = cluster.get("Namespace", namespace)
    except ApiError as e:
        if e.status == 404:
            raise NimError(f"project {namespace!r} does not exist",
                           hint="create it (`oc new-project`) or pick another with -n") from None
        if e.status == 403:
            log.warn(f"cannot read namespace {namespace} to check its "
                     f"{NIM_SUPPORT_ANNOTATION} annotation; going on")
            return
        raise
    annotations = (ns.get("metadata") or {}).get("annotations") or {}
    if annotations.get(NIM_SUPPORT_ANNOTATION) == "true":
        return
    try:
        cluster.patch("Namespace", namespace,
                      {"metadata": {"annotations": {NIM_SUPPORT_ANNOTATION: "true"}}},
                      dry_run=dry_run)
    except ApiError as e:
        if e.status != 403:
            raise
        log.warn(f"not allowed to annotate namespace {namespace} with "
                 f"{NIM_SUPPORT_ANNOTATION}=true; the dashboard may not list NIM for it "
                 f"until an admin does")


def _already_exists(obj: dict, namespace: str) -> DeployFailed:
    kind = obj["kind"]
    ref = object_ref(obj)
    if kind in ("InferenceService", "ServingRuntime"):
        return DeployFailed(
            f"a deployment named {_name(obj)!r} already exists in {namespace} ({ref})",
            hint=f"use --apply to update it, pick another name, or delete it first")
    if kind == "PersistentVolumeClaim":
        return DeployFailed(f"{ref} already exists in {namespace}",
                            hint=f"reuse it with --existing-pvc {_name(obj)}, or delete it first")
    return DeployFailed(f"{ref} already exists in {namespace} (left from an earlier deployment?)",
                        hint="delete it first, or use --apply to take it over")


def _failure(action: str, obj: dict, error: ClusterError) -> DeployFailed:
    return DeployFailed(f"cannot {action} {object_ref(obj)}: {error.message}", hint=error.hint)


def preflight(cluster: Cluster, objects: Sequence[dict], namespace: str,
              apply: bool = False) -> list[dict]:
    """Every write with dryRun=All; returns the server's answers or raises the first failure."""
    write = (lambda o: cluster.apply(o, dry_run=True)) if apply else \
        (lambda o: cluster.create(o, dry_run=True))
    answers = _concurrently(write, objects)
    if not apply:
        conflicts = [obj for obj, answer in zip(objects, answers)
                     if isinstance(answer, ApiError) and answer.status == 409]
        # The deployment itself existing is the clearer message than one of its secrets.
        conflicts.sort(key=lambda o: o["kind"] not in ("InferenceService", "ServingRuntime"))
        if conflicts:
            raise _already_exists(conflicts[0], namespace)
    for obj, answer in zip(objects, answers):
        if isinstance(answer, ClusterError):
            raise _failure("create" if not apply else "apply", obj, answer)
    return answers


def existing_objects(cluster: Cluster, objects: Sequence[dict]) -> list[dict | None]:
    def get(obj):
        return cluster.get_or_none(obj["kind"], _name(obj), obj["metadata"].get("namespace"))
    answers = _concurrently(get, objects)
    for obj, answer in zip(objects, answers):
        if isinstance(answer, ClusterError):
            raise _failure("read", obj, answer)
    return answers


def write(cluster: Cluster, objects: Sequence[dict], *, apply: bool = False,
          before: Sequence[dict | None] | None = None,
          on_written: Callable[[Outcome], None] = lambda o: None) -> list[Outcome]:
    """Write in order; on the first failure roll back what this run created and raise."""
    before = list(before) if before is not None else [None] * len(objects)
    created: list[dict] = []
    outcomes: list[Outcome] = []
    for obj, old in zip(objects, before):
        try:
            answer = cluster.apply(obj) if apply else cluster.create(obj)
        except ClusterError as error:
            maybe_created = [obj] if old is None and _timed_out(error) else []
            undone = rollback(cluster, created + maybe_created)
            failure = _failure("apply" if apply else "create", obj, error)
            raise DeployFailed(failure.message, hint=_rollback_hint(undone, error.hint)) from None
        outcome = Outcome(object_ref(obj), _action(old, answer), answer)
        if old is None:
            created.append(obj)
        outcomes.append(outcome)
        on_written(outcome)
    return outcomes


def _timed_out(error: ClusterError) -> bool:
    # A create that timed out may still have been carried out by the server: undo it too.
    return error.status is None and "timed out" in error.message


def _action(old: dict | None, answer: dict) -> str:
    if old is None:
        return "created"
    same = (old.get("metadata") or {}).get("resourceVersion") == \
        (answer.get("metadata") or {}).get("resourceVersion")
    return "unchanged" if same else "configured"


@dataclass
class Undone:
    deleted: list[str]
    left: list[str]   # objects the rollback could not delete, with the reason


def rollback(cluster: Cluster, created: Sequence[dict]) -> Undone:
    undone = Undone([], [])
    for obj in reversed(created):
        ref = object_ref(obj)
        try:
            cluster.delete(obj["kind"], _name(obj), obj["metadata"].get("namespace"))
            undone.deleted.append(ref)
        except ApiError as e:
            if e.status == 404:
                continue
            undone.left.append(f"{ref} ({e.message})")
        except ClusterError as e:
            undone.left.append(f"{ref} ({e.message})")
    if undone.deleted:
        log.debug("rolled back: " + ", ".join(undone.deleted))
    return undone


def _rollback_hint(undone: Undone, hint: str | None) -> str | None:
    parts = []
    if undone.deleted:
        parts.append("rolled back " + ", ".join(undone.deleted))
    if undone.left:
        parts.append("COULD NOT delete " + ", ".join(undone.left) + "; delete by hand")
    if not parts:
        parts.append("nothing was created")
    if hint:
        parts.append(hint)
    return "; ".join(parts)
