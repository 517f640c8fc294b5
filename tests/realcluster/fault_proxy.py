"""Fault injection in front of the real API server.

A plain-HTTP reverse proxy on 127.0.0.1 that forwards every request (the client's own
`Authorization` header included) to the real kube-apiserver, except those a `FailRule` catches:
the same rules, and the same `POST /_fake/fail` admin API, as the fake servers'. A failing rule
answers with a Kubernetes `Status` without forwarding (the write is not applied); a rule with
`hang_seconds` and status 0 sleeps, then forwards (the client may have given up by then, and the
server still carries the write out: the "applied after the timeout" case).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

from tests.fakes.loopback import FailRule, LoopbackServer

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "host", "content-length",
               "accept-encoding"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: "_Server"

    def log_message(self, *args):  # quiet
        pass

    def _serve(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.path.startswith("/_fake/fail") and self.command == "POST":
            spec = json.loads(body or b"{}")
            proxy.fail(spec.get("method"), spec["path"], spec.get("status", 0),
                       spec.get("nth", 1), spec.get("times", 1), spec.get("hang_seconds", 0))
            return self._answer(200, b"{}", "application/json")
        target = self.path
        if self.command == "POST" and body:  # as the fake: `#NAME` tells concurrent creates apart
            try:
                target += "#" + str(json.loads(body).get("metadata", {}).get("name", ""))
            except (ValueError, AttributeError):
                pass
        with proxy.lock:
            proxy.requests.append({"method": self.command, "path": self.path.split("?")[0],
                                   "query": self.path.partition("?")[2]})
            rule = next((r for r in proxy.rules if r.hit(self.command, target)), None)
        if rule and rule.hang_seconds:
            time.sleep(rule.hang_seconds)
        if rule and rule.status >= 400:
            status = {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                      "message": f"injected failure ({rule.status})", "code": rule.status,
                      "reason": "InternalError" if rule.status >= 500 else "Injected"}
            return self._answer(rule.status, json.dumps(status).encode(), "application/json")
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        request = urllib.request.Request(proxy.upstream + self.path, data=body,
                                         method=self.command, headers=headers)
        try:
            with urllib.request.urlopen(request, context=proxy.context, timeout=60) as resp:
                return self._answer(resp.status, resp.read(), resp.headers.get("Content-Type"),
                                    resp.headers.get_all("Warning") or [])
        except urllib.error.HTTPError as e:
            return self._answer(e.code, e.read(), e.headers.get("Content-Type"))

    def _answer(self, status: int, data: bytes, content_type: Optional[str],
                warnings: list = ()) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type or "application/json")
            for warning in warnings:
                self.send_header("Warning", warning)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timed out) while we hung: the point of the exercise

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64
    proxy: "FaultProxy"


class FaultProxy(LoopbackServer):
    thread_name = "real-fault-proxy"

    def __init__(self, upstream: str, ca_data: bytes):
        self.upstream = upstream
        self.context = ssl.create_default_context(cadata=ca_data.decode())
        self.rules: list[FailRule] = []
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    def _make_httpd(self) -> ThreadingHTTPServer:
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.proxy = self
        return httpd

    def fail(self, method: Optional[str], path_regex: str, status: int = 0, nth: int = 1,
             times: int = 1, hang_seconds: float = 0) -> None:
        with self.lock:
            self.rules.append(FailRule(method or "*", path_regex, int(status), int(nth),
                                       int(times), float(hang_seconds)))

    def reset(self) -> None:
        with self.lock:
            self.rules.clear()
            self.requests.clear()
