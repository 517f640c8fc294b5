"""What the user said about the connection and the run (the global flags), as plain data.

Filled by the CLI's option callbacks (kubectl_nim/cli/options.py), read by the use cases and the
kube adapter; kept apart from click so that the layers below the CLI can take it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional


@dataclass
class GlobalOptions:
    kubeconfig: Optional[str] = None
    context: Optional[str] = None
    namespace: Optional[str] = None
    request_timeout: Optional[float] = None  # seconds; None = the plugin's default
    verbose: int = 0
    apps_namespace: Optional[str] = None
    field_manager: Optional[str] = None  # None = the plugin's own, `kubectl-nim`
    # kubectl's connection flags (docs/design.md#verbs-and-global-options), applied over the
    # kubeconfig by kubeconfig.Overrides.
    server: Optional[str] = None
    token: Optional[str] = field(default=None, repr=False)
    certificate_authority: Optional[str] = None
    insecure_skip_tls_verify: bool = False
    as_user: Optional[str] = None
    as_groups: tuple = ()
    user: Optional[str] = None
    cluster: Optional[str] = None

    def kubeconfig_paths(self, environ) -> list[str]:
        """The kubeconfig files this run reads (adapters/kube/kubeconfig.config_paths: an
        explicit --kubeconfig is one file, as in kubectl; else every file of $KUBECONFIG)."""
        from kubectl_nim.adapters.kube.kubeconfig import config_paths

        return config_paths(self.kubeconfig, environ)

    def overrides(self):
        from kubectl_nim.adapters.kube.kubeconfig import Overrides

        return Overrides(server=self.server, token=self.token,
                         certificate_authority=self.certificate_authority,
                         insecure_skip_tls_verify=self.insecure_skip_tls_verify,
                         as_user=self.as_user, as_groups=tuple(self.as_groups),
                         user=self.user, cluster=self.cluster)
