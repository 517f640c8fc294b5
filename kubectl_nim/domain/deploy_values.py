"""The values a deployment (and a cache Job) is made of, one per concern, each declared once and
checked once, when it is made (docs/architecture.md#where-each-rule-lives).

`Storage` (the model cache claim), `Compute` (GPUs, CPU and memory, the hardware profile),
`Scaling` (replicas, deployment mode) and `NimSettings` (what the NIM container is told: env,
profile, proxy) are built from the flags by `cli/commands/deploy.deploy_request` into a
`deploy_request.DeployRequest`, and `deploy_options.DeployOptions` holds the same values; `cache`
builds the `Storage`, `Compute` and profile of its `cache_job.CacheOptions` with them. So a flag
means the same thing, and is refused with the same words, wherever it is accepted. Every check
raises a UsageError (exit 2) before anything is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from kubectl_nim.domain import validation
from kubectl_nim.domain.keys import ENV_VAR as API_KEY_ENV
from kubectl_nim.domain.names import validate_claim_name
from kubectl_nim.domain.proxy import ProxySettings
from kubectl_nim.domain.quantity import check_quantity, parse_quantity
from kubectl_nim.errors import UsageError

DEPLOYMENT_MODES = ("RawDeployment", "Serverless")
PROFILE_ENV = "NIM_MODEL_PROFILE"  # the NIM serves this profile (docs/airgap.md)
# Names a container env var may have (the classic rule every Kubernetes release accepts).
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Storage:
    """The model cache: a new claim of `size` (in `storage_class`), or the `existing` claim,
    mounted at `subpath` inside it (`--pvc-size`, `--storage-class`, `--existing-pvc`,
    `--pvc-subpath`). The sub-path is kept relative and without `..`."""

    size: str = "30Gi"
    storage_class: Optional[str] = None
    existing: Optional[str] = None
    subpath: Optional[str] = None

    def __post_init__(self):
        check_quantity(self.size, "--pvc-size")
        if parse_quantity(self.size) < 1:  # the API server: "must be greater than zero"
            raise UsageError(f"--pvc-size {self.size!r} is too small: a claim needs at "
                             f"least one byte", hint="for example 30Gi")
        if self.storage_class is not None:  # the CLI checked it already; other callers too
            validation.check(self.storage_class, "subdomain", "storage class name")
        if self.existing is not None:
            validate_claim_name(self.existing)
            if self.storage_class:
                raise UsageError("--storage-class applies only to a new PVC, not to "
                                 "--existing-pvc")
        if self.subpath is not None and not self.existing:
            raise UsageError("--pvc-subpath needs --existing-pvc")
        object.__setattr__(self, "subpath", normalize_subpath(self.subpath))

    def claim(self, new_claim: str) -> str:
        """The claim mounted: the existing one, else `new_claim` (the one rendered)."""
        return self.existing or new_claim


@dataclass(frozen=True)
class HardwareProfileRef:
    """The OpenShift AI hardware profile a deployment is annotated with (`--hardware-profile`,
    `--hardware-profile-namespace`); `given` makes it from the two flags."""

    name: str
    namespace: Optional[str] = None

    @classmethod
    def given(cls, name: Optional[str], namespace: Optional[str]
              ) -> Optional["HardwareProfileRef"]:
        if namespace and not name:
            raise UsageError("--hardware-profile-namespace needs --hardware-profile")
        return cls(name, namespace or None) if name else None


@dataclass(frozen=True)
class Compute:
    """What the model's pod asks for (`--gpus`, `--cpu-*`, `--memory-*`; None: the template's)
    and the hardware profile it is annotated with."""

    gpus: Optional[int] = None
    cpu_request: Optional[str] = None
    cpu_limit: Optional[str] = None
    memory_request: Optional[str] = None
    memory_limit: Optional[str] = None
    hardware_profile: Optional[HardwareProfileRef] = None

    def __post_init__(self):
        for flag, value in (("--cpu-request", self.cpu_request), ("--cpu-limit", self.cpu_limit),
                            ("--memory-request", self.memory_request),
                            ("--memory-limit", self.memory_limit)):
            if value is not None:
                check_quantity(value, flag)
        if self.gpus is not None and self.gpus < 0:
            raise UsageError(f"--gpus must be 0 or more, not {self.gpus}")


@dataclass(frozen=True)
class Scaling:
    """The predictor's replicas and KServe deployment mode."""

    min_replicas: int = 1
    max_replicas: int = 1
    mode: str = "RawDeployment"

    def __post_init__(self):
        if self.min_replicas < 0 or self.max_replicas < max(1, self.min_replicas):
            raise UsageError(f"replicas must satisfy 0 <= min <= max and max >= 1 "
                             f"(got min {self.min_replicas}, max {self.max_replicas})")
        if self.mode not in DEPLOYMENT_MODES:
            raise UsageError(f"unknown deployment mode {self.mode!r}",
                             hint=f"use one of {', '.join(DEPLOYMENT_MODES)}")


@dataclass(frozen=True)
class NimSettings:
    """What the NIM container is told besides the template: `--env` pairs, the profile it
    serves (NIM_MODEL_PROFILE), the proxy it downloads through (docs/airgap.md)."""

    env: Pairs = ()
    profile: Optional[str] = None
    proxy: Optional[ProxySettings] = None   # None: not given

    def __post_init__(self):
        object.__setattr__(self, "env", checked_pairs(self.env, "--env", ENV_NAME))
        if any(name == API_KEY_ENV for name, _ in self.env):
            raise UsageError(f"--env cannot set {API_KEY_ENV}: it comes from the deployment's "
                             "secret, and a value here would be stored in plain text")
        checked_profile(self.profile)
        if any(name == PROFILE_ENV for name, _ in self.env) and self.profile:
            raise UsageError(f"--env {PROFILE_ENV} and --profile say the same thing: use "
                             f"--profile")
        if self.proxy is not None and self.proxy.has_credentials:
            raise UsageError("deploy cannot take a proxy URL with a user and password: it "
                             "would be stored in plain text in the ServingRuntime",
                             hint="use a proxy that needs no credentials from the cluster "
                                  "(or the cluster-wide proxy), or fill the cache first with "
                                  "`kubectl nim cache`, which keeps them in a Secret")


def checked_profile(profile: Optional[str]) -> Optional[str]:
    """`--profile` of deploy and cache: a NIM profile id or name, one word (None: not given)."""
    if profile is not None and (not profile.strip() or any(c.isspace() for c in profile)):
        raise UsageError(f"--profile {profile!r} is not a profile id or name",
                         hint="list them with `kubectl nim cache profiles MODEL`")
    return profile


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
    """`["A=1", "B=x=y"]` → `(("A", "1"), ("B", "x=y"))`, for `--env`, `--template-param`,
    `--node-selector`."""
    pairs = []
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise UsageError(f"{flag} {item!r} is not NAME=VALUE")
        pairs.append((name, value))
    return tuple(pairs)


def checked_pairs(pairs: Iterable[Any], flag: str, valid_name: re.Pattern) -> Pairs:
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
