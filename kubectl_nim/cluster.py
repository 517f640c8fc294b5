"""The Kubernetes adapter: JSON requests for the handful of resources kubectl-nim touches.

Two transports behind one request path. Kubeconfigs with a token or client certificate (what
`oc login` writes, and in-cluster service accounts) go through httpx without importing the
`kubernetes` package; exec plugins, auth providers and basic auth go through that package's
ApiClient, which knows them all. Measured reasons (BENCHMARKS.md, "kubernetes client options"):
importing `kubernetes` 37 costs 200-300 ms, more than a whole `kubectl get`; its typed API
classes cost ~0.5 s more on first use, and the dynamic client a discovery round trip per group.
"""

from __future__ import annotations

import json
import logging
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import quote

from kubectl_nim import interrupts, log
from kubectl_nim.adapters import retry
from kubectl_nim.errors import ClusterError

DEFAULT_TIMEOUT = 30.0
FIELD_MANAGER = "kubectl-nim"


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
        """The URL path; only `None` omits a namespace or name. An empty, `.`, `..` or
        slash-bearing value raises instead of addressing a collection (issue 10)."""
        from kubectl_nim.domain.validation import check_path_segment

        base = f"/apis/{self.api_version}" if self.group else f"/api/{self.api_version}"
        if self.namespaced and namespace is not None:
            check_path_segment(namespace, "namespace")
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is None:
            return base
        return base + f"/{quote(check_path_segment(name, self.kind.lower()), safe='')}"


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


class Unreachable(Exception):
    """A transport could not get an HTTP answer: kind is timeout, refused, dns, tls or other."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class HttpxTransport:
    """The fast path: bearer token or client certificate over httpx, no `kubernetes` import."""

    def __init__(self, endpoint, timeout: float | None):
        import httpx

        self._httpx = httpx
        self.server = endpoint.server
        kwargs: dict[str, Any] = {}
        if endpoint.proxy_url:
            kwargs["proxy"] = endpoint.proxy_url
        headers = {"User-Agent": f"kubectl-nim/{_version()}", "Accept": "application/json"}
        if endpoint.token:
            headers["Authorization"] = f"Bearer {endpoint.token}"
        self._client = httpx.Client(base_url=endpoint.server, headers=headers,
                                    verify=_checked_ssl_context(endpoint), timeout=timeout,
                                    follow_redirects=False, **kwargs)

    def send(self, method: str, url: str, body: Any, headers: dict) -> tuple[int, bytes]:
        httpx = self._httpx
        content = None if body is None else json.dumps(body).encode()
        try:
            response = self._client.request(method, url, content=content, headers=headers)
        except httpx.TimeoutException:
            raise Unreachable("timeout", "timed out") from None
        except httpx.ConnectError as e:
            raise Unreachable(*_classify(str(e))) from None
        except httpx.TransportError as e:
            raise Unreachable("other", str(e) or type(e).__name__) from None
        return response.status_code, response.content, response.headers.get("Retry-After")


def _classify(text: str) -> tuple[str, str]:
    lowered = text.lower()
    if "refused" in lowered:
        return "refused", "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or \
            "name resolution" in lowered:
        return "dns", "host name not found"
    if "certificate" in lowered or "ssl" in lowered:
        return "tls", text.splitlines()[-1] if text else "TLS failure"
    if "timed out" in lowered:
        return "timeout", "timed out"
    return "other", text


def _checked_ssl_context(endpoint):
    """_ssl_context, with a missing or unreadable CA / client certificate file (or bad PEM data)
    reported as one line naming the file, not an unexpected OSError (issue 10)."""
    import ssl

    try:
        return _ssl_context(endpoint)
    except (OSError, ssl.SSLError, ValueError) as e:
        files = [f for f in (endpoint.ca_file, endpoint.cert_file, endpoint.key_file) if f]
        named = getattr(e, "filename", None) or ", ".join(files) or "embedded certificate data"
        reason = getattr(e, "strerror", None) or getattr(e, "reason", None) or str(e)
        raise ClusterError(f"cannot load the TLS files of kubeconfig context {endpoint.context} "
                           f"({named}): {reason}",
                           hint="check certificate-authority, client-certificate and client-key "
                                "in your kubeconfig", never_sent=True) from None


def _ssl_context(endpoint):
    import ssl
    import tempfile

    if endpoint.ca_data:
        context = ssl.create_default_context(cadata=endpoint.ca_data.decode("ascii", "replace"))
    elif endpoint.ca_file:
        context = ssl.create_default_context(cafile=endpoint.ca_file)
    else:
        context = ssl.create_default_context()
    if endpoint.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    cert, key = endpoint.cert_file, endpoint.key_file
    if endpoint.cert_data or endpoint.key_data:
        # ssl only loads client certificates from files: write them private, load, delete.
        with tempfile.TemporaryDirectory() as tmp:
            if endpoint.cert_data:
                cert = _private_file(tmp, "client.crt", endpoint.cert_data)
            if endpoint.key_data:
                key = _private_file(tmp, "client.key", endpoint.key_data)
            context.load_cert_chain(cert, key)
    elif cert:
        context.load_cert_chain(cert, key)
    return context


def _private_file(directory: str, name: str, data: bytes) -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


class KubernetesTransport:
    """The `kubernetes` package's ApiClient: exec plugins, auth providers, basic auth.

    Raw JSON requests, never the typed API classes: in v37 their first use costs ~0.5 s more
    (BENCHMARKS.md, "kubernetes client options").
    """

    def __init__(self, kubeconfig_paths: str, context: str | None, timeout: float | None):
        from kubernetes import client
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
        try:
            loader = kube_config._get_kube_config_loader(
                filename=kubeconfig_paths, active_context=context, persist_config=False)
            loader.load_and_set(configuration)
        except (ConfigException, OSError, ValueError) as e:
            raise ClusterError(f"cannot load the cluster configuration: {e}",
                               hint="check --kubeconfig, $KUBECONFIG and --context") from None
        self.namespace = loader.current_context.get("context", {}).get("namespace")
        self.context = loader.current_context.get("name")
        self.server = configuration.host
        self.timeout = timeout
        self.api_client = client.ApiClient(configuration)
        self.api_client.user_agent = f"kubectl-nim/{_version()}"

    def send(self, method: str, url: str, body: Any, headers: dict) -> tuple[int, bytes]:
        import urllib3

        method_, full_url, headers, body, _ = self.api_client.param_serialize(
            method, url, header_params=dict(headers), body=body, auth_settings=["BearerToken"])
        try:
            response = self.api_client.call_api(method_, full_url, header_params=headers,
                                                body=body, _request_timeout=self.timeout)
            response.read()
        except (urllib3.exceptions.MaxRetryError, urllib3.exceptions.TimeoutError,
                urllib3.exceptions.ProtocolError, urllib3.exceptions.NewConnectionError) as e:
            cause = getattr(e, "reason", None) or e
            if "timeout" in type(cause).__name__.lower() or "timed out" in str(cause).lower():
                raise Unreachable("timeout", "timed out") from None
            raise Unreachable(*_classify(str(cause))) from None
        except Exception as e:  # the client wraps SSL errors in ApiException(status=0)
            if getattr(e, "status", None) == 0:
                raise Unreachable("tls", str(getattr(e, "reason", e)).splitlines()[-1]) from None
            raise
        return response.status, response.data, response.headers.get("Retry-After")


class Cluster:
    """A small JSON-over-HTTP client for the handful of resources kubectl-nim touches."""

    def __init__(self, transport: Any, namespace: str, server: str,
                 timeout: float | None = DEFAULT_TIMEOUT, context: str | None = None):
        self.transport = transport
        self.namespace = namespace
        self.server = server
        self.timeout = timeout
        self.context = context

    # -- construction --------------------------------------------------------------------

    @classmethod
    def connect(cls, kubeconfig: str | None = None, context: str | None = None,
                namespace: str | None = None, timeout: float | None = None,
                fast_only: bool = False) -> "Cluster":
        """Kubeconfig (--kubeconfig, else every file of $KUBECONFIG, else ~/.kube/config) with
        its context's namespace; in-cluster config when there is no kubeconfig (CI in a pod).

        `fast_only` raises kubeconfig.NeedsKubernetesLoader instead of importing `kubernetes`,
        for verbs that merely peek at the cluster (validate-key's disconnected notice)."""
        from kubectl_nim import kubeconfig as kc

        timeout = DEFAULT_TIMEOUT if timeout is None else (timeout or None)
        try:
            endpoint = kc.find_endpoint(kubeconfig, context, os.environ)
        except kc.NeedsKubernetesLoader:
            if fast_only:
                raise
            paths = os.pathsep.join(kc.config_paths(kubeconfig, os.environ))
            transport = KubernetesTransport(paths, context, timeout)
            log.debug(f"cluster {transport.server} context {transport.context} "
                      f"(credentials through the kubernetes package)")
            return cls(transport, namespace or transport.namespace or "default",
                       transport.server, timeout, transport.context)
        log.debug(f"cluster {endpoint.server} context {endpoint.context}")
        return cls(HttpxTransport(endpoint, timeout), namespace or endpoint.namespace or "default",
                   endpoint.server, timeout, endpoint.context)

    # -- the one request path --------------------------------------------------------------

    def request(self, method: str, path: str, *, query: Iterable[tuple[str, str]] = (),
                body: Any = None, content_type: str | None = None) -> Any:
        from urllib.parse import urlencode

        query = list(query)
        url = path + (f"?{urlencode(query)}" if query else "")
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        # Reads are retried on 429/5xx and dropped connections (adapters.retry, as kubectl's
        # client does); never on a timeout, which costs one --request-timeout, not several.
        # Writes are never retried here: the callers know whether a write is safe to repeat.
        policy = retry.CLUSTER_READS
        attempts = policy.attempts if method == "GET" else 1
        for attempt in range(attempts):
            last = attempt + 1 == attempts
            started = time.perf_counter()
            try:
                # A write in flight is finished before a signal is delivered
                # (interrupts.deferred): the rollback then knows whether the object exists.
                with (interrupts.deferred() if method != "GET" else nullcontext()):
                    status, data, retry_after = self.transport.send(method, url, body, headers)
            except Unreachable as e:
                if last or e.kind != "other":
                    raise self._unreachable(e, method, path) from None
                delay = policy.delay(attempt)
                log.debug(f"{method} {self.server}{url} -> {e.detail}; retrying in {delay:.2f}s")
                retry.sleep(delay)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            log.debug(f"{method} {self.server}{url} -> {status} ({elapsed:.0f} ms)")
            if status >= 400:
                if not last and retry.transient_status(status):
                    delay = policy.delay(attempt, retry.parse_retry_after(retry_after))
                    log.debug(f"retrying in {delay:.2f}s")
                    retry.sleep(delay)
                    continue
                error = error_from_response(status, data, method, path)
                error.retry_after = retry.parse_retry_after(retry_after)
                raise error
            return self._decode(data, method, path) if data else None
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _decode(self, data: bytes, method: str, path: str) -> dict:
        """Every Kubernetes answer is a JSON object: anything else (a login page, a proxy's
        HTML, an array) is reported as such, naming the server (issue 10)."""
        from kubectl_nim.domain import bounded

        hint = "is the kubeconfig's server a Kubernetes API server (not a proxy or login page)?"
        try:
            doc = bounded.load_json(data.decode("utf-8"), max_bytes=None)
        except (ValueError, UnicodeDecodeError):
            raise ClusterError(f"{method} {path}: the server at {self.server} answered with "
                               f"something that is not JSON", hint=hint) from None
        if not isinstance(doc, dict):
            raise ClusterError(f"{method} {path}: the server at {self.server} answered with a "
                               f"JSON {type(doc).__name__}, not a JSON object", hint=hint)
        return doc

    # Transport failures that prove the request never reached the server.
    NEVER_SENT_KINDS = ("refused", "dns", "tls")

    def _unreachable(self, error: Unreachable, method: str, path: str) -> ClusterError:
        never_sent = error.kind in self.NEVER_SENT_KINDS
        if error.kind == "timeout":
            limit = f"{self.timeout:g}s" if self.timeout else "the client's limit"
            return ClusterError(
                f"{method} {path} timed out after {limit} ({self.server})",
                hint="the API server is slow or unreachable; retry or raise --request-timeout")
        if error.kind == "tls":
            return ClusterError(f"TLS failure talking to {self.server}: {error.detail}",
                                hint="check the cluster CA in your kubeconfig", never_sent=True)
        return ClusterError(f"cannot reach the cluster at {self.server}: {error.detail}",
                            hint="check your network, `oc login`, --kubeconfig and --context",
                            never_sent=never_sent)

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
        doc = self.request("GET", res.path(ns), query=query) or {}
        items = doc.get("items") or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ClusterError(f"GET {res.path(ns)}: the server at {self.server} answered with "
                               f"a list whose items are not objects")
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


def concurrently(fn: Callable, items: Sequence) -> list:
    """fn over items in parallel, one thread each: several requests cost one round trip of
    wall time. Each result is the value or the ClusterError it raised, in the items' order."""
    def guarded(item):
        try:
            return fn(item)
        except ClusterError as e:
            return e
    if len(items) <= 1:
        return [guarded(i) for i in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(guarded, items))


def _version() -> str:
    from kubectl_nim import __version__

    return __version__


def connect(options) -> Cluster:
    """Build a Cluster from the CLI's GlobalOptions."""
    return Cluster.connect(kubeconfig=options.kubeconfig, context=options.context,
                           namespace=options.namespace, timeout=options.request_timeout)
