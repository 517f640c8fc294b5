"""Reading kubeconfig files the way kubectl does, for the common cases, without `kubernetes`.

Why this exists: importing the `kubernetes` package (its kubeconfig loader pulls in oauthlib,
google-auth, dateutil and, since v37, pydantic) costs 200-300 ms on our reference machine — more
than the whole `kubectl get configmap` it is compared with (BENCHMARKS.md). Most kubeconfigs,
and every one `oc login` writes, hold a server, a CA and a bearer token or client certificate:
those are read here. Anything else (exec plugins, auth providers such as OIDC, basic auth) is
handed to the `kubernetes` package's own loader, which stays the reference implementation.

Merging follows kubectl: with several files in $KUBECONFIG the first file that names a
cluster/user/context wins for that name, and the first file that sets current-context wins.
Relative file paths are resolved against the folder of the file that names them, before the
merge (kubectl's ResolveLocalPaths), so a CA next to the second file is found there.
kubectl's connection flags (--server, --token, --as, ...) are applied on top as `Overrides`.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from kubectl_nim import caller
from kubectl_nim.errors import ClusterError

DEFAULT_PATH = os.path.join("~", ".kube", "config")
SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
# User fields that only the `kubernetes` package's loader knows how to turn into credentials.
DELEGATED_USER_FIELDS = ("exec", "auth-provider", "username", "password")


class NeedsKubernetesLoader(Exception):
    """This kubeconfig needs the full loader (exec plugin, auth provider, basic auth...).

    `impersonate` carries what that loader ignores: the user and groups to impersonate."""

    def __init__(self, context: Optional[str], impersonate: tuple = (None, ())):
        super().__init__(context)
        self.impersonate = impersonate


@dataclass(frozen=True)
class Endpoint:
    """Everything needed to talk to one API server, as plain data."""

    server: str
    context: str
    namespace: Optional[str] = None
    token: Optional[str] = field(default=None, repr=False)
    ca_data: Optional[bytes] = field(default=None, repr=False)   # PEM
    ca_file: Optional[str] = None
    insecure: bool = False
    cert_data: Optional[bytes] = field(default=None, repr=False)
    cert_file: Optional[str] = None
    key_data: Optional[bytes] = field(default=None, repr=False)
    key_file: Optional[str] = None
    proxy_url: Optional[str] = None
    impersonate_user: Optional[str] = None
    impersonate_groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Overrides:
    """kubectl's connection flags, applied over the kubeconfig as kubectl applies them."""

    server: Optional[str] = None
    token: Optional[str] = field(default=None, repr=False)
    certificate_authority: Optional[str] = None
    insecure_skip_tls_verify: bool = False
    as_user: Optional[str] = None
    as_groups: tuple[str, ...] = ()
    user: Optional[str] = None
    cluster: Optional[str] = None

    def check(self) -> None:
        """The combinations kubectl refuses, refused with kubectl's reasons."""
        from kubectl_nim.errors import UsageError

        if self.as_groups and not self.as_user:
            raise UsageError("--as-group needs --as: impersonating groups requires a user",
                             hint="add --as USER")
        if self.certificate_authority and self.insecure_skip_tls_verify:
            raise UsageError("--certificate-authority and --insecure-skip-tls-verify exclude "
                             "each other", hint="pass only one of them")


# Fields holding file paths, per section, that kubectl resolves against the naming file.
_PATH_FIELDS = {"clusters": ("cluster", ("certificate-authority",)),
                "users": ("user", ("client-certificate", "client-key", "tokenFile"))}


def resolve_local_paths(doc: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    """Make the relative file paths of one kubeconfig file absolute against its folder."""
    if not isinstance(doc, dict):
        return doc
    base = os.path.dirname(os.path.abspath(path))
    for section, (inner, fields) in _PATH_FIELDS.items():
        entries = doc.get(section)
        for entry in entries if isinstance(entries, list) else []:  # shapes: _check_types
            body = entry.get(inner) if isinstance(entry, dict) else None
            if not isinstance(body, dict):
                continue
            for key in fields:
                value = body.get(key)
                if isinstance(value, str) and value and not os.path.isabs(value):
                    body[key] = os.path.join(base, os.path.expanduser(value))
    return doc


def config_paths(explicit: Optional[str], environ: Mapping[str, str]) -> list[str]:
    if explicit:
        return [os.path.expanduser(explicit)]
    listed = environ.get("KUBECONFIG")
    if listed:
        return [os.path.expanduser(p) for p in listed.split(os.pathsep) if p]
    return [os.path.expanduser(DEFAULT_PATH)]


def merge(documents: list[Mapping[str, Any]]) -> dict:
    """kubectl's merge: first definition of each named entry wins; first current-context wins."""
    merged: dict[str, Any] = {"clusters": {}, "users": {}, "contexts": {}, "current-context": None}
    for doc in documents:
        if not isinstance(doc, Mapping):
            raise ValueError("it is not a mapping of clusters, users and contexts")
        current = doc.get("current-context")
        if current is not None and not isinstance(current, str):
            raise ValueError("current-context is not a string")
        if not merged["current-context"] and current:
            merged["current-context"] = current
        for section, inner in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
            entries = doc.get(section) or []
            if not isinstance(entries, list):
                raise ValueError(f"{section} is not a list")
            for entry in entries:
                if not isinstance(entry, Mapping):
                    raise ValueError(f"an entry of {section} is not a mapping")
                if not isinstance(entry.get("name"), str) or not entry["name"]:
                    continue  # kubectl ignores unnamed entries too
                value = entry.get(inner) or {}
                if not isinstance(value, Mapping):
                    raise ValueError(f"{section} entry {entry['name']!r}: {inner} is not a mapping")
                if entry["name"] not in merged[section]:
                    merged[section][entry["name"]] = value
    return merged


# The fields kubectl-nim reads, and the type each must have.
_STRING_FIELDS = (("clusters", ("server", "certificate-authority", "certificate-authority-data",
                                "proxy-url")),
                  ("users", ("token", "tokenFile", "client-certificate", "client-key",
                             "client-certificate-data", "client-key-data")),
                  ("contexts", ("cluster", "user", "namespace")))


def _check_types(merged: Mapping[str, Any]) -> None:
    for section, fields in _STRING_FIELDS:
        for name, entry in merged[section].items():
            for key in fields:
                if entry.get(key) is not None and not isinstance(entry[key], str):
                    raise ValueError(f"{key} of {section[:-1]} {name!r} is not a string")


def load_documents(paths: list[str], explicit: bool) -> list[Mapping[str, Any]]:
    import yaml

    from kubectl_nim.domain.catalog import load_yaml

    docs = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                docs.append(resolve_local_paths(load_yaml(f.read()) or {}, path))
        except FileNotFoundError:
            if explicit:
                raise ClusterError(f"kubeconfig {path} does not exist",
                                   hint="check --kubeconfig") from None
        except OSError as e:
            raise ClusterError(f"cannot read kubeconfig {path}: {e.strerror or e}") from None
        except yaml.YAMLError:
            raise ClusterError(f"kubeconfig {path} is not valid YAML",
                               hint="check the file, or log in again (`oc login`)") from None
        except UnicodeDecodeError:
            raise ClusterError(f"kubeconfig {path} is not UTF-8 text") from None
        except ValueError as e:  # domain.bounded.TooComplex: an alias bomb, deep nesting
            raise ClusterError(f"kubeconfig {path} is refused: {e}",
                               hint="check the file, or log in again (`oc login`)") from None
    return docs


def _data_or_file(entry: Mapping, key: str, base: str) -> tuple[Optional[bytes], Optional[str]]:
    data = entry.get(f"{key}-data")
    if data:
        try:
            return base64.b64decode(data), None
        except (ValueError, TypeError):
            raise ClusterError(f"{key}-data in the kubeconfig is not base64") from None
    path = entry.get(key)
    if path:
        return None, path if os.path.isabs(path) else os.path.join(base, path)
    return None, None


def resolve(merged: Mapping[str, Any], context: Optional[str], base_dir: str,
            overrides: Optional[Overrides] = None) -> Endpoint:
    """The endpoint of a context. `base_dir` resolves paths still relative (documents that did
    not go through `load_documents`); `overrides` are kubectl's connection flags."""
    o = overrides or Overrides()
    name = context or merged.get("current-context")
    if not name and not (o.server or o.cluster):
        raise ClusterError("the kubeconfig has no current context",
                           hint="pass --context, or log in (`oc login`)")
    ctx = merged["contexts"].get(name) if name else {}
    if ctx is None:
        if not context and (o.server or o.cluster):
            ctx = {}  # kubectl: a dangling current-context does not matter when flags say all
        else:
            raise ClusterError(f"cannot load the cluster configuration: context {name!r} "
                               f"is not in the kubeconfig",
                               hint=f"see `{caller.tool_cmd('config get-contexts')}`, then pass --context")
    cluster_name = o.cluster or ctx.get("cluster")
    cluster = dict(merged["clusters"].get(cluster_name) or {})
    if o.cluster and cluster_name not in merged["clusters"]:
        raise ClusterError(f"cluster {o.cluster!r} is not in the kubeconfig",
                           hint=f"see `{caller.tool_cmd('config get-clusters')}`, then pass --cluster")
    if o.server:
        cluster["server"] = o.server
    if not cluster.get("server"):
        raise ClusterError(f"context {name!r} names cluster {ctx.get('cluster')!r}, which the "
                           f"kubeconfig does not define", hint="log in again (`oc login`)")
    if o.certificate_authority:
        cluster.pop("certificate-authority-data", None)
        cluster["certificate-authority"] = os.path.abspath(o.certificate_authority)
        cluster["insecure-skip-tls-verify"] = False
    if o.insecure_skip_tls_verify:
        cluster.pop("certificate-authority-data", None)
        cluster.pop("certificate-authority", None)
        cluster["insecure-skip-tls-verify"] = True
    user_name = o.user or ctx.get("user")
    if o.user and user_name not in merged["users"]:
        raise ClusterError(f"user {o.user!r} is not in the kubeconfig",
                           hint=f"see `{caller.tool_cmd('config view')}`, then pass --user")
    user = dict(merged["users"].get(user_name) or {})
    if o.token:
        # kubectl: a token flag replaces every other way the user would authenticate.
        user = {k: v for k, v in user.items()
                if k in ("client-certificate", "client-certificate-data", "client-key",
                         "client-key-data", "as", "as-groups")}
        user["token"] = o.token
    if any(user.get(k) for k in DELEGATED_USER_FIELDS):
        raise NeedsKubernetesLoader(name, impersonation(user, o))
    token = user.get("token")
    if not token and user.get("tokenFile"):
        try:
            with open(user["tokenFile"], encoding="utf-8") as f:
                token = f.read().strip()
        except OSError as e:
            raise ClusterError(f"cannot read tokenFile {user['tokenFile']}: "
                               f"{e.strerror or e}") from None
    ca_data, ca_file = _data_or_file(cluster, "certificate-authority", base_dir)
    cert_data, cert_file = _data_or_file(user, "client-certificate", base_dir)
    key_data, key_file = _data_or_file(user, "client-key", base_dir)
    as_user, as_groups = impersonation(user, o)
    return Endpoint(server=cluster["server"].rstrip("/"), context=name or "",
                    namespace=ctx.get("namespace") or None, token=token, ca_data=ca_data,
                    ca_file=ca_file, insecure=bool(cluster.get("insecure-skip-tls-verify")),
                    cert_data=cert_data, cert_file=cert_file, key_data=key_data,
                    key_file=key_file, proxy_url=cluster.get("proxy-url"),
                    impersonate_user=as_user, impersonate_groups=as_groups)


def impersonation(user: Mapping[str, Any], o: Overrides) -> tuple[Optional[str], tuple[str, ...]]:
    """kubectl: --as/--as-group replace the kubeconfig user's `as`/`as-groups` (each on its own)."""
    as_user = o.as_user or user.get("as") or None
    groups = o.as_groups or tuple(str(g) for g in user.get("as-groups") or ())
    return as_user, tuple(groups)


def impersonation_headers(as_user: Optional[str], groups: tuple[str, ...]) -> list[tuple[str, str]]:
    """The Impersonate-* headers, one Impersonate-Group line per group as kubectl sends them."""
    if not as_user:
        return []
    return [("Impersonate-User", as_user)] + [("Impersonate-Group", g) for g in groups]


def in_cluster(environ: Mapping[str, str], sa_dir: Optional[str] = None) -> Endpoint:
    sa_dir = sa_dir or SERVICE_ACCOUNT_DIR
    host, port = environ["KUBERNETES_SERVICE_HOST"], environ.get("KUBERNETES_SERVICE_PORT", "443")
    if ":" in host:  # IPv6
        host = f"[{host}]"

    def read(name: str) -> Optional[str]:
        try:
            with open(os.path.join(sa_dir, name), encoding="utf-8") as f:
                return f.read().strip() or None
        except OSError:
            return None

    token = read("token")
    if not token:
        raise ClusterError("running in a pod, but its service-account token is not mounted",
                           hint="set automountServiceAccountToken, or provide a kubeconfig")
    ca = os.path.join(sa_dir, "ca.crt")
    return Endpoint(server=f"https://{host}:{port}", context="in-cluster",
                    namespace=read("namespace"), token=token,
                    ca_file=ca if os.path.exists(ca) else None)


def find_endpoint(kubeconfig: Optional[str], context: Optional[str],
                  environ: Mapping[str, str], overrides: Optional[Overrides] = None,
                  sa_dir: Optional[str] = None) -> Endpoint:
    """The endpoint to use, or NeedsKubernetesLoader for credentials only that loader knows.
    `sa_dir`: where the service-account files are mounted (default SERVICE_ACCOUNT_DIR)."""
    o = overrides or Overrides()
    o.check()
    paths = config_paths(kubeconfig, environ)
    existing = [p for p in paths if os.path.exists(p)]
    if not existing and not kubeconfig:
        if environ.get("KUBERNETES_SERVICE_HOST") and not o.server:
            return _override_in_cluster(in_cluster(environ, sa_dir), o)
        if not o.server:
            raise ClusterError("no kubeconfig found and not running inside a cluster",
                               hint="log in (`oc login`), set KUBECONFIG or pass --kubeconfig")
    docs = load_documents(paths, explicit=bool(kubeconfig))
    try:
        merged = merge(docs)
        _check_types(merged)
    except (ValueError, TypeError, AttributeError) as e:  # merge meets the wrong shapes first
        raise ClusterError(f"kubeconfig {', '.join(existing or paths)} is malformed: {e}",
                           hint="check the file, or log in again (`oc login`)") from None
    return resolve(merged, context, os.path.dirname(existing[0]) if existing else ".", o)


def _override_in_cluster(endpoint: Endpoint, o: Overrides) -> Endpoint:
    from dataclasses import replace

    as_user, groups = impersonation({}, o)
    changes: dict[str, Any] = {"impersonate_user": as_user, "impersonate_groups": groups}
    if o.token:
        changes["token"] = o.token
    if o.certificate_authority:
        changes["ca_file"] = os.path.abspath(o.certificate_authority)
    if o.insecure_skip_tls_verify:
        changes.update(ca_file=None, insecure=True)
    return replace(endpoint, **changes)
