"""A deployment's options as `deploy` resolved them (`DeployOptions`), checked before anything
is sent.

The flags come as the values of domain/deploy_values (`Storage`, `Compute`, `Scaling`,
`NimSettings`), checked when they were made; this adds what the run resolved (the name, the
project, the model and tag, the secret naming, the project's key) and checks it, as a usage
error (exit 2) on construction, so a bad flag is reported before the key is validated or
anything is written. render.py only turns valid options into objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from kubectl_nim.domain.catalog import Model
from kubectl_nim.domain.deploy_values import (Compute, NimSettings, Pairs, Scaling, Storage,
                                              checked_pairs)
from kubectl_nim.domain.names import SECRET_NAMINGS, SEED, derived_names, validate_deployment_name
from kubectl_nim.errors import UsageError

_PARAM_NAME = re.compile(r"^[a-zA-Z0-9_]+$")


@dataclass(frozen=True)
class ProjectKey:
    """The key of the project's NIM Account (deploy --key-scope project): the runtime reads
    `key_secret` and pulls with `pull_secret`, and no per-deployment secrets are made."""

    key_secret: str
    pull_secret: str


@dataclass(frozen=True)
class DeployOptions:
    """What `deploy` renders: the resolved name, project, model and tag, the request's values.
    Validated on construction (UsageError, exit 2), so a bad flag is reported before the key is
    validated or anything is written."""

    name: str
    namespace: Optional[str]
    model: Model
    tag: str
    display_name: Optional[str] = None
    storage: Storage = field(default_factory=Storage)
    compute: Compute = field(default_factory=Compute)
    scaling: Scaling = field(default_factory=Scaling)
    nim: NimSettings = field(default_factory=NimSettings)
    expose: bool = False
    disconnected: bool = False
    skip_secrets: bool = False
    template_params: Pairs = ()
    secret_naming: str = SEED     # names.SEED or names.LATER: how the two secrets are named
    project_key: Optional[ProjectKey] = None   # the project's key instead of own secrets

    def __post_init__(self):
        validate_deployment_name(self.name, self.namespace)
        if self.secret_naming not in SECRET_NAMINGS:
            raise UsageError(f"unknown secret naming {self.secret_naming!r}",
                             hint=f"use one of {', '.join(SECRET_NAMINGS)}")
        if not self.tag:
            raise UsageError("the model tag must not be empty")
        object.__setattr__(self, "template_params",
                           checked_pairs(self.template_params, "--template-param", _PARAM_NAME))

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
        return self.storage.claim(self.names["pvc"])

    @property
    def creates_secrets(self) -> bool:
        return not (self.disconnected or self.skip_secrets or self.project_key)

