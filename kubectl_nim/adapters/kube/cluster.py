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
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence
from urllib.parse import quote

from kubectl_nim import interrupts, log
from kubectl_nim.adapters import retry
from kubectl_nim.errors import ClusterError

DEFAULT_TIMEOUT = 30.0
FIELD_MANAGER = "kubectl-nim"
# A request unanswered this long gets one notice on stderr (once per connection, i.e. per
# command), so a hanging API server is not up to --request-timeout of silence.
SLOW_NOTICE_AFTER = 5.0


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
    Resource("Service", "v1", "services"),
    Resource("ServingRuntime", "serving.kserve.io/v1alpha1", "servingruntimes"),
    Resource("InferenceService", "serving.kserve.io/v1beta1", "inferenceservices"),
    Resource("Template", "template.openshift.io/v1", "templates"),
    Resource("OdhDashboardConfig", "opendatahub.io/v1alpha", "odhdashboardconfigs"),
    Resource("Account", "nim.opendatahub.io/v1", "accounts"),
    Resource("DSCInitialization", "dscinitialization.opendatahub.io/v1", "dscinitializations",
             namespaced=False),
    Resource("DataScienceCluster", "datasciencecluster.opendatahub.io/v1",
             "datascienceclusters", namespaced=False),
]
RESOURCES: dict[str, Resource] = {r.kind: r for r in _ALL}


def resource_of(obj: Mapping[str, Any]) -> Resource:
    return RESOURCES[obj["kind"]]


class ApiError(ClusterError):
    """A Status answer from the API server, turned into one line that says what to do.

    `causes` are the Status's `details.causes` (`field`, `message`, `reason`): for a
    server-side apply conflict, one per contested field, naming the manager that owns it."""

    def __init__(self, status: int, reason: str, message: str, hint: str | None = None,
                 causes: Sequence[Mapping[str, Any]] = ()):
        super().__init__(message, hint=hint, status=status, reason=reason)
        self.causes = [dict(c) for c in causes if isinstance(c, Mapping)]

    @property
    def conflicts(self) -> list[tuple[str, str]]:
        """(field, what owns it) of a server-side apply conflict; empty for other errors."""
        if self.status != 409:
            return []
        return [(c.get("field") or "?", c.get("message") or "another manager")
                for c in self.causes if c.get("reason") == "FieldManagerConflict"]


TERMINATING_NAMESPACE = "because it is being terminated"


def _hint_for(status: int, reason: str, message: str = "") -> str | None:
    if status == 401:
        return "your credentials were refused or have expired; log in again (`oc login`)"
    if status == 403 and TERMINATING_NAMESPACE in message:
        # NamespaceLifecycle admission, not RBAC: the project is being deleted.
        return "the project is terminating (being deleted); use another project with -n"
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
    causes: Sequence[Mapping[str, Any]] = ()
    if isinstance(doc, dict) and doc.get("kind") == "Status":
        message = doc.get("message") or f"HTTP {status}"
        reason = doc.get("reason") or ""
        details = doc.get("details")
        if isinstance(details, dict) and isinstance(details.get("causes"), list):
            causes = details["causes"]
    elif status == 404:
        # Not a Status object: the API server does not know the resource type at all.
        return ApiError(404, "NotFound", f"the cluster does not serve {path.split('/namespaces/')[0]}",
                        hint="is the CRD installed (KServe / OpenShift AI / Open Data Hub)?")
    else:
        message = f"{method} {path} failed with HTTP {status}"
        reason = ""
    return ApiError(status, reason, message.rstrip("."), hint=_hint_for(status, reason, message),
                    causes=causes)


class Unreachable(Exception):
    """A transport could not get an HTTP answer: kind is timeout, refused, dns, tls or other."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class HttpxTransport:
    """The fast path: bearer token or client certificate over httpx, no `kubernetes` import."""

    def __init__(self, endpoint, timeout: float | None, slow_notice_after: float | None = None,
                 environ=None):
        from kubectl_nim.adapters.kube import kubeconfig
        from kubectl_nim.adapters import netenv

        httpx = self._httpx = netenv.import_httpx()
        self.server = endpoint.server
        self.proxy = netenv.proxy_for(endpoint.server, endpoint.proxy_url,
                                      os.environ if environ is None else environ)
        self.slow_notice_after = SLOW_NOTICE_AFTER if slow_notice_after is None \
            else slow_notice_after
        if self.proxy:
            log.debug(f"through the proxy {netenv.display(self.proxy)}"
                      + (" (the kubeconfig's proxy-url)" if endpoint.proxy_url else ""))
        self.timeout = timeout
        self._slow_noticed = False  # one "has not answered" notice per connection
        headers = [("User-Agent", f"kubectl-nim/{_version()}"), ("Accept", "application/json")]
        if endpoint.token:
            headers.append(("Authorization", f"Bearer {endpoint.token}"))
        headers += kubeconfig.impersonation_headers(endpoint.impersonate_user,
                                                    endpoint.impersonate_groups)
        # trust_env=False: the proxy was chosen above the way kubectl chooses it (NO_PROXY with
        # CIDRs, loopback never proxied), which httpx's own environment handling does not do.
        # Plain http with nothing configured for TLS: no context (the system CA store alone
        # costs ~20 ms to load). A configured CA or certificate is read even then, as kubectl
        # does, so a wrong path is reported the same way on every server.
        tls = endpoint.server.startswith("https:") or any(
            (endpoint.ca_file, endpoint.ca_data, endpoint.cert_file, endpoint.cert_data))
        try:
            self._client = httpx.Client(base_url=endpoint.server, headers=headers,
                                        verify=_checked_ssl_context(endpoint) if tls else False,
                                        timeout=timeout, follow_redirects=False,
                                        proxy=self.proxy, trust_env=False)
        except ImportError as e:  # socks support missing from this installation
            raise ClusterError(f"cannot use the proxy {netenv.display(self.proxy)}: {e}",
                               hint="install kubectl-nim with its socks extra "
                                    "(`pip install httpx[socks]`)") from None

    def _say_slow(self, waited: float) -> None:
        if self._slow_noticed:
            return
        self._slow_noticed = True
        limit = f"up to {self.timeout:g}s" if self.timeout else "without a limit"
        log.notice(f"The API server at {self.server} has not answered for {waited:g}s; "
                   f"waiting {limit} (--request-timeout changes that)...")

    def send(self, method: str, url: str, body: Any, headers: dict) -> tuple[int, bytes, str | None]:
        content = None if body is None else json.dumps(body).encode()
        timer = None
        after = self.slow_notice_after
        if not self._slow_noticed and (not self.timeout or self.timeout > after):
            import threading

            timer = threading.Timer(after, self._say_slow, (after,))
            timer.daemon = True
            timer.start()
        try:
            return self._send(method, url, content, headers)
        finally:
            if timer is not None:
                timer.cancel()

    def _send(self, method: str, url: str, content: bytes | None,
              headers: dict) -> tuple[int, bytes, str | None]:
        httpx = self._httpx
        try:
            response = self._client.request(method, url, content=content, headers=headers)
        except httpx.TimeoutException:
            raise Unreachable("timeout", "timed out") from None
        except httpx.ProxyError as e:
            raise Unreachable("proxy", _proxy_detail(self.proxy, e)) from None
        except httpx.ConnectError as e:
            if self.proxy and (_socks_failure(e) or _classify(str(e))[0] in ("refused", "dns")):
                # Through a proxy the only connection we open is to the proxy: a refused or
                # unknown host is the proxy's (the proxy reports the cluster's own as a
                # ProxyError or an HTTP status), so name the proxy, not the cluster.
                raise Unreachable("proxy", _proxy_detail(self.proxy, e)) from None
            raise Unreachable(*_classify(str(e))) from None
        except httpx.TransportError as e:
            raise Unreachable("other", str(e) or type(e).__name__) from None
        return response.status_code, response.content, response.headers.get("Retry-After")

    @contextmanager
    def stream(self, method: str, url: str, headers: dict):
        """(status, byte chunks) of an answer read as it arrives: no read timeout (a followed
        log may stay quiet for minutes), the usual one for connecting."""
        httpx = self._httpx
        try:
            with self._client.stream(method, url, headers=headers,
                                     timeout=httpx.Timeout(self.timeout, read=None)) as response:
                yield response.status_code, response.iter_bytes()
        except httpx.TimeoutException:
            raise Unreachable("timeout", "timed out") from None
        except httpx.ConnectError as e:
            raise Unreachable(*_classify(str(e))) from None
        except httpx.TransportError as e:
            raise Unreachable("other", str(e) or type(e).__name__) from None


def _proxy_detail(proxy: str | None, error: Exception) -> str:
    from kubectl_nim.adapters import netenv

    detail = _classify(str(error))[1]
    return f"{netenv.display(proxy)} ({detail or type(error).__name__})"


def _socks_failure(error: Exception) -> bool:
    return "socks" in type(error).__name__.lower() or "socks" in str(error).lower()


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

    if endpoint.insecure:
        # Nothing to verify against: skip loading any CA store (~20 ms for the system one).
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif endpoint.ca_data:
        context = ssl.create_default_context(cadata=endpoint.ca_data.decode("ascii", "replace"))
    elif endpoint.ca_file:
        try:
            context = ssl.create_default_context(cafile=endpoint.ca_file)
        except OSError as e:
            raise ClusterError(f"cannot read the certificate authority {endpoint.ca_file}: "
                               f"{e.strerror or e}",
                               hint="check certificate-authority in the kubeconfig or "
                                    "--certificate-authority") from None
    else:
        from kubectl_nim.adapters import netenv

        context = netenv.system_trust_context()
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

    def __init__(self, kubeconfig_paths: str, context: str | None, timeout: float | None,
                 overrides=None, impersonate: tuple = (None, ())):
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
        self._override(configuration, overrides)
        self.server = configuration.host
        self.timeout = timeout
        self.api_client = client.ApiClient(configuration)
        self.api_client.user_agent = f"kubectl-nim/{_version()}"
        self._impersonate(impersonate)

    @staticmethod
    def _override(configuration, o) -> None:
        """kubectl's connection flags over what the loader read (--token never gets here)."""
        if o is None:
            return
        if o.server:
            configuration.host = o.server.rstrip("/")
        if o.certificate_authority:
            configuration.ssl_ca_cert = os.path.abspath(o.certificate_authority)
            configuration.verify_ssl = True
        if o.insecure_skip_tls_verify:
            configuration.verify_ssl = False

    def _impersonate(self, impersonate: tuple) -> None:
        """The loader ignores `as`/`as-groups`: our own reading of the kubeconfig found them."""
        from kubectl_nim.adapters.kube import kubeconfig

        headers = kubeconfig.impersonation_headers(*impersonate)
        if len([h for h in headers if h[0] == "Impersonate-Group"]) > 1:
            # urllib3's default headers are a dict: one line per group cannot be sent.
            raise ClusterError("impersonating several groups is not supported with this "
                               "kubeconfig's credentials (exec plugin or auth provider)",
                               hint="impersonate one group, or use a token kubeconfig")
        for name, value in headers:
            self.api_client.set_default_header(name, value)

    def send(self, method: str, url: str, body: Any, headers: dict) -> tuple[int, bytes, str | None]:
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

    @contextmanager
    def stream(self, method: str, url: str, headers: dict):
        import urllib3

        method_, full_url, headers, body, _ = self.api_client.param_serialize(
            method, url, header_params=dict(headers), auth_settings=["BearerToken"])
        try:
            response = self.api_client.call_api(
                method_, full_url, header_params=headers,
                _request_timeout=(self.timeout, None) if self.timeout else None)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise Unreachable(*_classify(str(getattr(e, "reason", None) or e))) from None
        raw = response.response
        try:
            yield response.status, raw.stream(4096, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise Unreachable("other", str(e)) from None
        finally:
            raw.release_conn()


class Cluster:
    """A small JSON-over-HTTP client for the handful of resources kubectl-nim touches."""

    def __init__(self, transport: Any, namespace: str, server: str,
                 timeout: float | None = DEFAULT_TIMEOUT, context: str | None = None,
                 field_manager: str = FIELD_MANAGER, sleep: Callable[[float], None] = time.sleep):
        self.transport = transport
        self.sleep = sleep  # between the retries of a read (the run's Environment.sleep)
        self.namespace = namespace
        self.server = server
        self.timeout = timeout
        self.context = context
        # Every write carries this one manager (SPEC §6): server-side apply then treats the
        # plugin's creates, updates and patches as its own fields, never as another owner's.
        self.field_manager = field_manager

    # -- construction --------------------------------------------------------------------

    @classmethod
    def connect(cls, kubeconfig: str | None = None, context: str | None = None,
                namespace: str | None = None, timeout: float | None = None,
                fast_only: bool = False, overrides=None, env=None) -> "Cluster":
        """Kubeconfig (--kubeconfig, else every file of $KUBECONFIG, else ~/.kube/config) with
        its context's namespace; in-cluster config when there is no kubeconfig (CI in a pod).

        `fast_only` raises kubeconfig.NeedsKubernetesLoader instead of importing `kubernetes`,
        for verbs that merely peek at the cluster (validate-key's disconnected notice).
        `env` (an Environment, default the process's): variables, sleep, slow-notice threshold."""
        from kubectl_nim.adapters.kube import kubeconfig as kc
        from kubectl_nim.environment import Environment

        env = env or Environment.default()

        timeout = DEFAULT_TIMEOUT if timeout is None else (timeout or None)
        try:
            endpoint = kc.find_endpoint(kubeconfig, context, env.environ, overrides,
                                        sa_dir=env.service_account_dir)
        except kc.NeedsKubernetesLoader as needs:
            if fast_only:
                raise
            paths = os.pathsep.join(kc.config_paths(kubeconfig, env.environ))
            transport = KubernetesTransport(paths, context, timeout, overrides,
                                            needs.impersonate)
            log.debug(f"cluster {transport.server} context {transport.context} "
                      f"(credentials through the kubernetes package)")
            return cls(transport, namespace or transport.namespace or "default",
                       transport.server, timeout, transport.context, sleep=env.sleep)
        log.debug(f"cluster {endpoint.server} context {endpoint.context}")
        return cls(HttpxTransport(endpoint, timeout, env.slow_notice_after, env.environ),
                   namespace or endpoint.namespace or "default", endpoint.server, timeout,
                   endpoint.context, sleep=env.sleep)

    # -- the one request path --------------------------------------------------------------

    def request(self, method: str, path: str, *, query: Iterable[tuple[str, str]] = (),
                body: Any = None, content_type: str | None = None) -> Any:
        status, data, retry_after = self._exchange(method, path, query, body, content_type)
        if status >= 400:
            error = error_from_response(status, data, method, path)
            error.retry_after = retry.parse_retry_after(retry_after)
            raise error
        return self._decode(data, method, path) if data else None

    def request_raw(self, method: str, path: str, *, query: Iterable[tuple[str, str]] = (),
                    body: Any = None, content_type: str | None = None) -> tuple[int, bytes]:
        """(status, body) whatever the status: for answers that are not the API server's own
        (a service behind the proxy), which the caller judges itself."""
        status, data, _ = self._exchange(method, path, query, body, content_type)
        return status, data

    def _exchange(self, method: str, path: str, query: Iterable[tuple[str, str]], body: Any,
                  content_type: str | None) -> tuple[int, bytes, str | None]:
        """The one request path: (status, body, Retry-After) of the last attempt."""
        url = _url(path, query)
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
                self.sleep(delay)
                continue
            elapsed = (time.perf_counter() - started) * 1000
            log.debug(f"{method} {self.server}{url} -> {status} ({elapsed:.0f} ms)")
            if status >= 400 and not last and retry.transient_status(status):
                delay = policy.delay(attempt, retry.parse_retry_after(retry_after))
                log.debug(f"retrying in {delay:.2f}s")
                self.sleep(delay)
                continue
            return status, data, retry_after
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

    def request_text(self, method: str, path: str, *,
                     query: Iterable[tuple[str, str]] = ()) -> str:
        """A plain-text answer (pods/log), errors raised as for `request`."""
        status, data = self.request_raw(method, path, query=query)
        if status >= 400:
            raise error_from_response(status, data, method, path)
        return data.decode("utf-8", "replace")

    def stream_lines(self, path: str, *, query: Iterable[tuple[str, str]] = ()) -> Iterator[str]:
        """GET a streamed text answer (pods/log?follow=true) line by line as it arrives."""
        url = _url(path, query)
        log.debug(f"GET {self.server}{url} (streamed)")
        try:
            with self.transport.stream("GET", url, {"Accept": "*/*"}) as (status, chunks):
                if status >= 400:
                    raise error_from_response(status, b"".join(chunks), "GET", path)
                pending = b""
                for chunk in chunks:
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        yield line.decode("utf-8", "replace")
                if pending:
                    yield pending.decode("utf-8", "replace")
        except Unreachable as e:
            raise self._unreachable(e, "GET", path) from None

    # Transport failures that prove the request never reached the server.
    NEVER_SENT_KINDS = ("refused", "dns", "tls")

    def _unreachable(self, error: Unreachable, method: str, path: str) -> ClusterError:
        never_sent = error.kind in self.NEVER_SENT_KINDS
        if error.kind == "timeout":
            limit = f"{self.timeout:g}s" if self.timeout else "the client's limit"
            return ClusterError(
                f"{method} {path} timed out after {limit} ({self.server})",
                hint="the API server is slow or unreachable; retry or raise --request-timeout",
                timed_out=True)
        if error.kind == "proxy":
            return ClusterError(f"cannot reach the cluster at {self.server} through the proxy "
                                f"{error.detail}",
                                hint="check the proxy (HTTPS_PROXY, NO_PROXY, the kubeconfig's "
                                     "proxy-url)", never_sent=True)
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
                            query=self._write_query(dry_run, field_manager=self.field_manager))

    def replace(self, obj: dict, *, dry_run: bool = False) -> dict:
        res = resource_of(obj)
        meta = obj["metadata"]
        return self.request("PUT", res.path(self._ns(res, meta.get("namespace")), meta["name"]),
                            body=obj,
                            query=self._write_query(dry_run, field_manager=self.field_manager))

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
                            query=self._write_query(dry_run, field_validation,
                                                    self.field_manager))

    def apply(self, obj: dict, *, dry_run: bool = False, force: bool = False) -> dict:
        """Server-side apply with our field manager: re-running converges instead of failing."""
        res = resource_of(obj)
        meta = obj["metadata"]
        query = self._write_query(dry_run, field_manager=self.field_manager)
        if force:
            query.append(("force", "true"))
        return self.request("PATCH", res.path(self._ns(res, meta.get("namespace")), meta["name"]),
                            body=obj, content_type="application/apply-patch+yaml", query=query)

    def delete(self, kind: str, name: str, namespace: str | None = None, *,
               dry_run: bool = False) -> Any:
        res = RESOURCES[kind]
        query = self._write_query(dry_run) + [("propagationPolicy", "Background")]
        return self.request("DELETE", res.path(self._ns(res, namespace), name), query=query)


def _url(path: str, query: Iterable[tuple[str, str]]) -> str:
    from urllib.parse import urlencode

    query = list(query)
    return path + (f"?{urlencode(query)}" if query else "")


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


def connect(options, env=None) -> Cluster:
    """Build a Cluster from the CLI's GlobalOptions (and the run's Environment)."""
    cluster = Cluster.connect(kubeconfig=options.kubeconfig, context=options.context,
                              namespace=options.namespace, timeout=options.request_timeout,
                              overrides=options.overrides(), env=env)
    cluster.field_manager = options.field_manager or FIELD_MANAGER
    return cluster
