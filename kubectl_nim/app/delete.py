"""`delete`'s reads: what the deployment owns and whether anything else still uses it (the plan
itself is day2_plans.plan_delete), and whether a deleted claim is only marked for deletion.
"""

from __future__ import annotations

from typing import Callable

from kubectl_nim.domain.refs import kind_ref
from kubectl_nim.domain.dry_run import DryRun
from kubectl_nim.environment import Environment


def say_if_terminating(cluster, claim: str, namespace: str,
                       notice: Callable[[str], None]) -> None:
    """A claim still mounted by a pod is only marked for deletion (kubernetes.io/pvc-protection):
    say so, since a redeploy of the same name must wait until it is gone."""
    from kubectl_nim.errors import ClusterError

    try:
        pvc = cluster.get_or_none("PersistentVolumeClaim", claim, namespace)
    except ClusterError:
        return
    if pvc and (pvc.get("metadata") or {}).get("deletionTimestamp"):
        finalizers = ", ".join((pvc.get("metadata") or {}).get("finalizers") or []) or "finalizers"
        notice(f"{kind_ref('PersistentVolumeClaim', claim)} is terminating: it goes once no "
               f"pod uses it ({finalizers}); a redeploy of the same name must wait until then.")


def plan(cluster, dep, delete_pvc: bool):
    """Read what the decision needs: every other runtime/InferenceService of the project, which
    of the candidate secrets and claims exist."""
    from kubectl_nim.domain import day2_plans
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.errors import Day2Error
    from kubectl_nim.adapters.kube.api_errors import ApiError
    from kubectl_nim.adapters.kube.cluster import concurrently
    from kubectl_nim.app.accounts import read_account_secrets
    from kubectl_nim.errors import ClusterError
    from kubectl_nim.domain.names import derived_names, own_secret_names
    from kubectl_nim.domain.proxy import ca_configmap_name

    ns = dep.namespace
    own = derived_names(dep.name)
    both = own_secret_names(dep.name)  # a deployment's own secrets under either naming
    secrets = list(dict.fromkeys(list(dep.refs.names) + list(both["secret"])
                                 + list(both["pull_secret"])))
    claims = list(dict.fromkeys(nim_runtime.mounted_claims(dep.runtime) + [own["pvc"]]))
    reads = ([("list", "ServingRuntime"), ("list", "InferenceService"), ("accounts", ""),
              ("ConfigMap", ca_configmap_name(dep.name))]
             + [("Secret", n) for n in secrets]
             + [("PersistentVolumeClaim", n) for n in claims])

    def read(item):
        what, arg = item
        if what == "list":
            return cluster.list(arg, ns)
        if what == "accounts":
            return read_account_secrets(cluster, ns)
        return cluster.get_or_none(what, arg, ns)

    answers = concurrently(read, reads)
    runtimes, isvcs, accounts = answers[0], answers[1], answers[2]
    ca_bundle = _ca_bundle(answers[3], reads[3][1], ns)
    reads, answers = reads[:2] + reads[4:], answers[:2] + answers[4:]
    for (_what, arg), answer in zip(reads[:2], (runtimes, isvcs)):
        if isinstance(answer, ClusterError):
            raise Day2Error(
                f"cannot list {arg}s in {ns} to check what else uses this deployment's secrets "
                f"and PVC: {answer.message}", hint=answer.hint)
    existing_secrets: set[str] = set()
    existing_claims: set[str] = set()
    for (what, arg), answer in zip(reads[2:], answers[2:]):
        if isinstance(answer, ApiError) and answer.forbidden:
            answer = {}  # cannot read it: assume it exists; deleting it will say whether we may
        elif isinstance(answer, ClusterError):
            raise Day2Error(f"cannot read {kind_ref(what, arg)} in {ns}: {answer.message}",
                                 hint=answer.hint)
        if answer is not None:
            (existing_secrets if what == "Secret" else existing_claims).add(arg)
    mine = {("ServingRuntime", dep.runtime_name), ("InferenceService", dep.name)}
    others = [o for o in runtimes + isvcs
              if (o.get("kind"), (o.get("metadata") or {}).get("name")) not in mine]
    return day2_plans.plan_delete(dep, others, existing_secrets, existing_claims, delete_pvc,
                                  accounts, ca_bundle)


def _ca_bundle(answer, name: str, namespace: str):
    """The proxy CA ConfigMap as read: the object, None when there is none, UNREADABLE when it
    may not be read; any other failure is the delete's."""
    from kubectl_nim import log
    from kubectl_nim.adapters.kube.api_errors import ApiError
    from kubectl_nim.domain import day2_plans
    from kubectl_nim.errors import ClusterError, Day2Error

    if isinstance(answer, ApiError) and answer.forbidden:
        log.debug(f"{kind_ref('ConfigMap', name)} not readable (forbidden): kept")
        return day2_plans.UNREADABLE
    if isinstance(answer, ClusterError):
        raise Day2Error(f"cannot read {kind_ref('ConfigMap', name)} in {namespace}: "
                        f"{answer.message}", hint=answer.hint)
    return answer


def find_plan(cluster, namespace: str, name: str, delete_pvc: bool, ignore_not_found: bool,
              env: Environment):
    """What deleting deployment `name` removes and keeps; None when there is nothing at all and
    --ignore-not-found says that is fine. Refuses what is not a NIM deployment."""
    from kubectl_nim.app import day2
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.errors import Day2Error, NotFound

    try:
        dep = day2.find_deployment(cluster, namespace, name, require_runtime=False,
                                   action="delete")
        if nim_runtime.is_foreign(dep.isvc, dep.runtime):
            raise Day2Error(
                f"{name!r} in {namespace} is not a NIM deployment (its runtime runs "
                f"{nim_runtime.runtime_image(dep.runtime) or 'no NIM image'})",
                hint="kubectl nim delete removes NIM deployments only; use oc delete for others")
        return plan(cluster, dep, delete_pvc)
    except NotFound as missing:
        # No InferenceService or runtime: an earlier delete may have stopped before the secrets.
        dep = nim_runtime.Deployment(name, namespace, None, None)
        found = plan(cluster, dep, delete_pvc)
        if not found.delete:
            if ignore_not_found:
                env.notice(f"No NIM deployment {name!r} in {namespace}; nothing to delete.")
                return None
            raise missing from None
        env.notice(f"No InferenceService or ServingRuntime {name!r} in {namespace}; deleting "
                   f"what is left of it.")
        return found


def execute(cluster, namespace: str, found, dry_run: DryRun,
            on_deleted: Callable[[str, bool], None], env: Environment) -> None:
    """Delete what the plan says, in its order (the runtime's users first); `on_deleted(ref,
    gone)` after each (gone False: it had already disappeared). A client dry run sends nothing.
    A failure says what was deleted and what is still there: re-running finishes the job."""
    from kubectl_nim.app import optimistic
    from kubectl_nim.errors import ClusterError, Day2Error

    deleted: list[str] = []
    for kind, obj_name in found.delete:
        ref = kind_ref(kind, obj_name)
        if not dry_run.sends:
            on_deleted(ref, True)
            continue
        try:
            gone = optimistic.delete_object(cluster, kind, obj_name, namespace,
                                            dry_run=dry_run, sleep=env.sleep)
        except KeyboardInterrupt as signal:
            # The delete in flight was finished first (interrupts.deferred): say where we are.
            from kubectl_nim import interrupts

            left = [kind_ref(k, n) for k, n in found.delete[len(deleted) + 1:]]
            raise Day2Error(
                f"{interrupts.describe(signal)} while deleting {ref} (its delete was sent)",
                hint=(f"deleted {', '.join(deleted)}; " if deleted else "")
                + (f"still there: {', '.join(left)}; " if left else "")
                + "re-run the same command to finish",
                signal=signal) from None
        except ClusterError as e:
            left = [kind_ref(k, n) for k, n in found.delete[len(deleted):]]
            raise Day2Error(
                f"cannot delete {ref}: {e.message}",
                hint=(f"deleted {', '.join(deleted)}; " if deleted else "nothing was deleted; ")
                + f"still there: {', '.join(left)}; re-run to finish"
                + (f"; {e.hint}" if e.hint else "")) from None
        deleted.append(ref)
        on_deleted(ref, gone or dry_run.server_flag)
        if kind == "PersistentVolumeClaim" and gone and dry_run.persists:
            say_if_terminating(cluster, obj_name, namespace, env.notice)
