"""What the user asked `deploy` for (`DeployOptions`), checked before anything is sent.

Separate from render.py: these are the flag rules (names, quantities, replicas, `--env`,
`--template-param`, `--pvc-subpath`), each refused as a usage error (exit 2) on construction,
so a bad flag is reported before the key is validated or anything is written; render.py only
turns valid options into objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from kubectl_nim.domain import validation
from kubectl_nim.domain.catalog import Model
from kubectl_nim.domain.keys import ENV_VAR as API_KEY_ENV
from kubectl_nim.domain.names import (SECRET_NAMINGS, SEED, derived_names, validate_claim_name,
                                      validate_deployment_name)
from kubectl_nim.domain.proxy import ProxySettings
from kubectl_nim.domain.quantity import check_quantity, parse_quantity
from kubectl_nim.errors import UsageError

DEPLOYMENT_MODES = ("RawDeployment", "Serverless")
# Names a container env var may have (the classic rule every Kubernetes release accepts).
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_PARAM_NAME = re.compile(r"^[a-zA-Z0-9_]+$")
PROFILE_ENV = "NIM_MODEL_PROFILE"  # the NIM serves this profile (docs/airgap.md)

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ProjectKey:
    """The key of the project's NIM Account (deploy --key-scope project): the runtime reads
    `key_secret` and pulls with `pull_secret`, and no per-deployment secrets are made."""

    key_secret: str
    pull_secret: str


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
    profile: Optional[str] = None  # NIM_MODEL_PROFILE on the runtime container (docs/airgap.md)
    proxy: Optional[ProxySettings] = None  # HTTPS_PROXY/NO_PROXY/CA bundle for the NIM
    project_key: Optional[ProjectKey] = None   # the project's key instead of own secrets

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
        self._check_network_and_profile()

    def _check_network_and_profile(self) -> None:
        if self.profile is not None and (not self.profile.strip()
                                         or any(c.isspace() for c in self.profile)):
            raise UsageError(f"--profile {self.profile!r} is not a profile id or name",
                             hint="list them with `kubectl nim cache profiles MODEL`")
        if any(name == PROFILE_ENV for name, _ in self.env) and self.profile:
            raise UsageError(f"--env {PROFILE_ENV} and --profile say the same thing: use "
                             f"--profile")
        if self.proxy is not None and self.proxy.has_credentials:
            raise UsageError("deploy cannot take a proxy URL with a user and password: it "
                             "would be stored in plain text in the ServingRuntime",
                             hint="use a proxy that needs no credentials from the cluster "
                                  "(or the cluster-wide proxy), or fill the cache first with "
                                  "`kubectl nim cache`, which keeps them in a Secret")

    def _check_storage(self) -> None:
        check_quantity(self.pvc_size, "--pvc-size")
        if parse_quantity(self.pvc_size) < 1:  # the API server: "must be greater than zero"
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
                check_quantity(value, flag)
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
        return not (self.disconnected or self.skip_secrets or self.project_key)


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
