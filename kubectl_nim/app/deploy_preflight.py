"""Everything `deploy` checks on the server before it writes: one round trip.

The project (exists, not terminating, carries the dashboard's nim-support marker?), the
--existing-pvc claim, with --apply the live objects, and every write sent with `dryRun=All`, so
admission, schema and RBAC errors surface before anything exists. Nothing here persists anything,
which is why NVIDIA's verdict on the key can be awaited alongside (`check_with_key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from kubectl_nim import caller
from kubectl_nim.adapters.kube.cluster import ApiError, Cluster, concurrently
from kubectl_nim.app.deploy_rollback import DeployFailed, Undone, rollback_hint
from kubectl_nim.domain.objects import name_of
from kubectl_nim.domain.ownership import describe_conflicts, only_own_conflicts, same_content
from kubectl_nim.domain.names import NIM_SUPPORT_ANNOTATION
from kubectl_nim.domain.refs import object_ref
from kubectl_nim.errors import ClusterError, NimError


def project_needs_annotation(cluster: Cluster, namespace: str,
                             warn: Callable[[str], None]) -> bool:
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
        if e.not_found:
            raise NimError(f"project {namespace!r} does not exist",
                           hint=f"create it (`{caller.create_project_cmd()}`) or pick another with -n") from None
        if e.forbidden:
            warn(f"cannot read namespace {namespace} to check its "
                     f"{NIM_SUPPORT_ANNOTATION} annotation; going on")
            return False
        raise
    if terminating(ns):
        raise NimError(f"project {namespace!r} is terminating (it is being deleted)",
                       hint="nothing can be created in it; use another project with -n")
    annotations = (ns.get("metadata") or {}).get("annotations") or {}
    return annotations.get(NIM_SUPPORT_ANNOTATION) != "true"


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


def check_and_preflight(cluster: Cluster, objects: Sequence[dict], namespace: str, *,
                        warn: Callable[[str], None], apply: bool = False,
                        force_conflicts: bool = False,
                        existing_pvc: str | None = None) -> Checked:
    """The project check, the --existing-pvc check, the --apply reads and the dryRun=All
    preflight in one round trip.

    They are independent reads and dry runs, so they go out together; the answers are then
    judged in a fixed order, the missing project first (it explains any 404 of the dry runs).
    """
    def nothing():
        return None

    tasks = [lambda: project_needs_annotation(cluster, namespace, warn),
             (lambda: check_existing_claim(cluster, existing_pvc, namespace, warn))
             if existing_pvc
             else nothing,
             (lambda: existing_objects(cluster, objects)) if apply else nothing,
             lambda: _dry_runs(cluster, objects, apply, force_conflicts)]
    results = concurrently(lambda task: task(), tasks)
    for result in results:  # the first failure in this order is the one to report
        if isinstance(result, ClusterError):
            raise result
    annotate, _, live, answers = results
    forced = None
    if apply:
        assert live is not None
        refuse_foreign_or_terminating(objects, live, namespace)
        answers, forced = _resolve_own_conflicts(cluster, objects, answers, force_conflicts)
    return Checked(annotate, live, judge_preflight(cluster, objects, answers, namespace, apply),
                   forced)


def check_with_key(cluster: Cluster, objects: Sequence[dict], namespace: str,
                   key_check: Callable[[], object] | None, **preflight) -> Checked:
    """`check_and_preflight` with NVIDIA's key check running at the same time: one round trip
    of wall time for both instead of one after the other.

    The dry runs reach only the user's own API server and persist nothing, so they may go out
    before NVIDIA has answered; every real write comes later, from the caller, and only once
    this has returned, i.e. after the key was accepted. `key_check` raises KeyRejected (exit 1)
    or NvidiaUnreachable (exit 3); None skips it.
    """
    if key_check is None:
        return check_and_preflight(cluster, objects, namespace, **preflight)

    def outcome(task: Callable[[], object]):
        try:
            return task()
        except NimError as e:  # judged below, in a fixed order, whichever answered first
            return e

    key, checked = concurrently(outcome, [
        key_check, lambda: check_and_preflight(cluster, objects, namespace, **preflight)])
    # Both failed: report the key. It has to be fixed whatever else is wrong, and deploy's answer
    # to a bad key (message, exit 1 or 3) stays what it was when the key was checked before the
    # preflight, so a script telling "NVIDIA unreachable" (3) from other failures still can.
    if isinstance(key, NimError):
        raise key
    if isinstance(checked, NimError):
        raise checked
    return checked


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


def terminating_error(ref: str, namespace: str) -> DeployFailed:
    return DeployFailed(f"{ref} is terminating in {namespace} (it is being deleted)",
                        hint="wait until it is gone (a PVC goes once no pod uses it), or "
                             "deploy under another name")


def check_existing_claim(cluster: Cluster, claim: str, namespace: str,
                         warn: Callable[[str], None]) -> None:
    """--existing-pvc must name a claim that exists and is not being deleted."""
    ref = f"persistentvolumeclaim/{claim}"
    try:
        pvc = cluster.get("PersistentVolumeClaim", claim, namespace)
    except ApiError as e:
        if e.not_found:
            raise DeployFailed(f"{ref} not found in {namespace}",
                               hint="--existing-pvc reuses a claim: create it first, or leave "
                                    "the flag out to get a new one") from None
        if e.forbidden:
            warn(f"cannot read {ref} to check it exists; going on")
            return
        raise DeployFailed(f"cannot read {ref}: {e.message}", hint=e.hint) from None
    if terminating(pvc):
        raise terminating_error(ref, namespace)


def refuse_foreign_or_terminating(objects: Sequence[dict], live: Sequence[dict | None],
                                  namespace: str) -> None:
    """--apply updates NIM deployments only, and never an object that is being deleted."""
    from kubectl_nim.domain.nim_runtime import is_foreign, runtime_image

    from kubectl_nim.domain import nimservice

    by_kind = {obj["kind"]: old for obj, old in zip(objects, live)}
    runtime, isvc = by_kind.get("ServingRuntime"), by_kind.get("InferenceService")
    refused = nimservice.refusal(isvc, namespace, "update")
    if refused:
        raise DeployFailed(*refused)
    if is_foreign(isvc, runtime):
        found = runtime or isvc
        assert found is not None  # is_foreign is False when neither exists
        name = name_of(found)
        what = (f"servingruntime.serving.kserve.io/{name} runs "
                f"{runtime_image(runtime) or 'no image'}" if runtime
                else f"inferenceservice.serving.kserve.io/{name} has no NIM runtime")
        raise DeployFailed(f"{name!r} in {namespace} is not a NIM deployment ({what})",
                           hint="--apply only updates NIM deployments; pick another name")
    for obj, old in zip(objects, live):
        if terminating(old):
            raise terminating_error(object_ref(obj), namespace)


def _already_exists(cluster: Cluster, obj: dict, namespace: str) -> DeployFailed:
    kind = obj["kind"]
    ref = object_ref(obj)
    try:  # one more read, on this path only: a terminating object needs other advice
        live = cluster.get_or_none(kind, name_of(obj), obj["metadata"].get("namespace"))
    except ClusterError:
        live = None
    if terminating(live):
        return terminating_error(ref, namespace)
    if kind in ("InferenceService", "ServingRuntime"):
        return DeployFailed(
            f"a deployment named {name_of(obj)!r} already exists in {namespace} ({ref})",
            hint="use --apply to update it, pick another name, or delete it first")
    if kind == "PersistentVolumeClaim":
        return DeployFailed(f"{ref} already exists in {namespace}",
                            hint=f"reuse it with --existing-pvc {name_of(obj)}, or delete it first")
    return DeployFailed(f"{ref} already exists in {namespace} (left from an earlier deployment?)",
                        hint="delete it first, or use --apply to take it over")


def write_failure(action: str, obj: dict, error: ClusterError) -> DeployFailed:
    return DeployFailed(f"cannot {action} {object_ref(obj)}: {error.message}", hint=error.hint)


def judge_preflight(cluster: Cluster, objects: Sequence[dict], answers: Sequence,
                    namespace: str, apply: bool = False) -> list[dict]:
    """The dry runs' answers, or the first failure as one clear error."""
    if not apply:
        conflicts = [obj for obj, answer in zip(objects, answers)
                     if isinstance(answer, ApiError) and answer.conflict]
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
            failure = write_failure("create" if not apply else "apply", obj, answer)
            # Every missing permission at once: asking an admin one by one costs a round each.
            also = [object_ref(o) for o, a in zip(objects, answers) if o is not obj
                    and isinstance(a, ApiError) and a.forbidden] if answer.forbidden else []
            message = failure.message + (f"; also forbidden: {', '.join(also)}" if also else "")
            raise DeployFailed(message, hint=rollback_hint(Undone([], []), answer.hint))
    return list(answers)


def existing_objects(cluster: Cluster, objects: Sequence[dict]) -> list[dict | None]:
    def get(obj):
        return cluster.get_or_none(obj["kind"], name_of(obj), obj["metadata"].get("namespace"))
    answers = concurrently(get, objects)
    for obj, answer in zip(objects, answers):
        if isinstance(answer, ClusterError):
            raise write_failure("read", obj, answer)
    return answers

