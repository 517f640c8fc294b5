"""Restricted networks: a NIM container that reaches NVIDIA through a proxy with its own CA.

Pure. `ProxySettings` is what `--https-proxy`, `--no-proxy` and `--ca-bundle` ask for, checked;
`add_to_pod` puts it into a pod spec (env `HTTPS_PROXY`/`NO_PROXY`, the CA bundle ConfigMap
mounted with `SSL_CERT_FILE` pointing at it); `ca_configmap` renders that ConfigMap: the file's
certificates, or (`--ca-bundle cluster`) an empty one labelled so that OpenShift injects the
cluster's trusted CAs into it (docs/airgap.md).

A proxy URL with a user and password is a secret: it never goes into a spec as a value. The
caller stores it in the Secret it already writes (the key's) under `HTTPS_PROXY`, and
`add_to_pod` references it with `secretKeyRef`; `redacted` is how messages show it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

from kubectl_nim.domain.names import INJECT_CA_LABEL, MANAGED_LABEL
from kubectl_nim.errors import UsageError

CLUSTER_CA = "cluster"
CA_KEY = "ca-bundle.crt"  # the key OpenShift's CA injection fills
CA_MOUNT_DIR = "/etc/pki/nim-proxy-ca"
CA_VOLUME = "nim-proxy-ca"
PROXY_SECRET_KEY = "HTTPS_PROXY"
# NO_PROXY always keeps the cluster's own addresses off the proxy.
CLUSTER_LOCAL = ("localhost", "127.0.0.1", ".svc", ".cluster.local")


@dataclass(frozen=True)
class ProxySettings:
    https_proxy: Optional[str] = None
    no_proxy: Optional[str] = None
    ca_bundle: Optional[str] = None   # CLUSTER_CA, or the PEM text of a file (read by the CLI)

    def __post_init__(self):
        if self.https_proxy is not None:
            check_proxy_url(self.https_proxy)
        if self.no_proxy is not None and any(c.isspace() for c in self.no_proxy.strip()):
            raise UsageError("--no-proxy is a comma-separated list without spaces",
                             hint="for example .example.com,10.0.0.0/8")
        if self.ca_bundle not in (None, CLUSTER_CA) and "-----BEGIN CERTIFICATE-----" not in \
                self.ca_bundle:
            raise UsageError("the --ca-bundle file holds no PEM certificate",
                             hint="give a PEM file (-----BEGIN CERTIFICATE-----), or "
                                  "--ca-bundle cluster for the cluster's trusted CAs")

    @property
    def empty(self) -> bool:
        return not (self.https_proxy or self.no_proxy or self.ca_bundle)

    @property
    def has_credentials(self) -> bool:
        return bool(self.https_proxy and has_credentials(self.https_proxy))

    @property
    def no_proxy_list(self) -> str:
        given = [h for h in (self.no_proxy or "").split(",") if h]
        return ",".join(dict.fromkeys(given + list(CLUSTER_LOCAL)))


def check_proxy_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--https-proxy {redacted(url)!r} is not an http:// or https:// URL",
                         hint="for example http://proxy.example.com:3128")
    try:
        _ = parts.port  # the property raises ValueError for a bad port
    except ValueError:
        raise UsageError(f"--https-proxy {redacted(url)!r} has an invalid port") from None
    return url


def has_credentials(url: str) -> bool:
    return "@" in url


def redacted(url: str) -> str:
    """The URL with its user and password masked: how every message shows a proxy. Anything
    before the last `@` is masked, whatever the URL's shape (a scheme-less or malformed URL
    that will be refused must not show its password in the refusal)."""
    if "@" not in url:
        return url
    head, _, rest = url.rpartition("@")
    scheme = head.split("://", 1)[0] + "://" if "://" in head else ""
    return f"{scheme}***@{rest}"


def secrets_of(url: Optional[str]) -> list[str]:
    """What the redacting log must mask: the whole URL and its credentials, when it has any."""
    if not url or "@" not in url:
        return []
    credentials = url.rpartition("@")[0].split("://", 1)[-1]
    user, _, password = credentials.partition(":")
    return [v for v in (url, credentials, password) if v and len(v) >= 4]


def ca_configmap_name(owner: str) -> str:
    return f"nim-proxy-ca-{owner}"


def ca_configmap(settings: ProxySettings, owner: str, namespace: Optional[str]) -> Optional[dict]:
    """The ConfigMap of the CA bundle the container mounts, or None without --ca-bundle."""
    if not settings.ca_bundle:
        return None
    labels = {MANAGED_LABEL: "true"}
    meta: dict[str, Any] = {"name": ca_configmap_name(owner)}
    if namespace:
        meta["namespace"] = namespace
    if settings.ca_bundle == CLUSTER_CA:
        labels[INJECT_CA_LABEL] = "true"
        meta["labels"] = labels
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
    meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
            "data": {CA_KEY: settings.ca_bundle}}


def add_to_pod(pod_spec: Mapping[str, Any], container: str, settings: ProxySettings,
               owner: str, secret: Optional[str] = None) -> dict:
    """`pod_spec` with the proxy settings on container `container` (a copy). `secret`: the
    Secret holding the proxy URL under HTTPS_PROXY, required when the URL has credentials."""
    spec = copy.deepcopy(dict(pod_spec))
    if settings.empty:
        return spec
    target = next((c for c in spec.get("containers") or [] if c.get("name") == container), None)
    if target is None:
        raise ValueError(f"no container {container!r} in the pod spec")
    env = [e for e in target.get("env") or []
           if e.get("name") not in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy",
                                    "SSL_CERT_FILE")]
    if settings.https_proxy:
        if settings.has_credentials:
            if not secret:
                raise ValueError("a proxy URL with credentials needs the Secret that holds it")
            source: dict[str, Any] = {
                "valueFrom": {"secretKeyRef": {"name": secret, "key": PROXY_SECRET_KEY}}}
        else:
            source = {"value": settings.https_proxy}
        env += [{"name": name, **copy.deepcopy(source)} for name in ("HTTPS_PROXY",
                                                                     "https_proxy")]
    if settings.https_proxy or settings.no_proxy:
        env += [{"name": "NO_PROXY", "value": settings.no_proxy_list},
                {"name": "no_proxy", "value": settings.no_proxy_list}]
    if settings.ca_bundle:
        env.append({"name": "SSL_CERT_FILE", "value": f"{CA_MOUNT_DIR}/{CA_KEY}"})
        mounts = [m for m in target.get("volumeMounts") or [] if m.get("name") != CA_VOLUME]
        target["volumeMounts"] = mounts + [{"name": CA_VOLUME, "mountPath": CA_MOUNT_DIR,
                                            "readOnly": True}]
        volumes = [v for v in spec.get("volumes") or [] if v.get("name") != CA_VOLUME]
        spec["volumes"] = volumes + [{"name": CA_VOLUME, "configMap": {
            "name": ca_configmap_name(owner), "items": [{"key": CA_KEY, "path": CA_KEY}]}}]
    target["env"] = env
    return spec
