"""The Kubernetes adapter: raw JSON requests through the `kubernetes` client's ApiClient.

Why raw requests and not `CoreV1Api`/`CustomObjectsApi`: in kubernetes 37 the first touch of a
typed API class imports the generated model modules and costs ~0.35 s more on our 2-core
reference machine (BENCHMARKS.md, "kubernetes client options"); the dynamic client costs a
discovery round trip per group. ApiClient still gives us everything worth reusing: kubeconfig
merging (several KUBECONFIG files), contexts, exec/OIDC token refresh, in-cluster config, TLS
and proxies. This module is the only one that imports `kubernetes`, and only when a cluster verb
actually talks to a cluster.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from typing import Any, Iterable, Mapping
from urllib.parse import quote

from kubectl_nim import log
from kubectl_nim.errors import ClusterError

DEFAULT_TIMEOUT = 30.0
FIELD_MANAGER = "kubectl-nim"
SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"


@dataclass(frozen=True)
class Resource:
    kind: str
    api_version: str
    plural: str
    namespaced: bool = True

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def qualified(self) -> str:
        """`secrets`, `servingruntimes.serving.kserve.io`: as RBAC and kubectl name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = f"/apis/{self.api_version}" if self.group else f"/api/{self.api_version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        return base + (f"/{quote(name, safe='')}" if name else "")


_ALL = [
    Resource("Namespace", "v1", "namespaces", namespaced=False),
    Resource("Secret", "v1", "secrets"),
    Resource("ConfigMap", "v1", "configmaps"),
    Resource("PersistentVolumeClaim", "v1", "persistentvolumeclaims"),
    Resource("Event", "v1", "events"),
    Resource("Pod", "v1", "pods"),
    Resource("ServingRuntime", "serving.kserve.io/v1alpha1", "servingruntimes"),
    Resource("InferenceService", "serving.kserve.io/v1beta1", "inferenceservices"),
    Resource("Template", "template.openshift.io/v1", "templates"),
    Resource("OdhDashboardConfig", "opendatahub.io/v1alpha", "odhdashboardconfigs"),
    Resource("Account", "nim.opendatahub.io/v1", "accounts"),
    Resource("DSCInitialization", "dscinitialization.opendatahub.io/v1", "dscinitializations",
             namespaced=False),
]
RESOURCES: dict[str, Resource] = {r.kind: r for r in _ALL}


def resource_of(obj: Mapping[str, Any]) -> Resource:
    return RESOURCES[obj["kind"]]


class ApiError(ClusterError):
    """A Status answer from the API server, turned into one line that says what to do."""

    def __init__(self, status: int, reason: str, message: str, hint: str | None = None):
        super().__init__(message, hint=hint, status=status, reason=reason)


def _hint_for(status: int, reason: str) -> str | None:
    if status == 401:
        return "your credentials were refused or have expired; log in again (`oc login`)"
    if status == 403:
        return "ask a cluster or project admin for that permission, or use another --namespace"
    if status >= 500:
        return "the API server failed; try again, and check the cluster's health if it persists"
    return None


def error_from_response(status: int, body: bytes, method: str, path: str) -> ApiError:
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and doc.get("kind") == "Status":
        message = doc.get("message") or f"HTTP {status}"
        reason = doc.get("reason") or ""
    elif status == 404:
        # Not a Status object: the API server does not know the resource type at all.
        return ApiError(404, "NotFound", f"the cluster does not serve {path.split('/namespaces/')[0]}",
                        hint="is the CRD installed (KServe / OpenShift AI / Open Data Hub)?")
    else:
        message = f"{method} {path} failed with HTTP {status}"
        reason = ""
    return ApiError(status, reason, message.rstrip("."), hint=_hint_for(status, reason))


class Cluster:
    """A small JSON-over-HTTP client for the handful of resources kubectl-nim touches."""

    def __init__(self, api_client: Any, namespace: str, server: str,
                 timeout: float | None = DEFAULT_TIMEOUT, context: str | None = None):
        self.api_client = api_client
        self.namespace = namespace
        self.server = server
        self.timeout = timeout
        self.context = context
        self.request_count = 0

    # -- construction --------------------------------------------------------------------

    @classmethod
    def connect(cls, kubeconfig: str | None = None, context: str | None = None,
                namespace: str | None = None, timeout: float | None = None) -> "Cluster":
        """Kubeconfig (--kubeconfig, else every file of $KUBECONFIG, else ~/.kube/config) with
        its context's namespace; in-cluster config when there is no kubeconfig (CI in a pod)."""
        from kubernetes import client, config
        from kubernetes.config import kube_config
        from kubernetes.config.config_exception import ConfigException
        import urllib3

        # urllib3 logs each retry as a WARNING through Python's last-resort handler: noise on
        # stderr next to our one-line error. Keep it for -vv.
        logging.getLogger("urllib3").setLevel(logging.DEBUG if log.verbosity() >= 2
                                              else logging.ERROR)
        configuration = client.Configuration()
        # One timeout per request, never urllib3's silent read retries (a hang must cost one
        # timeout, not four); connection errors get one more try.
        configuration.retries = urllib3.Retry(total=1, connect=1, read=0, status=0, redirect=0)
        context_namespace = None
        paths = kubeconfig or os.environ.get("KUBECONFIG") or kube_config.KUBE_CONFIG_DEFAULT_LOCATION
        has_file = any(os.path.exists(os.path.expanduser(p))
                       for p in paths.split(os.pathsep) if p)
        try:
            if has_file or kubeconfig or context:
                # The loader merges several files the way kubectl does; it is the only way to
                # read the chosen context's namespace without parsing the files twice.
                loader = kube_config._get_kube_config_loader(
                    filename=paths, active_context=context, persist_config=False)
                loader.load_and_set(configuration)
                context_namespace = loader.current_context.get("context", {}).get("namespace")
                context = loader.current_context.get("name")
            elif os.environ.get("KUBERNETES_SERVICE_HOST"):
                config.load_incluster_config(client_configuration=configuration)
                context_namespace = _read_service_account_namespace()
                context = "in-cluster"
            else:
                raise ClusterError("no kubeconfig found and not running inside a cluster",
                                   hint="log in (`oc login`), set KUBECONFIG or pass --kubeconfig")
        except ConfigException as e:
            raise ClusterError(f"cannot load the cluster configuration: {e}",
                               hint="check --kubeconfig, $KUBECONFIG and --context") from None
        except (OSError, ValueError) as e:
            raise ClusterError(f"cannot load the cluster configuration: {e}",
                               hint="check --kubeconfig and $KUBECONFIG") from None
        api_client = client.ApiClient(configuration)
        api_client.user_agent = f"kubectl-nim/{_version()}"
        log.debug(f"cluster {configuration.host} context {context}")
        return cls(api_client, namespace or context_namespace or "default", configuration.host,
                   DEFAULT_TIMEOUT if timeout is None else (timeout or None), context)

    # -- the one request path --------------------------------------------------------------

    def request(self, method: str, path: str, *, query: Iterable[tuple[str, str]] = (),
                body: Any = None, content_type: str | None = None) -> Any:
        import urllib3

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        method_, url, headers, body, _ = self.api_client.param_serialize(
            method, path, query_params=list(query) or None, header_params=headers, body=body,
            auth_settings=["BearerToken"])
        started = time.perf_counter()
        self.request_count += 1
        try:
            response = self.api_client.call_api(method_, url, header_params=headers, body=body,
                                                _request_timeout=self.timeout)
            response.read()
        except (urllib3.exceptions.MaxRetryError, urllib3.exceptions.TimeoutError,
                urllib3.exceptions.ProtocolError, urllib3.exceptions.NewConnectionError) as e:
            raise self._unreachable(e, method, path) from None
        except Exception as e:  # the client wraps SSL errors in ApiException(status=0)
            if getattr(e, "status", None) == 0:
                raise ClusterError(f"TLS failure talking to {self.server}: "
                                   f"{str(getattr(e, 'reason', e)).splitlines()[-1]}",
                                   hint="check the cluster CA in your kubeconfig") from None
            raise
        elapsed = (time.perf_counter() - started) * 1000
        log.debug(f"{method} {url} -> {response.status} ({elapsed:.0f} ms)")
        if response.status >= 400:
            raise error_from_response(response.status, response.data, method, path)
        return json.loads(response.data) if response.data else None

    def _unreachable(self, error: Exception, method: str, path: str) -> ClusterError:
        cause = getattr(error, "reason", None) or error
        text = str(cause)
        if "timed out" in text.lower() or "timeout" in type(cause).__name__.lower():
            return ClusterError(
                f"{method} {path} timed out after {self.timeout:g}s ({self.server})",
                hint="the API server is slow or unreachable; retry or raise --request-timeout")
        if "refused" in text.lower():
            text = "connection refused"
        elif "Name or service not known" in text or "nodename nor servname" in text:
            text = "host name not found"
        return ClusterError(f"cannot reach the cluster at {self.server}: {text}",
                            hint="check your network, `oc login`, --kubeconfig and --context")

    # -- verbs ---------------------------------------------------------------------------------

    def _ns(self, resource: Resource, namespace: str | None) -> str | None:
        return (namespace or self.namespace) if resource.namespaced else None

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict:
        res = RESOURCES[kind]
        return self.request("GET", res.path(self._ns(res, namespace), name))

    def get_or_none(self, kind: str, name: str, namespace: str | None = None) -> dict | None:
        try:
            return self.get(kind, name, namespace)
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def list(self, kind: str, namespace: str | None = None, *, all_namespaces: bool = False,
             label_selector: str | None = None) -> list[dict]:
        res = RESOURCES[kind]
        ns = None if all_namespaces else self._ns(res, namespace)
        query = [("labelSelector", label_selector)] if label_selector else []
        doc = self.request("GET", res.path(ns), query=query)
        items = doc.get("items") or []
        for item in items:  # list items carry no apiVersion/kind on real servers
            item.setdefault("apiVersion", res.api_version)
            item.setdefault("kind", kind)
        return items

    @staticmethod
    def _write_query(dry_run: bool, field_validation: str | None = None,
                     field_manager: str | None = None) -> list[tuple[str, str]]:
        query = []
        if dry_run:
            query.append(("dryRun", "All"))
        if field_manager:
            query.append(("fieldManager", field_manager))
        if field_validation:
            query.append(("fieldValidation", field_validation))
        return query

    def create(self, obj: dict, *, dry_run: bool = False) -> dict:
        res = resource_of(obj)
        ns = self._ns(res, obj.get("metadata", {}).get("namespace"))
        return self.request("POST", res.path(ns), body=obj,
                            query=self._write_query(dry_run, field_manager=FIELD_MANAGER))

    def replace(self, obj: dict, *, dry_run: bool = False) -> dict:
        res = resource_of(obj)
        meta = obj["metadata"]
        return self.request("PUT", res.path(self._ns(res, meta.get("namespace")), meta["name"]),
                            body=obj, query=self._write_query(dry_run, field_manager=FIELD_MANAGER))

    PATCH_TYPES = {
        "merge": "application/merge-patch+json",
        "json": "application/json-patch+json",
        "strategic": "application/strategic-merge-patch+json",
    }

    def patch(self, kind: str, name: str, patch: Any, namespace: str | None = None, *,
              patch_type: str = "merge", dry_run: bool = False,
              field_validation: str | None = None) -> dict:
        res = RESOURCES[kind]
        return self.request("PATCH", res.path(self._ns(res, namespace), name), body=patch,
                            content_type=self.PATCH_TYPES[patch_type],
                            query=self._write_query(dry_run, field_validation, FIELD_MANAGER))

    def apply(self, obj: dict, *, dry_run: bool = False, force: bool = False) -> dict:
        """Server-side apply with our field manager: re-running converges instead of failing."""
        res = resource_of(obj)
        meta = obj["metadata"]
        query = self._write_query(dry_run, field_manager=FIELD_MANAGER)
        if force:
            query.append(("force", "true"))
        return self.request("PATCH", res.path(self._ns(res, meta.get("namespace")), meta["name"]),
                            body=obj, content_type="application/apply-patch+yaml", query=query)

    def delete(self, kind: str, name: str, namespace: str | None = None, *,
               dry_run: bool = False) -> Any:
        res = RESOURCES[kind]
        query = self._write_query(dry_run) + [("propagationPolicy", "Background")]
        return self.request("DELETE", res.path(self._ns(res, namespace), name), query=query)


def _read_service_account_namespace() -> str | None:
    try:
        with open(SERVICE_ACCOUNT_NAMESPACE, encoding="utf-8") as f:
            return f.read().strip() or None
    except OSError:
        return None


def _version() -> str:
    from kubectl_nim import __version__

    return __version__


def connect(options) -> Cluster:
    """Build a Cluster from the CLI's GlobalOptions."""
    return Cluster.connect(kubeconfig=options.kubeconfig, context=options.context,
                           namespace=options.namespace, timeout=options.request_timeout)
