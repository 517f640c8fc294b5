"""The Kubernetes adapter: JSON requests for the handful of resources kubectl-nim touches.

Two transports behind one request path. Kubeconfigs with a token or client certificate (what
`oc login` writes, and in-cluster service accounts) go through httpx without importing the
`kubernetes` package; exec plugins, auth providers and basic auth go through that package's
ApiClient, which knows them all. Measured reasons (BENCHMARKS.md, "kubernetes client options"):
importing `kubernetes` 37 costs 200-300 ms, more than a whole `kubectl get`; its typed API
classes cost ~0.5 s more on first use, and the dynamic client a discovery round trip per group.

This module is the request path (retries, timeouts, what an unanswered request means) and the
verbs; the transports, the resource table and the API server's error answers have their own
modules next to it.
"""

from __future__ import annotations

import builtins
import os
import time
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from kubectl_nim import interrupts, log
from kubectl_nim.adapters import retry
from kubectl_nim.adapters.kube.api_errors import ApiError, error_from_response
from kubectl_nim.adapters.kube.resources import RESOURCES, Resource, resource_of, url_of
from kubectl_nim.adapters.kube.transport import Unreachable
from kubectl_nim.errors import ClusterError

if TYPE_CHECKING:
    from kubectl_nim.environment import Environment

DEFAULT_TIMEOUT = 30.0
FIELD_MANAGER = "kubectl-nim"


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
        # Every write carries this one manager (docs/design.md#what-deploy-creates): server-side
        # apply then treats the
        # plugin's creates, updates and patches as its own fields, never as another owner's.
        self.field_manager = field_manager

    # -- construction --------------------------------------------------------------------

    @classmethod
    def connect(cls, kubeconfig: str | None = None, context: str | None = None,
                namespace: str | None = None, timeout: float | None = None,
                fast_only: bool = False, overrides=None, *, env: Environment) -> "Cluster":
        """Kubeconfig (--kubeconfig, else every file of $KUBECONFIG, else ~/.kube/config) with
        its context's namespace; in-cluster config when there is no kubeconfig (CI in a pod).

        `fast_only` raises kubeconfig.NeedsKubernetesLoader instead of importing `kubernetes`,
        for verbs that merely peek at the cluster (validate-key's disconnected notice).
        `env`, the run's Environment: variables, sleep, slow-notice threshold (a test's own, or
        `Environment.default()` for this process's)."""
        from kubectl_nim.adapters.kube import kubeconfig as kc

        timeout = DEFAULT_TIMEOUT if timeout is None else (timeout or None)
        try:
            endpoint = kc.find_endpoint(kubeconfig, context, env.variables, overrides,
                                        sa_dir=env.service_account_dir)
        except kc.NeedsKubernetesLoader as needs:
            if fast_only:
                raise
            from kubectl_nim.adapters.kube.kubernetes_transport import KubernetesTransport

            paths = os.pathsep.join(kc.config_paths(kubeconfig, env.variables))
            transport = KubernetesTransport(paths, context, timeout, overrides,
                                            needs.impersonate)
            log.debug(f"cluster {transport.server} context {transport.context} "
                      f"(credentials through the kubernetes package)")
            return cls(transport, namespace or transport.namespace or "default",
                       transport.server, timeout, transport.context, sleep=env.sleep)
        from kubectl_nim.adapters.kube.httpx_transport import HttpxTransport

        log.debug(f"cluster {endpoint.server} context {endpoint.context}")
        return cls(HttpxTransport(endpoint, timeout, env.slow_notice_after, env.variables),
                   namespace or endpoint.namespace or "default", endpoint.server, timeout,
                   endpoint.context, sleep=env.sleep)

    # -- the one request path --------------------------------------------------------------

    def request(self, method: str, path: str, *, query: Iterable[tuple[str, str]] = (),
                body: Any = None, content_type: str | None = None,
                accept: str | None = None) -> Any:
        status, data, retry_after = self._exchange(method, path, query, body, content_type,
                                                   accept)
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
                  content_type: str | None,
                  accept: str | None = None) -> tuple[int, bytes, str | None]:
        """The one request path: (status, body, Retry-After) of the last attempt."""
        url = url_of(path, query)
        headers = {"Accept": accept or "application/json"}
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
                if last or e.kind not in ("dropped", "other"):
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
        HTML, an array) is reported as such, naming the server."""
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

    def stream_lines(self, path: str, *, query: Iterable[tuple[str, str]] = (),
                     accept: str = "*/*") -> Iterator[str]:
        """GET a streamed text answer (pods/log?follow=true, a watch) line by line as it
        arrives."""
        url = url_of(path, query)
        log.debug(f"GET {self.server}{url} (streamed)")
        try:
            with self.transport.stream("GET", url, {"Accept": accept}) as (status, chunks):
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
        if error.kind == "refused":
            # Connection refused: nothing listens there, which is also what a restart looks like.
            hint = ("nothing answers there: the API server is down or restarting (try again in a "
                    "moment), or the kubeconfig points elsewhere (`oc login`, --kubeconfig, "
                    "--context)")
        elif error.kind == "dropped":
            hint = ("the API server closed the connection without an answer: it may be restarting "
                    "(try again in a moment), or a proxy or load balancer in between dropped it")
        else:
            hint = "check your network, `oc login`, --kubeconfig and --context"
        return ClusterError(f"cannot reach the cluster at {self.server}: {error.detail}",
                            hint=hint, never_sent=never_sent)

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

    # Each object's metadata only (no Secret values on the wire), as Kubernetes' controllers
    # ask; a server that ignores it sends whole objects, of which only the names are kept.
    METADATA_ONLY = ("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
                     "application/json")

    def list_names(self, kind: str, namespace: str | None = None) -> set[str]:
        """The names of the `kind` objects in the namespace: one collection read of their
        metadata instead of one read per name."""
        res = RESOURCES[kind]
        ns = self._ns(res, namespace)
        doc = self.request("GET", res.path(ns), accept=self.METADATA_ONLY) or {}
        items = doc.get("items") or []
        if not isinstance(items, list):
            raise ClusterError(f"GET {res.path(ns)}: the server at {self.server} answered with "
                               f"a list whose items are not objects")
        metas = [i.get("metadata") for i in items if isinstance(i, dict)]
        names = {m.get("name") for m in metas if isinstance(m, dict)}
        return {n for n in names if isinstance(n, str)}

    def watch(self, kind: str, namespace: str | None = None, **kw: Any) -> Iterator[dict]:
        """A watch's events (adapters/kube/watch.events)."""
        from kubectl_nim.adapters.kube import watch

        return watch.events(self, kind, namespace, **kw)

    @staticmethod
    def _write_query(dry_run: bool, field_validation: str | None = None,
                     field_manager: str | None = None) -> builtins.list[tuple[str, str]]:
        # builtins.list: in the class body, `list` is Cluster.list (the verb).
        query: builtins.list[tuple[str, str]] = []
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


MAX_IN_FLIGHT = 16  # requests of one batch in flight at once, whatever the caller asks


def concurrently(fn: Callable, items: Sequence, max_workers: int | None = None) -> list:
    """fn over items in parallel, one thread each (at most `max_workers`, never more than
    MAX_IN_FLIGHT): several requests cost one round trip of wall time, and a batch of hundreds
    is no request storm. Each result is the value or the ClusterError it raised, in order."""
    def guarded(item):
        try:
            return fn(item)
        except ClusterError as e:
            return e
    if len(items) <= 1:
        return [guarded(i) for i in items]
    from concurrent.futures import ThreadPoolExecutor

    cap = min(len(items), max_workers or MAX_IN_FLIGHT, MAX_IN_FLIGHT)
    with ThreadPoolExecutor(max_workers=cap) as pool:
        return list(pool.map(guarded, items))

def connect(options, env: Environment, *, timeout: float | None = None,
            fast_only: bool = False) -> Cluster:
    """THE way from the global options (app/connection.GlobalOptions) to a Cluster, field manager
    included, for every verb, completion and peek. `timeout` replaces --request-timeout (a TAB,
    a peek must not keep anyone waiting); `fast_only` as in Cluster.connect."""
    cluster = Cluster.connect(kubeconfig=options.kubeconfig, context=options.context,
                              namespace=options.namespace,
                              timeout=options.request_timeout if timeout is None else timeout,
                              fast_only=fast_only, overrides=options.overrides(), env=env)
    cluster.field_manager = options.field_manager or FIELD_MANAGER
    return cluster
