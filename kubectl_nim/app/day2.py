"""The core of the day-2 verbs (`rotate-key`, `list`, `delete`, `migrate`).

Two layers:

* Pure functions over plain objects: which secrets a ServingRuntime references (found by env
  *name*, never by position), which key scheme a deployment uses, whether an InferenceService is a
  NIM, what `delete` removes and what it keeps, and the rows `list` prints.
* Small cluster transactions the verbs share: read-modify-write with optimistic concurrency (PUT
  carrying the resourceVersion that was read; a 409 from a concurrent writer means re-read and
  retry, bounded), the all-or-nothing update of a deployment's secrets, and the predictor restart.

The rule behind every write order here: a ServingRuntime never references a secret that does not
exist. Secrets are created before a runtime points at them, and deleted only after nothing points
at them any more.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from kubectl_nim import caller, log
from kubectl_nim.adapters.kube.cluster import ApiError, Cluster
from kubectl_nim.errors import ClusterError, NimError, NotFound
from kubectl_nim.domain.keys import ENV_VAR as API_KEY_ENV
from kubectl_nim.domain.keys import REGISTRY, pull_secret_dockerconfig
from kubectl_nim.domain.names import (LEGACY_PULL_SECRET, LEGACY_SECRET, SEED, derived_names,
                               naming_of, own_secret_names)
from kubectl_nim.domain.render import KSERVE_CONTAINER, api_key_secret_for, object_ref, pull_secret_for

LEGACY_NAMES = frozenset({LEGACY_SECRET, LEGACY_PULL_SECRET})

NIM_RUNTIME_ANNOTATION = "runtimes.opendatahub.io/nvidia-nim"
NIM_IMAGE_PREFIX = "nvcr.io/nim/"
ISVC_LABEL = "serving.kserve.io/inferenceservice"
RESTART_ANNOTATION = "kubectl-nim/restartedAt"
DOCKERCONFIG_TYPE = "kubernetes.io/dockerconfigjson"
DOCKERCONFIG_KEY = ".dockerconfigjson"
GPU = "nvidia.com/gpu"

# Key schemes (the KEY column of `list`).
PER_DEPLOYMENT = "per-deployment"
SHARED_LEGACY = "shared-legacy"
NONE = "none"
CUSTOM = "custom"        # secrets under other names (e.g. made by hand with deploy --skip-secrets)
INLINE = "inline"        # NGC_API_KEY given as a plain value in the runtime
UNKNOWN = "unknown"      # the runtime could not be read

MAX_ATTEMPTS = 4         # per read-modify-write: the first try plus three retries
BACKOFF = 0.2            # seconds, doubled per retry
sleep: Callable[[float], None] = time.sleep  # tests replace it
MIN_SECRET_LENGTH = 8    # decoded secret values at least this long are redacted from all output


class Day2Error(NimError):
    pass


# --- what a ServingRuntime references -----------------------------------------------------------

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


def key_scheme(deployment: str, refs: Refs) -> str:
    """per-deployment / shared-legacy / none / custom / inline, from the names referenced."""
    names = set(refs.names)
    if names & LEGACY_NAMES:
        return SHARED_LEGACY
    if not names:
        return INLINE if refs.inline else NONE
    own = own_secret_names(deployment)  # either naming (SPEC §3)
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
                    found.update(v.get("name") for v in value
                                 if isinstance(v, dict) and v.get("name"))
                elif key == "secret" and isinstance(value, dict) and value.get("secretName"):
                    found.add(value["secretName"])
                walk(value, key)
        elif isinstance(node, list):
            for item in node:
                walk(item, parent)

    walk((obj or {}).get("spec") or {})
    return found


def mounted_claims(obj: Mapping[str, Any] | None) -> list[str]:
    """The PVCs a ServingRuntime (or any pod-spec-like object) mounts, in volume order."""
    volumes = ((obj or {}).get("spec") or {}).get("volumes") or []
    return list(dict.fromkeys(v["persistentVolumeClaim"]["claimName"] for v in volumes
                              if (v.get("persistentVolumeClaim") or {}).get("claimName")))


# --- NIM detection and the rows of `list` --------------------------------------------------------

def runtime_name_of(isvc: Mapping[str, Any]) -> str | None:
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    return ((predictor.get("model") or {}).get("runtime")
            or (isvc.get("status") or {}).get("servingRuntimeName"))


def _images(obj: Mapping[str, Any] | None, *path: str) -> list[str]:
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
    or a container image (runtime's, or the predictor's own) starts with `nvcr.io/nim/`."""
    annotations = ((runtime or {}).get("metadata") or {}).get("annotations") or {}
    if str(annotations.get(NIM_RUNTIME_ANNOTATION, "")).lower() == "true":
        return True
    images = _images(runtime, "spec") + _images(isvc, "spec", "predictor")
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
    images = _images(isvc, "spec", "predictor")
    return any(image and not image.startswith(NIM_IMAGE_PREFIX) for image in images)


def split_image(image: str) -> tuple[str, str]:
    """`nvcr.io/nim/meta/llama:1.8` → (`llama`, `1.8`); a digest counts as the tag."""
    if "@" in image:
        repo, _, tag = image.partition("@")
    else:
        repo, tag = image, ""
        last = image.rsplit("/", 1)[-1]
        if ":" in last:
            repo, _, tag = image.rpartition(":")
    return repo.rsplit("/", 1)[-1], tag


def _condition(isvc: Mapping[str, Any], kind: str) -> str:
    for cond in (isvc.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return str(cond.get("status") or "Unknown")
    return "Unknown"


@dataclass(frozen=True)
class Row:
    """One NIM deployment as `list` shows it."""

    name: str
    namespace: str
    model: str
    tag: str
    ready: str
    key: str
    pvc: tuple[str, ...]
    created: str
    runtime: str
    image: str
    secrets: tuple[str, ...]
    url: str
    dashboard: bool

    def to_data(self) -> dict:
        return {"name": self.name, "namespace": self.namespace, "model": self.model,
                "tag": self.tag, "ready": self.ready, "keyScheme": self.key,
                "secrets": list(self.secrets), "pvc": list(self.pvc), "runtime": self.runtime,
                "image": self.image, "url": self.url or None,
                "creationTimestamp": self.created}


def make_row(isvc: Mapping[str, Any], runtime: Mapping[str, Any] | None,
             runtime_readable: bool = True) -> Row:
    meta = isvc.get("metadata") or {}
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    image = runtime_image(runtime) or next(iter(_images(isvc, "spec", "predictor")), "")
    image_model, image_tag = split_image(image) if image else ("", "")
    model = ((predictor.get("model") or {}).get("modelFormat") or {}).get("name") or image_model
    tag = ""
    for fmt in ((runtime or {}).get("spec") or {}).get("supportedModelFormats") or []:
        if fmt.get("name") == model and fmt.get("version"):
            tag = str(fmt["version"])
            break
    refs = runtime_refs(runtime)
    if runtime is None and not runtime_readable:
        scheme = UNKNOWN
    else:
        scheme = key_scheme(meta.get("name", ""), refs)
    return Row(name=meta.get("name", ""), namespace=meta.get("namespace", ""), model=model,
               tag=tag or image_tag, ready=_condition(isvc, "Ready"), key=scheme,
               pvc=tuple(mounted_claims(runtime)), created=meta.get("creationTimestamp", ""),
               runtime=runtime_name_of(isvc) or "", image=image, secrets=refs.names,
               url=(isvc.get("status") or {}).get("url") or "",
               dashboard=((meta.get("labels") or {}).get("opendatahub.io/dashboard") == "true"))


def nim_rows(isvcs: Iterable[Mapping[str, Any]], runtimes: Iterable[Mapping[str, Any]],
             runtimes_readable: bool = True) -> list[Row]:
    by_key = {((r.get("metadata") or {}).get("namespace", ""),
               (r.get("metadata") or {}).get("name", "")): r for r in runtimes}
    rows = []
    for isvc in isvcs:
        meta = isvc.get("metadata") or {}
        runtime = by_key.get((meta.get("namespace", ""), runtime_name_of(isvc) or ""))
        if is_nim(isvc, runtime):
            rows.append(make_row(isvc, runtime, runtimes_readable))
    rows.sort(key=lambda r: (r.namespace, r.name))
    return rows


def human_age(created: str, now: Optional[datetime] = None) -> str:
    """kubectl's AGE column (apimachinery's HumanDuration)."""
    try:
        then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    seconds = int(((now or datetime.now(timezone.utc)) - then).total_seconds())
    if seconds < 0:
        return "<invalid>" if seconds < -1 else "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    if days < 365 * 8:
        return f"{days // 365}y{days % 365}d" if days % 365 else f"{days // 365}y"
    return f"{days // 365}y"


# --- finding a deployment ------------------------------------------------------------------------

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


def find_deployment(cluster: Cluster, namespace: str, name: str,
                    require_runtime: bool = True) -> Deployment:
    """The InferenceService NAME and its ServingRuntime (spec.predictor.model.runtime, else the
    runtime named NAME). Raises NotFound when neither exists (or the runtime, if required)."""
    isvc = cluster.get_or_none("InferenceService", name, namespace)
    dep = Deployment(name, namespace, isvc, None)
    dep.runtime = cluster.get_or_none("ServingRuntime", dep.runtime_name, namespace)
    if isvc is None and dep.runtime is None:
        raise NotFound(f"no NIM deployment {name!r} in {namespace} (no InferenceService or "
                       f"ServingRuntime of that name)",
                       hint=f"`{caller.plugin_cmd('list')} -n {namespace}` shows the deployments")
    if require_runtime and dep.runtime is None:
        raise NotFound(f"inferenceservice/{name} in {namespace} has no ServingRuntime "
                       f"{dep.runtime_name!r}",
                       hint="the runtime is what references the key; redeploy it")
    return dep


# --- read-modify-write with optimistic concurrency ----------------------------------------------

def retryable(error: ClusterError) -> bool:
    """Worth another try: a concurrent writer (409), throttling, a server error, or no answer."""
    return error.status is None or error.status in (409, 429) or error.status >= 500


def ambiguous(error: ClusterError) -> bool:
    """The write may have been carried out even though it failed (timeout, 5xx, no answer)."""
    return error.status is None or error.status >= 500


@dataclass
class Written:
    ref: str
    before: dict | None       # the object as read just before the write (None: created)
    after: dict | None        # what the server answered (None: nothing needed)
    action: str               # created | configured | unchanged | deleted
    uncertain: bool = False   # an earlier attempt failed in a way that may have applied it


def read_modify_write(cluster: Cluster, kind: str, name: str, namespace: str,
                      desired: Callable[[dict | None], dict | None], *, dry_run: bool = False,
                      current: dict | None = None, have_current: bool = False) -> Written:
    """Write `desired(current)` (None = nothing to do), retrying a bounded number of times.

    An update is a PUT that carries the resourceVersion it was computed from, so a concurrent
    writer makes it fail with 409 instead of being overwritten; then the object is read again and
    `desired` recomputed. A create that meets AlreadyExists does the same. Server errors and
    timeouts are retried too: with the resourceVersion in the body a repeated PUT is safe.
    """
    ref = f"{kind.lower()}/{name}"
    uncertain = False
    last: ClusterError | None = None
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            sleep(BACKOFF * 2 ** (attempt - 1))
        try:
            if not have_current or attempt:
                current = cluster.get_or_none(kind, name, namespace)
            want = desired(copy.deepcopy(current) if current is not None else None)
            if want is None:
                return Written(ref, current, None, "unchanged", uncertain)
            if current is None:
                answer = cluster.create(want, dry_run=dry_run)
                return Written(ref, None, answer, "created", uncertain)
            want.setdefault("metadata", {})["resourceVersion"] = \
                current["metadata"].get("resourceVersion")
            answer = cluster.replace(want, dry_run=dry_run)
            return Written(ref, current, answer, "configured", uncertain)
        except ClusterError as e:
            last = e
            uncertain = uncertain or ambiguous(e)
            if not retryable(e):
                break
            log.debug(f"{ref}: {e.message}; attempt {attempt + 1} of {MAX_ATTEMPTS}")
    assert last is not None
    last.uncertain = uncertain  # type: ignore[attr-defined]
    raise last


def was_uncertain(error: NimError) -> bool:
    """Did any attempt of a failed read_modify_write end in a way that may have applied it?"""
    return bool(getattr(error, "uncertain", False)) or \
        (isinstance(error, ClusterError) and ambiguous(error))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


def decode_value(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if len(text.strip()) >= MIN_SECRET_LENGTH:  # never redact words like "true" everywhere
        log.register_secret(text.strip())
    return text


def pull_secret_key(secret: Mapping[str, Any] | None) -> str | None:
    """The nvcr.io password of a dockerconfigjson secret (registered as a secret when read)."""
    raw = decode_value(((secret or {}).get("data") or {}).get(DOCKERCONFIG_KEY))
    if raw is None:
        return None
    try:
        auths = (json.loads(raw) or {}).get("auths") or {}
    except (ValueError, AttributeError):
        return None
    entry = auths.get(REGISTRY) or {}
    password = entry.get("password")
    if not password and entry.get("auth"):
        decoded = decode_value(entry["auth"])
        password = decoded.partition(":")[2] if decoded else None
    if password and len(password) >= MIN_SECRET_LENGTH:
        log.register_secret(password)
    return password or None


def api_secret_key(secret: Mapping[str, Any] | None, data_key: str = API_KEY_ENV) -> str | None:
    value = decode_value(((secret or {}).get("data") or {}).get(data_key))
    return value.strip() if value else None


# --- the secrets of one deployment, all or nothing -----------------------------------------------

@dataclass(frozen=True)
class SecretTarget:
    """One secret that must hold the key: the api-key secret (`data_key`) or a pull secret."""

    name: str
    role: str                # "api-key" | "pull"
    data_key: str = API_KEY_ENV
    deployment: str = ""     # set when the name is this deployment's own (may be created)

    def desired(self, namespace: str, key: str) -> Callable[[dict | None], dict | None]:
        def compute(current: dict | None) -> dict | None:
            if current is None:
                if not self.deployment:
                    raise Day2Error(f"secret/{self.name} does not exist in {namespace}")
                build = api_key_secret_for if self.role == "api-key" else pull_secret_for
                return build(self.deployment, namespace, key,
                             naming_of(self.deployment, self.name) or SEED)
            data = dict(current.get("data") or {})
            if self.role == "api-key":
                value = _b64(key)
                if data.get(self.data_key) == value:
                    return None
                data[self.data_key] = value
            else:
                value = _pull_value(current, key)
                if data.get(DOCKERCONFIG_KEY) == value:
                    return None
                data[DOCKERCONFIG_KEY] = value
            current["data"] = data
            current.pop("stringData", None)
            return current
        return compute

    def key_in(self, secret: Mapping[str, Any] | None) -> str | None:
        if self.role == "api-key":
            return api_secret_key(secret, self.data_key)
        return pull_secret_key(secret)


def _pull_value(current: Mapping[str, Any], key: str) -> str:
    """The new `.dockerconfigjson`: exactly deploy's when only nvcr.io is in it, else the nvcr.io
    entry replaced and every other registry kept."""
    auths: dict = {}
    raw = decode_value(((current.get("data") or {}).get(DOCKERCONFIG_KEY)))
    if raw:
        try:
            auths = dict((json.loads(raw) or {}).get("auths") or {})
        except (ValueError, AttributeError):
            auths = {}
    ours = pull_secret_dockerconfig(key)
    if set(auths) - {REGISTRY}:
        auths[REGISTRY] = ours["auths"][REGISTRY]
        ours = {**(json.loads(raw) if raw else {}), "auths": auths}
    return _b64(json.dumps(ours, separators=(",", ":")))


def check_pull_secret(secret: Mapping[str, Any]) -> None:
    if secret.get("type") != DOCKERCONFIG_TYPE:
        raise Day2Error(f"secret/{secret['metadata']['name']} is of type "
                        f"{secret.get('type') or 'Opaque'}, not {DOCKERCONFIG_TYPE}",
                        hint="only dockerconfigjson pull secrets can be rotated")


def nvcr_pull_secret(secret: Mapping[str, Any] | None) -> bool:
    """Does a referenced pull secret hold credentials for nvcr.io (else it is not ours to touch)?"""
    raw = decode_value(((secret or {}).get("data") or {}).get(DOCKERCONFIG_KEY))
    try:
        return REGISTRY in ((json.loads(raw) or {}).get("auths") or {}) if raw else False
    except (ValueError, AttributeError):
        return False


class SecretsFailed(Day2Error):
    pass


def write_secrets(cluster: Cluster, namespace: str, targets: Sequence[SecretTarget], key: str,
                  *, dry_run: bool = False, current: Mapping[str, dict | None] | None = None,
                  on_written: Callable[[Written], None] = lambda w: None) -> list[Written]:
    """Put `key` into every target, or into none: when one write fails, the ones already made
    are put back (compare-and-swap: only a secret that still holds what we wrote is restored).
    The protocol against concurrent writers and signals is secret_pair's (see its docstring)."""
    from kubectl_nim.app import secret_pair

    return secret_pair.write_pair(cluster, namespace, targets, key, dry_run=dry_run,
                                  current=current, on_written=on_written)


def _failed_secrets(cluster: Cluster, namespace: str, target: SecretTarget, error: NimError,
                    done: list[tuple[SecretTarget, Written]], dry_run: bool) -> SecretsFailed:
    restored, left = undo_secrets(cluster, namespace, done, dry_run)
    cause = f"cannot update secret/{target.name}: {error.message}"
    if left:
        return SecretsFailed(
            f"{cause}; COULD NOT put back {', '.join(left)}: the deployment's secrets now hold "
            f"different keys",
            hint="re-run the same command to finish (it converges), or fix the secrets by hand; "
                 + (error.hint or ""))
    if restored:
        return SecretsFailed(f"{cause}; put back {', '.join(restored)}: every secret keeps "
                             f"its previous key", hint=error.hint)
    return SecretsFailed(f"{cause}; nothing was changed", hint=error.hint)


def undo_secrets(cluster: Cluster, namespace: str, done: Sequence[tuple[SecretTarget, Written]],
                 dry_run: bool = False) -> tuple[list[str], list[str]]:
    """Undo secret writes newest first; returns (restored, could-not-restore) refs."""
    restored: list[str] = []
    left: list[str] = []
    for target, written in reversed(done):
        if written.action == "unchanged" or dry_run:
            continue
        ours = (written.after or {}).get("data")
        ref = f"secret/{target.name}"
        try:
            if written.before is None:
                if _delete_if_unchanged(cluster, namespace, target.name, ours):
                    restored.append(ref)
            else:
                old = (written.before or {}).get("data")

                def back(cur, ours=ours, old=old):
                    if cur is None or cur.get("data") == old:
                        return None
                    if cur.get("data") != ours:
                        raise Day2Error(f"{ref} was changed by someone else meanwhile; left as is")
                    cur["data"] = old
                    return cur
                if read_modify_write(cluster, "Secret", target.name, namespace,
                                     back).action != "unchanged":
                    restored.append(ref)
        except NimError as e:
            left.append(f"{ref} ({e.message})")
    return restored, left


def _delete_if_unchanged(cluster: Cluster, namespace: str, name: str, ours: Any) -> bool:
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            sleep(BACKOFF * 2 ** (attempt - 1))
        try:
            current = cluster.get_or_none("Secret", name, namespace)
            if current is None:
                return False
            if current.get("data") != ours:
                raise Day2Error(f"secret/{name} was changed by someone else meanwhile; left as is")
            cluster.delete("Secret", name, namespace)
            return True
        except ClusterError as e:
            if e.status == 404:
                return False
            if not retryable(e) or attempt == MAX_ATTEMPTS - 1:
                raise
    return False


def delete_object(cluster: Cluster, kind: str, name: str, namespace: str, *,
                  dry_run: bool = False) -> bool:
    """Delete, retrying what is worth retrying; False when it was already gone."""
    last: ClusterError | None = None
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            sleep(BACKOFF * 2 ** (attempt - 1))
        try:
            cluster.delete(kind, name, namespace, dry_run=dry_run)
            return True
        except ClusterError as e:
            if e.status == 404:
                return attempt > 0  # gone after a failed try: that try did it
            last = e
            if not retryable(e) or e.status == 409:
                break
    assert last is not None
    raise last


# --- restarting the predictor ----------------------------------------------------------------------

def timestamp() -> str:
    """RFC 3339 with microseconds, so that two restarts in one second still differ."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def restart_patch(stamp: str) -> dict:
    return {"spec": {"predictor": {"annotations": {RESTART_ANNOTATION: stamp}}}}


def restart(cluster: Cluster, namespace: str, name: str, *, dry_run: bool = False,
            stamp: str | None = None) -> tuple[str, dict]:
    """Merge-patch a timestamp into spec.predictor.annotations: KServe rolls the predictor pods
    in RawDeployment and Serverless alike (`oc rollout restart` is undone by KServe, which owns
    the Deployment). Retried like the writes above: the patch is idempotent."""
    stamp = stamp or timestamp()
    last: ClusterError | None = None
    for attempt in range(MAX_ATTEMPTS):
        if attempt:
            sleep(BACKOFF * 2 ** (attempt - 1))
        try:
            answer = cluster.patch("InferenceService", name, restart_patch(stamp), namespace,
                                   dry_run=dry_run)
            return stamp, answer
        except ClusterError as e:
            last = e
            if not retryable(e):
                break
    assert last is not None
    raise last


def gpus_per_pod(isvc: Mapping[str, Any] | None) -> int:
    predictor = ((isvc or {}).get("spec") or {}).get("predictor") or {}
    resources = (predictor.get("model") or {}).get("resources") or {}
    for section in ("limits", "requests"):
        value = (resources.get(section) or {}).get(GPU)
        if value is not None:
            try:
                return int(str(value))
            except ValueError:
                return 0
    return 0


def double_capacity_warning(isvc: Mapping[str, Any] | None) -> str:
    gpus = gpus_per_pod(isvc)
    need = f"{gpus} more {GPU} per replica" if gpus else "room for a second pod per replica"
    return (f"restarting rolls the predictor: a new pod starts before the old one stops, so the "
            f"cluster briefly needs {need}; without it the new pod stays Pending (use "
            f"--no-restart and restart later if the GPUs are not free)")


# --- --wait after a restart ------------------------------------------------------------------------

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
        ready_new = sum(1 for p in new if _pod_ready(p))
        parts.append(f"new pods ready {ready_new}/{len(new)}, old pods {old}")
        pods_done = old == 0 and ready_new == len(new)
    if not seen:
        parts.append("(waiting for the controller to see the restart)")
    return State(base.ready and seen and pods_done, " ".join(parts), base.stalls)


def _pod_ready(pod: Mapping[str, Any]) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def wait_restarted(cluster: Cluster, name: str, namespace: str, stamp: str,
                   generation: int | None, timeout: float, report: Callable,
                   interval: float = 2.0, clock: Callable[[], float] = time.monotonic,
                   wait: Callable[[float], None] | None = None):
    from kubectl_nim.app.wait import _events, poll

    pods_readable = True

    def observe():
        nonlocal pods_readable
        isvc = cluster.get_or_none("InferenceService", name, namespace)
        pods = None
        if pods_readable:
            try:
                pods = cluster.list("Pod", namespace, label_selector=f"{ISVC_LABEL}={name}")
            except ApiError as e:
                if e.status not in (403, 404):
                    raise
                pods_readable = False
                log.debug(f"pods not readable (HTTP {e.status}); following the InferenceService")
        return restart_state(isvc, pods, _events(cluster, namespace), name, stamp, generation)

    return poll(observe, report, timeout, f"inferenceservice/{name} to restart",
                f"it may still finish: `{caller.tool()} get pods -l {ISVC_LABEL}={name} -n {namespace} -w`",
                interval, clock, wait or time.sleep)


# --- delete: what goes and what stays ------------------------------------------------------------

@dataclass
class DeletePlan:
    delete: list[tuple[str, str]] = field(default_factory=list)   # (kind, name), in order
    kept: list[tuple[str, str]] = field(default_factory=list)     # (ref, why)


def plan_delete(dep: Deployment, others: Sequence[Mapping[str, Any]],
                existing_secrets: Iterable[str], existing_claims: Iterable[str],
                delete_pvc: bool) -> DeletePlan:
    """InferenceService, ServingRuntime, then this deployment's own secrets (referenced by their
    per-deployment names and by nothing else), then with --delete-pvc the claims it mounts that
    no other ServingRuntime mounts. `others`: every other ServingRuntime/InferenceService of the
    project."""
    plan = DeletePlan()
    if dep.isvc is not None:
        plan.delete.append(("InferenceService", dep.name))
    if dep.runtime is not None:
        plan.delete.append(("ServingRuntime", dep.runtime_name))
    existing_secrets = set(existing_secrets)
    existing_claims = set(existing_claims)
    other_refs: dict[str, list[str]] = {}
    other_claims: dict[str, list[str]] = {}
    for obj in others:
        label = f"{obj.get('kind', '').lower()}/{(obj.get('metadata') or {}).get('name', '')}"
        for secret in referenced_secrets(obj):
            other_refs.setdefault(secret, []).append(label)
        if obj.get("kind") == "ServingRuntime":
            for claim in mounted_claims(obj):
                other_claims.setdefault(claim, []).append(label)

    own = derived_names(dep.name)
    own_secrets = own_secret_names(dep.name)
    mine = own_secrets["secret"] + own_secrets["pull_secret"]  # either naming (SPEC §3)
    referenced = list(dep.refs.names)
    if dep.runtime is None:  # a half-made deployment: its own secrets, if they are left over
        referenced = [n for n in mine if n in existing_secrets]
    for secret in referenced:
        ref = f"secret/{secret}"
        if secret not in existing_secrets:
            continue
        if secret in LEGACY_NAMES:
            users = other_refs.get(secret)
            plan.kept.append((ref, "shared legacy secret, still used by " + ", ".join(users)
                              if users else f"shared legacy secret; "
                              f"`{caller.plugin_cmd('migrate --cleanup-shared')}` removes it "
                              f"once nothing references it"))
        elif secret not in mine:
            plan.kept.append((ref, "not this deployment's own secret (not named after it)"))
        elif other_refs.get(secret):
            plan.kept.append((ref, "still used by " + ", ".join(other_refs[secret])))
        else:
            plan.delete.append(("Secret", secret))

    claims = mounted_claims(dep.runtime) if dep.runtime is not None else \
        [own["pvc"]]
    for claim in claims:
        if claim not in existing_claims:
            continue
        ref = f"persistentvolumeclaim/{claim}"
        if not delete_pvc:
            plan.kept.append((ref, "the model cache is kept; --delete-pvc removes it"))
        elif other_claims.get(claim):
            plan.kept.append((ref, "still mounted by " + ", ".join(other_claims[claim])))
        else:
            plan.delete.append(("PersistentVolumeClaim", claim))
    return plan


def kind_ref(kind: str, name: str) -> str:
    from kubectl_nim.adapters.kube.cluster import RESOURCES

    return object_ref({"apiVersion": RESOURCES[kind].api_version, "kind": kind,
                       "metadata": {"name": name}})


# --- migrate: pointing a runtime at its own secrets -----------------------------------------------

def switch_refs(runtime: dict, deployment: str, naming: str = SEED) -> dict | None:
    """The runtime with `NGC_API_KEY` and the nvcr.io pull secret pointing at the deployment's own
    secrets, named per `naming` (other env and other pull secrets untouched); None when it
    already does."""
    own = derived_names(deployment, naming)
    own_pulls = own_secret_names(deployment)["pull_secret"]
    new = copy.deepcopy(runtime)
    spec = new.setdefault("spec", {})
    changed = False
    for container in spec.get("containers") or []:
        for env in container.get("env") or []:
            if env.get("name") != API_KEY_ENV:
                continue
            want = {"secretKeyRef": {"name": own["secret"], "key": API_KEY_ENV}}
            if env.get("valueFrom") != want or "value" in env:
                env.pop("value", None)
                env["valueFrom"] = want
                changed = True
    pulls = [p for p in spec.get("imagePullSecrets") or []
             if p.get("name") not in LEGACY_NAMES and p.get("name") not in own_pulls]
    pulls.insert(0, {"name": own["pull_secret"]})
    if pulls != (spec.get("imagePullSecrets") or []):
        spec["imagePullSecrets"] = pulls
        changed = True
    if not any(env.get("name") == API_KEY_ENV
               for c in spec.get("containers") or [] for env in c.get("env") or []):
        for container in spec.get("containers") or []:
            if container.get("name") == KSERVE_CONTAINER:
                container.setdefault("env", []).append(
                    {"name": API_KEY_ENV,
                     "valueFrom": {"secretKeyRef": {"name": own["secret"], "key": API_KEY_ENV}}})
                changed = True
    return new if changed else None


def users_of(objects: Iterable[Mapping[str, Any]], secret: str,
             skip: Iterable[tuple[str, str]] = ()) -> list[str]:
    skip = set(skip)
    out = []
    for obj in objects:
        name = (obj.get("metadata") or {}).get("name", "")
        if (obj.get("kind"), name) in skip:
            continue
        if secret in referenced_secrets(obj):
            out.append(f"{obj.get('kind', '').lower()}/{name}")
    return out


# --- rotate-key: which secrets, before anything is written --------------------------------------

@dataclass
class RotationPlan:
    targets: list[SecretTarget]
    current: dict[str, dict | None]       # every target as read now (None: missing, will create)
    skipped: list[tuple[str, str]]        # (ref, why) referenced but not rotated


def read_secrets(cluster: Cluster, namespace: str, names: Sequence[str]) -> dict[str, dict | None]:
    from kubectl_nim.adapters.kube.cluster import concurrently

    answers = concurrently(lambda n: cluster.get_or_none("Secret", n, namespace), list(names))
    for name, answer in zip(names, answers):
        if isinstance(answer, ClusterError):
            raise Day2Error(f"cannot read secret/{name} in {namespace}: {answer.message}",
                            hint=answer.hint)
    return dict(zip(names, answers))


def legacy_refusal(dep: Deployment, verb: str) -> Day2Error:
    used = ", ".join(f"secret/{n}" for n in dep.refs.names if n in LEGACY_NAMES)
    return Day2Error(
        f"cannot {verb} {dep.name!r}: its ServingRuntime uses the shared legacy secrets ({used}), "
        f"which other deployments of the project share",
        hint=f"give it its own secrets first: `{caller.plugin_cmd('migrate')} {dep.name} -n {dep.namespace}`")


def plan_rotation(cluster: Cluster, dep: Deployment) -> RotationPlan:
    """What rotate-key writes, from the secrets the runtime actually references. Refuses the
    shared legacy secrets (migrate first) and an inline key; no references = nothing to rotate."""
    refs = dep.refs
    scheme = key_scheme(dep.name, refs)
    if scheme == SHARED_LEGACY:
        raise legacy_refusal(dep, "rotate the key of")
    if scheme == INLINE:
        raise Day2Error(f"the ServingRuntime of {dep.name!r} sets {API_KEY_ENV} as a plain value, "
                        f"not from a secret: there is no secret to rotate",
                        hint=f"`{caller.plugin_cmd('migrate')} {dep.name}` moves it into the deployment's "
                             f"own secrets")
    if scheme == NONE:
        return RotationPlan([], {}, [])
    own = own_secret_names(dep.name)  # either naming (SPEC §3)
    current = read_secrets(cluster, dep.namespace, list(refs.names))
    targets: list[SecretTarget] = []
    skipped: list[tuple[str, str]] = []
    for ref in refs.key_refs:
        if not ref.secret:
            continue
        target = SecretTarget(ref.secret, "api-key", ref.data_key or API_KEY_ENV,
                              dep.name if ref.secret in own["secret"] else "")
        if current.get(ref.secret) is None and not target.deployment:
            raise Day2Error(f"secret/{ref.secret}, which the ServingRuntime's {API_KEY_ENV} "
                            f"reads, does not exist in {dep.namespace}",
                            hint="create it, or redeploy")
        if target not in targets:
            targets.append(target)
    for name in refs.pull_secrets:
        secret = current.get(name)
        if name in own["pull_secret"] or (secret is not None and nvcr_pull_secret(secret)):
            if secret is not None:
                check_pull_secret(secret)
            targets.append(SecretTarget(name, "pull", DOCKERCONFIG_KEY,
                                        dep.name if name in own["pull_secret"] else ""))
        elif secret is None:
            skipped.append((f"secret/{name}", "referenced by imagePullSecrets but missing"))
        else:
            skipped.append((f"secret/{name}", f"a pull secret for other registries than "
                                              f"{REGISTRY}"))
    return RotationPlan(targets, {t.name: current.get(t.name) for t in targets}, skipped)
