"""Sending a rendered deployment to the cluster: ordered writes, ownership, rollback.

The objects come from `render.render_deployment` (pure); this module only decides how they reach
the API server. Every write is first sent with `dryRun=All` (`deploy_preflight`, concurrently: one
round-trip of wall time) so admission, schema and RBAC errors surface before anything exists; then
the real writes go
out in batches (`write_batches`): the objects that do not depend on each other (the two secrets,
the PVC, the ServingRuntime) at once, the InferenceService once they exist, since KServe resolves
its runtime when it is created. If one fails, every object this run created is deleted again,
newest first, once the other writes of its batch have answered (`deploy_rollback`). Objects that
existed before the run are never touched by the rollback.

A create that got no answer (timed out, connection dropped, 504) may still be carried out by the
server, even after we gave up: the rollback deletes it if it is there, retries for as long again
as the request was given, and otherwise names it in the error instead of claiming it was undone.
Ctrl-C during the writes rolls back too (without waiting for late creates). The project's
`opendatahub.io/nim-support` annotation goes out with the last batch (one round trip less); if
that batch fails, the rollback removes the annotation again, so a refused or rolled-back run
leaves every object as it was (the namespace's resourceVersion aside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from kubectl_nim import interrupts
from kubectl_nim.adapters.kube.cluster import DEFAULT_TIMEOUT, ApiError, Cluster
from kubectl_nim.errors import ClusterError
from kubectl_nim.domain.names import NIM_SUPPORT_ANNOTATION
from kubectl_nim.domain.refs import object_ref
from kubectl_nim.domain.render import namespace_annotation_patch
from kubectl_nim.app.deploy_preflight import Checked, write_failure
from kubectl_nim.app.deploy_rollback import (DeployFailed, Undone, rollback, rollback_hint,
                                             unannotate_project)
from kubectl_nim.domain.dry_run import DryRun
from kubectl_nim.domain.objects import name_of

if TYPE_CHECKING:
    from datetime import datetime


@dataclass(frozen=True)
class Outcome:
    ref: str       # kubectl-style `secret/nvidia-nim-secrets-x`
    action: str    # created | configured | unchanged
    obj: dict      # what the server answered


def annotate_project(cluster: Cluster, namespace: str, warn: Callable[[str], None],
                     dry_run: DryRun = DryRun.NONE) -> bool:
    """Write the marker; a failure only warns (the deployment works without it). True when
    the marker was written."""
    try:
        cluster.patch("Namespace", namespace, namespace_annotation_patch(),
                      dry_run=dry_run.server_flag)
    except ApiError as e:
        if not e.forbidden:
            warn(f"could not annotate namespace {namespace} with "
                     f"{NIM_SUPPORT_ANNOTATION}=true: {e.message}")
            return False
        warn(f"not allowed to annotate namespace {namespace} with "
                 f"{NIM_SUPPORT_ANNOTATION}=true; the dashboard may not list NIM for it "
                 f"until an admin does")
        return False
    except ClusterError as e:
        warn(f"could not annotate namespace {namespace} with "
                 f"{NIM_SUPPORT_ANNOTATION}=true: {e.message}")
        return False
    return True


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
    futures: list = []
    try:
        # A signal while the batch is handed out waits until all of it is (the first writes
        # may already be in flight): then it is handled as one during the wait below.
        with interrupts.deferred():
            futures = [pool.submit(send, item) for item in items]
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
          sleep: Callable[[float], None], clock: Callable[[], float],
          now: Callable[[], datetime], warn: Callable[[str], None], patience: float | None,
          annotate_namespace: str | None = None, own_secrets: bool = False) -> list[Outcome]:
    """Write batch by batch (`write_batches`); on a failure roll back what this run created.

    With `checked` (--apply): an object whose dry run stored nothing new is not written
    ("unchanged"), and one whose only conflicts were the plugin's own is applied with force.
    `annotate_namespace`: add the project's nim-support marker alongside the last batch (and
    remove it again if that batch fails). `own_secrets`: point both secrets' ownerReferences at
    the ServingRuntime, also alongside the last batch (its uid exists by then); a refused patch
    fails the run like any write. `patience`: how long the rollback rides out an API server
    that does not answer (deploy_rollback.rollback). Progress (`on_written`) is reported in the
    objects' order once their batch has answered."""
    before = list(before) if before is not None else [None] * len(objects)
    verb = "apply" if apply else "create"
    created: list[dict] = []
    outcomes: list[Outcome] = []
    annotated: list[str] = []
    in_flight: list[dict] = []  # new objects whose create was sent but not answered
    # --apply with a new key over existing Secrets: written first by the secret-pair protocol
    # (preconditions, no mixed keys with a concurrent writer); its failures are undone there.
    by_pair = _new_key_pair(cluster, objects, before, on_written, sleep=sleep, now=now,
                             warn=warn) if apply else {}
    outcomes.extend(by_pair.values())

    def send(i: int):
        if i == ANNOTATE:
            if annotate_namespace and annotate_project(cluster, annotate_namespace, warn):
                annotated.append(annotate_namespace)
            return None
        if i == OWN_SECRETS:
            return _set_owners(cluster, objects, outcomes)
        if apply and checked is not None and checked.unchanged(i):
            return before[i]  # same resourceVersion: reported as unchanged, nothing sent
        force = bool(apply and checked and checked.forced and checked.forced[i])
        return cluster.apply(objects[i], force=force) if apply else cluster.create(objects[i])

    def undo(uncertain: Sequence[dict], **kwargs) -> Undone:
        undone = rollback(cluster, created, uncertain=uncertain, sleep=sleep, clock=clock,
                          patience=patience, **kwargs)
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
            if not apply:  # two runs creating one name at once: the ServingRuntime decides
                answers = _settle_contention(cluster, objects, before, batch, answers, created,
                                             send, sleep, clock)
            failed = [(i, a) for i, a in zip(batch, answers) if isinstance(a, ClusterError)]
            unsure = [objects[j] for j, e in failed
                      if before[j] is None and e.may_land_later]
            in_flight = unsure  # answered now, except those that may still be carried out
            _record(objects, before, batch, answers, created, outcomes, on_written)
            if failed:
                i, error = failed[0]
                late = "timed out" if error.timed_out else "got no answer"
                undone = undo(unsure, grace=_grace(cluster), why=f"its {verb} {late}")
                lost = _lost_the_name(cluster, objects, before, failed)
                if lost is not None:  # another run has the name: say which, and that it stands
                    i, error = lost
                failure = write_failure(verb, objects[i], error)
                raise DeployFailed(failure.message + (_winner(cluster, objects[i]) if lost else ""),
                                   hint=rollback_hint(undone, error.hint)) from None
            if isinstance(owners, ClusterError):
                undone = undo([])
                runtime = next(o for o in objects if o["kind"] == "ServingRuntime")
                raise DeployFailed(f"cannot set the ownerReferences of the secrets to "
                                   f"{object_ref(runtime)}: {owners.message}",
                                   hint=rollback_hint(undone, owners.hint)) from None
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
        raise DeployFailed(what, hint=rollback_hint(undone, None),
                           signal=signal) from None
    order = [object_ref(obj) for obj in objects]
    return sorted(outcomes, key=lambda o: order.index(o.ref) if o.ref in order else len(order))


def _runtime_index(objects: Sequence[dict]) -> int | None:
    return next((i for i, obj in enumerate(objects) if obj["kind"] == "ServingRuntime"), None)


def _settle_contention(cluster: Cluster, objects: Sequence[dict],
                       before: Sequence[dict | None], batch: Sequence[int], answers: list,
                       created: Sequence[dict], send: Callable[[int], dict],
                       sleep: Callable[[float], None], clock: Callable[[], float]) -> list:
    """Two runs creating one name at once can each meet the other's first objects (AlreadyExists
    for what the preflight saw absent). The ServingRuntime decides who has the name: exactly one
    create of it succeeds. The run that made it waits (through the retry policy, bounded) until
    the other has rolled back its objects and creates them again; the other fails
    (`_lost_the_name`) and rolls back. Returns `answers` with the retried creates' answers."""
    from kubectl_nim.adapters import retry

    runtime = _runtime_index(objects)
    if runtime is None:
        return answers
    ours = objects[runtime] in created or (
        runtime in batch and isinstance(answers[list(batch).index(runtime)], dict))
    contended = [k for k, (i, answer) in enumerate(zip(batch, answers))
                 if isinstance(answer, ClusterError) and answer.conflict and before[i] is None]
    others = [a for a in answers[:len(batch)] if isinstance(a, ClusterError)]
    if not ours or not contended or len(others) != len(contended):
        return answers
    answers = list(answers)
    deadline = clock() + _grace(cluster)
    for attempt in range(retry.CONTENTION.attempts):
        delay = retry.CONTENTION.delay(attempt)
        if not contended or clock() + delay > deadline:
            break
        sleep(delay)
        for k in list(contended):
            try:
                answers[k] = send(batch[k])
            except ClusterError as e:
                answers[k] = e
                if e.conflict:
                    continue
            contended.remove(k)
    return answers


def _lost_the_name(cluster: Cluster, objects: Sequence[dict], before: Sequence[dict | None],
                   failed: Sequence[tuple[int, ClusterError]]):
    """(index, error) of this run's ServingRuntime create when it met one made meanwhile (the
    preflight saw none): another deploy of the name won. None otherwise."""
    runtime = _runtime_index(objects)
    return next(((i, error) for i, error in failed
                 if i == runtime and error.conflict and before[i] is None), None)


def _winner(cluster: Cluster, obj: dict) -> str:
    """Who has the name, when the ServingRuntime is there to say so."""
    try:
        live = cluster.get_or_none("ServingRuntime", name_of(obj),
                                   obj["metadata"].get("namespace"))
    except ClusterError:
        live = None
    if live is None:
        return ""
    when = (live.get("metadata") or {}).get("creationTimestamp")
    return (f" (another deploy of {name_of(obj)!r} won: it created {object_ref(obj)}"
            f"{f' at {when}' if isinstance(when, str) else ''} while this run was writing; "
            f"its deployment stands)")


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
                  on_written: Callable[[Outcome], None], *, sleep: Callable[[float], None],
                  now: Callable[[], datetime], warn: Callable[[str], None]) -> dict[int, Outcome]:
    """A new key over existing Secrets goes in through secret_pair (preconditions, no mixed
    keys with a concurrent writer); its failures are already undone and explained there."""
    from kubectl_nim.app import secret_pair

    def report(written):
        on_written(Outcome(written.ref, written.action, written.after or {}))

    done = secret_pair.apply_new_key(cluster, objects, before, report, sleep=sleep, now=now,
                                     warn=warn)
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


# --- ownerReferences from the secrets to the ServingRuntime (docs/design.md) ---------------------------

def set_secret_owners(cluster: Cluster, secrets: Sequence[dict], runtime: dict,
                      dry_run: DryRun = DryRun.NONE) -> dict[str, dict]:
    """Point both secrets' ownerReferences at the runtime the server answered (uid included), so
    deleting the deployment elsewhere (the dashboard deletes the ServingRuntime) lets the garbage
    collector remove the key too. `secrets`: the server's answers for them. Returns the server's
    answers to the patches by secret name; a ClusterError propagates once both patches have
    answered (deploy rolls back, migrate warns). The patches are independent: sent at once."""
    from kubectl_nim.adapters.kube.cluster import concurrently
    from kubectl_nim.domain.objects import owner_patch, owner_reference

    owner = owner_reference(runtime)
    if not owner.get("uid"):
        return {}
    targets = [(secret, owner_patch(secret, owner)) for secret in secrets]
    targets = [(secret, patch) for secret, patch in targets if patch is not None]
    answers = concurrently(lambda t: cluster.patch("Secret", name_of(t[0]), t[1],
                                                   t[0]["metadata"].get("namespace"),
                                                   dry_run=dry_run.server_flag), targets)
    for answer in answers:
        if isinstance(answer, ClusterError):
            raise answer
    return {name_of(secret): answer for (secret, _), answer in zip(targets, answers)}

