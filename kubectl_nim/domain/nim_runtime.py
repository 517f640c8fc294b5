"""What a NIM deployment is made of, read from plain objects (pure): which secrets a
ServingRuntime references (found by env *name*, never by position), its key scheme, whether an
InferenceService is a NIM, and the one function that points a runtime at its own secrets.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from kubectl_nim.domain.keys import ENV_VAR as API_KEY_ENV
from kubectl_nim.domain.names import (GPU_RESOURCE, KSERVE_CONTAINER, LEGACY_PULL_SECRET,
                                      LEGACY_SECRET, NIM_RUNTIME_ANNOTATION, RESTART_ANNOTATION,
                                      SEED, derived_names, own_secret_names)
from kubectl_nim.domain import nimservice
from kubectl_nim.domain.refs import object_ref

LEGACY_NAMES = frozenset({LEGACY_SECRET, LEGACY_PULL_SECRET})
NIM_IMAGE_PREFIX = "nvcr.io/nim/"
DOCKERCONFIG_KEY = ".dockerconfigjson"
# Key schemes (the KEY column of `list`).
PER_DEPLOYMENT = "per-deployment"
SHARED_LEGACY = "shared-legacy"
NONE = "none"
CUSTOM = "custom"        # secrets under other names (e.g. made by hand with deploy --skip-secrets)
INLINE = "inline"        # NGC_API_KEY given as a plain value in the runtime
PROJECT_ACCOUNT = "project-account"  # the key Secret of the project's NIM Account (the wizard)
NIMSERVICE = "nimservice"  # an InferenceService NVIDIA's NIM Operator makes from a NIMService
UNKNOWN = "unknown"      # the runtime could not be read


@dataclass(frozen=True)
class KeyRef:
    """One `NGC_API_KEY` env of a container: from `secret`/`data_key`, or an inline value."""

    container: str
    secret: Optional[str]
    data_key: Optional[str]
    inline: bool = False


@dataclass(frozen=True)
class Refs:
    key_refs: tuple[KeyRef, ...]
    pull_secrets: tuple[str, ...]

    @property
    def key_secrets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.secret for r in self.key_refs if r.secret))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.key_secrets + self.pull_secrets))

    @property
    def inline(self) -> bool:
        return any(r.inline for r in self.key_refs)


def runtime_refs(runtime: Mapping[str, Any] | None) -> Refs:
    """The key secrets (env `NGC_API_KEY` by name, in any container, kserve-container first) and
    the `imagePullSecrets` of a ServingRuntime."""
    spec = (runtime or {}).get("spec") or {}
    containers = list(spec.get("containers") or [])
    containers.sort(key=lambda c: c.get("name") != KSERVE_CONTAINER)
    refs = []
    for container in containers:
        for env in container.get("env") or []:
            if env.get("name") != API_KEY_ENV:
                continue
            ref = ((env.get("valueFrom") or {}).get("secretKeyRef")) or {}
            if ref.get("name"):
                refs.append(KeyRef(container.get("name", ""), ref["name"],
                                   ref.get("key") or API_KEY_ENV))
            elif "value" in env:
                refs.append(KeyRef(container.get("name", ""), None, None, inline=True))
    pulls = tuple(dict.fromkeys(p.get("name") for p in spec.get("imagePullSecrets") or []
                                if p.get("name")))
    return Refs(tuple(refs), pulls)


def key_scheme(deployment: str, refs: Refs, account_keys: Iterable[str] = ()) -> str:
    """per-deployment / shared-legacy / none / custom / inline / project-account, from the names
    referenced. `account_keys`: the key Secrets the project's NIM Accounts name
    (domain/project_account); a runtime reading one of them uses the project's key, whatever
    the Secret is called (the wizard's has the shared legacy name)."""
    names = set(refs.names)
    if set(refs.key_secrets) & set(account_keys):
        return PROJECT_ACCOUNT
    if names & LEGACY_NAMES:
        return SHARED_LEGACY
    if not names:
        return INLINE if refs.inline else NONE
    own = own_secret_names(deployment)  # either naming (docs/design.md#names)
    keyed = set(refs.key_secrets)
    # Extra pull secrets (for other registries) do not change the scheme; the key secrets do.
    own_pull = set(own["pull_secret"]) & set(refs.pull_secrets)
    if keyed <= set(own["secret"]) and (keyed or own_pull):
        return PER_DEPLOYMENT
    return CUSTOM


def referenced_secrets(obj: Any) -> set[str]:
    """Every secret name an object's spec can make a pod use, wherever it sits: secretKeyRef,
    envFrom secretRef, imagePullSecrets, secret volumes. Used to decide what is still in use."""
    found: set[str] = set()

    def walk(node: Any, parent: str = "") -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("secretKeyRef", "secretRef") and isinstance(value, dict) \
                        and value.get("name"):
                    found.add(value["name"])
                elif key == "imagePullSecrets" and isinstance(value, list):
                    found.update(v["name"] for v in value
                                 if isinstance(v, dict) and v.get("name"))
                elif key == "secret" and isinstance(value, dict) and value.get("secretName"):
                    found.add(value["secretName"])
                walk(value, key)
        elif isinstance(node, list):
            for item in node:
                walk(item, parent)

    walk((obj or {}).get("spec") or {})
    return found


def referenced_config_maps(obj: Any) -> set[str]:
    """Every ConfigMap name an object's spec can make a pod use: configMap volumes (projected
    ones too), configMapKeyRef, envFrom configMapRef. Used to decide what is still in use."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("configMap", "configMapKeyRef", "configMapRef") and \
                        isinstance(value, dict) and isinstance(value.get("name"), str) and \
                        value["name"]:
                    found.add(value["name"])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    spec = obj.get("spec") if isinstance(obj, Mapping) else None
    walk(spec if isinstance(spec, dict) else {})
    return found


def mounted_claims(obj: Mapping[str, Any] | None) -> list[str]:
    """The PVCs a ServingRuntime (or any pod-spec-like object) mounts, in volume order."""
    volumes = ((obj or {}).get("spec") or {}).get("volumes") or []
    return list(dict.fromkeys(v["persistentVolumeClaim"]["claimName"] for v in volumes
                              if (v.get("persistentVolumeClaim") or {}).get("claimName")))


def runtime_name_of(isvc: Mapping[str, Any]) -> str | None:
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    return ((predictor.get("model") or {}).get("runtime")
            or (isvc.get("status") or {}).get("servingRuntimeName"))


def images_at(obj: Mapping[str, Any] | None, *path: str) -> list[str]:
    node: Any = obj or {}
    for part in path:
        node = (node or {}).get(part) or {}
    return [c.get("image") or "" for c in (node.get("containers") or [])
            if isinstance(c, dict)] if isinstance(node, dict) else []


def runtime_image(runtime: Mapping[str, Any] | None) -> str:
    containers = ((runtime or {}).get("spec") or {}).get("containers") or []
    for container in sorted(containers, key=lambda c: c.get("name") != KSERVE_CONTAINER):
        if container.get("image"):
            return container["image"]
    return ""


def is_nim(isvc: Mapping[str, Any], runtime: Mapping[str, Any] | None) -> bool:
    """A NIM deployment: its runtime is annotated `runtimes.opendatahub.io/nvidia-nim: "true"`,
    or a container image (runtime's, or the predictor's own) starts with `nvcr.io/nim/`, or a
    NIMService controls it (whatever registry its image comes from)."""
    annotations = ((runtime or {}).get("metadata") or {}).get("annotations") or {}
    if str(annotations.get(NIM_RUNTIME_ANNOTATION, "")).lower() == "true":
        return True
    if runtime is None and nimservice.owner(isvc):  # NVIDIA's NIM Operator made it
        return True
    images = images_at(runtime, "spec") + images_at(isvc, "spec", "predictor")
    return any(image.startswith(NIM_IMAGE_PREFIX) for image in images)


def is_foreign(isvc: Mapping[str, Any] | None, runtime: Mapping[str, Any] | None) -> bool:
    """Positively another kind of deployment, which --apply and delete must not touch: its
    runtime is not a NIM one, or (runtime gone) the InferenceService loads a model from
    `storageUri` or runs a non-NIM image. A half-made NIM deployment (secrets, an
    InferenceService without its runtime) is not foreign: delete may clean it up."""
    if runtime is not None:
        return not is_nim(isvc or {}, runtime)
    if not isvc:
        return False
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    if (predictor.get("model") or {}).get("storageUri"):
        return True
    images = images_at(isvc, "spec", "predictor")
    return any(image and not image.startswith(NIM_IMAGE_PREFIX) for image in images)


def image_reference(image: str) -> tuple[str, str]:
    """`nvcr.io/nim/meta/llama:1.8` → (`nvcr.io/nim/meta/llama`, `1.8`); a digest counts as the
    tag, a registry's port does not (`host:5000/llama` has none)."""
    if "@" in image:
        repo, _, tag = image.partition("@")
    elif ":" in image.rsplit("/", 1)[-1]:
        repo, _, tag = image.rpartition(":")
    else:
        repo, tag = image, ""
    return repo, tag


def split_image(image: str) -> tuple[str, str]:
    """`nvcr.io/nim/meta/llama:1.8` → (`llama`, `1.8`); a digest counts as the tag."""
    repo, tag = image_reference(image)
    return repo.rsplit("/", 1)[-1], tag


@dataclass
class Deployment:
    name: str
    namespace: str
    isvc: dict | None
    runtime: dict | None

    @property
    def runtime_name(self) -> str:
        return (runtime_name_of(self.isvc) if self.isvc else None) or self.name

    @property
    def refs(self) -> Refs:
        return runtime_refs(self.runtime)

    @property
    def scheme(self) -> str:
        return key_scheme(self.name, self.refs)


def restart_patch(stamp: str) -> dict:
    return {"spec": {"predictor": {"annotations": {RESTART_ANNOTATION: stamp}}}}


def gpus_per_pod(isvc: Mapping[str, Any] | None) -> int:
    predictor = ((isvc or {}).get("spec") or {}).get("predictor") or {}
    resources = (predictor.get("model") or {}).get("resources") or {}
    for section in ("limits", "requests"):
        value = (resources.get(section) or {}).get(GPU_RESOURCE)
        if value is not None:
            try:
                return int(str(value))
            except ValueError:
                return 0
    return 0


def double_capacity_warning(isvc: Mapping[str, Any] | None) -> str:
    gpus = gpus_per_pod(isvc)
    need = f"{gpus} more {GPU_RESOURCE} per replica" if gpus else "room for a second pod per replica"
    return (f"restarting rolls the predictor: a new pod starts before the old one stops, so the "
            f"cluster briefly needs {need}; without it the new pod stays Pending (use "
            f"--no-restart and restart later if the GPUs are not free)")


def point_at_own_secrets(spec: dict, deployment: str, key_secret: Optional[str],
                         pull_secret: Optional[str], replaced: Iterable[str] = ()) -> None:
    """Point a ServingRuntime spec at a deployment's own secrets, in place: the one way deploy
    (render) and migrate do it (docs/design.md#secrets).

    `NGC_API_KEY`: every container that reads it (a sidecar too: otherwise the deployment would
    still use the shared secret, `list` would call it shared-legacy and rotate-key refuse it) and
    the kserve-container get exactly one, from `key_secret`, where the first one was (duplicates
    dropped). imagePullSecrets: the shared legacy one and the deployment's own (either naming)
    give way to `pull_secret`, first, and so do the `replaced` ones (a project NIM Account's
    pull secret, when a deployment leaves the Account's key); pull secrets for other registries
    are kept. None (a disconnected deployment): the key env and those pull secrets are removed.
    """
    own_pulls = set(own_secret_names(deployment)["pull_secret"]) | LEGACY_NAMES | set(replaced)
    for container in spec.get("containers") or []:
        env = list(container.get("env") or [])
        at = next((k for k, e in enumerate(env) if e.get("name") == API_KEY_ENV), None)
        if at is None and container.get("name") != KSERVE_CONTAINER:
            continue
        kept = [e for e in env if e.get("name") != API_KEY_ENV]
        if key_secret:
            ref = {"name": API_KEY_ENV,
                   "valueFrom": {"secretKeyRef": {"name": key_secret, "key": API_KEY_ENV}}}
            kept.insert(len(kept) if at is None else at, ref)
        if kept:
            container["env"] = kept
        else:
            container.pop("env", None)
    pulls = [p for p in spec.get("imagePullSecrets") or [] if p.get("name") not in own_pulls]
    if pull_secret:
        pulls.insert(0, {"name": pull_secret})
    if pulls:
        spec["imagePullSecrets"] = pulls
    else:
        spec.pop("imagePullSecrets", None)


def switch_refs(runtime: dict, deployment: str, naming: str = SEED,
                replaced: Iterable[str] = ()) -> dict | None:
    """The runtime pointing at the deployment's own secrets, named per `naming`
    (point_at_own_secrets; `replaced`: more pull secrets that give way); None when it already
    does."""
    own = derived_names(deployment, naming)
    new = copy.deepcopy(runtime)
    point_at_own_secrets(new.setdefault("spec", {}), deployment, own["secret"],
                         own["pull_secret"], replaced)
    return None if new == runtime or (new["spec"] == (runtime.get("spec") or {})) else new


def users_of(objects: Iterable[Mapping[str, Any]], secret: str,
             skip: Iterable[tuple[str, str]] = ()) -> list[str]:
    skip = set(skip)
    out = []
    for obj in objects:
        name = (obj.get("metadata") or {}).get("name", "")
        if (obj.get("kind"), name) in skip:
            continue
        if secret in referenced_secrets(obj):
            out.append(object_ref(obj))
    return out
