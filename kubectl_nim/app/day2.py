"""Finding a deployment and planning `rotate-key` (the pieces the day-2 verbs share live in
domain/nim_runtime, domain/list_rows, domain/day2_plans, app/optimistic, app/secret_writes and
app/predictor_restart).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Sequence

from kubectl_nim import caller
from kubectl_nim.adapters.kube.cluster import Cluster, concurrently
from kubectl_nim.app.accounts import read_account_secrets
from kubectl_nim.app.optimistic import read_secrets
from kubectl_nim.app.secret_writes import SecretTarget, check_pull_secret, nvcr_pull_secret
from kubectl_nim.domain.day2_plans import legacy_refusal
from kubectl_nim.domain.keys import REGISTRY
from kubectl_nim.domain.keys import ENV_VAR as API_KEY_ENV
from kubectl_nim.domain.names import own_secret_names
from kubectl_nim.domain.nim_runtime import DOCKERCONFIG_KEY, Deployment, INLINE, NONE, SHARED_LEGACY, key_scheme
from kubectl_nim.errors import ClusterError, Day2Error, NimError, NotFound
from kubectl_nim.domain.refs import kind_ref

def deployment_not_found(name: str, namespace: "str | None",
                         all_namespaces: bool = False) -> NotFound:
    """The one "no such deployment" of every verb that names one (status, list, the day-2
    verbs), with the command that lists them as the user invoked the plugin (kubectl or oc)."""
    where = "any project you can read" if all_namespaces else namespace
    scope = " -A" if all_namespaces else f" -n {namespace}"
    return NotFound(f"no NIM deployment {name!r} in {where} (no InferenceService or "
                    f"ServingRuntime of that name)",
                    hint=f"`{caller.plugin_cmd('list')}{scope}` shows the deployments")


def find_deployment(cluster: Cluster, namespace: str, name: str,
                    require_runtime: bool = True, prefetch: Sequence[str] = (),
                    prefetched: dict | None = None, action: str = "change") -> Deployment:
    """The InferenceService NAME and its ServingRuntime (spec.predictor.model.runtime, else the
    runtime named NAME). Raises NotFound when neither exists (or the runtime, if required), and
    Day2Error for one a NIMService controls (the verbs that use this one `action` it).

    The InferenceService and the runtime named NAME are read at once (the runtime of another
    name, made by hand, costs one more read), together with the Secrets named in `prefetch`,
    whose answers (object, or None when missing) go into `prefetched`: a guess at what the
    caller reads next, costing no round trip of its own; so do the project's NIM Accounts
    (under ACCOUNTS), which plan_rotation asks about."""
    from kubectl_nim.domain import nimservice

    reads: list[Callable[[], Any]] = [
        lambda: cluster.get_or_none("InferenceService", name, namespace),
        lambda: cluster.get_or_none("ServingRuntime", name, namespace)]
    reads += [partial(cluster.get_or_none, "Secret", s, namespace) for s in prefetch]
    accounts_too = prefetched is not None and bool(prefetch)  # rotate-key's plan needs them
    if accounts_too:
        reads.append(partial(read_account_secrets, cluster, namespace))
    isvc, runtime, *secrets = concurrently(lambda read: read(), reads)
    if prefetched is not None and accounts_too:
        prefetched[ACCOUNTS] = secrets.pop()
    for answer in (isvc, runtime):
        if isinstance(answer, ClusterError):
            raise answer
    refused = nimservice.refusal(isvc, namespace, action)
    if refused:
        raise Day2Error(refused[0], hint=refused[1])
    if prefetched is not None:  # a failed guess is read again, and reported, by the caller
        prefetched.update({s: a for s, a in zip(prefetch, secrets)
                           if not isinstance(a, ClusterError)})
    dep = Deployment(name, namespace, isvc, None)
    dep.runtime = runtime if dep.runtime_name == name else \
        cluster.get_or_none("ServingRuntime", dep.runtime_name, namespace)
    if isvc is None and dep.runtime is None:
        raise deployment_not_found(name, namespace)
    if require_runtime and dep.runtime is None:
        raise NotFound(f"{kind_ref('InferenceService', name)} in {namespace} has no ServingRuntime "
                       f"{dep.runtime_name!r}",
                       hint="the runtime is what references the key; redeploy it")
    return dep


# Where find_deployment leaves the project's NIM Accounts it read beside the deployment (a key
# no Secret name can be).
ACCOUNTS = ("accounts",)


@dataclass
class RotationPlan:
    targets: list[SecretTarget]
    current: dict[str, dict | None]       # every target as read now (None: missing, will create)
    skipped: list[tuple[str, str]]        # (ref, why) referenced but not rotated


def own_secrets(name: str) -> list[str]:
    """Every name deployment `name`'s own secrets may have (both namings): what rotate-key
    reads beside the deployment, since its runtime nearly always references those."""
    own = own_secret_names(name)
    return [*own["secret"], *own["pull_secret"]]


def plan_rotation(cluster: Cluster, dep: Deployment,
                  prefetched: dict | None = None) -> RotationPlan:
    """What rotate-key writes, from the secrets the runtime actually references (those already
    in `prefetched` are not read again). Refuses the shared legacy secrets (migrate first) and
    an inline key; no references = nothing to rotate."""
    refs = dep.refs
    scheme = key_scheme(dep.name, refs)
    if scheme == INLINE:
        raise Day2Error(f"the ServingRuntime of {dep.name!r} sets {API_KEY_ENV} as a plain value, "
                        f"not from a secret: there is no secret to rotate",
                        hint=f"`{caller.plugin_cmd('migrate')} {dep.name}` moves it into the deployment's "
                             f"own secrets")
    if scheme == NONE:
        return RotationPlan([], {}, [])
    prefetched = dict(prefetched or {})
    known = prefetched.pop(ACCOUNTS, None)
    accounts, current = concurrently(lambda read: read(), [
        (lambda: known) if known is not None else
        partial(read_account_secrets, cluster, dep.namespace),
        lambda: _answer_of(read_secrets, cluster, dep.namespace,
                           [n for n in refs.names if n not in prefetched])])
    keyed = [n for n in refs.key_secrets if n in accounts.owners]
    if keyed:
        raise Day2Error(
            f"the key of {dep.name!r} is the project's, not the deployment's: "
            f"{kind_ref('Secret', keyed[0])} {accounts.why_owned(keyed[0])}",
            hint=f"`{caller.plugin_cmd('project rotate-key')} -n {dep.namespace}` replaces it "
                 f"for the whole project (the controller re-validates it and rewrites the "
                 f"Account's pull secret), then restarts the deployments that use it")
    if scheme == SHARED_LEGACY:
        raise legacy_refusal(dep, "rotate the key of")
    if isinstance(current, NimError):
        raise current
    current.update({n: prefetched[n] for n in refs.names if n in prefetched})
    own = own_secret_names(dep.name)  # either naming (docs/design.md#names)
    targets: list[SecretTarget] = []
    skipped: list[tuple[str, str]] = []
    for ref in refs.key_refs:
        if not ref.secret:
            continue
        owned = accounts.why_owned(ref.secret)
        if owned:  # Accounts that cannot be read: a name an Account uses is left alone
            raise Day2Error(f"will not rewrite {kind_ref('Secret', ref.secret)}, which the "
                            f"ServingRuntime's {API_KEY_ENV} reads: {owned}",
                            hint="ask a project admin to let you read NIM Accounts "
                                 "(accounts.nim.opendatahub.io), or rotate it in the project's "
                                 "NIM settings")
        target = SecretTarget(ref.secret, "api-key", ref.data_key or API_KEY_ENV,
                              dep.name if ref.secret in own["secret"] else "")
        if current.get(ref.secret) is None and not target.deployment:
            raise Day2Error(f"{kind_ref('Secret', ref.secret)}, which the ServingRuntime's "
                            f"{API_KEY_ENV} reads, does not exist in {dep.namespace}",
                            hint="create it, or redeploy")
        if target not in targets:
            targets.append(target)
    for name in refs.pull_secrets:
        secret = current.get(name)
        owned = accounts.why_owned(name)
        if owned:
            skipped.append((kind_ref('Secret', name), owned))
        elif name in own["pull_secret"] or (secret is not None and nvcr_pull_secret(secret)):
            if secret is not None:
                check_pull_secret(secret)
            targets.append(SecretTarget(name, "pull", DOCKERCONFIG_KEY,
                                        dep.name if name in own["pull_secret"] else ""))
        elif secret is None:
            skipped.append((kind_ref('Secret', name), "referenced by imagePullSecrets but missing"))
        else:
            skipped.append((kind_ref('Secret', name), f"a pull secret for other registries than "
                                              f"{REGISTRY}"))
    return RotationPlan(targets, {t.name: current.get(t.name) for t in targets}, skipped)


def _answer_of(read, *args):
    """What `read(*args)` answers, or the error it raised (decided on after the reads)."""
    try:
        return read(*args)
    except NimError as e:
        return e
