"""`--wait`: follow an InferenceService until it is Ready, explaining stalls from events.

`progress_state` is pure (objects in, text out); `wait_ready` is the loop around it: it reads
the InferenceService and the events (together), and between reads a watch of the
InferenceService (app/follow.py) wakes it the moment the object changes, so that it returns
within a round trip of Ready; the reads every `interval` keep the stall warnings current. A
server that does not watch is polled every `interval`, as is everything when `watch` is False
(tests that drive time through an injected `sleep`). The clock, the sleep and the console are the
run's (`Environment.clock`, `sleep`, `warn`): required, never defaulted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from kubectl_nim import caller, log
from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.domain.health import EVENT_REASONS, concerns, explain_event
from kubectl_nim.domain.health import conditions as isvc_conditions
from kubectl_nim.errors import ClusterError, NimError
from kubectl_nim.domain.refs import kind_ref

# The event vocabulary is shared with `status` (domain/health.py).
STALL_REASONS = EVENT_REASONS


@dataclass(frozen=True)
class State:
    ready: bool
    summary: str           # one line: conditions and predictor readiness
    stalls: tuple[str, ...]  # warnings from events, the latest last
    # For the success message only (not part of what a state *is*: equality ignores them).
    url: str = field(default="", compare=False)  # status.url, once KServe reports one
    name: str = field(default="", compare=False)
    namespace: str = field(default="", compare=False)


def _when(event: dict) -> str:
    """When an event last happened (RFC 3339 strings sort in time order)."""
    return (event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
            or (event.get("metadata") or {}).get("creationTimestamp") or "")


def progress_state(isvc: dict | None, events: list[dict], name: str) -> State:
    if isvc is None:
        return State(False, "InferenceService not found", ())
    conditions = isvc_conditions(isvc)
    ready = conditions.get("Ready", {}).get("status") == "True"
    parts = []
    marks: dict[Any, str] = {"True": "yes", "False": "no"}  # keyed by whatever status says
    for kind in ("PredictorReady", "IngressReady", "Ready"):
        cond = conditions.get(kind)
        if cond:
            mark = marks.get(cond.get("status"), "unknown")
            parts.append(f"{kind}={mark}")
    not_ready = [c for c in conditions.values() if c.get("status") == "False" and c.get("message")]
    if not_ready and not ready:
        parts.append(f"({not_ready[0].get('reason') or not_ready[0]['type']}: "
                     f"{not_ready[0]['message']})")
    summary = " ".join(parts) or "waiting for the controller to report status"
    stalls = []
    # Oldest first, so that the last stall is the latest problem (an image pull failing after
    # a wait for GPUs): the timeout error names that one.
    for event in sorted(events, key=_when):
        involved = (event.get("involvedObject") or {}).get("name", "")
        reason = event.get("reason", "")
        message = (event.get("message") or "").strip()
        if event.get("type") == "Warning" and reason in STALL_REASONS and \
                concerns(involved, name):
            stalls.append(f"{reason} on {involved}: {explain_event(reason, message)} — {message}")
    latest_last = tuple(reversed(dict.fromkeys(reversed(stalls))))  # each at its last time
    meta = isvc.get("metadata") or {}
    return State(ready, summary, latest_last, str((isvc.get("status") or {}).get("url") or ""),
                 meta.get("name", name), meta.get("namespace", ""))


def read_events(cluster: Cluster, namespace: str) -> list[dict]:
    try:
        return cluster.list("Event", namespace)
    except ApiError as e:
        if e.forbidden_or_missing:  # users may not read events; the wait still works
            log.debug(f"events not readable: HTTP {e.status}")
            return []
        raise


def poll(observe: Callable[[], State], report: Callable[[State], None], timeout: float,
         what: str, hint: str, interval: float = 2.0, *,
         clock: Callable[[], float], sleep: Callable[[float], None],
         warn: Callable[[str], None], pause: Callable[[float], None] | None = None) -> State:
    """Observe, report, until ready; at the deadline a NimError with the last known state.
    Between observations `pause` (default `sleep`): a follower's wait returns early on a change.

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
                if not error.transient or clock() >= deadline:
                    raise
                delay = retry.POLLING.delay(failures, getattr(error, "retry_after", None))
                failures += 1
                warn(f"cannot read the state of {what.split(' ')[0]} ({error.message}); "
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
            (pause or sleep)(min(interval, max(0.0, deadline - clock())))
    except KeyboardInterrupt as signal:
        watch = hint.split(": ", 1)[-1]
        raise NimError(f"{interrupts.describe(signal)} while waiting for {what}; nothing was "
                       f"undone: the deployment keeps running",
                       hint=f"resume watching with {watch}",
                       signal=signal) from None


class Followers:
    """The watches a wait follows (started after its first read, from the versions it read),
    and the pause between its reads that they cut short."""

    def __init__(self, cluster: Cluster, namespace: str, watch: bool,
                 sleep: Callable[[float], None]):
        import threading

        self.cluster, self.namespace, self.watch, self.sleep = cluster, namespace, watch, sleep
        self.changed = threading.Event()
        self.started: list = []

    def follow(self, kind: str, found: Any, *, name: str | None = None,
               selector: str | None = None) -> None:
        """Watch `kind` (name= or selector=) from the resourceVersion of `found` (an object or a
        list's metadata; None: from the current state), once."""
        if not self.watch or any(f.kind == kind for f in self.started):
            return
        from kubectl_nim.app.follow import Follower

        version = ((found or {}).get("metadata") or {}).get("resourceVersion") \
            if isinstance(found, dict) else None
        self.started.append(Follower(self.cluster, kind, self.namespace,
                                     version if isinstance(version, str) else None,
                                     name=name, selector=selector, changed=self.changed).start())

    def latest(self, kind: str) -> dict | None:
        return next((f.latest for f in self.started if f.kind == kind), None)

    def pause(self, seconds: float) -> None:
        if any(f.following for f in self.started):
            self.changed.wait(seconds)
            self.changed.clear()
        else:
            self.sleep(seconds)

    def stop(self) -> None:
        for follower in self.started:
            follower.stop()


def read_together(*reads: Callable[[], Any]) -> list:
    """Independent reads in one round trip; the first failure raised."""
    from kubectl_nim.adapters.kube.cluster import concurrently

    answers = concurrently(lambda read: read(), reads)
    for answer in answers:
        if isinstance(answer, ClusterError):
            raise answer
    return answers


def wait_ready(cluster: Cluster, name: str, namespace: str, timeout: float,
               report: Callable[[State], None], interval: float = 2.0, *,
               clock: Callable[[], float], sleep: Callable[[float], None],
               warn: Callable[[str], None], watch: bool) -> State:
    followers = Followers(cluster, namespace, watch, sleep)

    def observe() -> State:
        seen = followers.latest("InferenceService")
        if seen is not None and isvc_conditions(seen).get("Ready", {}).get("status") == "True":
            return progress_state(seen, [], name)  # the watch brought it: no read to wait for
        isvc, events = read_together(
            lambda: cluster.get_or_none("InferenceService", name, namespace),
            lambda: read_events(cluster, namespace))
        followers.follow("InferenceService", isvc, name=name)
        return progress_state(isvc, events, name)

    try:
        return poll(observe, report, timeout,
                    f"{kind_ref('InferenceService', name)} to become ready",
                    f"it may still come up: "
                    f"`{caller.tool()} get inferenceservice {name} -n {namespace} -w`",
                    interval, clock=clock, sleep=sleep, warn=warn, pause=followers.pause)
    except BaseException:
        end = getattr(report, "end", None)
        if end:  # the error goes on its own line, not after the spinner
            end()
        raise
    finally:
        followers.stop()


def next_steps(state: State) -> list[str]:
    """What a user does with a deployment that just became ready."""
    if not state.name:
        return []
    ns = f" -n {state.namespace}" if state.namespace else ""
    steps = []
    if state.url:
        internal = ".svc" in state.url.split("//", 1)[-1].split("/", 1)[0]
        steps.append(f"{kind_ref('InferenceService', state.name)} is ready at {state.url}")
        steps.append(f"  try: curl -s {state.url.rstrip('/')}/v1/models"
                     + ("   (from inside the cluster; deploy with --expose for a route)"
                        if internal else ""))
    else:
        steps.append(f"{kind_ref('InferenceService', state.name)} is ready (no URL reported yet)")
    steps.append(f"  details: {caller.tool()} get inferenceservice {state.name}{ns}")
    return steps


def elapsed(seconds: float) -> str:
    """`42s`, `3m07s`, `1h02m`: how long the spinner has been waiting."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Reporter:
    """Live progress: one rewritten line on a TTY, a plain line per change when piped."""

    SPINNER = "|/-\\"

    def __init__(self, echo: Callable[..., None], tty: bool, clock: Callable[[], float]):
        from kubectl_nim.app.live_line import LiveLine

        self.echo = echo
        self.tty = tty
        self.last: str | None = None
        self.seen_stalls: set[str] = set()
        self.tick = 0
        self.live = LiveLine(lambda text, nl: echo(text, nl=nl, err=True),
                             width=lambda: self.width())
        self.clock, self.started = clock, clock()

    def __call__(self, state: State) -> None:
        for stall in state.stalls:
            if stall not in self.seen_stalls:
                self.seen_stalls.add(stall)
                self._line(f"warning: {stall}", err=True)
        if self.tty:
            self.tick += 1
            spin = "✓" if state.ready else self.SPINNER[self.tick % len(self.SPINNER)]
            text = f"{spin} {state.summary} ({elapsed(self.clock() - self.started)})"
            (self.live.done if state.ready else self.live.show)(text)
        elif state.summary != self.last:
            self.echo(state.summary, err=True)
        self.last = state.summary
        if state.ready:
            for line in next_steps(state):
                self.echo(line, err=True)

    @property
    def open(self) -> bool:
        """A spinner line without its newline is on screen."""
        return self.live.open

    @staticmethod
    def width() -> int:
        from kubectl_nim.app.live_line import terminal_width

        return terminal_width()

    def end(self) -> None:
        """Clear an unfinished spinner line, so that what comes next starts a line."""
        self.live.clear()

    def _line(self, text: str, err: bool) -> None:
        if self.tty:
            self.live.above(text)
        else:
            self.echo(text, err=err)
