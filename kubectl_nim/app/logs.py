"""`logs`: the predictor pods' logs through the pods/log API, several pods prefixed, `-f` follows.

Each (pod, container) is one request; they go out concurrently, and with `follow` one stream per
container feeds a queue the caller drains, so lines of several pods interleave as they come.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

from kubectl_nim.app.status import find_nim
from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.adapters.kube.cluster import Cluster, concurrently
from kubectl_nim.domain import health
from kubectl_nim.errors import ClusterError, NimError
from kubectl_nim.domain.names import KSERVE_CONTAINER


@dataclass(frozen=True)
class Source:
    pod: str
    container: str
    prefix: str     # "" when there is one source, else "[pod] " or "[pod/container] "
    waiting: str = ""  # why the container waits (ImagePullBackOff: ...), from the pod status


def sources(pods: list, all_containers: bool) -> list[Source]:
    """Which containers to read: the model container (kserve-container, else the first) of every
    live predictor pod, or every container with --all-containers."""
    chosen, waiting = [], {}
    for pod in sorted(health.live_pods(pods), key=lambda p: p["metadata"]["name"]):
        names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
        if not all_containers:
            names = [KSERVE_CONTAINER] if KSERVE_CONTAINER in names else names[:1]
        chosen += [(pod["metadata"]["name"], c) for c in names]
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            wait = (cs.get("state") or {}).get("waiting") or {}
            if wait.get("reason"):
                waiting[(pod["metadata"]["name"], cs.get("name", ""))] = \
                    wait["reason"] + (f": {wait['message']}" if wait.get("message") else "")
    several_pods = len({p for p, _ in chosen}) > 1
    several_containers = len(chosen) > len({p for p, _ in chosen})
    out = []
    for pod, container in chosen:
        if several_containers:
            prefix = f"[{pod}/{container}] "
        elif several_pods:
            prefix = f"[{pod}] "
        else:
            prefix = ""
        out.append(Source(pod, container, prefix, waiting.get((pod, container), "")))
    return out


def query(source: Source, tail: Optional[int], since: Optional[float], follow: bool) -> list:
    q = [("container", source.container)]
    if tail is not None:
        q.append(("tailLines", str(tail)))
    if since is not None:
        q.append(("sinceSeconds", str(max(1, int(since + 0.999)))))
    if follow:
        q.append(("follow", "true"))
    return q


def _path(namespace: str, pod: str) -> str:
    return f"/api/v1/namespaces/{namespace}/pods/{pod}/log"


def plan(cluster: Cluster, namespace: str, name: str, all_containers: bool) -> list[Source]:
    observed = find_nim(cluster, namespace, name, events=False)
    if observed.pods is None:
        raise NimError(f"you may not list the pods of {namespace}, so their logs cannot be found",
                       hint="ask a project admin for read access to pods and pods/log")
    found = sources(observed.pods, all_containers)
    if not found:
        raise NimError(f"{name} has no predictor pod yet, so there is no log to show",
                       hint=f"`kubectl nim status {name}` tells why")
    return found


def _explained(error: ClusterError, source: Source, name: str) -> NimError:
    if isinstance(error, ApiError) and error.bad_request and "waiting to start" in \
            error.message:
        return NimError(f"{source.pod}/{source.container} has not started yet "
                        f"({error.message.rsplit(':', 1)[-1].strip()}), so it has no log",
                        hint=f"`kubectl nim status {name}` tells what it waits for")
    return error


def read(cluster: Cluster, namespace: str, name: str, found: list[Source],
         tail: Optional[int], since: Optional[float], *,
         warn: Callable[[str], None]) -> Iterator[str]:
    """Every source's log, source by source, each line prefixed. A source that fails is a
    warning (`warn`, the run's console) while another one shows lines; when none shows a line,
    the first failure is the error (exit 1, as kubectl), not an empty success."""
    answers = concurrently(lambda s: cluster.request_text(
        "GET", _path(namespace, s.pod), query=query(s, tail, since, False)), found)
    failures = [(s, a) for s, a in zip(found, answers) if isinstance(a, ClusterError)]
    if failures and not any(isinstance(a, str) and a.strip() for a in answers):
        raise _explained(failures[0][1], failures[0][0], name)
    if not failures and not any(a.strip() for a in answers):
        stuck = next((s for s in found if s.waiting), None)
        if stuck:  # an empty answer for a container that never started: say why, exit 1
            raise NimError(f"{stuck.pod}/{stuck.container} has not started ({stuck.waiting}), "
                           f"so it has no log", hint=f"`kubectl nim status {name}` tells why")
    for source, answer in zip(found, answers):
        if isinstance(answer, ClusterError):
            warn(f"no log from {source.pod}/{source.container}: "
                 f"{_explained(answer, source, name).message}")
            continue
        for line in answer.splitlines():
            yield source.prefix + line


def follow(cluster: Cluster, namespace: str, name: str, found: list[Source],
           tail: Optional[int], since: Optional[float],
           emit: Callable[[str], None], warn: Callable[[str], None]) -> None:
    """Stream every source until all end (the containers stop, the server closes). Interrupt
    with Ctrl-C: the streams run in daemon threads, so nothing is left behind."""
    lines: "queue.Queue[tuple[Source, object]]" = queue.Queue()

    def pump(source: Source) -> None:
        try:
            for line in cluster.stream_lines(_path(namespace, source.pod),
                                             query=query(source, tail, since, True)):
                lines.put((source, line))
            lines.put((source, None))
        except ClusterError as e:
            lines.put((source, e))

    for source in found:
        threading.Thread(target=pump, args=(source,), daemon=True,
                         name=f"logs-{source.pod}").start()
    open_streams, errors = len(found), []
    while open_streams:
        try:
            source, item = lines.get(timeout=0.5)
        except queue.Empty:
            continue  # wake up now and then so Ctrl-C is seen at once
        if isinstance(item, str):
            emit(source.prefix + item)
            continue
        open_streams -= 1
        if isinstance(item, ClusterError):
            errors.append((source, item))
            if len(found) > 1:
                warn(f"stopped following {source.pod}/{source.container}: "
                     f"{_explained(item, source, name).message}")
    if errors and len(errors) == len(found):
        raise _explained(errors[0][1], errors[0][0], name)
