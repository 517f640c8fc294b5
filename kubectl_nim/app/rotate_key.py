"""`rotate-key`: put a new NVIDIA key into the secrets one deployment references, then restart
its predictor. The click command reads the key and prints; everything else happens here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from kubectl_nim import log
from kubectl_nim.app import Emit
from kubectl_nim.environment import Environment


@dataclass(frozen=True)
class Restart:
    """What happens after the secrets changed: --no-restart, --wait and its --timeout."""

    skip: bool = False
    wait: bool = False
    timeout_text: str = "30m"
    timeout: float = 1800.0
    reporter: Any = None  # app.wait.Reporter: how --wait shows progress


def restart_step(cluster, dep, dry_run: str, restart: Restart, done_what: str, emit: Emit,
                 env: Environment) -> None:
    """Restart the predictor after the secrets changed (and --wait for it); explain failures
    without hiding that the secrets are already done."""
    from kubectl_nim.app import predictor_restart
    from kubectl_nim.domain import nim_runtime
    from kubectl_nim.domain.refs import kind_ref
    from kubectl_nim.errors import ClusterError, Day2Error

    ref = kind_ref("InferenceService", dep.name)
    if restart.skip:
        log.notice(f"Not restarting {ref}: its running pods keep the old key until they restart "
                   f"(re-run with the restart, or delete the pods).")
        return
    if dep.isvc is None:
        log.warn(f"there is no {ref}: nothing to restart")
        return
    if dry_run == "client":
        emit(ref, "restarted")
        return
    try:
        stamp, answer = predictor_restart.restart(cluster, dep.namespace, dep.name,
                                                  dry_run=dry_run == "server", sleep=env.sleep,
                                                  now=env.now)
    except ClusterError as e:
        raise Day2Error(
            f"{done_what}, but restarting {ref} failed: {e.message}",
            hint=f"the running pods keep the old key until they restart; re-run the same "
                 f"command (it converges) or set the annotation {nim_runtime.RESTART_ANNOTATION} "
                 f"on spec.predictor.annotations by hand") from None
    emit(ref, "restarted")
    if restart.wait and dry_run == "none":
        generation = (answer.get("metadata") or {}).get("generation")
        log.notice(f"Waiting up to {restart.timeout_text} for the new predictor pods of "
                   f"{dep.name}...")
        predictor_restart.wait_restarted(cluster, dep.name, dep.namespace, stamp, generation,
                                         restart.timeout, restart.reporter, clock=env.clock,
                                         wait=env.sleep)


def rotate(cluster, namespace: str, name: str, *, new_key: Callable[[], str],
           validate_key: Callable[[str], None] | None, dry_run: str, restart: Restart,
           emit: Emit, env: Environment) -> None:
    """Rotate the key of deployment `name`. `new_key()` reads the key (asked only when there is
    something to rotate); `validate_key(key)` checks it with NVIDIA (None: not checked)."""
    from kubectl_nim.app import day2, secret_writes
    from kubectl_nim.domain import nim_runtime

    dep = day2.find_deployment(cluster, namespace, name)
    plan = day2.plan_rotation(cluster, dep)
    for ref, why in plan.skipped:
        log.notice(f"Leaving {ref} alone: {why}.")
    if not plan.targets:
        log.notice(f"Nothing to rotate: the ServingRuntime of {name!r} references no key secret "
                   f"(a disconnected deployment pulls through the cluster's global pull secret).")
        return

    key = new_key()
    if validate_key is not None and dry_run != "client":
        validate_key(key)
    if not restart.skip and dep.isvc is not None:
        log.warn(nim_runtime.double_capacity_warning(dep.isvc))

    if dry_run == "client":
        for ref, action in secret_writes.preview(plan.targets, namespace, key, plan.current):
            emit(ref, action)
    else:
        secret_writes.write_secrets(cluster, namespace, plan.targets, key,
                                    dry_run=dry_run == "server", current=plan.current,
                                    sleep=env.sleep, on_written=lambda w: emit(w.ref, w.action))
    restart_step(cluster, dep, dry_run, restart, "the secrets hold the new key", emit, env)
