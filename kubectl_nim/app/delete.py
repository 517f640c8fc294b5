"""`delete`'s reads: what the deployment owns and whether anything else still uses it (the plan
itself is day2_plans.plan_delete), and whether a deleted claim is only marked for deletion.
"""

from __future__ import annotations

from kubectl_nim import log
from kubectl_nim.domain.refs import kind_ref


def say_if_terminating(cluster, claim: str, namespace: str) -> None:
    """A claim still mounted by a pod is only marked for deletion (kubernetes.io/pvc-protection):
    say so, since a redeploy of the same name must wait until it is gone."""
    from kubectl_nim.errors import ClusterError

    try:
        pvc = cluster.get_or_none("PersistentVolumeClaim", claim, namespace)
    except ClusterError:
        return
    if pvc and (pvc.get("metadata") or {}).get("deletionTimestamp"):
        finalizers = ", ".join((pvc.get("metadata") or {}).get("finalizers") or []) or "finalizers"
        log.notice(f"{kind_ref('PersistentVolumeClaim', claim)} is terminating: it goes once no "
                   f"pod uses it ({finalizers}); a redeploy of the same name must wait until then.")


def plan(cluster, dep, delete_pvc: bool):
    """Read what the decision needs: every other runtime/InferenceService of the project, which
    of the candidate secrets and claims exist."""
    from kubectl_nim.domain import day2_plans
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.errors import Day2Error
    from kubectl_nim.adapters.kube.api_errors import ApiError
    from kubectl_nim.adapters.kube.cluster import concurrently
    from kubectl_nim.errors import ClusterError
    from kubectl_nim.domain.names import derived_names, own_secret_names

    ns = dep.namespace
    own = derived_names(dep.name)
    both = own_secret_names(dep.name)  # a deployment's own secrets under either naming
    secrets = list(dict.fromkeys(list(dep.refs.names) + list(both["secret"])
                                 + list(both["pull_secret"])))
    claims = list(dict.fromkeys(nim_runtime.mounted_claims(dep.runtime) + [own["pvc"]]))
    reads = ([("list", "ServingRuntime"), ("list", "InferenceService")]
             + [("Secret", n) for n in secrets]
             + [("PersistentVolumeClaim", n) for n in claims])

    def read(item):
        what, arg = item
        if what == "list":
            return cluster.list(arg, ns)
        return cluster.get_or_none(what, arg, ns)

    answers = concurrently(read, reads)
    runtimes, isvcs = answers[0], answers[1]
    for (what, arg), answer in zip(reads[:2], (runtimes, isvcs)):
        if isinstance(answer, ClusterError):
            raise Day2Error(
                f"cannot list {arg}s in {ns} to check what else uses this deployment's secrets "
                f"and PVC: {answer.message}", hint=answer.hint)
    existing_secrets, existing_claims = set(), set()
    for (what, arg), answer in zip(reads[2:], answers[2:]):
        if isinstance(answer, ApiError) and answer.status == 403:
            answer = {}  # cannot read it: assume it exists; deleting it will say whether we may
        elif isinstance(answer, ClusterError):
            raise Day2Error(f"cannot read {kind_ref(what, arg)} in {ns}: {answer.message}",
                                 hint=answer.hint)
        if answer is not None:
            (existing_secrets if what == "Secret" else existing_claims).add(arg)
    mine = {("ServingRuntime", dep.runtime_name), ("InferenceService", dep.name)}
    others = [o for o in runtimes + isvcs
              if (o.get("kind"), (o.get("metadata") or {}).get("name")) not in mine]
    return day2_plans.plan_delete(dep, others, existing_secrets, existing_claims, delete_pvc)
