"""`--https-proxy`, `--no-proxy`, `--ca-bundle` as domain/proxy.ProxySettings: the CA file read
(adapters/netenv), the proxy's credentials registered as secrets (docs/airgap.md)."""

from __future__ import annotations

from typing import Optional

from kubectl_nim import log
from kubectl_nim.domain import proxy


def settings(https_proxy: Optional[str], no_proxy: Optional[str],
             ca_bundle: Optional[str]) -> proxy.ProxySettings:
    for secret in proxy.secrets_of(https_proxy):
        log.register_secret(secret)
    pem = ca_bundle
    if ca_bundle and ca_bundle != proxy.CLUSTER_CA:
        from kubectl_nim.adapters.netenv import read_pem_file

        pem = read_pem_file(ca_bundle)
    return proxy.ProxySettings(https_proxy=https_proxy, no_proxy=no_proxy, ca_bundle=pem)
