"""`project rotate-key`: a new key for the whole project's NIM Account. Both data keys of the
key Secret are rewritten (optimistic concurrency), the Account is annotated so that the
controller validates the key again and rewrites its pull secret, and once it did, the
deployments that read the project key are restarted (docs/compatibility.md, per-project NIM
Accounts)."""

from __future__ import annotations

from typing import Callable

from kubectl_nim import caller
from kubectl_nim.app import Emit
from kubectl_nim.app.predictor_restart import Restart, restart_step
from kubectl_nim.domain import account_objects
from kubectl_nim.domain.names import FORCE_VALIDATION_ANNOTATION
from kubectl_nim.domain.refs import kind_ref
from kubectl_nim.environment import Environment
from kubectl_nim.domain.dry_run import DryRun
from kubectl_nim.errors import ClusterError, Day2Error, KeyRejected


def rotate(cluster, namespace: str, *, new_key: Callable[[], str],
           validate_key: Callable[[str], None] | None, dry_run: DryRun, restart: Restart,
           emit: Emit, env: Environment) -> None:
    from kubectl_nim.app import optimistic, project
    from kubectl_nim.domain.account_state import parse_time, rfc3339
    from kubectl_nim.domain.nim_runtime import Deployment, runtime_name_of

    proj = project.read_project(cluster, namespace)[0]
    state = project.require_account(proj)
    secret_name = proj.key_secret
    secret_ref, account_ref = kind_ref("Secret", secret_name), kind_ref("Account", state.name)
    key = new_key()
    if validate_key is not None and dry_run.sends:
        validate_key(key)

    def desired(current):
        if current is None:
            raise Day2Error(f"{secret_ref}, the key Secret of {account_ref}, does not exist in "
                            f"{namespace}",
                            hint=f"disable and enable NIM again: `{caller.plugin_cmd('project')}"
                                 f" disable` then `enable`")
        return account_objects.rekeyed(current, key)

    stamp = rfc3339(env.now())
    written = None
    if not dry_run.sends:
        emit(secret_ref, "configured")
        emit(account_ref, "annotated")
    else:
        try:
            written = optimistic.read_modify_write(cluster, "Secret", secret_name, namespace,
                                                   desired, dry_run=dry_run,
                                                   sleep=env.sleep)
        except ClusterError as e:
            raise Day2Error(f"writing the new key into {secret_ref} failed: {e.message}; the "
                            f"project keeps its old key", hint=e.hint) from None
        emit(secret_ref, written.action)
        try:
            cluster.patch("Account", state.name,
                          account_objects.force_validation_patch(stamp), namespace,
                          dry_run=dry_run.server_flag)
        except ClusterError as e:
            raise Day2Error(
                f"{secret_ref} holds the new key, but asking the controller to validate it "
                f"again failed: {e.message}",
                hint=f"re-run the same command (it converges), or annotate {account_ref} with "
                     f"{FORCE_VALIDATION_ANNOTATION}=<now, RFC 3339>") from None
        emit(account_ref, "annotated")
    if dry_run.persists:
        env.notice(f"Waiting {restart.wait_limit} for the NIM controller to validate the "
                   f"new key and rewrite the pull secret...")
        try:
            wait_revalidated(cluster, namespace, state.name, key, parse_time(stamp),
                             restart.timeout, env)
        except KeyRejected as rejected:
            raise KeyRejected(rejected.message + "; " + put_back(cluster, namespace, state.name,
                                                                 written, env),
                              hint=rejected.hint) from None
    users = proj.users
    if not users:
        env.notice(f"No deployment of project {namespace} reads the project key: nothing to "
                   f"restart.")
        return
    by_name = {(i.get("metadata") or {}).get("name"): i for i in proj.isvcs}
    runtimes = {(r.get("metadata") or {}).get("name"): r for r in proj.runtimes}
    for name in users:
        isvc = by_name.get(name)
        dep = Deployment(name, namespace, isvc,
                         runtimes.get((runtime_name_of(isvc) if isvc else None) or name))
        restart_step(cluster, dep, dry_run, restart,
                     "the project's key Secret and pull secret hold the new key", emit, env)


def put_back(cluster, namespace: str, account: str, written, env: Environment) -> str:
    """After the controller rejected the new key: the key Secret's data as it was read before
    (unless someone changed it since), and one more re-validation, so that the key Secret and
    the pull secret hold the same (old) key again. Says what it did."""
    from kubectl_nim.app import optimistic
    from kubectl_nim.domain.account_state import rfc3339

    if written is None or written.before is None or written.after is None:
        return "the key Secret was left as it is"
    ours, old = (written.after.get("data") or {}), (written.before.get("data") or {})

    def restore(current):
        if current is None or (current.get("data") or {}) != ours:
            raise Day2Error("changed meanwhile")
        current["data"] = dict(old)
        return current

    secret_ref = kind_ref("Secret", written.before["metadata"]["name"])
    try:
        optimistic.read_modify_write(cluster, "Secret", written.before["metadata"]["name"],
                                     namespace, restore, sleep=env.sleep)
        cluster.patch("Account", account,
                      account_objects.force_validation_patch(rfc3339(env.now())), namespace)
    except (ClusterError, Day2Error) as e:
        return f"putting the old key back into {secret_ref} failed ({e.message}): it holds " \
               f"the rejected key"
    return f"the old key is back in {secret_ref} (the controller validates it again)"


def wait_revalidated(cluster, namespace: str, account: str, key: str, since, timeout: float,
                     env: Environment) -> None:
    """Until the controller validated the new key: a successful validation at or after `since`
    (the annotation's time), the Account ready, and its pull secret (status.nimPullSecret)
    holding `key` — which the controller writes only from a key it validated, so a validation
    of the old key within the same second does not count either. KeyRejected with the
    controller's own words when it refused the key after `since`."""
    from kubectl_nim.app.secret_writes import pull_secret_key
    from kubectl_nim.app.wait import State, poll
    from kubectl_nim.domain.account_state import account_state

    def observe() -> State:
        obj = cluster.get_or_none("Account", account, namespace)
        if obj is None:
            raise Day2Error(f"{kind_ref('Account', account)} disappeared while waiting for it")
        state = account_state(obj)
        if state.validated_since(since) is False:
            raise KeyRejected(f"the NIM controller rejected the new key of project {namespace}: "
                              f"{state.rejection()}; no deployment was restarted",
                              hint=f"run `{caller.plugin_cmd('project rotate-key')}` again "
                                   f"with a valid key")
        secret = cluster.get_or_none("Secret", state.pull_secret, namespace) \
            if state.pull_secret else None
        rewritten = secret is not None and pull_secret_key(secret) == key
        validated = state.validated_since(since) is True
        return State(validated and rewritten,
                     f"AccountStatus {state.readiness}, "
                     + ("validated" if validated else "not validated yet") + ", pull secret "
                     + ("rewritten" if rewritten else "not rewritten yet"), ())

    poll(observe, lambda state: None, timeout,
         f"{kind_ref('Account', account)} to validate the new key",
         f"it may still finish: `{caller.plugin_cmd('project status')} -n {namespace}`",
         clock=env.clock, sleep=env.sleep, warn=env.warn)
