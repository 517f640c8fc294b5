"""What the fake API server serves beyond stored objects: container logs and the service proxy.

A kube-apiserver answers `pods/log` and `services/proxy` by talking to the kubelet and to the
service's endpoints; the fake has neither, so tests tell it what they would answer:

* `POST /_fake/logs {"namespace", "pod", "container", "lines": [...], "previous": false,
  "eof": false}` sets a container's log. A line is a string or `{"text", "ageSeconds"}` (how long
  ago it was written, for `sinceSeconds`). `eof: true` ends `follow` streams of that container,
  as a terminated container does; deleting the pod or stopping the server ends them too.
* `POST /_fake/backends {"namespace", "service", "url"}` makes `services/{service}[:port]/proxy/...`
  (and `https:{service}:{port}`) in that namespace forward to `url`; an unreachable backend is
  answered 502 with a Status, as the proxy's "error trying to reach service".

`pods/log` honours `container` (required when the pod has several, as the real one), `tailLines`,
`sinceSeconds`, `previous`, `timestamps` and `follow` (chunked, new lines as they are set), and
answers 400 for a container still waiting to start. Both subresources go through the server's
RBAC (`deny("get", "pods/log")`, `deny("get", "services/proxy")`), latency and failure rules, and
request log.
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

ADMIN_PATHS = ("logs", "backends")
PROXY_METHOD_VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update",
                      "PATCH": "patch", "DELETE": "delete"}
FOLLOW_LIMIT = 300.0  # seconds: a follow stream nobody ends stops by itself
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authorization", "proxy-authenticate", "host", "content-length",
               "authorization", "server", "date"}


@dataclass
class _Log:
    lines: List[Tuple[float, str]] = field(default_factory=list)  # (written at, text)
    eof: bool = False
    version: int = 0


class PodsAndServices:
    """State and handlers of `pods/log` and `services/proxy` for one FakeKubeAPIServer."""

    def __init__(self, server: Any):
        self.server = server
        self._logs: Dict[Tuple[str, str, str, bool], _Log] = {}
        self._backends: Dict[Tuple[str, str], str] = {}
        self._changed = threading.Condition(threading.Lock())

    # ------------------------------------------------------------------ admin
    def admin(self, what: str, body: dict) -> None:
        if what == "logs":
            self.set_log(body["namespace"], body["pod"], body["container"], body["lines"],
                         previous=bool(body.get("previous")), eof=bool(body.get("eof")))
        else:
            self.set_backend(body["namespace"], body["service"], body["url"])

    def set_log(self, namespace: str, pod: str, container: str, lines: List[Any],
                previous: bool = False, eof: bool = False) -> None:
        now = time.time()
        stamped = []
        for line in lines:
            if isinstance(line, dict):
                stamped.append((now - float(line.get("ageSeconds") or 0), str(line["text"])))
            else:
                stamped.append((now, str(line)))
        with self._changed:
            old = self._logs.get((namespace, pod, container, previous))
            self._logs[(namespace, pod, container, previous)] = _Log(
                stamped, eof, (old.version + 1) if old else 1)
            self._changed.notify_all()

    def set_backend(self, namespace: str, service: str, url: str) -> None:
        with self._changed:
            self._backends[(namespace, service)] = url.rstrip("/")

    def wake(self) -> None:
        """Server stopping or an object deleted: let follow streams look again."""
        with self._changed:
            self._changed.notify_all()

    # ------------------------------------------------------------------ routing
    def serve(self, req: Any, segs: List[str]) -> Optional[Any]:
        """A Response for `pods/{name}/log` or `services/{name}/proxy/...`, else None."""
        if segs[:3] != ["api", "v1", "namespaces"] or len(segs) < 7:
            return None
        namespace, plural, name, sub = segs[3], segs[4], segs[5], segs[6]
        if plural == "pods" and sub == "log" and len(segs) == 7:
            return self._log(req, namespace, name)
        if plural == "services" and sub == "proxy":
            return self._proxy(req, namespace, name, "/" + "/".join(segs[7:]))
        return None

    def _authorize(self, verb: str, plural: str, namespace: str, name: str, sub: str) -> None:
        from_module = _fake_module(self.server)
        rt = from_module.find_resource("", "v1", plural)
        self.server._authorize(verb, from_module.Route(rt, namespace, name, sub))

    # ------------------------------------------------------------------ pods/log
    def _log(self, req: Any, namespace: str, pod_name: str) -> Any:
        fake = _fake_module(self.server)
        if req.method not in ("GET", "HEAD"):
            raise fake.ApiError(405, "the server does not allow this method on the requested "
                                     "resource")
        self._authorize("get", "pods", namespace, pod_name, "log")
        params = req.params
        pod = self.server.get_object("v1", "pods", namespace, pod_name)
        if pod is None:
            raise fake.not_found(fake.find_resource("", "v1", "pods"), pod_name)
        container = self._container(pod, params.get("container", ""))
        previous = params.get("previous") in ("true", "1")
        waiting = _waiting_reason(pod, container)
        if waiting and not previous:
            raise fake.bad_request(f'container "{container}" in pod "{pod_name}" is waiting '
                                   f'to start: {waiting}')
        key = (namespace, pod_name, container, previous)
        if previous and key not in self._logs:
            raise fake.bad_request(f'previous terminated container "{container}" in pod '
                                   f'"{pod_name}" not found')
        try:
            tail = int(params["tailLines"]) if "tailLines" in params else None
            since = float(params["sinceSeconds"]) if "sinceSeconds" in params else None
        except ValueError as exc:
            raise fake.bad_request(f"invalid query: {exc}") from None
        if (tail is not None and tail < 0) or (since is not None and since <= 0):
            raise fake.bad_request("tailLines must be >= 0 and sinceSeconds > 0")
        stamps = params.get("timestamps") in ("true", "1")
        follow = params.get("follow") in ("true", "1")
        headers = {"Content-Type": "text/plain"}
        return fake.Response(200, None, headers,
                             stream=self._lines(key, tail, since, stamps, follow, pod_name))

    def _container(self, pod: dict, asked: str) -> str:
        fake = _fake_module(self.server)
        names = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
        pod_name = pod["metadata"]["name"]
        if asked:
            if asked not in names:
                raise fake.bad_request(f"container {asked} is not valid for pod {pod_name}")
            return asked
        if len(names) == 1:
            return names[0]
        raise fake.bad_request(f"a container name must be specified for pod {pod_name}, "
                               f"choose one of: [{' '.join(names)}]")

    def _lines(self, key, tail, since, stamps, follow, pod_name) -> Iterator[bytes]:
        with self._changed:
            log = self._logs.get(key) or _Log()
            lines = list(log.lines)
            version = log.version
        if since is not None:
            cutoff = time.time() - since
            lines = [ln for ln in lines if ln[0] >= cutoff]
        sent = len(log.lines)
        if tail is not None:
            lines = lines[-tail:] if tail else []
        for line in lines:
            yield _format(line, stamps)
        if not follow:
            return
        deadline = time.monotonic() + FOLLOW_LIMIT
        while True:
            with self._changed:
                while True:
                    log = self._logs.get(key) or _Log()
                    gone = self.server.get_object("v1", "pods", key[0], pod_name) is None
                    if log.version != version or log.eof or gone or self._stopping() \
                            or time.monotonic() >= deadline:
                        break
                    self._changed.wait(0.1)
                fresh = list(log.lines[sent:]) if log.version != version else []
                version, sent = log.version, len(log.lines)
                done = log.eof or gone or self._stopping() or time.monotonic() >= deadline
            for line in fresh:
                yield _format(line, stamps)
            if done:
                return

    def _stopping(self) -> bool:
        return bool(getattr(self.server, "_stopping", False))

    # ------------------------------------------------------------------ services/proxy
    def _proxy(self, req: Any, namespace: str, target: str, rest: str) -> Any:
        fake = _fake_module(self.server)
        parts = target.split(":")
        if parts[0] in ("http", "https") and len(parts) > 1:
            parts = parts[1:]
        service = parts[0]
        verb = PROXY_METHOD_VERBS.get(req.method)
        if verb is None:
            raise fake.ApiError(405, "the server does not allow this method on the requested "
                                     "resource")
        self._authorize(verb, "services", namespace, service, "proxy")
        with self._changed:
            backend = self._backends.get((namespace, service))
        if backend is None:
            svc_rt = fake.find_resource("", "v1", "services")
            if self.server.get_object("v1", "services", namespace, service) is None:
                raise fake.not_found(svc_rt, service)
            raise fake.ApiError(503, f'no endpoints available for service "{service}"')
        return self._forward(req, backend, rest)

    def _forward(self, req: Any, backend: str, rest: str) -> Any:
        fake = _fake_module(self.server)
        url = urlsplit(backend)
        path = (url.path or "") + rest + (("?" + req.query) if req.query else "")
        headers = {k: v for k, v in req.headers.items() if k.lower() not in HOP_HEADERS}
        conn_class = http.client.HTTPSConnection if url.scheme == "https" \
            else http.client.HTTPConnection
        conn = conn_class(url.hostname, url.port, timeout=30)
        try:
            conn.request(req.method, path, body=req.body or None, headers=headers)
            answer = conn.getresponse()
            body = answer.read()
            out_headers = {k: v for k, v in answer.getheaders()
                           if k.lower() not in HOP_HEADERS}
        except (OSError, http.client.HTTPException) as exc:
            raise fake.ApiError(502, f"error trying to reach service: dial tcp "
                                     f"{url.hostname}:{url.port}: {_why(exc)}",
                                reason="ServiceUnavailable") from None
        finally:
            conn.close()
        return fake.Response(answer.status, None, out_headers, stream=iter([body]))


def _format(line: Tuple[float, str], stamps: bool) -> bytes:
    text = line[1]
    if stamps:
        when = datetime.fromtimestamp(line[0], timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        text = f"{when} {text}"
    return (text + "\n").encode()


def _waiting_reason(pod: dict, container: str) -> str:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if status.get("name") == container:
            waiting = (status.get("state") or {}).get("waiting")
            if waiting and not status.get("lastState", {}).get("terminated"):
                return waiting.get("reason") or "ContainerCreating"
    return ""


def _why(exc: Exception) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connect: connection refused"
    return str(exc) or type(exc).__name__


def _fake_module(server: Any):
    """The module of the running server (tests.fakes.kube_apiserver, or __main__ when run as a
    script): its ApiError is the one the server turns into a Status answer."""
    return sys.modules[type(server).__module__]
