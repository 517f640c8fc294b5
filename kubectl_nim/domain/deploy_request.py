"""What one `deploy` (or `diff`) run was asked for: its flags, typed, and every rule that ties
two flags together, checked once, when the request is made (docs/architecture.md#deploy-through-the-layers).

`deploy` and `diff` build the same request from the same flags (`cli/commands/deploy.request`),
so they accept and refuse exactly the same combinations. What needs the cluster or the catalog
(the model, the tag, the name against the project, quantities within limits) is checked later,
once, by `deploy_options.DeployOptions`, for both verbs alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from kubectl_nim.domain.deploy_options import Pairs, parse_assignments
from kubectl_nim.domain.dry_run import DryRun
from kubectl_nim.errors import UsageError

OUTPUTS = ("yaml", "json", "name")


@dataclass(frozen=True)
class DeployRequest:
    model: str
    name: Optional[str] = None            # None: derived from the model
    tag: Optional[str] = None             # None: the catalog's choice
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
    template_params: Pairs = ()
    expose: bool = False
    skip_secrets: bool = False
    disconnected: bool = False            # --disconnected (else the cluster decides)
    secret_naming: Optional[str] = None   # None: the cluster's generation
    key_scope: Optional[str] = None       # project | deployment; None: the project decides
    profile: Optional[str] = None         # --profile: NIM_MODEL_PROFILE (docs/airgap.md)
    https_proxy: Optional[str] = None     # --https-proxy, --no-proxy, --ca-bundle FILE|cluster
    no_proxy: Optional[str] = None
    ca_bundle: Optional[str] = None
    # How to write
    dry_run: DryRun = DryRun.NONE
    output: Optional[str] = None          # None: progress lines
    apply: bool = False
    force_conflicts: bool = False
    wait: bool = False
    wait_timeout: float = 1800.0          # seconds; 0 = no limit
    wait_timeout_text: str = "30m"        # as the user wrote it, for the notice
    # Where the catalog and the template come from
    catalog_file: Optional[str] = None
    offline: bool = False

    def __post_init__(self):
        if self.pvc_subpath is not None and not self.existing_pvc:
            raise UsageError("--pvc-subpath needs --existing-pvc")
        if self.force_conflicts and not self.apply:
            raise UsageError("--force-conflicts goes with --apply")
        if self.output is not None and self.output not in OUTPUTS:
            raise UsageError(f"unknown output format {self.output!r}",
                             hint=f"use one of {', '.join(OUTPUTS)}")

    @classmethod
    def from_flags(cls, *, env: tuple[str, ...] = (), template_params: tuple[str, ...] = (),
                   **fields) -> "DeployRequest":
        """The request from the flags as typed: `--env`/`--template-param` are NAME=VALUE."""
        return cls(env=parse_assignments(env, "--env"),
                   template_params=parse_assignments(template_params, "--template-param"),
                   **fields)

    @property
    def local(self) -> bool:
        """The catalog and the template come from a file or the plugin, not the cluster."""
        return bool(self.offline or self.catalog_file)
