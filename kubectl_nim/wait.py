"""`--wait`: follow an InferenceService until it is Ready, explaining stalls from events.

`progress_state` is pure (objects in, text out); `wait_ready` is the polling loop around it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from kubectl_nim import log
from kubectl_nim.cluster import ApiError, Cluster
from kubectl_nim.errors import ClusterError, NimError

# Event reasons that explain why a NIM is not coming up, and what the user can do about each.
STALL_REASONS = {
    "FailedScheduling": "no node can run it (often: not enough free GPUs)",
    "ImagePullBackOff": "the image cannot be pulled (key, tag, or registry access)",
    "ErrImagePull": "the image cannot be pulled (key, tag, or registry access)",
    "Failed": "a container failed",
    "BackOff": "a container keeps crashing (check `oc logs`)",
    "FailedMount": "a volume cannot be mounted",
    "ProvisioningFailed": "the PVC cannot be provisioned (storage class?)",
    "FailedAttachVolume": "a volume cannot be attached",
}
IMAGE_PULL = STALL_REASONS["ErrImagePull"]


def _explain(reason: str, message: str) -> str:
    """The kubelet reports image pulls under the generic reasons too ("Failed: Failed to pull
    image ...", "BackOff: Back-off pulling image ..."): only the message tells a pull that keeps
    failing from a container that keeps crashing."""
    if reason in ("Failed", "BackOff") and "pull" in message.lower():
        return IMAGE_PULL
    return STALL_REASONS[reason]


def _concerns(involved: str, name: str) -> bool:
    """The deployment itself, its predictor (Deployment `{name}-predictor`, pods
    `{name}-predictor-...`) or its cache PVC; not another deployment that shares the prefix."""
    predictor = f"{name}-predictor"
    return involved in (name, predictor, f"nim-pvc-{name}") or \
        involved.startswith(predictor + "-")


@dataclass(frozen=True)
class State:
    ready: bool
    summary: str           # one line: conditions and predictor readiness
    stalls: tuple[str, ...]  # warnings from events


def _conditions(isvc: dict) -> dict[str, dict]:
    return {c.get("type"): c for c in ((isvc.get("status") or {}).get("conditions") or [])}


def progress_state(isvc: dict | None, events: list[dict], name: str) -> State:
    if isvc is None:
        return State(False, "InferenceService not found", ())
    conditions = _conditions(isvc)
    ready = conditions.get("Ready", {}).get("status") == "True"
    parts = []
    for kind in ("PredictorReady", "IngressReady", "Ready"):
        cond = conditions.get(kind)
        if cond:
            mark = {"True": "yes", "False": "no"}.get(cond.get("status"), "unknown")
            parts.append(f"{kind}={mark}")
    not_ready = [c for c in conditions.values() if c.get("status") == "False" and c.get("message")]
    if not_ready and not ready:
        parts.append(f"({not_ready[0].get('reason') or not_ready[0]['type']}: "
                     f"{not_ready[0]['message']})")
    summary = " ".join(parts) or "waiting for the controller to report status"
    stalls = []
    for event in events:
        involved = (event.get("involvedObject") or {}).get("name", "")
        reason = event.get("reason", "")
        message = (event.get("message") or "").strip()
        if event.get("type") == "Warning" and reason in STALL_REASONS and \
                _concerns(involved, name):
            stalls.append(f"{reason} on {involved}: {_explain(reason, message)} — {message}")
    return State(ready, summary, tuple(dict.fromkeys(stalls)))


def _events(cluster: Cluster, namespace: str) -> list[dict]:
    try:
        return cluster.list("Event", namespace)
    except ApiError as e:
        if e.status in (403, 404):  # users may not read events; the wait still works
            log.debug(f"events not readable: HTTP {e.status}")
            return []
        raise


def poll(observe: Callable[[], State], report: Callable[[State], None], timeout: float,
         what: str, hint: str, interval: float = 2.0,
         clock: Callable[[], float] = time.monotonic,
         sleep: Callable[[float], None] = time.sleep) -> State:
    """Observe, report, until ready; at the deadline a NimError with the last known state.

    A transient failure to observe (5xx, 429, no answer) is retried with adapters.retry's
    polling policy until the deadline: one bad answer must not end a 30-minute wait. An
    interruption (Ctrl-C, SIGTERM, SIGHUP) says that the deployment keeps running.
    """
    from kubectl_nim import interrupts
    from kubectl_nim.adapters import retry

    deadline = clock() + timeout
    failures = 0
    try:
        while True:
            try:
                state = observe()
            except ClusterError as error:
                if not (error.status is None or retry.transient_status(error.status)) \
                        or clock() >= deadline:
                    raise
                delay = retry.POLLING.delay(failures, getattr(error, "retry_after", None))
                failures += 1
                log.warn(f"cannot read the state of {what.split(' ')[0]} ({error.message}); "
                         f"retrying in {delay:.0f}s")
                sleep(min(delay, max(0.0, deadline - clock())))
                continue
            failures = 0
            report(state)
            if state.ready:
                return state
            if clock() >= deadline:
                detail = f"; {state.stalls[-1]}" if state.stalls else ""
                raise NimError(f"timed out after {timeout:g}s waiting for {what}: "
                               f"{state.summary}{detail}", hint=hint)
            sleep(min(interval, max(0.0, deadline - clock())))
    except KeyboardInterrupt as signal:
        watch = hint.split(": ", 1)[-1]
        raise NimError(f"{interrupts.describe(signal)} while waiting for {what}; nothing was "
                       f"undone: the deployment keeps running",
                       hint=f"resume watching with {watch}",
                       exit_code=interrupts.exit_code(signal)) from None


def wait_ready(cluster: Cluster, name: str, namespace: str, timeout: float,
               report: Callable[[State], None], interval: float = 2.0,
               clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep) -> State:
    def observe() -> State:
        isvc = cluster.get_or_none("InferenceService", name, namespace)
        return progress_state(isvc, _events(cluster, namespace), name)

    return poll(observe, report, timeout, f"inferenceservice/{name} to become ready",
                f"it may still come up: `oc get inferenceservice {name} -n {namespace} -w`",
                interval, clock, sleep)


class Reporter:
    """Live progress: one rewritten line on a TTY, a plain line per change when piped."""

    SPINNER = "|/-\\"

    def __init__(self, echo: Callable[..., None], tty: bool):
        self.echo = echo
        self.tty = tty
        self.last = None
        self.seen_stalls: set[str] = set()
        self.tick = 0

    def __call__(self, state: State) -> None:
        for stall in state.stalls:
            if stall not in self.seen_stalls:
                self.seen_stalls.add(stall)
                self._line(f"warning: {stall}", err=True)
        if self.tty:
            self.tick += 1
            spin = "✓" if state.ready else self.SPINNER[self.tick % len(self.SPINNER)]
            self.echo(f"\r\033[K{spin} {state.summary}", nl=state.ready, err=True)
        elif state.summary != self.last:
            self.echo(state.summary, err=True)
        self.last = state.summary

    def _line(self, text: str, err: bool) -> None:
        if self.tty:
            self.echo("\r\033[K" + text, err=err)
        else:
            self.echo(text, err=err)
