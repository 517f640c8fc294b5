"""Sending a rendered deployment to the cluster: preflight, ordered writes, rollback.

The objects come from `render.render_deployment` (pure); this module only decides how they reach
the API server. Every write is first sent with `dryRun=All` (concurrently: one round-trip of wall
time) so admission, schema and RBAC errors surface before anything exists; then the real writes go
out in batches (`write_batches`): the objects that do not depend on each other (the two secrets,
the PVC, the ServingRuntime) at once, the InferenceService once they exist, since KServe resolves
its runtime when it is created. If one fails, every object this run created is deleted again,
newest first, once the other writes of its batch have answered. Objects that existed before the
run are never touched by the rollback.

A create that got no answer (timed out, connection dropped, 504) may still be carried out by the
server, even after we gave up: the rollback deletes it if it is there, retries for as long again
as the request was given, and otherwise names it in the error instead of claiming it was undone.
Ctrl-C during the writes rolls back too (without waiting for late creates). The project's
`opendatahub.io/nim-support` annotation goes out with the last batch (one round trip less); if
that batch fails, the rollback removes the annotation again, so a refused or rolled-back run
leaves every object as it was (the namespace's resourceVersion aside).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from kubectl_nim import caller, interrupts, log
from kubectl_nim.adapters.kube.cluster import DEFAULT_TIMEOUT, ApiError, Cluster, concurrently
from kubectl_nim.domain.ownership import describe_conflicts, only_own_conflicts, same_content
from kubectl_nim.errors import ClusterError, NimError
from kubectl_nim.domain.render import NIM_SUPPORT, namespace_annotation_patch, object_ref



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
                           hint=f"create it (`{caller.create_project_cmd()}`) or pick another with -n") from None
        if e.status == 403:
            log.warn(f"cannot read namespace {namespace} to check its "
                     f"{NIM_SUPPORT} annotation; going on")
            return False
        raise
    if terminating(ns):
        raise NimError(f"project {namespace!r} is terminating (it is being deleted)",
                       hint="nothing can be created in it; use another project with -n")
    annotations = (ns.get("metadata") or {}).get("annotations") or {}
    return annotations.get(NIM_SUPPORT) != "true"


@dataclass(frozen=True)
class Checked:
    annotate: bool                        # the project lacks the nim-support marker
    before: list[dict | None] | None      # with --apply: each object as it was, or None
    answers: list[dict]                   # the server's answers to the dryRun=All writes
    forced: list[bool] | None = None      # with --apply: send with force (own fields only)

    def unchanged(self, index: int) -> bool:
        """With --apply: the dry run stores nothing new, so the real write is skipped (a
        real server bumps some objects' resourceVersion even for an identical apply)."""
        return self.before is not None and same_content(self.before[index], self.answers[index])


def check_and_preflight(cluster: Cluster, objects: Sequence[dict], namespace: str,
                        apply: bool = False, force_conflicts: bool = False,
                        existing_pvc: str | None = None) -> Checked:
    """The project check, the --existing-pvc check, the --apply reads and the dryRun=All
    preflight in one round trip.

    They are independent reads and dry runs, so they go out together; the answers are then
    judged in a fixed order, the missing project first (it explains any 404 of the dry runs).
    """
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        project = pool.submit(project_needs_annotation, cluster, namespace)
        claim = pool.submit(check_existing_claim, cluster, existing_pvc, namespace) \
            if existing_pvc else None
        before = pool.submit(existing_objects, cluster, objects) if apply else None
        dry_runs = pool.submit(_dry_runs, cluster, objects, apply, force_conflicts)
        annotate = project.result()
        if claim is not None:
            claim.result()
        live = before.result() if before else None
        answers = dry_runs.result()
    forced = None
    if apply:
        assert live is not None
        refuse_foreign_or_terminating(objects, live, namespace)
        answers, forced = _resolve_own_conflicts(cluster, objects, answers, force_conflicts)
    return Checked(annotate, live, judge_preflight(cluster, objects, answers, namespace, apply),
                   forced)


def _dry_runs(cluster: Cluster, objects: Sequence[dict], apply: bool, force: bool) -> list:
    write = (lambda o: cluster.apply(o, dry_run=True, force=force)) if apply else \
        (lambda o: cluster.create(o, dry_run=True))
    return concurrently(write, objects)


def _resolve_own_conflicts(cluster: Cluster, objects: Sequence[dict], answers: list,
                           force_conflicts: bool) -> tuple[list, list[bool]]:
    """Dry runs that conflict only with the plugin's own earlier writes (its Update entry) are
    sent again with force, and so will the real writes be (domain/ownership.py says why)."""
    forced = [force_conflicts] * len(objects)
    own = [i for i, answer in enumerate(answers) if isinstance(answer, ApiError)
           and only_own_conflicts(answer.conflicts, cluster.field_manager)]
    retried = concurrently(lambda i: cluster.apply(objects[i], dry_run=True, force=True), own)
    for i, answer in zip(own, retried):
        answers[i], forced[i] = answer, True
    return answers, forced


def terminating(obj: dict | None) -> bool:
    return bool(((obj or {}).get("metadata") or {}).get("deletionTimestamp"))


def _terminating_error(ref: str, namespace: str) -> DeployFailed:
    return DeployFailed(f"{ref} is terminating in {namespace} (it is being deleted)",
                        hint="wait until it is gone (a PVC goes once no pod uses it), or "
                             "deploy under another name")


def check_existing_claim(cluster: Cluster, claim: str, namespace: str) -> None:
    """--existing-pvc must name a claim that exists and is not being deleted."""
    ref = f"persistentvolumeclaim/{claim}"
    try:
        pvc = cluster.get("PersistentVolumeClaim", claim, namespace)
    except ApiError as e:
        if e.status == 404:
            raise DeployFailed(f"{ref} not found in {namespace}",
                               hint="--existing-pvc reuses a claim: create it first, or leave "
                                    "the flag out to get a new one") from None
        if e.status == 403:
            log.warn(f"cannot read {ref} to check it exists; going on")
            return
        raise DeployFailed(f"cannot read {ref}: {e.message}", hint=e.hint) from None
    if terminating(pvc):
        raise _terminating_error(ref, namespace)


def refuse_foreign_or_terminating(objects: Sequence[dict], live: Sequence[dict | None],
                                  namespace: str) -> None:
    """--apply updates NIM deployments only, and never an object that is being deleted."""
    from kubectl_nim.domain.nim_runtime import is_foreign, runtime_image

    by_kind = {obj["kind"]: old for obj, old in zip(objects, live)}
    runtime, isvc = by_kind.get("ServingRuntime"), by_kind.get("InferenceService")
    if is_foreign(isvc, runtime):
        name = _name(runtime or isvc)
        what = (f"servingruntime.serving.kserve.io/{name} runs "
                f"{runtime_image(runtime) or 'no image'}" if runtime
                else f"inferenceservice.serving.kserve.io/{name} has no NIM runtime")
        raise DeployFailed(f"{name!r} in {namespace} is not a NIM deployment ({what})",
                           hint="--apply only updates NIM deployments; pick another name")
    for obj, old in zip(objects, live):
        if terminating(old):
            raise _terminating_error(object_ref(obj), namespace)


def annotate_project(cluster: Cluster, namespace: str, dry_run: bool = False) -> bool:
    """Write the marker; a failure only warns (the deployment works without it). True when
    the marker was written."""
    try:
        cluster.patch("Namespace", namespace, namespace_annotation_patch(), dry_run=dry_run)
    except ApiError as e:
        if e.status != 403:
            log.warn(f"could not annotate namespace {namespace} with "
                     f"{NIM_SUPPORT}=true: {e.message}")
            return False
        log.warn(f"not allowed to annotate namespace {namespace} with "
                 f"{NIM_SUPPORT}=true; the dashboard may not list NIM for it "
                 f"until an admin does")
        return False
    except ClusterError as e:
        log.warn(f"could not annotate namespace {namespace} with "
                 f"{NIM_SUPPORT}=true: {e.message}")
        return False
    return True


def unannotate_project(cluster: Cluster, namespace: str, undone: "Undone") -> None:
    """Rollback of `annotate_project`: remove the marker this run added."""
    path = "/metadata/annotations/" + NIM_SUPPORT.replace("~", "~0").replace("/", "~1")
    try:
        cluster.patch("Namespace", namespace, [{"op": "remove", "path": path}],
                      patch_type="json")
    except ClusterError as e:
        undone.left.append(f"the {NIM_SUPPORT} annotation of namespace {namespace} "
                           f"({e.message})")


def _already_exists(cluster: Cluster, obj: dict, namespace: str) -> DeployFailed:
    kind = obj["kind"]
    ref = object_ref(obj)
    try:  # one more read, on this path only: a terminating object needs other advice
        live = cluster.get_or_none(kind, _name(obj), obj["metadata"].get("namespace"))
    except ClusterError:
        live = None
    if terminating(live):
        return _terminating_error(ref, namespace)
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


def judge_preflight(cluster: Cluster, objects: Sequence[dict], answers: Sequence,
                    namespace: str, apply: bool = False) -> list[dict]:
    """The dry runs' answers, or the first failure as one clear error."""
    if not apply:
        conflicts = [obj for obj, answer in zip(objects, answers)
                     if isinstance(answer, ApiError) and answer.status == 409]
        # The deployment itself existing is the clearer message than one of its secrets.
        conflicts.sort(key=lambda o: o["kind"] not in ("InferenceService", "ServingRuntime"))
        if conflicts:
            raise _already_exists(cluster, conflicts[0], namespace)
    for obj, answer in zip(objects, answers):
        if isinstance(answer, ApiError) and answer.conflicts:
            raise DeployFailed(
                f"cannot apply {object_ref(obj)}: fields are managed by another tool: "
                f"{describe_conflicts(answer.conflicts, cluster.field_manager)}",
                hint="nothing was changed; re-run with --force-conflicts to take them over, or "
                     "change them with the tool that owns them")
        if isinstance(answer, ClusterError):
            failure = _failure("create" if not apply else "apply", obj, answer)
            raise DeployFailed(failure.message, hint=_rollback_hint(Undone([], []), answer.hint))
    return list(answers)


def existing_objects(cluster: Cluster, objects: Sequence[dict]) -> list[dict | None]:
    def get(obj):
        return cluster.get_or_none(obj["kind"], _name(obj), obj["metadata"].get("namespace"))
    answers = concurrently(get, objects)
    for obj, answer in zip(objects, answers):
        if isinstance(answer, ClusterError):
            raise _failure("read", obj, answer)
    return answers


# Written only once everything before them exists: KServe's webhook resolves an
# InferenceService's ServingRuntime when the InferenceService is created.
WRITE_AFTER_THE_REST = ("InferenceService",)


def write_batches(objects: Sequence[dict]) -> list[list[int]]:
    """Indices of `objects` in the batches `write` sends, each batch at once, in order: runs of
    independent objects together, each WRITE_AFTER_THE_REST kind alone after what precedes it."""
    batches: list[list[int]] = []
    run: list[int] = []
    for i, obj in enumerate(objects):
        if obj["kind"] in WRITE_AFTER_THE_REST:
            batches += [run] if run else []
            batches.append([i])
            run = []
        else:
            run.append(i)
    return batches + ([run] if run else [])


class _Interrupted(Exception):
    """Ctrl-C while a batch was in flight: what had answered, and what had not."""

    def __init__(self, answers: list, in_flight: list[int],
                 signal: BaseException | None = None):
        super().__init__("interrupted")
        self.answers = answers
        self.in_flight = in_flight
        self.signal = signal  # the KeyboardInterrupt (interrupts.Interrupted names SIGTERM...)


def send_batch(send: Callable[[int], dict], items: Sequence[int]) -> list:
    """send(item) for every item at once (one round trip of wall time); each answer is the
    object or the ClusterError. Ctrl-C (in the waiting thread or raised by a send) becomes
    _Interrupted, after which nothing more is sent."""
    from concurrent.futures import ThreadPoolExecutor, wait

    pool = ThreadPoolExecutor(max_workers=max(1, len(items)), thread_name_prefix="write")
    futures = [pool.submit(send, item) for item in items]
    try:
        wait(futures)
    except KeyboardInterrupt as signal:
        # A signal: the writes in flight finish first (each bounded by --request-timeout), so
        # the rollback knows what exists; a second signal stops the waiting.
        try:
            wait(futures)
        except KeyboardInterrupt:
            pass
        pool.shutdown(wait=False, cancel_futures=True)
        answers = [_answer(f) if f.done() and not f.cancelled() else None for f in futures]
        raise _Interrupted(answers, [i for i, f in enumerate(futures)
                                     if not f.done() or _interrupted(f)], signal) from None
    pool.shutdown()
    answers = [_answer(f) for f in futures]
    interrupted = [i for i, f in enumerate(futures) if _interrupted(f)]
    if interrupted:
        raise _Interrupted(answers, interrupted, futures[interrupted[0]].exception())
    return answers


def _interrupted(future) -> bool:
    return not future.cancelled() and isinstance(future.exception(), KeyboardInterrupt)


def _answer(future):
    error = future.exception()
    if error is None:
        return future.result()
    if isinstance(error, (ClusterError, KeyboardInterrupt)):
        return error if isinstance(error, ClusterError) else None
    raise error


ANNOTATE, OWN_SECRETS = -1, -2   # the extra items of the last batch


def write(cluster: Cluster, objects: Sequence[dict], *, apply: bool = False,
          before: Sequence[dict | None] | None = None, checked: Checked | None = None,
          on_written: Callable[[Outcome], None] = lambda o: None,
          sleep: Callable[[float], None] = time.sleep,
          clock: Callable[[], float] = time.monotonic,
          annotate_namespace: str | None = None, own_secrets: bool = False) -> list[Outcome]:
    """Write batch by batch (`write_batches`); on a failure roll back what this run created.

    With `checked` (--apply): an object whose dry run stored nothing new is not written
    ("unchanged"), and one whose only conflicts were the plugin's own is applied with force.
    `annotate_namespace`: add the project's nim-support marker alongside the last batch (and
    remove it again if that batch fails). `own_secrets`: point both secrets' ownerReferences at
    the ServingRuntime, also alongside the last batch (its uid exists by then); a refused patch
    fails the run like any write. Progress (`on_written`) is reported in the objects' order once
    their batch has answered."""
    before = list(before) if before is not None else [None] * len(objects)
    verb = "apply" if apply else "create"
    created: list[dict] = []
    outcomes: list[Outcome] = []
    annotated: list[str] = []
    in_flight: list[dict] = []  # new objects whose create was sent but not answered
    # --apply with a new key over existing Secrets: written first by the secret-pair protocol
    # (preconditions, no mixed keys with a concurrent writer); its failures are undone there.
    by_pair = _new_key_pair(cluster, objects, before, on_written, sleep) if apply else {}
    outcomes.extend(by_pair.values())

    def send(i: int):
        if i == ANNOTATE:
            if annotate_project(cluster, annotate_namespace):
                annotated.append(annotate_namespace)
            return None
        if i == OWN_SECRETS:
            return _set_owners(cluster, objects, outcomes)
        if apply and checked is not None and checked.unchanged(i):
            return before[i]  # same resourceVersion: reported as unchanged, nothing sent
        force = bool(apply and checked and checked.forced and checked.forced[i])
        return cluster.apply(objects[i], force=force) if apply else cluster.create(objects[i])

    def undo(uncertain: Sequence[dict], **kwargs) -> Undone:
        undone = rollback(cluster, created, uncertain=uncertain, **kwargs)
        for namespace in annotated:
            unannotate_project(cluster, namespace, undone)
        return undone

    batches = write_batches(objects)
    try:
        for number, batch in enumerate(batches):
            last = number == len(batches) - 1
            extras = ([ANNOTATE] if last and annotate_namespace else []) + \
                ([OWN_SECRETS] if last and own_secrets else [])
            batch = [i for i in batch if i not in by_pair]
            in_flight = [objects[i] for i in batch if before[i] is None]
            try:
                answers = send_batch(send, batch + extras)
            except _Interrupted as stop:
                _record(objects, before, batch, stop.answers, created, outcomes, on_written)
                in_flight = [objects[batch[k]] for k in stop.in_flight
                             if k < len(batch) and before[batch[k]] is None]
                raise (stop.signal or KeyboardInterrupt()) from None
            owners = answers[len(batch) + extras.index(OWN_SECRETS)] \
                if OWN_SECRETS in extras else None
            failed = [(i, a) for i, a in zip(batch, answers) if isinstance(a, ClusterError)]
            unsure = [objects[j] for j, e in failed
                      if before[j] is None and e.may_land_later]
            in_flight = unsure  # answered now, except those that may still be carried out
            _record(objects, before, batch, answers, created, outcomes, on_written)
            if failed:
                i, error = failed[0]
                late = "timed out" if error.timed_out else "got no answer"
                undone = undo(unsure, grace=_grace(cluster), sleep=sleep, clock=clock,
                              why=f"its {verb} {late}")
                failure = _failure(verb, objects[i], error)
                raise DeployFailed(failure.message,
                                   hint=_rollback_hint(undone, error.hint)) from None
            if isinstance(owners, ClusterError):
                undone = undo([])
                runtime = next(o for o in objects if o["kind"] == "ServingRuntime")
                raise DeployFailed(f"cannot set the ownerReferences of the secrets to "
                                   f"{object_ref(runtime)}: {owners.message}",
                                   hint=_rollback_hint(undone, owners.hint)) from None
            if owners:
                outcomes[:] = [Outcome(o.ref, o.action, owners[o.ref.split("/", 1)[1]])
                               if o.ref.startswith("secret/") and o.ref.split("/", 1)[1] in owners
                               else o for o in outcomes]
    except KeyboardInterrupt as signal:
        # Ctrl-C, SIGTERM or SIGHUP (interrupts.Interrupted) is a failure too: undo what this
        # run created, without waiting, including a create the server may have carried out.
        undone = undo(in_flight, why=f"its {verb} was interrupted")
        doing = "applying" if apply else "creating"
        what = interrupts.describe(signal)
        what = (f"{what} while {doing} {', '.join(object_ref(o) for o in in_flight)}"
                if in_flight else what)
        raise DeployFailed(what, hint=_rollback_hint(undone, None),
                           signal=signal) from None
    order = [object_ref(obj) for obj in objects]
    return sorted(outcomes, key=lambda o: order.index(o.ref) if o.ref in order else len(order))


def _set_owners(cluster: Cluster, objects: Sequence[dict], outcomes: Sequence[Outcome]):
    """The ownerReference patch of the secrets, from the answers of the earlier batches."""
    answers = {o.ref: o.obj for o in outcomes}
    secrets = [answers[object_ref(obj)] for obj in objects
               if obj["kind"] == "Secret" and object_ref(obj) in answers]
    runtime = next((answers.get(object_ref(obj)) for obj in objects
                    if obj["kind"] == "ServingRuntime"), None)
    if not secrets or runtime is None:
        return None
    return set_secret_owners(cluster, secrets, runtime)


def _record(objects, before, batch, answers, created, outcomes, on_written) -> None:
    """The successful writes of a batch, in the objects' order: remember, then report them."""
    new = []
    for i, answer in zip(batch, answers):
        if answer is None or isinstance(answer, ClusterError):
            continue
        if before[i] is None:
            created.append(objects[i])
        new.append(Outcome(object_ref(objects[i]), _action(before[i], answer), answer))
    outcomes.extend(new)
    for outcome in new:
        on_written(outcome)


def _new_key_pair(cluster: Cluster, objects: Sequence[dict], before: Sequence[dict | None],
                  on_written: Callable[[Outcome], None],
                  sleep: Callable[[float], None] = time.sleep) -> dict[int, Outcome]:
    """A new key over existing Secrets goes in through secret_pair (preconditions, no mixed
    keys with a concurrent writer); its failures are already undone and explained there."""
    from kubectl_nim.app import secret_pair

    def report(written):
        on_written(Outcome(written.ref, written.action, written.after or {}))

    done = secret_pair.apply_new_key(cluster, objects, before, report, sleep)
    return {i: Outcome(object_ref(objects[i]), w.action, w.after or before[i] or {})
            for i, w in done.items()}


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
            f"check `{caller.tool()} get {object_ref(obj)} -n {obj['metadata'].get('namespace')}` and "
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


# --- ownerReferences from the secrets to the ServingRuntime (SPEC §3) ---------------------------

def set_secret_owners(cluster: Cluster, secrets: Sequence[dict], runtime: dict,
                      dry_run: bool = False) -> dict[str, dict]:
    """Point both secrets' ownerReferences at the runtime the server answered (uid included), so
    deleting the deployment elsewhere (the dashboard deletes the ServingRuntime) lets the garbage
    collector remove the key too. `secrets`: the server's answers for them. Returns the server's
    answers to the patches by secret name; a ClusterError propagates (deploy rolls back, migrate
    warns)."""
    from kubectl_nim.domain.render import owner_patch, owner_reference

    owner = owner_reference(runtime)
    if not owner.get("uid"):
        return {}
    patched = {}
    for secret in secrets:
        patch = owner_patch(secret, owner)
        if patch is None:
            continue
        patched[_name(secret)] = cluster.patch("Secret", _name(secret), patch,
                                               secret["metadata"].get("namespace"),
                                               dry_run=dry_run)
    return patched
