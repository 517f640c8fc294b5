"""`rotate-key`: put a new NVIDIA key into the secrets one deployment references, then restart
its predictor. The click command reads the key and prints; everything else happens here."""

from __future__ import annotations

from typing import Callable

from kubectl_nim.app import Emit
from kubectl_nim.app.predictor_restart import Restart, restart_step
from kubectl_nim.environment import Environment
from kubectl_nim.domain.dry_run import DryRun


def rotate(cluster, namespace: str, name: str, *, new_key: Callable[[], str],
           validate_key: Callable[[str], None] | None, dry_run: DryRun, restart: Restart,
           emit: Emit, env: Environment) -> None:
    """Rotate the key of deployment `name`. `new_key()` reads the key (asked only when there is
    something to rotate); `validate_key(key)` checks it with NVIDIA (None: not checked)."""
    from kubectl_nim.app import day2, secret_pair, secret_writes
    from kubectl_nim.domain import nim_runtime

    prefetched: dict = {}
    dep = day2.find_deployment(cluster, namespace, name, prefetch=day2.own_secrets(name),
                               prefetched=prefetched, action="rotate the key of")
    plan = day2.plan_rotation(cluster, dep, prefetched)
    for ref, why in plan.skipped:
        env.notice(f"Leaving {ref} alone: {why}.")
    if not plan.targets:
        env.notice(f"Nothing to rotate: the ServingRuntime of {name!r} references no key secret "
                   f"(a disconnected deployment pulls through the cluster's global pull secret).")
        return

    key = new_key()
    if validate_key is not None and dry_run.sends:
        validate_key(key)
    if not restart.skip and dep.isvc is not None:
        env.warn(nim_runtime.double_capacity_warning(dep.isvc))

    actions = []

    def report(ref, action):
        actions.append(action)
        emit(ref, action)
    if not dry_run.sends:
        for ref, action in secret_writes.preview(plan.targets, namespace, key, plan.current):
            report(ref, action)
    else:
        secret_pair.write_pair(cluster, namespace, plan.targets, key,
                                    dry_run=dry_run, current=plan.current,
                                    sleep=env.sleep, now=env.now, warn=env.warn,
                                    on_written=lambda w: report(w.ref, w.action))
    if restart.skip and actions and all(a == "unchanged" for a in actions):
        # "the running pods keep the old key" would be false: there is no other key
        env.notice(f"The secrets of {name!r} already hold this key; not restarting "
                   f"(--no-restart).")
        return
    restart_step(cluster, dep, dry_run, restart, "the secrets hold the new key", emit, env)
