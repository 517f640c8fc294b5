"""What one `deploy` (or `diff`) run was asked for: its flags, typed, and every rule that ties
two flags together, checked once, when the request is made (docs/architecture.md#deploy-through-the-layers).

The flags about one concern arrive as one value of domain/deploy_values (`Storage`, `Compute`,
`Scaling`, `NimSettings`), which checked them when it was made; the request adds the rules about
how to write. `deploy` and `diff` build the same request from the same flags
(`cli/commands/deploy.deploy_request`), so they accept and refuse exactly the same combinations.
What needs the cluster or the catalog (the model, the tag, the name against the project) is
checked later, once, by `deploy_options.DeployOptions`, for both verbs alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from kubectl_nim.domain.deploy_values import Compute, NimSettings, Pairs, Scaling, Storage
from kubectl_nim.domain.dry_run import DryRun
from kubectl_nim.errors import UsageError

OUTPUTS = ("yaml", "json", "name")


@dataclass(frozen=True)
class DeployRequest:
    model: str
    name: Optional[str] = None            # None: derived from the model
    tag: Optional[str] = None             # None: the catalog's choice
    display_name: Optional[str] = None
    storage: Storage = field(default_factory=Storage)
    compute: Compute = field(default_factory=Compute)
    scaling: Scaling = field(default_factory=Scaling)
    nim: NimSettings = field(default_factory=NimSettings)
    template_params: Pairs = ()
    expose: bool = False
    skip_secrets: bool = False
    disconnected: bool = False            # --disconnected (else the cluster decides)
    secret_naming: Optional[str] = None   # None: the cluster's generation
    key_scope: Optional[str] = None       # project | deployment; None: the project decides
    # How to write
    dry_run: DryRun = DryRun.NONE
    output: Optional[str] = None          # None: progress lines
    apply: bool = False
    force_conflicts: bool = False
    wait: bool = False
    wait_timeout: float = 1800.0          # seconds; 0 = no limit
    wait_limit: str = "up to 30m"         # --timeout in the notice (cli/options.wait_limit)
    # Where the catalog and the template come from
    catalog_file: Optional[str] = None
    offline: bool = False

    def __post_init__(self):
        if self.force_conflicts and not self.apply:
            raise UsageError("--force-conflicts goes with --apply")
        if self.output is not None and self.output not in OUTPUTS:
            raise UsageError(f"unknown output format {self.output!r}",
                             hint=f"use one of {', '.join(OUTPUTS)}")

    @property
    def local(self) -> bool:
        """The catalog and the template come from a file or the plugin, not the cluster."""
        return bool(self.offline or self.catalog_file)
