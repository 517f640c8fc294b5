"""Every object `deploy` writes, rendered as plain dicts (SPEC §3 and §6).

Pure: options, the runtime Template and the key in; manifests out, in write order. No cluster,
no network, no clock and no randomness (unless the Template generates parameter values), so
`--dry-run=client -o yaml` prints exactly what a real run creates, and tests compare whole
manifests against reviewed fixtures.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from random import Random
from typing import Any, Iterable, Mapping, Optional

from kubectl_nim.domain.catalog import Model
from kubectl_nim.errors import UsageError
from kubectl_nim.domain.keys import ENV_VAR as API_KEY_ENV
from kubectl_nim.domain.keys import pull_secret_dockerconfig
from kubectl_nim.domain import validation
from kubectl_nim.domain.refs import object_ref  # noqa: F401 - moved; kept for importers
from kubectl_nim.domain.names import (SECRET_NAMINGS, SEED, derived_names, is_dns1123_label,
                               validate_claim_name, validate_deployment_name)
from kubectl_nim.domain.template import TemplateError, find_runtime, process_template

KSERVE_GROUP = "serving.kserve.io"
RUNTIME_API_VERSION = f"{KSERVE_GROUP}/v1alpha1"
ISVC_API_VERSION = f"{KSERVE_GROUP}/v1beta1"
KSERVE_CONTAINER = "kserve-container"
CACHE_MOUNT_PATH = "/mnt/models/cache"
SHM_MOUNT_PATH = "/dev/shm"
PVC_VOLUME_PREFIX = "nim-pvc"
GPU_RESOURCE = "nvidia.com/gpu"
DEPLOYMENT_MODES = ("RawDeployment", "Serverless")

MANAGED_LABEL = "opendatahub.io/managed"
DASHBOARD_LABEL = "opendatahub.io/dashboard"
VISIBILITY_LABEL = "networking.kserve.io/visibility"
DISPLAY_NAME = "openshift.io/display-name"
TEMPLATE_NAME = "opendatahub.io/template-name"
TEMPLATE_DISPLAY_NAME = "opendatahub.io/template-display-name"
API_PROTOCOL = "opendatahub.io/apiProtocol"
DEPLOYMENT_MODE = "serving.kserve.io/deploymentMode"
HARDWARE_PROFILE_NAME = "opendatahub.io/hardware-profile-name"
HARDWARE_PROFILE_NAMESPACE = "opendatahub.io/hardware-profile-namespace"
NIM_SUPPORT = "opendatahub.io/nim-support"

SHM_VOLUME_SOURCE = {"emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}}

# Kubernetes' resource.Quantity grammar, unsigned (a negative size is never meant).
_QUANTITY = re.compile(r"^(?P<num>[0-9]+(\.[0-9]*)?|\.[0-9]+)"
                       r"(?P<suffix>[KMGTPE]i|[eE][+-]?[0-9]+|[numkMGTPE])?$")
_BINARY = {f"{p}i": Decimal(1024) ** (i + 1) for i, p in enumerate("KMGTPE")}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"),
            "P": Decimal("1e15"), "E": Decimal("1e18")}
# Names a container env var may have (the classic rule every Kubernetes release accepts).
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_PARAM_NAME = re.compile(r"^[a-zA-Z0-9_]+$")

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DeployOptions:
    """What the user asked `deploy` for. Validated on construction (UsageError, exit 2), so a
    bad flag is reported before the key is validated or anything is written."""

    name: str
    namespace: Optional[str]
    model: Model
    tag: str
    display_name: Optional[str] = None
    pvc_size: str = "30Gi"
    storage_class: Optional[str] = None
    existing_pvc: Optional[str] = None
    pvc_subpath: Optional[str] = None
    gpus: Optional[int] = None
    cpu_request: Optional[str] = None
    cpu_limit: Optional[str] = None
    memory_request: Optional[str] = None
    memory_limit: Optional[str] = None
    hardware_profile: Optional[str] = None
    hardware_profile_namespace: Optional[str] = None
    min_replicas: int = 1
    max_replicas: int = 1
    deployment_mode: str = "RawDeployment"
    env: Pairs = ()
    expose: bool = False
    disconnected: bool = False
    skip_secrets: bool = False
    template_params: Pairs = ()
    secret_naming: str = SEED     # names.SEED or names.LATER: how the two secrets are named

    def __post_init__(self):
        validate_deployment_name(self.name, self.namespace)
        if self.secret_naming not in SECRET_NAMINGS:
            raise UsageError(f"unknown secret naming {self.secret_naming!r}",
                             hint=f"use one of {', '.join(SECRET_NAMINGS)}")
        if not self.tag:
            raise UsageError("the model tag must not be empty")
        self._check_storage()
        self._check_compute()
        self._check_hardware_profile()
        object.__setattr__(self, "env", _checked_pairs(self.env, "--env", _ENV_NAME))
        object.__setattr__(self, "template_params",
                           _checked_pairs(self.template_params, "--template-param", _PARAM_NAME))
        if any(name == API_KEY_ENV for name, _ in self.env):
            raise UsageError(f"--env cannot set {API_KEY_ENV}: it comes from the deployment's "
                             "secret, and a value here would be stored in plain text")
        object.__setattr__(self, "pvc_subpath", normalize_subpath(self.pvc_subpath))

    def _check_storage(self) -> None:
        _check_quantity(self.pvc_size, "--pvc-size")
        if _parse_quantity(self.pvc_size) < 1:  # the API server: "must be greater than zero"
            raise UsageError(f"--pvc-size {self.pvc_size!r} is too small: a claim needs at "
                             f"least one byte", hint="for example 30Gi")
        if self.storage_class is not None:  # the CLI checked it already; other callers too
            validation.check(self.storage_class, "subdomain", "storage class name")
        if self.existing_pvc is not None:
            validate_claim_name(self.existing_pvc)
            if self.storage_class:
                raise UsageError("--storage-class applies only to a new PVC, not to "
                                 "--existing-pvc")

    def _check_compute(self) -> None:
        for flag, value in (("--cpu-request", self.cpu_request), ("--cpu-limit", self.cpu_limit),
                            ("--memory-request", self.memory_request),
                            ("--memory-limit", self.memory_limit)):
            if value is not None:
                _check_quantity(value, flag)
        if self.gpus is not None and self.gpus < 0:
            raise UsageError(f"--gpus must be 0 or more, not {self.gpus}")
        if self.min_replicas < 0 or self.max_replicas < max(1, self.min_replicas):
            raise UsageError(f"replicas must satisfy 0 <= min <= max and max >= 1 "
                             f"(got min {self.min_replicas}, max {self.max_replicas})")
        if self.deployment_mode not in DEPLOYMENT_MODES:
            raise UsageError(f"unknown deployment mode {self.deployment_mode!r}",
                             hint=f"use one of {', '.join(DEPLOYMENT_MODES)}")

    def _check_hardware_profile(self) -> None:
        if self.hardware_profile_namespace and not self.hardware_profile:
            raise UsageError("--hardware-profile-namespace needs --hardware-profile")

    @property
    def names(self) -> dict[str, str]:
        return derived_names(self.name, self.secret_naming)

    @property
    def image(self) -> str:
        return self.model.image(self.tag)

    @property
    def shown_name(self) -> str:
        """The `openshift.io/display-name` the dashboard shows for this deployment."""
        return self.display_name or self.model.display_name or self.model.name

    @property
    def claim_name(self) -> str:
        return self.existing_pvc or self.names["pvc"]

    @property
    def creates_secrets(self) -> bool:
        return not (self.disconnected or self.skip_secrets)


def render_deployment(options: DeployOptions, template: Mapping[str, Any],
                      api_key: Optional[str], rng: Optional[Random] = None) -> list[dict]:
    """Every object `deploy` creates, in write order: secrets, PVC, runtime, InferenceService.

    `api_key` is needed unless disconnected or skip_secrets; the CLI reads and validates it
    first, so its absence here is a programming error (ValueError). `rng` only matters for a
    Template that generates parameter values.
    """
    objects: list[dict] = []
    if options.creates_secrets:
        if api_key is None:
            raise ValueError("render_deployment needs the API key to render the secrets")
        objects += [api_key_secret(options, api_key), pull_secret(options, api_key)]
    if options.existing_pvc is None:
        objects.append(cache_pvc(options))
    runtime = find_runtime(process_template(template, dict(options.template_params), rng))
    objects.append(serving_runtime(options, template, runtime))
    template_resources = _kserve_container(runtime.get("spec") or {}).get("resources") or {}
    objects.append(inference_service(options, template_resources))
    return objects


# --- Secrets and PVC -----------------------------------------------------------------------------

def api_key_secret(options: DeployOptions, api_key: str) -> dict:
    """The Opaque secret the runtime's `NGC_API_KEY` env reads (SPEC §3)."""
    return api_key_secret_for(options.name, options.namespace, api_key, options.secret_naming)


def pull_secret(options: DeployOptions, api_key: str) -> dict:
    """The nvcr.io pull secret the runtime's `imagePullSecrets` names (SPEC §3)."""
    return pull_secret_for(options.name, options.namespace, api_key, options.secret_naming)


def api_key_secret_for(deployment: str, namespace: Optional[str], api_key: str,
                       naming: str = SEED) -> dict:
    """`api_key_secret` by deployment name: what rotate-key and migrate write, byte for byte."""
    return _secret(derived_names(deployment, naming)["secret"], namespace, "Opaque",
                   {API_KEY_ENV: api_key})


def pull_secret_for(deployment: str, namespace: Optional[str], api_key: str,
                    naming: str = SEED) -> dict:
    """`pull_secret` by deployment name: what rotate-key and migrate write, byte for byte."""
    config = json.dumps(pull_secret_dockerconfig(api_key), separators=(",", ":"))
    return _secret(derived_names(deployment, naming)["pull_secret"], namespace,
                   "kubernetes.io/dockerconfigjson", {".dockerconfigjson": config})


def _secret(name: str, namespace: Optional[str], secret_type: str,
            data: Mapping[str, str]) -> dict:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = {MANAGED_LABEL: "true"}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta,
        "type": secret_type,
        "data": {k: base64.b64encode(v.encode()).decode("ascii") for k, v in data.items()},
    }


def cache_pvc(options: DeployOptions) -> dict:
    """The model cache claim, `nim-pvc-{deployment}` (SPEC §6.2)."""
    name = options.names["pvc"]
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "volumeMode": "Filesystem",
        "resources": {"requests": {"storage": options.pvc_size}},
    }
    if options.storage_class:
        spec["storageClassName"] = options.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _metadata(options, name, labels={MANAGED_LABEL: "true"},
                              annotations={DISPLAY_NAME: name}),
        "spec": spec,
    }


# --- ServingRuntime ------------------------------------------------------------------------------

def serving_runtime(options: DeployOptions, template: Mapping[str, Any],
                    runtime: Mapping[str, Any]) -> dict:
    """The Template's ServingRuntime made specific to this deployment (SPEC §6.3)."""
    spec = copy.deepcopy(dict(runtime.get("spec") or {}))
    container = _kserve_container(spec)
    container["image"] = options.image
    spec["supportedModelFormats"] = [
        {"name": options.model.name, "version": options.tag, "autoSelect": False, "priority": 1}]
    _attach_cache_claim(spec, container, options)
    from kubectl_nim.domain.nim_runtime import point_at_own_secrets  # it imports this module

    point_at_own_secrets(spec, options.name,
                         None if options.disconnected else options.names["secret"],
                         None if options.disconnected else options.names["pull_secret"])
    _declare_missing_shm(spec)
    for each in spec.get("containers") or []:
        each.pop("resources", None)  # sized on the InferenceService instead
    meta = runtime.get("metadata") or {}
    return {
        "apiVersion": RUNTIME_API_VERSION,
        "kind": "ServingRuntime",
        "metadata": _metadata(options, options.names["runtime"],
                              labels={**(meta.get("labels") or {}), DASHBOARD_LABEL: "true"},
                              annotations={**(meta.get("annotations") or {}),
                                           **_runtime_annotations(options, template, runtime)}),
        "spec": spec,
    }


def _kserve_container(spec: Mapping[str, Any]) -> dict:
    """The container KServe runs the model in; every NIM template has one named kserve-container."""
    for container in spec.get("containers") or []:
        if container.get("name") == KSERVE_CONTAINER:
            return container
    raise TemplateError(f"the runtime template's ServingRuntime has no container named "
                        f"{KSERVE_CONTAINER}", hint="the template is not a NIM runtime template")


def _runtime_annotations(options: DeployOptions, template: Mapping[str, Any],
                         runtime: Mapping[str, Any]) -> dict[str, str]:
    """The dashboard's bookkeeping: which Template this came from and how to show it."""
    template_annotations = (template.get("metadata") or {}).get("annotations") or {}
    runtime_annotations = (runtime.get("metadata") or {}).get("annotations") or {}
    template_name = (template.get("metadata") or {}).get("name") or ""
    found = {
        TEMPLATE_NAME: template_name,
        TEMPLATE_DISPLAY_NAME: (template_annotations.get(DISPLAY_NAME)
                                or runtime_annotations.get(DISPLAY_NAME) or template_name),
        DISPLAY_NAME: options.shown_name,
        API_PROTOCOL: template_annotations.get(API_PROTOCOL),
    }
    return {k: v for k, v in found.items() if v}


def _attach_cache_claim(spec: dict, container: dict, options: DeployOptions) -> None:
    """Point the template's `nim-pvc*` volume, and the mounts of it and of the cache path, at the
    real claim. A template without them gets both, so the claim is always used."""
    claim = options.claim_name
    # A pod volume name is a DNS-1123 label; an existing claim's name may be longer or dotted.
    volume_name = claim if is_dns1123_label(claim) else options.names["pvc"]
    volumes = spec.setdefault("volumes", [])
    old = next((i for i, v in enumerate(volumes)
                if str(v.get("name", "")).startswith(PVC_VOLUME_PREFIX)), None)
    old_name = volumes[old]["name"] if old is not None else None
    new_volume = {"name": volume_name, "persistentVolumeClaim": {"claimName": claim}}
    if old is None:
        volumes.append(new_volume)
    else:
        volumes[old] = new_volume
    for each in spec.get("containers") or []:
        for mount in each.get("volumeMounts") or []:
            if mount.get("mountPath") == CACHE_MOUNT_PATH or mount.get("name") == old_name:
                mount["name"] = volume_name
    cache_mount = next((m for m in container.get("volumeMounts") or []
                        if m.get("mountPath") == CACHE_MOUNT_PATH), None)
    if cache_mount is None:
        cache_mount = {"name": volume_name, "mountPath": CACHE_MOUNT_PATH}
        container.setdefault("volumeMounts", []).append(cache_mount)
    if options.pvc_subpath:
        cache_mount["subPath"] = options.pvc_subpath


def _declare_missing_shm(spec: dict) -> None:
    """A /dev/shm mount whose volume the template forgot would make the pod unschedulable; NIM
    needs shared memory, so declare it as a memory-backed emptyDir under the mount's name."""
    volumes = spec.setdefault("volumes", [])
    declared = {v.get("name") for v in volumes}
    for each in spec.get("containers") or []:
        for mount in each.get("volumeMounts") or []:
            if mount.get("mountPath") == SHM_MOUNT_PATH and mount.get("name") not in declared:
                volumes.append({"name": mount["name"], **copy.deepcopy(SHM_VOLUME_SOURCE)})
                declared.add(mount["name"])


# --- InferenceService ----------------------------------------------------------------------------

def inference_service(options: DeployOptions, template_resources: Mapping[str, Any]) -> dict:
    """The InferenceService that runs the model on this deployment's runtime (SPEC §6.4)."""
    labels = {DASHBOARD_LABEL: "true"}
    if options.expose:
        labels[VISIBILITY_LABEL] = "exposed"
    annotations = {DISPLAY_NAME: options.shown_name, DEPLOYMENT_MODE: options.deployment_mode}
    if options.hardware_profile:
        annotations[HARDWARE_PROFILE_NAME] = options.hardware_profile
        if options.hardware_profile_namespace:
            annotations[HARDWARE_PROFILE_NAMESPACE] = options.hardware_profile_namespace
    model: dict[str, Any] = {"modelFormat": {"name": options.model.name},
                             "runtime": options.names["runtime"]}
    resources = model_resources(options, template_resources)
    if resources:
        model["resources"] = resources
    if options.env:
        model["env"] = [{"name": k, "value": v} for k, v in options.env]
    return {
        "apiVersion": ISVC_API_VERSION,
        "kind": "InferenceService",
        "metadata": _metadata(options, options.names["inference_service"], labels=labels,
                              annotations=annotations),
        "spec": {"predictor": {"minReplicas": options.min_replicas,
                               "maxReplicas": options.max_replicas,
                               "model": model}},
    }


def model_resources(options: DeployOptions, template_resources: Mapping[str, Any]) -> dict:
    """The template container's requests/limits with the flags applied on top.

    `--gpus N` sets both request and limit (Kubernetes requires them equal for extended
    resources); `--gpus 0` removes the GPU. A request above its limit is refused here rather
    than by the API server halfway through the writes.
    """
    sections = {k: {r: str(q) for r, q in (template_resources.get(k) or {}).items()}
                for k in ("requests", "limits") if k in template_resources}
    overrides = {("requests", "cpu"): options.cpu_request, ("limits", "cpu"): options.cpu_limit,
                 ("requests", "memory"): options.memory_request,
                 ("limits", "memory"): options.memory_limit}
    if options.gpus is not None:
        gpus = str(options.gpus) if options.gpus else None
        overrides.update({("requests", GPU_RESOURCE): gpus, ("limits", GPU_RESOURCE): gpus})
        if not gpus:
            for section in sections.values():
                section.pop(GPU_RESOURCE, None)
    for (section, resource), value in overrides.items():
        if value is not None:
            sections.setdefault(section, {})[resource] = value
    _check_requests_within_limits(sections)
    return {k: v for k, v in sections.items() if v}


def _check_requests_within_limits(sections: Mapping[str, Mapping[str, str]]) -> None:
    limits = sections.get("limits") or {}
    for resource, request in (sections.get("requests") or {}).items():
        limit = limits.get(resource)
        if limit is not None and _parse_quantity(request) > _parse_quantity(limit):
            raise UsageError(f"the {resource} request {request} is more than its limit {limit}",
                             hint="raise the limit too (--cpu-limit, --memory-limit), or lower "
                                  "the request")


# --- Helpers shared by every object --------------------------------------------------------------

def _metadata(options: DeployOptions, name: str, labels: Optional[Mapping[str, str]] = None,
              annotations: Optional[Mapping[str, str]] = None) -> dict:
    """Only client-owned fields: nothing a server sets (uid, resourceVersion, ...) is copied."""
    meta: dict[str, Any] = {"name": name}
    if options.namespace:  # unknown only for offline client rendering: kubectl apply picks one
        meta["namespace"] = options.namespace
    if labels:
        meta["labels"] = dict(labels)
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def owner_reference(runtime: Mapping[str, Any]) -> dict:
    """An ownerReference to a ServingRuntime as the server returned it (its uid is needed, so
    only after it exists). Not a controller reference and not blocking: it only lets the garbage
    collector delete the secrets when the runtime is deleted elsewhere (SPEC §3)."""
    meta = runtime.get("metadata") or {}
    return {"apiVersion": RUNTIME_API_VERSION, "kind": "ServingRuntime",
            "name": meta.get("name"), "uid": meta.get("uid")}


def owner_patch(secret: Mapping[str, Any], owner: Mapping[str, Any]) -> Optional[dict]:
    """The merge patch adding `owner` to a secret's ownerReferences (replacing a stale reference
    to a runtime of the same name, e.g. one deleted and re-made), or None when already there.
    It carries the resourceVersion read, so a concurrent change is refused, not overwritten."""
    meta = secret.get("metadata") or {}
    current = list(meta.get("ownerReferences") or [])
    if owner in current:
        return None
    kept = [r for r in current if not (r.get("kind") == owner["kind"]
                                       and r.get("name") == owner["name"])]
    patch: dict[str, Any] = {"ownerReferences": kept + [dict(owner)]}
    if meta.get("resourceVersion"):
        patch["resourceVersion"] = meta["resourceVersion"]
    return {"metadata": patch}


def namespace_annotation_patch() -> dict:
    """The merge patch that marks the project as NIM-enabled (SPEC §6.5)."""
    return {"metadata": {"annotations": {NIM_SUPPORT: "true"}}}


def normalize_subpath(path: Optional[str]) -> Optional[str]:
    """`/models/llama/` → `models/llama` (a subPath is relative); `..` is refused because the
    kubelet refuses it only when the pod starts, long after deploy reported success."""
    if path is None:
        return None
    cleaned = path.strip().strip("/")
    if any(part == ".." for part in cleaned.split("/")):
        raise UsageError(f"--pvc-subpath {path!r} must not contain '..'")
    return cleaned or None


def parse_assignments(items: Iterable[str], flag: str) -> Pairs:
    """`["A=1", "B=x=y"]` → `(("A", "1"), ("B", "x=y"))`, for `--env` and `--template-param`."""
    pairs = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"{flag} {item!r} is not NAME=VALUE")
        pairs.append((name, value))
    return tuple(pairs)


def _checked_pairs(pairs: Iterable[Any], flag: str, valid_name: re.Pattern) -> Pairs:
    """Normalise to a tuple of (name, value) string pairs; names valid and given once."""
    result = tuple((str(k), str(v)) for k, v in pairs)
    seen: set[str] = set()
    for name, _ in result:
        if not valid_name.fullmatch(name):
            raise UsageError(f"{flag}: {name!r} is not a valid name")
        if name in seen:
            raise UsageError(f"{flag}: {name} is given more than once")
        seen.add(name)
    return result


def _check_quantity(value: str, flag: str) -> None:
    if not isinstance(value, str) or not _QUANTITY.fullmatch(value):
        raise UsageError(f"{flag} {value!r} is not a Kubernetes quantity",
                         hint="for example 500m or 2 (CPU), 16Gi (memory, storage)")


def _parse_quantity(value: str) -> Decimal:
    match = _QUANTITY.fullmatch(value)
    if not match:
        raise UsageError(f"{value!r} is not a Kubernetes quantity")
    number, suffix = Decimal(match["num"]), match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        return number * Decimal(10) ** int(suffix[1:])
    return number * _DECIMAL[suffix]
