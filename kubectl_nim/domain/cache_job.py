"""`cache NAME`: the objects that fill a PVC with a model's weights before the cut (docs/airgap.md).

Pure: options and the key in, manifests out, in write order:
1. Secret `nim-cache-{name}`: `NGC_API_KEY` (and the proxy URL when it has credentials);
2. pull Secret `nim-cache-pull-{name}` (nvcr.io, the key);
3. the proxy's CA ConfigMap, with `--ca-bundle`;
4. PVC `nim-pvc-{name}` (deploy's cache claim, same shape), unless `--existing-pvc`;
5. Job `nim-cache-{name}` (batch/v1): the model's own image running `download-to-cache`
   (`--profiles P` with a profile), `NGC_API_KEY` from the Secret by `secretKeyRef` (never a
   value), the pull secret, the claim mounted where the runtime Template mounts the cache and
   `NIM_CACHE_PATH` set to that path, the scheduling asked for.
The secrets (and the CA ConfigMap) get an ownerReference to the Job once it exists, so deleting
the Job removes them; the Job deletes itself a day after it finished (`JOB_TTL`).

What was cached is recorded as annotations on the PVC (`CACHE_*_ANNOTATION`): the model, tag and
profile (`default`: the NIM chose for the node's GPUs). A PVC annotation rather than a file on the
volume, because `deploy` reads it through the API without mounting the volume. `cache profiles`
renders the same Job without the claim, running `list-model-profiles`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from kubectl_nim.domain import proxy as proxy_mod
from kubectl_nim.domain.catalog import Model
from kubectl_nim.domain.deploy_values import Compute, Pairs, Storage, checked_profile
from kubectl_nim.domain.keys import ENV_VAR as API_KEY_ENV
from kubectl_nim.domain.names import (CACHE_JOB_LABEL, CACHE_MODEL_ANNOTATION,
                                      CACHE_PROFILE_ANNOTATION, CACHE_TAG_ANNOTATION,
                                      DISPLAY_NAME_ANNOTATION, GPU_RESOURCE, MANAGED_LABEL,
                                      PVC_PREFIX)
from kubectl_nim.domain.objects import object_metadata
from kubectl_nim.domain.serving_runtime import CACHE_MOUNT_PATH
from kubectl_nim.domain.validation import DNS1035_LABEL
from kubectl_nim.errors import UsageError

DOWNLOAD = "download-to-cache"
LIST_PROFILES = "list-model-profiles"
CONTAINER = "nim"
CACHE_VOLUME = "nim-cache"
DEFAULT_PROFILE = "default"
JOB_PREFIX = "nim-cache-"
PROFILES_JOB_PREFIX = "nim-profiles-"
PULL_PREFIX = "nim-cache-pull-"
# The Job name is also a label value on its pods (63): the longest prefix bounds the name.
MAX_NAME = 63 - len(PULL_PREFIX)
BACKOFF_LIMIT = 1  # one retry: a download that failed twice has a reason the logs tell
# A finished Job is deleted after a day, and with it (ownerReferences) the secrets holding the
# key: nothing of the key outlives the cache for long, even without --wait.
JOB_TTL = 24 * 3600
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


@dataclass(frozen=True)
class Toleration:
    key: str
    value: Optional[str] = None
    effect: Optional[str] = None

    def to_dict(self) -> dict:
        found: dict[str, Any] = {"key": self.key,
                                 "operator": "Equal" if self.value is not None else "Exists"}
        if self.value is not None:
            found["value"] = self.value
        if self.effect:
            found["effect"] = self.effect
        return found


def parse_toleration(text: str) -> Toleration:
    """kubectl taint's form: `KEY[=VALUE][:EFFECT]` (`nvidia.com/gpu:NoSchedule`)."""
    body, sep, effect = text.rpartition(":") if ":" in text else (text, "", "")
    if sep and effect not in _EFFECTS:
        raise UsageError(f"--toleration {text!r}: unknown effect {effect!r}",
                         hint=f"use one of {', '.join(_EFFECTS)}, e.g. nvidia.com/gpu:NoSchedule")
    key, eq, value = body.partition("=")
    if not key:
        raise UsageError(f"--toleration {text!r} is not KEY[=VALUE][:EFFECT]")
    return Toleration(key, value if eq else None, effect or None)


@dataclass(frozen=True)
class CacheOptions:
    """What `cache NAME` was asked for, checked on construction (UsageError, exit 2); the claim
    and the GPUs are deploy's values (domain/deploy_values), checked when they were made."""

    name: str
    namespace: Optional[str]
    model: Model
    tag: str
    profile: Optional[str] = None
    storage: Storage = field(default_factory=Storage)
    node_selector: Pairs = ()
    tolerations: tuple[Toleration, ...] = ()
    compute: Compute = field(default_factory=Compute)   # only its GPUs are used
    proxy: proxy_mod.ProxySettings = field(default_factory=proxy_mod.ProxySettings)

    def __post_init__(self):
        if len(self.name) > MAX_NAME or not DNS1035_LABEL.fullmatch(self.name):
            raise UsageError(f"invalid cache name {self.name!r}: a lowercase DNS-1035 label of at "
                             f"most {MAX_NAME} characters", hint="for example llama-cache")
        checked_profile(self.profile)

    @property
    def claim_name(self) -> str:
        return self.storage.claim(PVC_PREFIX + self.name)

    @property
    def job_name(self) -> str:
        return JOB_PREFIX + self.name

    @property
    def secret_name(self) -> str:
        return JOB_PREFIX + self.name

    @property
    def pull_secret_name(self) -> str:
        return PULL_PREFIX + self.name

    @property
    def recorded_profile(self) -> str:
        return self.profile or DEFAULT_PROFILE


def record(options: CacheOptions) -> dict[str, str]:
    """The PVC annotations saying what the cache holds (read back by `cache_record`)."""
    return {CACHE_MODEL_ANNOTATION: options.model.name, CACHE_TAG_ANNOTATION: options.tag,
            CACHE_PROFILE_ANNOTATION: options.recorded_profile}


def cache_record(pvc: Mapping[str, Any]) -> Optional[dict[str, str]]:
    """What a cache PVC says it holds ({"model", "tag", "profile"}), or None if it says nothing
    (a PVC the plugin did not fill). Values that are not strings count as absent."""
    meta = pvc.get("metadata") if isinstance(pvc, Mapping) else None
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    if not isinstance(annotations, Mapping):
        return None
    found = {k: annotations.get(a) for k, a in (("model", CACHE_MODEL_ANNOTATION),
                                                 ("tag", CACHE_TAG_ANNOTATION),
                                                 ("profile", CACHE_PROFILE_ANNOTATION))}
    if not isinstance(found["model"], str) or not found["model"]:
        return None
    return {k: v if isinstance(v, str) else "" for k, v in found.items()}


def render_cache(options: CacheOptions, api_key: str) -> list[dict]:
    """Every object `cache NAME` creates, in write order (see the module's docstring)."""
    from kubectl_nim.domain.render import pvc_manifest

    objects = secrets(options, options.secret_name, api_key)
    ca = proxy_mod.ca_configmap(options.proxy, options.name, options.namespace)
    if ca:
        objects.append(ca)
    if options.storage.existing is None:
        pvc = pvc_manifest(options.claim_name, options.namespace, options.storage.size,
                           options.storage.storage_class)
        pvc["metadata"].setdefault("annotations", {}).update(record(options))
        objects.append(pvc)
    objects.append(job(options, options.job_name, [DOWNLOAD] + _profile_args(options),
                       claim=options.claim_name))
    return objects


def render_profiles(options: CacheOptions, api_key: str, name: str) -> list[dict]:
    """The Secret, pull Secret (and CA ConfigMap) and the Job `cache profiles` runs: no claim."""
    objects = secrets(options, name, api_key)
    ca = proxy_mod.ca_configmap(options.proxy, options.name, options.namespace)
    if ca:
        objects.append(ca)
    objects.append(job(options, name, [LIST_PROFILES], claim=None))
    return objects


def _profile_args(options: CacheOptions) -> list[str]:
    # NVIDIA's download-to-cache takes `--profiles P [P ...]` (alias -p).
    return ["--profiles", options.profile] if options.profile else []


def secrets(options: CacheOptions, name: str, api_key: str) -> list[dict]:
    import json

    from kubectl_nim.domain.keys import pull_secret_dockerconfig
    from kubectl_nim.domain.render import secret_manifest as _secret

    data = {API_KEY_ENV: api_key}
    if options.proxy.https_proxy and options.proxy.has_credentials:
        data[proxy_mod.PROXY_SECRET_KEY] = options.proxy.https_proxy
    pull = json.dumps(pull_secret_dockerconfig(api_key), separators=(",", ":"))
    return [_labelled(_secret(name, options.namespace, "Opaque", data), options.name),
            _labelled(_secret(_pull_name(name), options.namespace,
                              "kubernetes.io/dockerconfigjson", {".dockerconfigjson": pull}),
                      options.name)]


def _pull_name(secret: str) -> str:
    return secret.replace(JOB_PREFIX, PULL_PREFIX, 1) if secret.startswith(JOB_PREFIX) \
        else secret + "-pull"


def _labelled(obj: dict, cache: str) -> dict:
    obj["metadata"].setdefault("labels", {})[CACHE_JOB_LABEL] = cache
    return obj


def job(options: CacheOptions, name: str, command: list[str], claim: Optional[str]) -> dict:
    env: list[dict] = [{"name": API_KEY_ENV, "valueFrom": {"secretKeyRef": {
        "name": name, "key": API_KEY_ENV}}}]
    container: dict[str, Any] = {"name": CONTAINER, "image": options.model.image(options.tag),
                                 "command": command[:1]}
    if command[1:]:
        container["args"] = command[1:]
    container["env"] = env
    pod: dict[str, Any] = {"restartPolicy": "Never",
                           "imagePullSecrets": [{"name": _pull_name(name)}],
                           "containers": [container]}
    if claim:
        env.append({"name": "NIM_CACHE_PATH", "value": CACHE_MOUNT_PATH})
        container["volumeMounts"] = [{"name": CACHE_VOLUME, "mountPath": CACHE_MOUNT_PATH}]
        pod["volumes"] = [{"name": CACHE_VOLUME, "persistentVolumeClaim": {"claimName": claim}}]
    if options.compute.gpus:
        count = str(options.compute.gpus)
        container["resources"] = {"requests": {GPU_RESOURCE: count},
                                  "limits": {GPU_RESOURCE: count}}
    if options.node_selector:
        pod["nodeSelector"] = dict(options.node_selector)
    if options.tolerations:
        pod["tolerations"] = [t.to_dict() for t in options.tolerations]
    pod = proxy_mod.add_to_pod(pod, CONTAINER, options.proxy, options.name, secret=name)
    labels = {MANAGED_LABEL: "true", CACHE_JOB_LABEL: options.name}
    annotations = {DISPLAY_NAME_ANNOTATION: f"{options.model.name}:{options.tag}"}
    if claim:
        annotations.update(record(options))
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": object_metadata(options.namespace, name, labels=labels,
                                        annotations=annotations),
            "spec": {"backoffLimit": BACKOFF_LIMIT, "ttlSecondsAfterFinished": JOB_TTL,
                     "template": {"metadata": {"labels": {CACHE_JOB_LABEL: options.name}},
                                  "spec": pod}}}


def job_owner_reference(job_obj: Mapping[str, Any]) -> dict:
    """The ownerReference that lets the garbage collector remove a secret with its Job."""
    meta = job_obj.get("metadata") or {}
    return {"apiVersion": "batch/v1", "kind": "Job", "name": meta.get("name"),
            "uid": meta.get("uid")}


# --- the Job's state ----------------------------------------------------------------------------

@dataclass(frozen=True)
class JobState:
    done: bool
    failed: bool
    summary: str
    reason: str = ""


def job_state(job_obj: Optional[Mapping[str, Any]]) -> JobState:
    """Complete / Failed from the Job's conditions (and counters), checked field by field."""
    if not isinstance(job_obj, Mapping):
        return JobState(False, True, "the Job is gone", "it was deleted")
    status = job_obj.get("status")
    status = status if isinstance(status, Mapping) else {}
    conditions = status.get("conditions")
    for cond in conditions if isinstance(conditions, list) else []:
        if not isinstance(cond, Mapping) or cond.get("status") != "True":
            continue
        if cond.get("type") in ("Complete", "SuccessCriteriaMet"):
            return JobState(True, False, "download complete")
        if cond.get("type") in ("Failed", "FailureTarget"):
            why = " ".join(str(cond.get(k)) for k in ("reason", "message")
                           if isinstance(cond.get(k), str) and cond.get(k))
            return JobState(True, True, "failed", why or "the Job failed")
    counts = {k: status.get(k) if isinstance(status.get(k), int) and not
              isinstance(status.get(k), bool) else 0 for k in ("active", "succeeded", "failed")}
    if counts["succeeded"] and not counts["active"]:
        return JobState(True, False, "download complete")
    parts = [f"{k} {v}" for k, v in counts.items() if v]
    return JobState(False, False, "pods: " + ", ".join(parts) if parts else "pending")


def _mapping(value: Any) -> Mapping[str, Any]:
    """`value` when an API answer's field holds an object, else empty."""
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list:
    """`value` when an API answer's field holds a list, else empty."""
    return value if isinstance(value, list) else []


_STUCK = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError",
          "CreateContainerError", "CrashLoopBackOff")


def pod_problem(pods: Any) -> Optional[str]:
    """Why the Job's pod does not run yet, from the newest pod's status (an image that cannot
    be pulled, a pod the scheduler cannot place), or None; every field's type checked."""
    items = [p for p in pods if isinstance(p, Mapping)] if isinstance(pods, list) else []
    if not items:
        return None
    pod = max(items, key=lambda p: str((p.get("metadata") or {}).get("creationTimestamp")
                                       if isinstance(p.get("metadata"), Mapping) else ""))
    status = _mapping(pod.get("status"))
    statuses = status.get("containerStatuses")
    for container in statuses if isinstance(statuses, list) else []:
        state = container.get("state") if isinstance(container, Mapping) else None
        waiting = state.get("waiting") if isinstance(state, Mapping) else None
        if isinstance(waiting, Mapping) and waiting.get("reason") in _STUCK:
            message = waiting.get("message")
            return f"{waiting['reason']}: {message}" if isinstance(message, str) and message \
                else str(waiting["reason"])
    conditions = status.get("conditions")
    for cond in conditions if isinstance(conditions, list) else []:
        if isinstance(cond, Mapping) and cond.get("type") == "PodScheduled" and \
                cond.get("status") == "False":
            message = cond.get("message")
            return f"Unschedulable: {message}" if isinstance(message, str) and message \
                else "Unschedulable"
    return None


# --- a hardware profile's scheduling ------------------------------------------------------------

def profile_scheduling(profile: Mapping[str, Any], name: str
                       ) -> tuple[Pairs, tuple[Toleration, ...], Optional[int]]:
    """(node selector, tolerations, default GPU count) of an OpenShift AI HardwareProfile
    (`infrastructure.opendatahub.io`, `spec.scheduling.node`, `spec.identifiers`), each field's
    type checked; UsageError for a queue-scheduled profile, which a bare Job cannot use."""
    spec = _mapping(profile.get("spec"))
    scheduling = _mapping(spec.get("scheduling"))
    if scheduling.get("type") == "Queue":
        raise UsageError(f"hardware profile {name} schedules through a Kueue queue, which a "
                         f"cache Job does not use",
                         hint="give the placement directly: --node-selector, --toleration, "
                              "--gpus")
    node = _mapping(scheduling.get("node"))
    selector = _mapping(node.get("nodeSelector"))
    pairs = tuple((k, v) for k, v in selector.items() if isinstance(k, str) and
                  isinstance(v, str))
    tolerations = []
    for item in _list(node.get("tolerations")):
        if not isinstance(item, Mapping) or not isinstance(item.get("key"), str):
            continue
        value = item.get("value") if isinstance(item.get("value"), str) else None
        effect = item.get("effect") if item.get("effect") in _EFFECTS else None
        if item.get("operator") == "Exists":
            value = None
        tolerations.append(Toleration(item["key"], value, effect))
    gpus = None
    for ident in _list(spec.get("identifiers")):
        if isinstance(ident, Mapping) and ident.get("identifier") == GPU_RESOURCE:
            count = ident.get("defaultCount")
            if isinstance(count, str) and count.isdigit():
                count = int(count)
            if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                gpus = count
    return pairs, tuple(tolerations), gpus


def merged_placement(given: Pairs, tolerations: tuple[Toleration, ...], gpus: Optional[int],
                     from_profile: tuple[Pairs, tuple[Toleration, ...], Optional[int]]
                     ) -> tuple[Pairs, tuple[Toleration, ...], Optional[int]]:
    """The profile's placement with the flags on top: a flag's label wins over the profile's
    for the same key, tolerations add up (once each), --gpus replaces the profile's count."""
    selector = dict(from_profile[0])
    selector.update(dict(given))
    merged = tuple(dict.fromkeys(from_profile[1] + tolerations))
    return tuple(selector.items()), merged, gpus if gpus is not None else from_profile[2]
