"""Why a NIM deployment is (not) serving: a verdict and reasons in plain words, from facts.

Pure: the objects `status` read (InferenceService, ServingRuntime, predictor pods, events, PVCs,
which referenced secrets exist, the last log line of crashing containers) in; a `Health` out. No
cluster, no clock (the caller passes `now`), so every rule is tested on plain dicts.

The rules are a table (`RULES`): each looks at one kind of fact and returns `Reason`s with a
severity. The verdict follows from the severities and the InferenceService's Ready condition:

* `Ready`: the InferenceService says Ready=True (it serves; remaining reasons are warnings).
* `Failed`: a reason that will not go away without someone acting (key refused by the registry,
  no node with the GPUs, missing secret or PVC, crash loop, unknown runtime...).
* `Progressing`: nothing is wrong yet (pod scheduled, image pulling, model still downloading).
* `Unknown`: the controller has not reported and the pods cannot be read.

`wait --wait` shares the event vocabulary (`EVENT_REASONS`, `explain_event`, `concerns`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable, Iterable, Mapping, Optional

from kubectl_nim.domain import nimservice
from kubectl_nim.domain.account_state import VALIDATION, AccountState, parse_time
from kubectl_nim.domain.list_rows import human_age
from kubectl_nim.domain.names import GPU_RESOURCE, KSERVE_CONTAINER
from kubectl_nim.domain.nim_runtime import image_reference, runtime_image
from kubectl_nim.domain.refs import kind_ref

READY, PROGRESSING, FAILED, UNKNOWN = "Ready", "Progressing", "Failed", "Unknown"
VERDICTS = (READY, PROGRESSING, FAILED, UNKNOWN)
# Severities of a reason: what it does to the verdict.
BLOCKING, WAITING, WARNING = "failed", "progressing", "warning"

MISSING = "missing"          # a PVC or secret that does not exist
UNREADABLE = "unreadable"    # a PVC or secret the user may not read

# Event reasons that explain why a NIM is not coming up, and what the user can do about each.
EVENT_REASONS = {
    "FailedScheduling": "no node can run it (often: not enough free GPUs)",
    "ImagePullBackOff": "the image cannot be pulled (key, tag, or registry access)",
    "ErrImagePull": "the image cannot be pulled (key, tag, or registry access)",
    "Failed": "a container failed",
    "BackOff": "a container keeps crashing (check `oc logs`)",
    "FailedMount": "a volume cannot be mounted",
    "ProvisioningFailed": "the PVC cannot be provisioned (storage class?)",
    "FailedAttachVolume": "a volume cannot be attached",
    "FailedCreate": "the pod cannot be created (quota or admission?)",
}
IMAGE_PULL = EVENT_REASONS["ErrImagePull"]

# KServe condition reasons that no amount of waiting fixes.
FATAL_CONDITION_REASONS = {"ServingRuntimeNotFound", "NoSupportingRuntime", "RuntimeDisabled",
                           "RuntimeNotRecognized", "InvalidPredictorSpec", "InvalidSpec"}
PULL_WAITING = {"ErrImagePull", "ImagePullBackOff", "InvalidImageName"}
STARTING_WAITING = {"ContainerCreating", "PodInitializing"}

_AUTH = re.compile(r"\b401\b|unauthori[sz]ed|authentication required|invalid username/password",
                   re.I)
_DENIED = re.compile(r"\b403\b|forbidden|denied", re.I)
_LEGAL = re.compile(r"\b451\b|legal reasons", re.I)
_NOT_FOUND = re.compile(r"manifest unknown|not found|\b404\b|name unknown", re.I)
_INSUFFICIENT_GPU = re.compile(r"Insufficient " + re.escape(GPU_RESOURCE))


def explain_event(reason: str, message: str) -> str:
    """The kubelet reports image pulls under the generic reasons too ("Failed: Failed to pull
    image ...", "BackOff: Back-off pulling image ..."): only the message tells a pull that keeps
    failing from a container that keeps crashing."""
    if reason in ("Failed", "BackOff") and "pull" in message.lower():
        return IMAGE_PULL
    return EVENT_REASONS[reason]


def concerns(involved: str, name: str) -> bool:
    """The deployment itself, its predictor (Deployment `{name}-predictor`, its ReplicaSets and
    pods `{name}-predictor-...`) or its cache PVC; not another deployment sharing the prefix."""
    predictor = f"{name}-predictor"
    return involved in (name, predictor, f"nim-pvc-{name}") or \
        involved.startswith(predictor + "-")


@dataclass(frozen=True)
class Reason:
    code: str       # stable, for scripts: ImagePullUnauthorized, InsufficientGPU, ...
    severity: str   # failed | progressing | warning
    message: str    # what is happening, in plain words
    advice: str = ""  # what to do about it

    @property
    def text(self) -> str:
        return f"{self.message} — {self.advice}" if self.advice else self.message

    def to_data(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "advice": self.advice or None}


@dataclass(frozen=True)
class Facts:
    """What `status` read. `pods`/`events` None: the user may not read them."""

    name: str
    isvc: Optional[Mapping[str, Any]]
    runtime: Optional[Mapping[str, Any]] = None
    pods: Optional[list] = field(default_factory=list)
    events: Optional[list] = field(default_factory=list)
    claims: Mapping[str, Any] = field(default_factory=dict)   # name -> PVC, MISSING, UNREADABLE
    secrets: Mapping[str, str] = field(default_factory=dict)  # name -> present|MISSING|UNREADABLE
    last_lines: Mapping[str, str] = field(default_factory=dict)  # "pod/container" -> last line
    gpus: int = 0   # nvidia.com/gpu per predictor pod
    account: Optional[AccountState] = None  # the project's NIM Account, when the key is its
    now: Optional[datetime] = None  # the run's clock (None: no rule that needs one applies)


@dataclass(frozen=True)
class Health:
    verdict: str
    reasons: tuple[Reason, ...]

    def to_data(self) -> dict:
        return {"verdict": self.verdict, "reasons": [r.to_data() for r in self.reasons]}


# --- small readers -----------------------------------------------------------------------------

def conditions(isvc: Optional[Mapping[str, Any]]) -> dict[str, dict]:
    return {c.get("type"): c for c in ((isvc or {}).get("status") or {}).get("conditions") or []}


def pod_ready(pod: Mapping[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def live_pods(pods: Optional[Iterable[Mapping[str, Any]]]) -> list:
    return [p for p in pods or [] if not (p.get("metadata") or {}).get("deletionTimestamp")]


def restarts(pods: Optional[Iterable[Mapping[str, Any]]]) -> int:
    return sum(int(s.get("restartCount") or 0) for p in live_pods(pods)
               for s in (p.get("status") or {}).get("containerStatuses") or [])


def last_restart(pods: Optional[Iterable[Mapping[str, Any]]]) -> Optional[str]:
    """When a predictor container last ended (RFC 3339), if one ever restarted."""
    stamps = [((s.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
              for p in live_pods(pods) for s in (p.get("status") or {}).get("containerStatuses")
              or []]
    finished = [s for s in stamps if s]
    return max(finished) if finished else None


def _pod_name(pod: Mapping[str, Any]) -> str:
    return (pod.get("metadata") or {}).get("name", "")


def _pull_reason(message: str, image: str, name: str) -> Reason:
    """An image pull that fails, told apart by what the registry answered."""
    what = f"image {image}" if image else "the image"
    if _AUTH.search(message) or _DENIED.search(message):
        code = 403 if _DENIED.search(message) and not _AUTH.search(message) else 401
        return Reason("ImagePullUnauthorized", BLOCKING,
                      f"the NVIDIA registry rejected the key ({code}) pulling {what}",
                      f"run `kubectl nim rotate-key {name}` with a valid personal key "
                      f"(`kubectl nim validate-key` checks one)")
    if _LEGAL.search(message):
        return Reason("ImagePullRestricted", BLOCKING,
                      f"NVIDIA refuses {what} to this location (451, EU-restricted model)",
                      "deploy a model that is not EU-restricted (`kubectl nim models`)")
    if _NOT_FOUND.search(message):
        return Reason("ImageNotFound", BLOCKING, f"the registry has no {what}",
                      "pick a tag the model has (`kubectl nim models MODEL`) and redeploy "
                      "with --apply --tag")
    detail = f": {message}" if message else ""
    return Reason("ImagePullFailed", BLOCKING, f"{what} cannot be pulled{detail}",
                  "check the registry's reachability and the pull secret")


def _schedule_reason(message: str, gpus: int) -> Reason:
    if _INSUFFICIENT_GPU.search(message):
        need = f"{gpus} free {GPU_RESOURCE}" if gpus else f"a free {GPU_RESOURCE}"
        return Reason("InsufficientGPU", BLOCKING, f"no node has {need} ({message.strip()})",
                      "free GPUs (scale down or delete another model), deploy with fewer "
                      "--gpus, or ask an admin for GPU capacity")
    return Reason("Unschedulable", BLOCKING, f"no node can run the predictor pod: "
                  f"{message.strip()}", "check node selectors, tolerations and quotas")


# --- the rules ---------------------------------------------------------------------------------

def _rule_inference_service(f: Facts) -> list[Reason]:
    if f.isvc is None:
        return [Reason("InferenceServiceMissing", BLOCKING,
                       f"{kind_ref('InferenceService', f.name)} does not exist (only its "
                       f"ServingRuntime does)",
                       f"redeploy with `kubectl nim deploy {f.name} --apply ...` or remove the "
                       f"rest with `kubectl nim delete {f.name}`")]
    out = []
    if f.runtime is None and not nimservice.owner(f.isvc):  # a NIMService's runs without one
        out.append(Reason("RuntimeMissing", BLOCKING, f"the ServingRuntime of "
                          f"{kind_ref('InferenceService', f.name)} does not exist",
                          f"redeploy with `kubectl nim deploy {f.name} --apply ...`"))
    stale = not_reconciled(f.isvc)
    if stale:
        out.append(Reason("NotReconciled", WAITING, f"KServe has not acted on the latest change "
                          f"of {kind_ref('InferenceService', f.name)} ({stale}): what the "
                          f"conditions say is older than the spec", _KSERVE_DOWN))
    age = never_reconciled(f.isvc, f.now)
    if age:
        out.append(Reason("NotReconciled", WAITING, f"KServe has not reconciled "
                          f"{kind_ref('InferenceService', f.name)} since it was created {age} "
                          f"ago: it has no status at all", _KSERVE_DOWN))
    for cond in conditions(f.isvc).values():
        if cond.get("status") != "False" or cond.get("reason") not in FATAL_CONDITION_REASONS:
            continue
        out.append(Reason(cond["reason"], BLOCKING,
                          f"KServe: {cond.get('message') or cond['reason']}",
                          f"check {kind_ref('ServingRuntime', f.name)} and the model format "
                          f"it declares"))
    return out


_KSERVE_DOWN = ("is KServe's controller running? check the kserve-controller-manager pods and "
                "their logs (its webhooks and reconciles stop with it)")
# How long a new InferenceService may go without any status before `status` says KServe has
# not reconciled it: a running controller writes one within seconds of the create.
RECONCILE_GRACE = 60.0


def never_reconciled(isvc: Mapping[str, Any] | None, now: Optional[datetime]) -> str:
    """The InferenceService's age ('75s') when KServe has written no status to it at all (no
    observedGeneration, no conditions) and it was created at least RECONCILE_GRACE seconds
    before `now`; '' otherwise (no clock, no valid creationTimestamp, or a status exists)."""
    if not isinstance(isvc, Mapping) or now is None:
        return ""
    status = isvc.get("status")
    if isinstance(status, Mapping) and (status.get("observedGeneration") is not None
                                        or status.get("conditions")):
        return ""
    meta = isvc.get("metadata")
    created = meta.get("creationTimestamp") if isinstance(meta, Mapping) else None
    then = parse_time(created) if isinstance(created, str) else None
    if then is None or now.tzinfo is None:
        return ""
    if (now - then).total_seconds() < RECONCILE_GRACE:
        return ""
    return human_age(then.strftime("%Y-%m-%dT%H:%M:%SZ"), now)


def not_reconciled(isvc: Mapping[str, Any] | None) -> str:
    """'generation N, last seen M' when KServe has not yet observed the InferenceService's
    latest spec (status.observedGeneration behind metadata.generation), else ''. A controller
    that is down leaves it behind for good; a running one catches up within a second."""
    if not isinstance(isvc, Mapping):
        return ""
    generation = (isvc.get("metadata") or {}).get("generation")
    observed = (isvc.get("status") or {}).get("observedGeneration")
    if isinstance(generation, int) and isinstance(observed, int) and \
            not isinstance(generation, bool) and not isinstance(observed, bool) and \
            observed < generation:
        return f"generation {generation}, last seen {observed}"
    return ""


def _rule_rollout(f: Facts) -> list[Reason]:
    """Predictor pods that still run another tag of the image the ServingRuntime names: a new
    `--tag` has not reached them yet (KServe rolls them; with KServe down, never)."""
    if f.pods is None or not isinstance(f.runtime, Mapping):
        return []
    wanted = runtime_image(f.runtime)
    repo, tag = image_reference(wanted)
    behind = set()
    for pod in live_pods(f.pods):
        for container in (pod.get("spec") or {}).get("containers") or []:
            if not isinstance(container, Mapping) or container.get("name") != KSERVE_CONTAINER:
                continue
            image = container.get("image")
            if not isinstance(image, str) or image == wanted:
                continue
            their_repo, their_tag = image_reference(image)
            if their_repo == repo:
                behind.add(their_tag or image)
    if not wanted or not behind:
        return []
    return [Reason("RolloutPending", WAITING,
                   f"predictor pods still run tag {', '.join(sorted(behind))}; "
                   f"{kind_ref('ServingRuntime', f.name)} names {tag or wanted}",
                   "KServe rolls them out; if this lasts, is KServe's controller running? "
                   "check the kserve-controller-manager pods and their logs")]


def _rule_secrets(f: Facts) -> list[Reason]:
    return [Reason("SecretMissing", BLOCKING, f"{kind_ref('Secret', name)} is missing (the runtime "
                   f"references it)", f"write it again with `kubectl nim rotate-key {f.name}`")
            for name, state in f.secrets.items() if state == MISSING]


def _rule_claims(f: Facts) -> list[Reason]:
    out = []
    for name, claim in f.claims.items():
        if claim == MISSING:
            out.append(Reason("PVCMissing", BLOCKING,
                              f"{kind_ref('PersistentVolumeClaim', name)} does not exist",
                              f"create it, or redeploy with `kubectl nim deploy {f.name} "
                              f"--apply` to get a new one"))
            continue
        if not isinstance(claim, Mapping):
            continue
        phase = (claim.get("status") or {}).get("phase")  # none yet: nothing to say
        if phase == "Lost":
            out.append(Reason("PVCLost", BLOCKING,
                              f"{kind_ref('PersistentVolumeClaim', name)} lost its volume",
                              "ask an admin about the storage backend; redeploy on a new PVC"))
        elif phase == "Pending":
            out.append(_pending_claim(f, name, claim))
    return out


def _pending_claim(f: Facts, name: str, claim: Mapping[str, Any]) -> Reason:
    problems = [e for e in _events_of(f, name) if e.get("reason") == "ProvisioningFailed"
                or "no storage class is set" in (e.get("message") or "")]
    if problems:
        message = (problems[-1].get("message") or "").strip()
        if "no storage class is set" in message or \
                not (claim.get("spec") or {}).get("storageClassName"):
            why = "no default storage class"
        else:
            why = message
        return Reason("PVCPending", BLOCKING,
                      f"{kind_ref('PersistentVolumeClaim', name)} is Pending: {why}",
                      "redeploy with --storage-class NAME (`oc get storageclass`), or ask an "
                      "admin to set a default storage class")
    return Reason("PVCPending", WAITING, f"{kind_ref('PersistentVolumeClaim', name)} is Pending "
                  f"(its volume is being provisioned, or waits for the pod to be scheduled)")


def _rule_pods(f: Facts) -> list[Reason]:
    if f.pods is None or f.isvc is None:
        return []
    pods = live_pods(f.pods)
    if not pods:
        if conditions(f.isvc).get("Ready", {}).get("status") == "True":
            return []
        return [Reason("NoPods", WAITING, "no predictor pod exists yet",
                       "the controller creates it; if this lasts, the project's events "
                       "(`oc get events --sort-by .lastTimestamp`) and quota (`oc describe "
                       "quota`) tell why")]
    out = []
    for pod in pods:
        out += _pod_reasons(f, pod)
    return out


def _pod_reasons(f: Facts, pod: Mapping[str, Any]) -> list[Reason]:
    name = _pod_name(pod)
    status = pod.get("status") or {}
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            return [_schedule_reason(cond.get("message") or cond.get("reason") or "", f.gpus)]
    out = []
    for cs in status.get("containerStatuses") or []:
        container = cs.get("name", "")
        waiting = (cs.get("state") or {}).get("waiting") or {}
        reason, message = waiting.get("reason") or "", waiting.get("message") or ""
        if reason in PULL_WAITING:
            pulls = [e.get("message") or "" for e in _events_of(f, name)
                     if "pull" in (e.get("message") or "").lower()]
            out.append(_pull_reason(" ".join([message] + pulls), cs.get("image", ""), f.name))
        elif reason == "CrashLoopBackOff":
            out.append(_crash_reason(f, name, cs))
        elif reason == "CreateContainerConfigError":
            out.append(Reason("ContainerConfigError", BLOCKING,
                              f"container {container} cannot start: {message}",
                              f"a referenced secret or config map is missing; "
                              f"`kubectl nim rotate-key {f.name}` rewrites the secrets"))
        elif reason in STARTING_WAITING or (not reason and not cs.get("state")):
            out.append(Reason("Starting", WAITING, f"pod {name} is starting ({reason or 'new'})"))
        elif reason:
            out.append(Reason(reason, WAITING, f"container {container} is waiting: {reason}"
                              + (f" ({message})" if message else "")))
        elif "running" in (cs.get("state") or {}) and not cs.get("ready"):
            out.append(Reason("ModelLoading", WAITING,
                              f"pod {name} is running but not ready yet: the NIM is still "
                              f"downloading or loading the model",
                              f"follow it with `kubectl nim logs {f.name} -f`; a first "
                              f"download of a large model takes many minutes"))
    if not status.get("containerStatuses") and status.get("phase", "Pending") == "Pending":
        out.append(Reason("Starting", WAITING, f"pod {name} is Pending"))
    count = sum(int(cs.get("restartCount") or 0) for cs in status.get("containerStatuses") or [])
    if count and not any(r.code == "CrashLoop" for r in out):
        out.append(Reason("Restarted", WARNING, f"pod {name} restarted {count} time(s)",
                          f"`kubectl nim logs {f.name}` shows why"))
    return out


def _crash_reason(f: Facts, pod: str, cs: Mapping[str, Any]) -> Reason:
    container = cs.get("name", "")
    last = ((cs.get("lastState") or {}).get("terminated") or {})
    why = last.get("reason") or "Error"
    line = f.last_lines.get(f"{pod}/{container}")
    said = f"; last log line: {line.strip()}" if line else ""
    if why == "OOMKilled":
        return Reason("CrashLoop", BLOCKING, f"container {container} keeps running out of "
                      f"memory (OOMKilled, {cs.get('restartCount', 0)} restarts){said}",
                      "redeploy with a higher --memory-limit")
    exit_code = last.get("exitCode")
    code = f" with exit code {exit_code}" if exit_code is not None else ""
    return Reason("CrashLoop", BLOCKING, f"container {container} keeps crashing ({why}{code}, "
                  f"{cs.get('restartCount', 0)} restarts){said}",
                  f"`kubectl nim logs {f.name}` shows the whole log")


def _rule_events(f: Facts) -> list[Reason]:
    """Warnings the pods' state does not explain (pods unreadable, quota, mounts, ...)."""
    pods = None if f.pods is None else {_pod_name(p) for p in live_pods(f.pods)}
    out = []
    for event in f.events or []:
        involved_object = event.get("involvedObject") or {}
        involved = involved_object.get("name", "")
        reason = event.get("reason", "")
        message = (event.get("message") or "").strip()
        if event.get("type") != "Warning" or reason not in EVENT_REASONS or \
                not concerns(involved, f.name):
            continue
        if pods is not None and involved_object.get("kind") == "Pod" and \
                (involved not in pods or reason in _POD_STATE_EVENTS):
            continue  # a readable pod's state is newer than its events; a gone pod's are stale
        if reason == "FailedScheduling":
            out.append(_schedule_reason(message, f.gpus))
        elif explain_event(reason, message) == IMAGE_PULL:
            out.append(_pull_reason(message, "", f.name))
        elif reason == "ProvisioningFailed":
            continue  # _rule_claims reads these with the PVC's phase
        else:
            out.append(Reason(f"Event{reason}", WARNING,
                              f"{reason} on {involved}: {explain_event(reason, message)}",
                              message))
    return out


def _events_of(f: Facts, involved: str) -> list:
    return [e for e in f.events or [] if (e.get("involvedObject") or {}).get("name") == involved]


def _rule_account(f: Facts) -> list[Reason]:
    """A deployment reading the project's key needs the project's NIM Account to be ready: the
    controller's own words when it refused the key, a wait while it has not validated it yet
    (docs/compatibility.md, per-project NIM Accounts)."""
    account = f.account
    if account is None or account.ready:
        return []
    ns = f" -n {account.namespace}" if account.namespace else ""
    show = f"`kubectl nim project status{ns}` shows the Account's conditions"
    said = account.rejection()
    if said is not None:
        cond = account.condition(VALIDATION)
        rejected = cond is not None and cond.status == "False"
        if rejected:
            return [Reason("AccountKeyRejected", BLOCKING, f"the project's NIM Account "
                           f"{account.name} rejected the project key: {said}",
                           f"put a valid key in with `kubectl nim project rotate-key{ns}` "
                           f"({show})")]
        return [Reason("AccountNotReady", BLOCKING, f"the project's NIM Account {account.name} "
                       f"is not ready: {said}", f"{show}; odh-model-controller's log tells more")]
    return [Reason("AccountNotValidated", WAITING,
                   f"the project's NIM Account {account.name} has not validated the project "
                   f"key yet", f"odh-model-controller validates it (is it running?); {show}")]


RULES: tuple[Callable[[Facts], list[Reason]], ...] = (
    _rule_inference_service, _rule_rollout, _rule_secrets, _rule_claims, _rule_pods,
    _rule_events, _rule_account)


# --- the verdict -------------------------------------------------------------------------------

def assess(facts: Facts) -> Health:
    reasons: list[Reason] = []
    for rule in RULES:
        for reason in rule(facts):
            # One line per cause: a pod and its events often say the same thing twice, and a
            # stale event must not repeat a cause the pod's state already names.
            if not any(r.code == reason.code and (r.message == reason.message or
                                                  reason.code in _ONCE) for r in reasons):
                reasons.append(reason)
    # A Ready=True written for an older generation still counts (the pods of that spec serve;
    # the NotReconciled reason says the change is not acted on): upstream KServe can leave
    # observedGeneration behind while it serves (docs/compatibility.md).
    ready = conditions(facts.isvc).get("Ready", {}).get("status") == "True"
    if facts.isvc is not None and ready:
        verdict = READY
    elif any(r.severity == BLOCKING for r in reasons):
        verdict = FAILED
    elif not conditions(facts.isvc) and facts.pods is None and not reasons:
        verdict = UNKNOWN
    else:
        verdict = PROGRESSING
    if verdict == READY:  # it serves: what would stop a new pod is a warning, never a ✗
        reasons = [replace(r, severity=WARNING) if r.severity == BLOCKING else r for r in reasons]
    order = {BLOCKING: 0, WAITING: 1, WARNING: 2}
    return Health(verdict, tuple(sorted(reasons, key=lambda r: order[r.severity])))


# Event reasons a pod's own status already tells (scheduling, pulls, crashes).
_POD_STATE_EVENTS = {"FailedScheduling", "ImagePullBackOff", "ErrImagePull", "Failed", "BackOff"}

# Codes reported once whatever their wording (pod condition and event say it differently).
_ONCE = {"InsufficientGPU", "Unschedulable", "ImagePullUnauthorized", "ImagePullRestricted",
         "ImageNotFound", "ImagePullFailed"}

