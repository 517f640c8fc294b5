"""Restarting the predictor after its secrets changed, and waiting until the new pods serve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from kubectl_nim import caller, log
from kubectl_nim.app import Emit
from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.adapters import retry
from kubectl_nim.app.optimistic import retryable
from kubectl_nim.domain import health
from kubectl_nim.domain.names import ISVC_LABEL, RESTART_ANNOTATION
from kubectl_nim.domain.nim_runtime import restart_patch
from kubectl_nim.errors import ClusterError
from kubectl_nim.domain.refs import kind_ref
from kubectl_nim.environment import Environment
from kubectl_nim.domain.dry_run import DryRun

def timestamp(now: Callable[[], datetime]) -> str:
    """RFC 3339 with microseconds, so that two restarts in one second still differ. `now`:
    the run's Environment.now (a UTC datetime)."""
    return now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def restart(cluster: Cluster, namespace: str, name: str, *, dry_run: DryRun = DryRun.NONE,
            stamp: str | None = None, sleep: Callable[[float], None],
            now: Callable[[], datetime]) -> tuple[str, dict]:
    """Merge-patch a timestamp into spec.predictor.annotations: KServe rolls the predictor pods
    in RawDeployment and Serverless alike (`oc rollout restart` is undone by KServe, which owns
    the Deployment). Retried like the writes above: the patch is idempotent."""
    stamp = stamp or timestamp(now)
    last: ClusterError | None = None
    attempts = retry.Attempts(retry.WRITES, sleep)
    for _ in attempts:
        try:
            answer = cluster.patch("InferenceService", name, restart_patch(stamp), namespace,
                                   dry_run=dry_run.server_flag)
            return stamp, answer
        except ClusterError as e:
            last = e
            attempts.failed(e)
            if not retryable(e):
                break
    assert last is not None
    raise last


def restart_state(isvc: dict | None, pods: list[dict] | None, events: list[dict], name: str,
                  stamp: str, generation: int | None):
    """Done when the controller saw the new spec, the InferenceService is Ready, and every
    remaining predictor pod is a new one (carrying `stamp`) and ready. `pods` None = unreadable."""
    from kubectl_nim.app.wait import State, progress_state

    base = progress_state(isvc, events, name)
    if isvc is None:
        return base
    observed = (isvc.get("status") or {}).get("observedGeneration")
    seen = generation is None or observed is None or int(observed) >= int(generation)
    parts = [base.summary]
    pods_done = True
    if pods is not None:
        live = [p for p in pods if not (p.get("metadata") or {}).get("deletionTimestamp")]
        new = [p for p in live if ((p.get("metadata") or {}).get("annotations") or {})
               .get(RESTART_ANNOTATION) == stamp]
        old = len(live) - len(new)
        ready_new = sum(1 for p in new if health.pod_ready(p))
        parts.append(f"new pods ready {ready_new}/{len(new)}, old pods {old}")
        pods_done = old == 0 and ready_new == len(new)
    if not seen:
        parts.append("(waiting for the controller to see the restart)")
    return State(base.ready and seen and pods_done, " ".join(parts), base.stalls)


def wait_restarted(cluster: Cluster, name: str, namespace: str, stamp: str,
                   generation: int | None, timeout: float, report: Callable,
                   interval: float = 2.0, *, clock: Callable[[], float],
                   sleep: Callable[[float], None], warn: Callable[[str], None], watch: bool):
    """Read the InferenceService, its predictor pods and the events together; between reads,
    watches of the InferenceService and of the pods wake the loop on any change (app/wait)."""
    from kubectl_nim.app.wait import Followers, poll, read_events, read_together

    pods_readable = True
    selector = f"{ISVC_LABEL}={name}"
    followers = Followers(cluster, namespace, watch, sleep)

    def pods_or_none():
        nonlocal pods_readable
        if not pods_readable:
            return None
        try:
            return cluster.list("Pod", namespace, label_selector=selector)
        except ApiError as e:
            if not e.forbidden_or_missing:
                raise
            pods_readable = False
            log.debug(f"pods not readable (HTTP {e.status}); following the InferenceService")
            return None

    def observe():
        isvc, pods, events = read_together(
            lambda: cluster.get_or_none("InferenceService", name, namespace), pods_or_none,
            lambda: read_events(cluster, namespace))
        followers.follow("InferenceService", isvc, name=name)
        if pods is not None:
            followers.follow("Pod", None, selector=selector)
        return restart_state(isvc, pods, events, name, stamp, generation)

    try:
        return poll(observe, report, timeout, f"{kind_ref('InferenceService', name)} to restart",
                    f"it may still finish: `{caller.tool()} get pods -l {selector} -n "
                    f"{namespace} -w`", interval, clock=clock, sleep=sleep, warn=warn,
                    pause=followers.pause)
    finally:
        followers.stop()


@dataclass(frozen=True)
class Restart:
    """What happens after the secrets changed: --no-restart, --wait and its --timeout."""

    skip: bool
    wait: bool
    wait_limit: str     # how --timeout reads in the notice: "up to 90s" (cli/options.wait_limit)
    timeout: float      # seconds
    reporter: Any       # app.wait.Reporter: how --wait shows progress


def restart_step(cluster, dep, dry_run: DryRun, settings: Restart, done_what: str, emit: Emit,
                 env: Environment) -> None:
    """Restart the predictor after the secrets changed (and --wait for it); explain failures
    without hiding that the secrets are already done."""
    from kubectl_nim.errors import Day2Error

    ref = kind_ref("InferenceService", dep.name)
    if settings.skip:
        env.notice(f"Not restarting {ref}: its running pods keep the old key until they restart "
                   f"(re-run with the restart, or delete the pods).")
        return
    if dep.isvc is None:
        env.warn(f"there is no {ref}: nothing to restart")
        return
    if not dry_run.sends:
        emit(ref, "restarted")
        return
    try:
        stamp, answer = restart(cluster, dep.namespace, dep.name,
                                dry_run=dry_run, sleep=env.sleep, now=env.now)
    except ClusterError as e:
        raise Day2Error(
            f"{done_what}, but restarting {ref} failed: {e.message}",
            hint=f"the running pods keep the old key until they restart; re-run the same "
                 f"command (it converges) or set the annotation {RESTART_ANNOTATION} "
                 f"on spec.predictor.annotations by hand") from None
    emit(ref, "restarted")
    if settings.wait and dry_run.persists:
        generation = (answer.get("metadata") or {}).get("generation")
        env.notice(f"Waiting {settings.wait_limit} for the new predictor pods of "
                   f"{dep.name}...")
        wait_restarted(cluster, dep.name, dep.namespace, stamp, generation, settings.timeout,
                       settings.reporter, clock=env.clock, sleep=env.sleep, warn=env.warn,
                       watch=env.watch)
