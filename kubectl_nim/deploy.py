"""Sending a rendered deployment to the cluster: preflight, ordered writes, rollback.

The objects come from `render.render_deployment` (pure); this module only decides how they reach
the API server. Every write is first sent with `dryRun=All` (concurrently: one round-trip of wall
time) so admission, schema and RBAC errors surface before anything exists; then the real writes go
out in order, and if one fails every object this run created is deleted again, newest first.
Objects that existed before the run are never touched by the rollback.

A create that got no answer (timed out, connection dropped, 504) may still be carried out by the
server, even after we gave up: the rollback deletes it if it is there, retries for as long again
as the request was given, and otherwise names it in the error instead of claiming it was undone.
Ctrl-C during the writes rolls back too (without waiting for late creates). The project's
`opendatahub.io/nim-support` annotation is written only after every object exists, so a refused
or rolled-back run leaves the cluster exactly as it was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from kubectl_nim import interrupts, log
from kubectl_nim.cluster import DEFAULT_TIMEOUT, ApiError, Cluster, concurrently
from kubectl_nim.errors import ClusterError, NimError
from kubectl_nim.render import NIM_SUPPORT, namespace_annotation_patch, object_ref



@dataclass(frozen=True)
class Outcome:
    ref: str       # kubectl-style `secret/nvidia-nim-secrets-x`
    action: str    # created | configured | unchanged
    obj: dict      # what the server answered


class DeployFailed(NimError):
    pass


def _name(obj: dict) -> str:
    return obj["metadata"]["name"]


def project_needs_annotation(cluster: Cluster, namespace: str) -> bool:
    """Check the project before anything is written; True when it lacks the dashboard's marker
    `opendatahub.io/nim-support: "true"`.

    A missing project is an error (nothing else could succeed); a 403 only warns, because many
    users may deploy into a project they cannot read or patch. Read-only: `annotate_project`
    writes the marker once the deployment exists, so a run refused by preflight or rolled back
    leaves the project exactly as it was.
    """
    try:
        ns = cluster.get("Namespace", namespace)
    except ApiError as e:
        if e.status == 404:
            raise NimError(f"project {namespace!r} does not exist",
                           hint="create it (`oc new-project`) or pick another with -n") from None
        if e.status == 403:
            log.warn(f"cannot read namespace {namespace} to check its "
                     f"{NIM_SUPPORT} annotation; going on")
            return False
        raise
    annotations = (ns.get("metadata") or {}).get("annotations") or {}
    return annotations.get(NIM_SUPPORT) != "true"


@dataclass(frozen=True)
class Checked:
    annotate: bool                        # the project lacks the nim-support marker
    before: list[dict | None] | None      # with --apply: each object as it was, or None
    answers: list[dict]                   # the server's answers to the dryRun=All writes


def check_and_preflight(cluster: Cluster, objects: Sequence[dict], namespace: str,
                        apply: bool = False) -> Checked:
    """The project check, the --apply reads and the dryRun=All preflight in one round trip.

    They are independent reads and dry runs, so they go out together; the answers are then
    judged in a fixed order, the missing project first (it explains any 404 of the dry runs).
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as pool:
        project = pool.submit(project_needs_annotation, cluster, namespace)
        before = pool.submit(existing_objects, cluster, objects) if apply else None
        dry_runs = pool.submit(preflight, cluster, objects, namespace, apply=apply)
        annotate = project.result()
        return Checked(annotate, before.result() if before else None, dry_runs.result())


def annotate_project(cluster: Cluster, namespace: str, dry_run: bool = False) -> None:
    """Write the marker; by then the deployment exists, so a failure only warns."""
    try:
        cluster.patch("Namespace", namespace, namespace_annotation_patch(), dry_run=dry_run)
    except ApiError as e:
        if e.status != 403:
            log.warn(f"could not annotate namespace {namespace} with "
                     f"{NIM_SUPPORT}=true: {e.message}")
            return
        log.warn(f"not allowed to annotate namespace {namespace} with "
                 f"{NIM_SUPPORT}=true; the dashboard may not list NIM for it "
                 f"until an admin does")
    except ClusterError as e:
        log.warn(f"could not annotate namespace {namespace} with "
                 f"{NIM_SUPPORT}=true: {e.message}")


def _already_exists(obj: dict, namespace: str) -> DeployFailed:
    kind = obj["kind"]
    ref = object_ref(obj)
    if kind in ("InferenceService", "ServingRuntime"):
        return DeployFailed(
            f"a deployment named {_name(obj)!r} already exists in {namespace} ({ref})",
            hint="use --apply to update it, pick another name, or delete it first")
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
    answers = concurrently(write, objects)
    if not apply:
        conflicts = [obj for obj, answer in zip(objects, answers)
                     if isinstance(answer, ApiError) and answer.status == 409]
        # The deployment itself existing is the clearer message than one of its secrets.
        conflicts.sort(key=lambda o: o["kind"] not in ("InferenceService", "ServingRuntime"))
        if conflicts:
            raise _already_exists(conflicts[0], namespace)
    for obj, answer in zip(objects, answers):
        if isinstance(answer, ClusterError):
            failure = _failure("create" if not apply else "apply", obj, answer)
            raise DeployFailed(failure.message, hint=_rollback_hint(Undone([], []), answer.hint))
    return answers


def existing_objects(cluster: Cluster, objects: Sequence[dict]) -> list[dict | None]:
    def get(obj):
        return cluster.get_or_none(obj["kind"], _name(obj), obj["metadata"].get("namespace"))
    answers = concurrently(get, objects)
    for obj, answer in zip(objects, answers):
        if isinstance(answer, ClusterError):
            raise _failure("read", obj, answer)
    return answers


def write(cluster: Cluster, objects: Sequence[dict], *, apply: bool = False,
          before: Sequence[dict | None] | None = None,
          on_written: Callable[[Outcome], None] = lambda o: None,
          sleep: Callable[[float], None] = time.sleep,
          clock: Callable[[], float] = time.monotonic) -> list[Outcome]:
    """Write in order; on the first failure roll back what this run created and raise."""
    before = list(before) if before is not None else [None] * len(objects)
    verb = "apply" if apply else "create"
    created: list[dict] = []
    outcomes: list[Outcome] = []
    in_flight: dict | None = None  # a new object whose create was sent but not answered yet
    by_pair = _new_key_pair(cluster, objects, before, on_written) if apply else {}
    try:
        for index, (obj, old) in enumerate(zip(objects, before)):
            if index in by_pair:  # already written by the secret-pair protocol
                outcomes.append(by_pair[index])
                continue
            in_flight = obj if old is None else None
            try:
                answer = cluster.apply(obj) if apply else cluster.create(obj)
            except ClusterError as error:
                unsure = in_flight is not None and _maybe_carried_out(error)
                timed_out = error.status == 504 or "timed out" in error.message
                undone = rollback(cluster, created, uncertain=[obj] if unsure else [],
                                  grace=_grace(cluster), sleep=sleep, clock=clock,
                                  why=f"its {verb} {'timed out' if timed_out else 'got no answer'}")
                failure = _failure(verb, obj, error)
                raise DeployFailed(failure.message,
                                   hint=_rollback_hint(undone, error.hint)) from None
            in_flight = None
            outcome = Outcome(object_ref(obj), _action(old, answer), answer)
            if old is None:
                created.append(obj)
            outcomes.append(outcome)
            on_written(outcome)
    except KeyboardInterrupt as signal:
        # Ctrl-C, SIGTERM or SIGHUP (interrupts.Interrupted) is a failure too: undo what this
        # run created, without waiting, including a create the server may have carried out.
        undone = rollback(cluster, created, uncertain=[in_flight] if in_flight else [],
                          why=f"its {verb} was interrupted")
        doing = "applying" if apply else "creating"
        what = interrupts.describe(signal)
        what = f"{what} while {doing} {object_ref(in_flight)}" if in_flight else what
        raise DeployFailed(what, hint=_rollback_hint(undone, None),
                           exit_code=interrupts.exit_code(signal)) from None
    return outcomes


def _new_key_pair(cluster: Cluster, objects: Sequence[dict], before: Sequence[dict | None],
                  on_written: Callable[[Outcome], None]) -> dict[int, Outcome]:
    """A new key over existing Secrets goes in through secret_pair (preconditions, no mixed
    keys with a concurrent writer); its failures are already undone and explained there."""
    from kubectl_nim import secret_pair

    def report(written):
        on_written(Outcome(written.ref, written.action, written.after or {}))

    done = secret_pair.apply_new_key(cluster, objects, before, report)
    return {i: Outcome(object_ref(objects[i]), w.action, w.after or before[i] or {})
            for i, w in done.items()}


def _maybe_carried_out(error: ClusterError) -> bool:
    """No answer (timed out, connection dropped) or 504: the server may have created the object
    anyway, now or a little later (kube-apiserver says so for its own request timeouts). Only a
    refused connection, an unknown host or a failed TLS handshake prove that nothing was sent."""
    if error.status == 504:
        return True
    return error.status is None and not error.never_sent


def _grace(cluster: Cluster) -> float:
    """How long the rollback waits for a create that got no answer: as long again as the request
    was given, at most the default request timeout."""
    timeout = getattr(cluster, "timeout", None)
    return min(timeout or DEFAULT_TIMEOUT, DEFAULT_TIMEOUT)


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
    uncertain: list[str] = field(default_factory=list)  # unanswered creates that never appeared


def _delete(cluster: Cluster, obj: dict, undone: Undone) -> bool:
    """Delete one object; False when it was not there (404)."""
    ref = object_ref(obj)
    try:
        cluster.delete(obj["kind"], _name(obj), obj["metadata"].get("namespace"))
    except ApiError as e:
        if e.status == 404:
            return False
        undone.left.append(f"{ref} ({e.message})")
    except ClusterError as e:
        undone.left.append(f"{ref} ({e.message})")
    else:
        undone.deleted.append(ref)
    return True


def rollback(cluster: Cluster, created: Sequence[dict], uncertain: Sequence[dict] = (),
             grace: float = 0.0, sleep: Callable[[float], None] = time.sleep,
             clock: Callable[[], float] = time.monotonic,
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
            f"check `oc get {object_ref(obj)} -n {obj['metadata'].get('namespace')}` and "
            f"delete it if it is there")
    if undone.deleted:
        log.debug("rolled back: " + ", ".join(undone.deleted))
    return undone


def _rollback_hint(undone: Undone, hint: str | None) -> str | None:
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
