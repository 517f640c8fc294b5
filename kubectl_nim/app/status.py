"""`status`: read everything that says how a NIM deployment is doing, in at most 3 round trips.

Round 1 (concurrent): the InferenceService NAME, the ServingRuntime NAME, the predictor pods
(label `serving.kserve.io/inferenceservice=NAME`) and the project's events. Round 2 (concurrent,
only what round 1 named): the referenced secrets, the mounted PVCs, the last log line of each
crash-looping container, and the runtime when the InferenceService names another one. The verdict
itself is `domain.health.assess`, pure. Measured in BENCHMARKS.md ("status round trips").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

from kubectl_nim.domain import list_rows
from kubectl_nim.domain import nim_runtime
from kubectl_nim.domain.names import ISVC_LABEL, NIM_RUNTIME_ANNOTATION
from kubectl_nim import log
from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.adapters.kube.cluster import Cluster, concurrently
from kubectl_nim.domain import health
from kubectl_nim.errors import ClusterError, NimError



class NotNim(NimError):
    """The name belongs to a deployment of another model server."""


@dataclass
class Observed:
    """What round 1 (and 2) read about one deployment."""

    name: str
    namespace: str
    isvc: Optional[dict]
    runtime: Optional[dict]
    pods: Optional[list]        # None: may not be read
    events: Optional[list]      # None: may not be read


@dataclass
class Status:
    observed: Observed
    health: health.Health
    row: list_rows.Row
    secrets: dict
    claims: dict
    eu_restricted: Optional[bool]

    @property
    def url(self) -> str:
        return self.row.url

    def to_data(self, now: Optional[datetime] = None) -> dict:
        """`now` (for the age): the run's wall clock, else the process's."""
        now = now or utc_now()
        isvc = self.observed.isvc or {}
        pods = health.live_pods(self.observed.pods)
        return {
            "name": self.observed.name, "namespace": self.observed.namespace,
            **self.health.to_data(),
            "url": self.row.url or None,
            "model": self.row.model, "tag": self.row.tag, "image": self.row.image,
            "keyScheme": self.row.key, "secretNaming": naming(self.row.secrets),
            "secrets": {k: v for k, v in self.secrets.items()},
            "pvc": {k: _claim_phase(v) for k, v in self.claims.items()},
            "euRestricted": self.eu_restricted,
            "replicas": {"ready": sum(1 for p in pods if health.pod_ready(p))
                         if self.observed.pods is not None else None,
                         "desired": desired_replicas(isvc)},
            "restarts": health.restarts(pods) if self.observed.pods is not None else None,
            "lastRestart": health.last_restart(pods),
            "creationTimestamp": (isvc.get("metadata") or {}).get("creationTimestamp"),
            "age": list_rows.human_age((isvc.get("metadata") or {}).get("creationTimestamp", ""), now),
        }


def naming(secrets) -> str:
    """Which generation named the deployment's secrets (docs/design.md#secrets): seed, later, or
    other."""
    from kubectl_nim.domain.names import naming_by_prefix

    namings = {naming_by_prefix(n) for n in secrets}
    if len(namings) == 1 and None not in namings:
        return namings.pop()
    return "other" if namings else "none"


def desired_replicas(isvc: dict) -> int:
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    value = predictor.get("minReplicas")
    return int(value) if value is not None else 1


def _claim_phase(claim: Any) -> str:
    if isinstance(claim, dict):
        return (claim.get("status") or {}).get("phase") or "Unknown"
    return claim


def _readable(answer: Any, what: str) -> Any:
    """A list answer, None for 403 (the user may not read it), or raise."""
    if isinstance(answer, ApiError) and answer.forbidden:
        log.debug(f"{what} not readable (HTTP 403)")
        return None
    if isinstance(answer, ClusterError):
        raise answer
    return answer


def observe(cluster: Cluster, namespace: str, name: str, events: bool = True) -> Observed:
    """Round 1; NotFound when there is no such deployment. `events` False: not needed."""
    selector = f"{ISVC_LABEL}={name}"
    calls = [
        lambda: cluster.get_or_none("InferenceService", name, namespace),
        lambda: cluster.get_or_none("ServingRuntime", name, namespace),
        lambda: cluster.list("Pod", namespace, label_selector=selector),
        (lambda: cluster.list("Event", namespace)) if events else (lambda: None),
    ]
    isvc, runtime, pods, events = concurrently(lambda call: call(), calls)
    for answer in (isvc, runtime):
        if isinstance(answer, ClusterError):
            raise answer
    observed = Observed(name, namespace, isvc, runtime, _readable(pods, "pods"),
                        _readable(events, "events"))
    if isvc is None and runtime is None:
        from kubectl_nim.app.day2 import deployment_not_found

        raise deployment_not_found(name, namespace)
    return observed


def check_nim(observed: Observed) -> None:
    """A NIM runtime (annotation or nvcr.io/nim/ image); a missing runtime is left to the
    verdict, which reports it, since nothing then says what the deployment was."""
    if observed.runtime is None or nim_runtime.is_nim(observed.isvc or {}, observed.runtime):
        return
    image = nim_runtime.runtime_image(observed.runtime) or "no image"
    runtime = nim_runtime.runtime_name_of(observed.isvc or {}) or observed.name
    raise NotNim(f"{observed.name!r} in {observed.namespace} is not a NIM deployment: its "
                 f"ServingRuntime {runtime!r} is not annotated {NIM_RUNTIME_ANNOTATION} "
                 f"and runs {image}, not an {nim_runtime.NIM_IMAGE_PREFIX} image",
                 hint="use `oc describe inferenceservice` for other model servers")


def crash_looping(pods: Optional[list]) -> list[tuple[str, str]]:
    """(pod, container) of every container in CrashLoopBackOff."""
    found = []
    for pod in health.live_pods(pods):
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            if ((cs.get("state") or {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff":
                found.append((pod["metadata"]["name"], cs.get("name", "")))
    return found


def last_line(cluster: Cluster, namespace: str, pod: str, container: str) -> Optional[str]:
    """The last line the crashed instance wrote (previous=true), or None if it cannot be read."""
    path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
    try:
        text = cluster.request_text("GET", path, query=[("container", container),
                                                        ("previous", "true"),
                                                        ("tailLines", "1")])
    except ClusterError as e:
        log.debug(f"no previous log of {pod}/{container}: {e.message}")
        return None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else None


def complete(cluster: Cluster, observed: Observed) -> Status:
    """Round 2: secrets, PVCs and crash logs, concurrently; then the verdict."""
    namespace = observed.namespace
    refs = nim_runtime.runtime_refs(observed.runtime)
    claims = nim_runtime.mounted_claims(observed.runtime)
    calls = [("secret", s, _get(cluster, "Secret", s, namespace)) for s in refs.names]
    calls += [("pvc", c, _get(cluster, "PersistentVolumeClaim", c, namespace)) for c in claims]
    calls += [("log", f"{p}/{c}", (lambda p=p, c=c: last_line(cluster, namespace, p, c)))
              for p, c in crash_looping(observed.pods)]
    answers = concurrently(lambda call: call[2](), calls)
    secrets, pvcs, lines = {}, {}, {}
    for (kind, key, _), answer in zip(calls, answers):
        if kind == "secret":
            secrets[key] = _presence(answer)  # only presence: a value is never kept
        elif kind == "pvc":
            pvcs[key] = answer if isinstance(answer, dict) else _presence(answer)
        elif isinstance(answer, str):
            lines[key] = answer
    return _finish(observed, secrets, pvcs, lines)


def other_runtime(cluster: Cluster, observed: Observed) -> None:
    """The InferenceService names a runtime other than NAME (made by hand): one more read."""
    wanted = nim_runtime.runtime_name_of(observed.isvc or {})
    if observed.isvc is not None and wanted and wanted != observed.name:
        observed.runtime = cluster.get_or_none("ServingRuntime", wanted, observed.namespace)


def _get(cluster: Cluster, kind: str, name: str, namespace: str):
    return lambda: cluster.get_or_none(kind, name, namespace)


def _presence(answer: Any) -> str:
    if answer is None:
        return health.MISSING
    if isinstance(answer, ApiError) and answer.forbidden:
        return health.UNREADABLE
    if isinstance(answer, ClusterError):
        raise answer
    return "present"


def _finish(observed: Observed, secrets: dict, claims: dict, lines: dict) -> Status:
    isvc = observed.isvc
    facts = health.Facts(name=observed.name, isvc=isvc, runtime=observed.runtime,
                         pods=observed.pods, events=observed.events, claims=claims,
                         secrets=secrets, last_lines=lines, gpus=nim_runtime.gpus_per_pod(isvc))
    row = list_rows.make_row(isvc or {"metadata": {"name": observed.name,
                                              "namespace": observed.namespace}},
                        observed.runtime)
    return Status(observed, health.assess(facts), row, secrets, claims, eu_flag(row.model))


def eu_flag(model: str) -> Optional[bool]:
    """From the catalog embedded in the plugin: build-time metadata, no round trip (a cluster's
    custom catalog is not consulted, to keep `status` within its three round trips)."""
    from kubectl_nim.app import local_catalog

    try:
        return local_catalog.load_embedded().get(model).eu_restricted
    except NimError:
        return None


def find_nim(cluster: Cluster, namespace: str, name: str, events: bool = True) -> Observed:
    """The deployment NAME, refused when missing (NotFound) or not a NIM (NotNim)."""
    observed = observe(cluster, namespace, name, events)
    other_runtime(cluster, observed)
    check_nim(observed)
    return observed


def status(cluster: Cluster, namespace: str, name: str) -> Status:
    return complete(cluster, find_nim(cluster, namespace, name))


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def overview(cluster: Cluster, namespace: str) -> list[Status]:
    """Every NIM deployment of the project: round 1 lists everything at once, round 2 reads
    each deployment's secrets, PVCs and crash logs (all deployments concurrently)."""
    calls = [
        lambda: cluster.list("InferenceService", namespace),
        lambda: cluster.list("ServingRuntime", namespace),
        lambda: cluster.list("Pod", namespace, label_selector=ISVC_LABEL),
        lambda: cluster.list("Event", namespace),
    ]
    isvcs, runtimes, pods, events = concurrently(lambda call: call(), calls)
    for answer in (isvcs, runtimes):
        if isinstance(answer, ClusterError):
            raise answer
    pods, events = _readable(pods, "pods"), _readable(events, "events")
    by_name = {(r.get("metadata") or {}).get("name"): r for r in runtimes}
    observed = []
    for isvc in isvcs:
        name = isvc["metadata"]["name"]
        runtime = by_name.get(nim_runtime.runtime_name_of(isvc) or name)
        if not nim_runtime.is_nim(isvc, runtime):
            continue
        mine = None if pods is None else \
            [p for p in pods if ((p.get("metadata") or {}).get("labels") or {})
             .get(ISVC_LABEL) == name]
        observed.append(Observed(name, namespace, isvc, runtime, mine, events))
    observed.sort(key=lambda o: o.name)
    results = concurrently(lambda o: complete(cluster, o), observed)
    for result in results:
        if isinstance(result, ClusterError):
            raise result
    return results
