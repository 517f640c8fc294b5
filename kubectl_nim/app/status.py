"""`status`: read everything that says how a NIM deployment is doing, in at most 3 round trips.

Round 1 (concurrent): the InferenceService NAME, the ServingRuntime NAME, the predictor pods
(label `serving.kserve.io/inferenceservice=NAME`), the project's events, the names of its Secrets
(their metadata only: no value crosses the wire) and its PVCs. Round 2 (concurrent, only when
needed): the last log line of each crash-looping container, the runtime when the InferenceService
names another one, and the referenced secrets and PVCs one by one when the collections could not
be listed (a user who may get but not list them). `overview` reads the same collections once for
every deployment of the project. The verdict itself is `domain.health.assess`, pure. Measured in
BENCHMARKS.md ("status round trips", "Fast where users are").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from kubectl_nim.domain import list_rows
from kubectl_nim.domain import nim_runtime
from kubectl_nim.domain.names import ISVC_LABEL, NIM_RUNTIME_ANNOTATION
from kubectl_nim import log
from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.adapters.kube.cluster import Cluster, concurrently
from kubectl_nim.app.accounts import accounts_or_why
from kubectl_nim.domain import health, shapes
from kubectl_nim.domain.account_state import AccountState, of_namespace
from kubectl_nim.errors import ClusterError, NimError

MAX_PARALLEL = 8  # round-2 reads in flight at once (overview: over all deployments)


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
    accounts: list = field(default_factory=list)   # the project's NIM Accounts (if readable)
    accounts_unread: Optional[str] = None  # why they could not be read (KEY then unknown)
    secret_names: Optional[set] = None  # the project's Secrets; None: not listed (read each)
    claims: Optional[dict] = None       # the project's PVCs by name; None: not listed
    raw: dict = field(default_factory=dict)  # the InferenceService and runtime as answered


@dataclass
class Status:
    observed: Observed
    health: health.Health
    row: list_rows.Row
    secrets: dict
    claims: dict
    eu_restricted: Optional[bool]
    account: Optional[AccountState] = None   # the project's NIM Account, when the key is its


    @property
    def url(self) -> str:
        return self.row.url

    def to_data(self, now: datetime) -> dict:
        """`now` (for the age): the run's wall clock (`Environment.now`)."""
        isvc = self.observed.isvc or {}
        pods = health.live_pods(self.observed.pods)
        return {
            "metadata": {"name": self.observed.name, "namespace": self.observed.namespace,
                         "labels": dict(self.row.labels),
                         "creationTimestamp": (isvc.get("metadata") or {})
                         .get("creationTimestamp")},
            "name": self.observed.name, "namespace": self.observed.namespace,
            **self.health.to_data(),
            "url": self.row.url or None,
            "model": self.row.model, "tag": self.row.tag, "image": self.row.image,
            "keyScheme": self.row.key, "secretNaming": naming(self.row.secrets),
            "account": _account_data(self.account),
            "backend": self.row.backend, "nimService": self.row.nim_service or None,
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


def _account_data(account: Optional[AccountState]) -> Optional[dict]:
    if account is None:
        return None
    return {"name": account.name, "ready": account.readiness,
            "lastSuccessfulValidation": account.last_validation,
            "message": account.rejection()}


def naming(secrets) -> str:
    """Which generation named the deployment's secrets (docs/design.md#secrets): seed, later, or
    other."""
    from kubectl_nim.domain.names import naming_by_prefix

    namings = {naming_by_prefix(n) for n in secrets}
    if len(namings) == 1:
        (only,) = namings
        if only is not None:
            return only
    return "other" if namings else "none"


def desired_replicas(isvc: dict) -> int:
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    value = predictor.get("minReplicas")
    return int(value) if value is not None else 1


def _claim_phase(claim: Any) -> str:
    if isinstance(claim, dict):
        return (claim.get("status") or {}).get("phase") or "Unknown"
    return claim


def _readable(answer: Any, what: str, shape: Any) -> Any:
    """A list answer's items of the right shape (domain/shapes), None for 403 (the user may not
    read it), or raise."""
    if isinstance(answer, ApiError) and answer.forbidden:
        log.debug(f"{what} not readable (HTTP 403)")
        return None
    if isinstance(answer, ClusterError):
        raise answer
    return shapes.conform_items(answer, shape)


def _object(answer: Any, what: str, shape: Any) -> Optional[dict]:
    """A GET's answer: None (404), the object with every wrongly typed field it has dropped
    (domain/shapes), or one clear error for an answer that is no object at all."""
    if isinstance(answer, ClusterError):
        raise answer
    if answer is None:
        return None
    out = shapes.conform_object(answer, shape)
    if out is None:
        raise ClusterError(f"the API server answered {what} with {type(answer).__name__} "
                           f"data, not an object",
                           hint="check the server (or proxy) the kubeconfig points at")
    return out


def _collections(cluster: Cluster, namespace: str) -> list:
    """The project-wide reads that replace one read per secret and PVC."""
    return [lambda: cluster.list_names("Secret", namespace),
            lambda: {c["metadata"]["name"]: c for c in shapes.conform_items(
                cluster.list("PersistentVolumeClaim", namespace), shapes.CLAIM)}]


def _listed(answer: Any, what: str) -> Any:
    """A collection's answer, or None when it could not be listed (read one by one then)."""
    if isinstance(answer, ClusterError):
        log.debug(f"{what} not listed ({answer.message}); reading them one by one")
        return None
    return answer


def observe(cluster: Cluster, namespace: str, name: str, events: bool = True,
            collections: bool = True) -> Observed:
    """Round 1; NotFound when there is no such deployment. `events` False: not needed;
    `collections` False: the secrets and PVCs are not needed either."""
    selector = f"{ISVC_LABEL}={name}"
    calls = [
        lambda: cluster.get_or_none("InferenceService", name, namespace),
        lambda: cluster.get_or_none("ServingRuntime", name, namespace),
        lambda: cluster.list("Pod", namespace, label_selector=selector),
        (lambda: cluster.list("Event", namespace)) if events else (lambda: None),
        lambda: accounts_or_why(cluster, namespace),
    ] + (_collections(cluster, namespace) if collections else [])
    isvc, runtime, pods, events, (accounts, unread), *listed = \
        concurrently(lambda call: call(), calls)
    observed = Observed(name, namespace,
                        _object(isvc, f"inferenceservice {name}", shapes.INFERENCE_SERVICE),
                        _object(runtime, f"servingruntime {name}", shapes.SERVING_RUNTIME),
                        _readable(pods, "pods", shapes.POD),
                        _readable(events, "events", shapes.EVENT), accounts, unread)
    observed.raw = {"isvc": isvc, "runtime": runtime}
    isvc, runtime = observed.isvc, observed.runtime
    if listed:
        observed.secret_names = _listed(listed[0], "secrets")
        observed.claims = _listed(listed[1], "PVCs")
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


def complete(cluster: Cluster, observed: Observed, now: datetime) -> Status:
    """Round 2: crash logs (and secrets and PVCs not listed in round 1), concurrently; then
    the verdict (`now`: the run's clock, for the rules that need one)."""
    calls = round_two(cluster, observed)
    return settle(observed, calls, concurrently(lambda call: call[2](), calls, MAX_PARALLEL),
                  now)


def round_two(cluster: Cluster, observed: Observed) -> list[tuple[str, str, Any]]:
    """(kind, key, read) of what round 1 did not answer."""
    namespace = observed.namespace
    calls = []
    if observed.secret_names is None:
        calls += [("secret", s, _get(cluster, "Secret", s, namespace))
                  for s in nim_runtime.runtime_refs(observed.runtime).names]
    if observed.claims is None:
        calls += [("pvc", c, _get(cluster, "PersistentVolumeClaim", c, namespace))
                  for c in nim_runtime.mounted_claims(observed.runtime)]
    calls += [("log", f"{p}/{c}", (lambda p=p, c=c: last_line(cluster, namespace, p, c)))
              for p, c in crash_looping(observed.pods)]
    return calls


def settle(observed: Observed, calls: list, answers: list, now: datetime) -> Status:
    """The verdict from round 1's collections and round 2's answers."""
    answered = {(kind, key): answer for (kind, key, _), answer in zip(calls, answers)}
    secrets, pvcs = {}, {}
    for name in nim_runtime.runtime_refs(observed.runtime).names:
        if observed.secret_names is not None:  # only presence: a value is never kept
            secrets[name] = "present" if name in observed.secret_names else health.MISSING
        else:
            secrets[name] = _presence(answered.get(("secret", name)))
    for name in nim_runtime.mounted_claims(observed.runtime):
        answer = observed.claims.get(name) if observed.claims is not None else \
            answered.get(("pvc", name))
        pvcs[name] = shapes.conform_object(answer, shapes.CLAIM) \
            if isinstance(answer, dict) else _presence(answer)
    lines = {key: answer for (kind, key), answer in answered.items()
             if kind == "log" and isinstance(answer, str)}
    return _finish(observed, secrets, pvcs, lines, now)


def other_runtime(cluster: Cluster, observed: Observed) -> None:
    """The InferenceService names a runtime other than NAME (made by hand): one more read."""
    wanted = nim_runtime.runtime_name_of(observed.isvc or {})
    if observed.isvc is not None and wanted and wanted != observed.name:
        answer = cluster.get_or_none("ServingRuntime", wanted, observed.namespace)
        observed.raw["runtime"] = answer
        observed.runtime = _object(answer, f"servingruntime {wanted}", shapes.SERVING_RUNTIME)


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


def _finish(observed: Observed, secrets: dict, claims: dict, lines: dict,
            now: datetime) -> Status:
    isvc = observed.isvc
    keys = list_rows.account_keys_by_namespace(observed.accounts).get(observed.namespace, ())
    row = list_rows.make_row(isvc or {"metadata": {"name": observed.name,
                                              "namespace": observed.namespace}},
                        observed.runtime, account_keys=keys,
                        accounts_readable=observed.accounts_unread is None)
    account = of_namespace(observed.accounts, observed.namespace) \
        if row.key == nim_runtime.PROJECT_ACCOUNT else None
    facts = health.Facts(name=observed.name, isvc=isvc, runtime=observed.runtime,
                         pods=observed.pods, events=observed.events, claims=claims,
                         secrets=secrets, last_lines=lines, gpus=nim_runtime.gpus_per_pod(isvc),
                         account=account, now=now)
    return Status(observed, health.assess(facts), row, secrets, claims, eu_flag(row.model),
                  account)


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
    observed = observe(cluster, namespace, name, events, collections=events)  # logs, test: no
    other_runtime(cluster, observed)
    check_nim(observed)
    return observed


def status(cluster: Cluster, namespace: str, name: str, now: datetime) -> Status:
    return complete(cluster, find_nim(cluster, namespace, name), now)


def overview(cluster: Cluster, namespace: str, selector: Optional[str], now: datetime
             ) -> list[Status]:
    """Every NIM deployment of the project (whose InferenceService matches `selector`): round 1
    lists everything at once (secrets and PVCs included), round 2 reads the crash logs of every
    deployment, at most MAX_PARALLEL at once."""
    calls = [
        lambda: cluster.list("InferenceService", namespace, label_selector=selector),
        lambda: cluster.list("ServingRuntime", namespace),
        lambda: cluster.list("Pod", namespace, label_selector=ISVC_LABEL),
        lambda: cluster.list("Event", namespace),
        lambda: accounts_or_why(cluster, namespace),
    ] + _collections(cluster, namespace)
    isvcs, runtimes, pods, events, (accounts, unread), secret_names, claims = \
        concurrently(lambda call: call(), calls)
    for answer in (isvcs, runtimes):
        if isinstance(answer, ClusterError):
            raise answer
    isvcs = shapes.conform_items(isvcs, shapes.INFERENCE_SERVICE)
    runtimes = shapes.conform_items(runtimes, shapes.SERVING_RUNTIME)
    pods = _readable(pods, "pods", shapes.POD)
    events = _readable(events, "events", shapes.EVENT)
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
        observed.append(Observed(name, namespace, isvc, runtime, mine, events, accounts, unread,
                                 _listed(secret_names, "secrets"), _listed(claims, "PVCs")))
    observed.sort(key=lambda o: o.name)
    plans = [round_two(cluster, o) for o in observed]
    flat = [call for plan in plans for call in plan]
    answers = iter(concurrently(lambda call: call[2](), flat, MAX_PARALLEL))
    return [settle(o, plan, [next(answers) for _ in plan], now)
            for o, plan in zip(observed, plans)]
