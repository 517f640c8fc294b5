"""Asking NVIDIA about a key, and whether the cluster at hand needs one at all.

The one way every verb validates a key (deploy, rotate-key, migrate, validate-key, catalog):
`KeyRejected` (exit 1) when NVIDIA refuses it, `NvidiaUnreachable` (exit 3) when NVIDIA cannot be
asked.
"""

from __future__ import annotations

from typing import Callable, Optional

from kubectl_nim import log
from kubectl_nim.environment import Environment


def validate(key: str, ngc_api_url: str, request_timeout: Optional[float],
             verb: Optional[str] = None, *, sleep: Callable[[float], None], network=None):
    """NVIDIA's answer about `key` (ngc.KeyInfo); raises KeyRejected or NvidiaUnreachable. `verb`:
    the verb that may skip the check (--skip-key-validation), named in the unreachable hint;
    `sleep`: the waits between retries (the run's Environment.sleep); `network`: a
    domain/proxy.ProxySettings for this call (validate-key's flags), else the environment's."""
    from kubectl_nim.adapters import ngc
    from kubectl_nim.errors import NvidiaUnreachable

    proxy = getattr(network, "https_proxy", None)
    ca = getattr(network, "ca_bundle", None)
    try:
        info = ngc.validate_key(key, ngc_api_url, request_timeout, sleep, proxy=proxy,
                                ca_pem=ca)
    except NvidiaUnreachable as e:
        if verb is None:
            raise
        way_on = f"or pass --skip-key-validation to {verb} without checking the key"
        raise NvidiaUnreachable(e.message, hint=f"{e.hint}; {way_on}" if e.hint else way_on) \
            from None
    log.debug(f"NVIDIA accepted the key ({info.type}, org {info.org})")
    return info


def disconnected_notice(options, env: Environment) -> Optional[str]:
    """What to say when the current cluster is disconnected (docs/design.md#disconnected-clusters),
    else None.

    A best-effort peek: only when a kubeconfig (or in-cluster config) is at hand and needs no
    `kubernetes` import, with a short timeout; any failure means "don't know" and stays silent
    (it is logged under -v). The key is still validated: the user asked for exactly that.
    """
    from kubectl_nim.adapters.kube import kubeconfig
    from kubectl_nim.adapters.kube.cluster import connect
    from kubectl_nim.app import discovery
    from kubectl_nim.errors import NimError

    try:
        cluster = connect(options, env, timeout=min(options.request_timeout or 3.0, 3.0),
                          fast_only=True)
        settings = discovery.read_settings(cluster, options.apps_namespace, warn=env.warn)
    except (NimError, kubeconfig.NeedsKubernetesLoader) as e:
        log.debug(f"not checking the cluster's disconnected flag: {e or type(e).__name__}")
        return None
    if not settings.disconnected.value:
        return None
    return (f"note: cluster {cluster.server} is disconnected ({settings.disconnected.source}: "
            f"{settings.disconnected.reason} is true): deploy there collects and validates no "
            f"key; image pulls use the cluster's global pull secret")
