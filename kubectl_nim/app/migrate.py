"""`migrate`: move a deployment from the shared legacy secrets to its own, one step at a time so
that its ServingRuntime always references secrets that exist."""

from __future__ import annotations

from typing import Callable

from kubectl_nim import caller, log
from kubectl_nim.app import Emit
from kubectl_nim.app.predictor_restart import Restart, restart_step
from kubectl_nim.environment import Environment
from kubectl_nim.domain.dry_run import DryRun


def migrate(cluster, dep, *, new_key: Callable[[], str] | None,
            validate_key: Callable[[str], None] | None, naming_of_cluster: Callable[[], str],
            dry_run: DryRun, restart: Restart, emit: Emit, env: Environment,
            from_project_account: bool = False) -> bool:
    """Migrate one deployment; False when there was nothing to do. `new_key()` reads a new key
    (None: --reuse-key, take it from the shared secret); `validate_key(key)` checks it with
    NVIDIA (None: not checked); `naming_of_cluster()` says how the new secrets are named (asked
    only when there is something to migrate). A deployment that reads the key of the project's
    NIM Account is moved only with `from_project_account`, and the Account is left alone."""
    from kubectl_nim.domain.refs import kind_ref
    from kubectl_nim.app import optimistic
    from kubectl_nim.app import secret_pair, secret_writes
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.errors import Day2Error
    from kubectl_nim.errors import NimError
    from kubectl_nim.domain.names import derived_names

    scheme = dep.scheme
    if scheme == nim_runtime.PER_DEPLOYMENT:
        env.notice(f"{dep.name!r} already uses its own secrets ({', '.join(dep.refs.names)}): "
                   f"nothing to migrate.")
        return False
    if scheme == nim_runtime.NONE:
        env.notice(f"The ServingRuntime of {dep.name!r} references no key secret (a disconnected "
                   f"deployment): nothing to migrate.")
        return False
    # The Account's key Secret may have any name: asked before the custom-names refusal.
    account_owned = refuse_project_account_key(cluster, dep, from_project_account)
    if scheme == nim_runtime.CUSTOM and not set(dep.refs.key_secrets) & set(account_owned):
        raise Day2Error(
            f"{dep.name!r} uses secrets under other names ({', '.join(dep.refs.names)}), not the "
            f"shared legacy ones: migrate only converts nvidia-nim-secrets / ngc-secret",
            hint=f"`{caller.plugin_cmd('rotate-key')} {dep.name}` updates the secrets it references")
    naming = naming_of_cluster()
    own = derived_names(dep.name, naming)

    key = key_from_shared(cluster, dep) if new_key is None else new_key()
    if validate_key is not None and dry_run.sends:
        validate_key(key)

    targets = [secret_writes.SecretTarget(own["secret"], "api-key", deployment=dep.name),
               secret_writes.SecretTarget(own["pull_secret"], "pull", nim_runtime.DOCKERCONFIG_KEY,
                                 deployment=dep.name)]
    current = optimistic.read_secrets(cluster, dep.namespace, [t.name for t in targets])
    pull = current[own["pull_secret"]]
    if pull is not None:
        secret_writes.check_pull_secret(pull)
    if not restart.skip and dep.isvc is not None:
        env.warn(nim_runtime.double_capacity_warning(dep.isvc))
    runtime_ref = kind_ref("ServingRuntime", dep.runtime_name)

    if not dry_run.sends:
        for ref, action in secret_writes.preview(targets, dep.namespace, key, current):
            emit(ref, action)
        emit(runtime_ref, "configured")
        restart_step(cluster, dep, dry_run, restart, "", emit, env)
        return True

    server = dry_run.server_flag
    written = secret_pair.write_pair(cluster, dep.namespace, targets, key, dry_run=dry_run,
                                 current=current, sleep=env.sleep, now=env.now, warn=env.warn,
                                 on_written=lambda w: emit(w.ref, w.action))

    def switch(runtime):
        if runtime is None:
            raise Day2Error(f"{runtime_ref} disappeared during the migration")
        return nim_runtime.switch_refs(runtime, dep.name, naming, replaced=account_owned)

    try:
        answer = optimistic.read_modify_write(cluster, "ServingRuntime", dep.runtime_name,
                                        dep.namespace, switch, dry_run=dry_run,
                                        current=dep.runtime, have_current=True,
                                        sleep=env.sleep)
    except KeyboardInterrupt as signal:
        # The update in flight was finished first (interrupts.deferred); the new secrets
        # exist either way, so the runtime references existing secrets.
        from kubectl_nim import interrupts

        raise Day2Error(
            f"{interrupts.describe(signal)} while pointing {runtime_ref} at its own secrets "
            f"(the update was sent); its new secrets are kept, nothing was restarted",
            hint=f"re-run `kubectl nim migrate {dep.name} -n {dep.namespace}` to finish",
            signal=signal) from None
    except NimError as e:
        raise _switch_failed(cluster, dep, targets, written, e, server, runtime_ref,
                             env) from None
    emit(runtime_ref, answer.action)
    if not server:
        _set_owners(cluster, dep, written, answer.after or dep.runtime, env.warn)
    restart_step(cluster, dep, dry_run, restart, "the ServingRuntime now uses its own secrets",
                 emit, env)
    if not server:
        verify(cluster, dep, key, naming, env.notice)
    return True


def refuse_project_account_key(cluster, dep, from_project_account: bool) -> list[str]:
    """A deployment whose key Secret belongs to the project's NIM Account shares the project's
    key on purpose: moving it to its own secrets is a choice the user makes explicitly. Either
    way nothing of the Account is written: the new secrets have the deployment's own names, and
    an Account that names one of those is refused too. (Accounts that cannot be read refuse
    nothing here: migrating writes only the deployment's own secrets; the cleanup keeps the
    names an Account uses.) Returns the Account's secrets the runtime stops referencing."""
    from kubectl_nim.app.accounts import read_account_secrets
    from kubectl_nim.domain.names import own_secret_names
    from kubectl_nim.domain.refs import kind_ref
    from kubectl_nim.errors import Day2Error

    owned = read_account_secrets(cluster, dep.namespace)
    keyed = [n for n in dep.refs.key_secrets if n in owned.owners]
    if keyed and not from_project_account:
        raise Day2Error(
            f"{dep.name!r} uses the project's NIM Account key: {kind_ref('Secret', keyed[0])} "
            f"{owned.why_owned(keyed[0])}",
            hint="the key is the project's; to give this deployment its own secrets anyway, add "
                 "--from-project-account (the Account and its secrets are left alone)")
    own = own_secret_names(dep.name)
    clash = [n for n in own["secret"] + own["pull_secret"] if n in owned.owners]
    if clash:
        raise Day2Error(f"cannot give {dep.name!r} its own secrets: {kind_ref('Secret', clash[0])} "
                        f"{owned.why_owned(clash[0])}",
                        hint="an Account's secrets change only through the project's NIM "
                             "settings")
    return list(owned.owners)


def _set_owners(cluster, dep, written, runtime, warn: Callable[[str], None]) -> None:
    """The new secrets get an ownerReference to the ServingRuntime (docs/design.md#secrets), as
    deploy's do. The
    migration itself is done by then, so a refusal only warns."""
    from kubectl_nim.app import deploy_write
    from kubectl_nim.errors import ClusterError

    secrets = [w.after or w.before for w in written if (w.after or w.before)]
    try:
        deploy_write.set_secret_owners(cluster, secrets, runtime)
    except ClusterError as e:
        warn(f"could not set the ownerReferences of the secrets to the ServingRuntime "
             f"{dep.runtime_name} ({e.message}): deleting the deployment elsewhere would "
             f"leave them behind; `kubectl nim delete {dep.name}` removes them")


def _switch_failed(cluster, dep, targets, written, error, server, runtime_ref, env):
    from kubectl_nim.app import optimistic
    from kubectl_nim.app import secret_writes
    from kubectl_nim.errors import Day2Error

    cause = f"cannot point {runtime_ref} at its own secrets: {error.message}"
    if server:
        return Day2Error(cause, hint=error.hint)
    if optimistic.was_uncertain(error):
        # The change may still land: the new secrets must exist then, so they stay.
        return Day2Error(
            f"{cause}; the new secrets are kept (the change may have been applied), so the "
            f"runtime references existing secrets either way",
            hint=f"re-run `{caller.plugin_cmd('migrate')} {dep.name}` to finish")
    restored, left = secret_writes.undo_secrets(cluster, dep.namespace, list(zip(targets, written)),
                                                sleep=env.sleep)
    undone = f"; removed what this run wrote ({', '.join(restored)})" if restored else ""
    if left:
        undone += f"; could not undo {', '.join(left)} (harmless: nothing references it)"
    return Day2Error(f"{cause}{undone}; the deployment still uses the shared secrets",
                          hint=error.hint)


def key_from_shared(cluster, dep) -> str:
    """The key the deployment uses today, for --reuse-key: only a personal (nvapi-) key."""
    from kubectl_nim.domain.refs import kind_ref
    from kubectl_nim.app import secret_writes
    from kubectl_nim.errors import Day2Error
    from kubectl_nim.domain import keys
    from kubectl_nim.domain.names import LEGACY_PULL_SECRET

    refs = dep.refs
    key, source = None, None
    for ref in refs.key_refs:
        if ref.inline:
            env = next(e for c in (dep.runtime.get("spec") or {}).get("containers") or []
                       if c.get("name") == ref.container for e in c.get("env") or []
                       if e.get("name") == keys.ENV_VAR)
            key, source = str(env.get("value") or "").strip(), f"the {keys.ENV_VAR} value"
            log.register_secret(key)
        elif ref.secret:
            secret = cluster.get_or_none("Secret", ref.secret, dep.namespace)
            if secret is None:
                raise Day2Error(f"{kind_ref('Secret', ref.secret)} does not exist in "
                                f"{dep.namespace}: there is no key to reuse",
                                hint="migrate with a new key: drop --reuse-key")
            key = secret_writes.api_secret_key(secret, ref.data_key)
            source = kind_ref("Secret", ref.secret)
        if key:
            break
    if not key and LEGACY_PULL_SECRET in refs.pull_secrets:
        secret = cluster.get_or_none("Secret", LEGACY_PULL_SECRET, dep.namespace)
        key = secret_writes.pull_secret_key(secret)
        source = kind_ref("Secret", LEGACY_PULL_SECRET)
    if not key:
        raise Day2Error(f"found no NVIDIA key to reuse in {source or 'the shared secrets'}",
                             hint="migrate with a new key: drop --reuse-key")
    if not key.startswith(keys.PERSONAL_PREFIX):
        raise Day2Error(
            f"{source} holds a legacy NVIDIA key, not a personal key (nvapi-...): it cannot be "
            f"reused",
            hint=f"migrate with a new personal key (drop --reuse-key; give it with "
                 f"--api-key-file or NGC_API_KEY); create one at {keys.PERSONAL_KEYS_URL}")
    keys.check_key_characters(key)
    return key


def verify(cluster, dep, key: str, naming: str, notice: Callable[[str], None]) -> None:
    """Read back: the runtime references the deployment's own secrets, both exist and hold
    the key (said through `notice`, the run's console)."""
    from kubectl_nim.domain.refs import kind_ref
    from kubectl_nim.app import optimistic
    from kubectl_nim.app import secret_writes
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.errors import Day2Error
    from kubectl_nim.errors import ClusterError
    from kubectl_nim.domain.names import derived_names

    own = derived_names(dep.name, naming)
    try:
        runtime = cluster.get("ServingRuntime", dep.runtime_name, dep.namespace)
        secrets = optimistic.read_secrets(cluster, dep.namespace, [own["secret"], own["pull_secret"]])
    except ClusterError as e:
        raise Day2Error(f"migrated, but could not read the result back: {e.message}",
                             hint=f"check with `{caller.plugin_cmd('list')} -n {dep.namespace}`") from None
    refs = nim_runtime.runtime_refs(runtime)
    problems = []
    if nim_runtime.key_scheme(dep.name, refs) != nim_runtime.PER_DEPLOYMENT:
        problems.append(f"the runtime references {', '.join(refs.names) or 'no secret'}")
    if secret_writes.api_secret_key(secrets[own["secret"]]) != key:
        problems.append(f"{kind_ref('Secret', own['secret'])} does not hold the key")
    if secret_writes.pull_secret_key(secrets[own["pull_secret"]]) != key:
        problems.append(f"{kind_ref('Secret', own['pull_secret'])} does not hold the key")
    if problems:
        raise Day2Error("verification failed after the migration: " + "; ".join(problems),
                             hint="someone changed it meanwhile? re-run the migration")
    notice(f"Verified: {dep.name} reads its key from {kind_ref('Secret', own['secret'])} "
           f"and pulls with {kind_ref('Secret', own['pull_secret'])}, which hold the same "
           f"key.")


def cleanup_shared_secrets(cluster, namespace: str, dry_run: DryRun, emit: Emit, env: Environment,
                           switched_runtime: str | None = None) -> None:
    """Delete the shared legacy secrets once nothing in the project references them.
    `switched_runtime`: a runtime a dry run pretended to migrate (counts as not referencing)."""
    from kubectl_nim.domain.refs import kind_ref
    from kubectl_nim.app import optimistic
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.errors import Day2Error
    from kubectl_nim.errors import ClusterError

    from kubectl_nim.adapters.kube.cluster import concurrently
    from kubectl_nim.app.accounts import read_account_secrets

    runtimes, isvcs, owned = concurrently(
        lambda read: read(), [lambda: cluster.list("ServingRuntime", namespace),
                              lambda: cluster.list("InferenceService", namespace),
                              lambda: read_account_secrets(cluster, namespace)])
    for answer in (runtimes, isvcs):
        if isinstance(answer, ClusterError):
            raise Day2Error(f"cannot list what references the shared secrets in {namespace}: "
                            f"{answer.message}; nothing was deleted", hint=answer.hint)
    others = runtimes + isvcs
    secrets = optimistic.read_secrets(cluster, namespace, sorted(nim_runtime.LEGACY_NAMES))
    skip = {("ServingRuntime", switched_runtime)} if switched_runtime else set()
    present = [n for n in sorted(nim_runtime.LEGACY_NAMES) if secrets[n] is not None]
    if not present:
        env.notice(f"No shared legacy secrets in {namespace}.")
        return
    for secret in present:
        why = owned.why_owned(secret)
        if why:
            env.notice(f"Keeping {kind_ref('Secret', secret)}: {why}; only disabling NIM for "
                       f"the project removes it.")
            continue
        users = nim_runtime.users_of(others, secret, skip)
        if users:
            env.notice(f"Keeping {kind_ref('Secret', secret)}: still referenced by "
                       f"{', '.join(users)} (migrate those first).")
            continue
        if dry_run.sends:
            try:
                optimistic.delete_object(cluster, "Secret", secret, namespace,
                                   dry_run=dry_run, sleep=env.sleep)
            except ClusterError as e:
                raise Day2Error(f"cannot delete {kind_ref('Secret', secret)}: {e.message}",
                                     hint=e.hint) from None
        emit(kind_ref("Secret", secret), "deleted")
