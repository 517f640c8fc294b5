"""`validate-key`: ask NVIDIA whether a personal API key is valid, without printing it.

Exit 0 valid, 1 rejected (by NVIDIA or because it is a legacy key), 3 NVIDIA unreachable, so that
CI can tell a bad key from a network problem. httpx is imported only when the command runs.
"""

from __future__ import annotations

from typing import Optional

import click

from kubectl_nim import log
from kubectl_nim.cli.options import (get_globals, global_options, key_options, ngc_options,
                                 output_option, refused_key_argument)
from kubectl_nim.cli.output import dump_json


@click.command("validate-key")
@key_options
@ngc_options
@output_option("text", "json", default="text")
@global_options
@refused_key_argument
def command(api_key_file: Optional[str], ngc_api_url: str, output: str) -> None:
    """Check a personal NVIDIA API key (nvapi-...) with NVIDIA.

    The key is read from --api-key-file, $NGC_API_KEY or a hidden prompt, never from the
    command line. Exit codes: 0 valid, 1 rejected, 2 usage error (no key, unreadable key file),
    3 NVIDIA could not be reached.
    """
    notice = _disconnected_notice()
    if notice:
        log.notice(notice)
    from kubectl_nim.cli import api_key
    from kubectl_nim.adapters import ngc

    key = api_key.read_api_key(api_key_file)
    info = ngc.validate_key(key, ngc_api_url, get_globals().request_timeout)
    click.echo(_render(info, output), nl=False)


def _disconnected_notice() -> Optional[str]:
    """What to say when the current cluster is disconnected (SPEC §3), else None.

    A best-effort peek: only when a kubeconfig (or in-cluster config) is at hand and needs no
    `kubernetes` import, with a short timeout; any failure means "don't know" and stays silent
    (it is logged under -v). The key is still validated: the user asked for exactly that.
    """
    from kubectl_nim.app import discovery
    from kubectl_nim.adapters.kube import kubeconfig
    from kubectl_nim.adapters.kube.cluster import Cluster
    from kubectl_nim.errors import NimError

    opts = get_globals()
    try:
        cluster = Cluster.connect(kubeconfig=opts.kubeconfig, context=opts.context,
                                  timeout=min(opts.request_timeout or 3.0, 3.0), fast_only=True,
                                  overrides=opts.overrides())
        settings = discovery.read_settings(cluster, opts.apps_namespace)
    except (NimError, kubeconfig.NeedsKubernetesLoader) as e:
        log.debug(f"not checking the cluster's disconnected flag: {e or type(e).__name__}")
        return None
    if not settings.disconnected.value:
        return None
    return (f"note: cluster {cluster.server} is disconnected ({settings.disconnected.source}: "
            f"{settings.disconnected.reason} is true): deploy there collects and validates no "
            f"key; image pulls use the cluster's global pull secret")


def _render(info, output: str) -> str:
    if output == "json":
        return dump_json({"valid": True, "type": info.type, "org": info.org,
                          "products": list(info.products)})
    products = ", ".join(info.products) or "<none>"
    return (f"The API key is valid.\n"
            f"Type:     {info.type or '<unknown>'}\n"
            f"Org:      {info.org or '<unknown>'}\n"
            f"Products: {products}\n")
