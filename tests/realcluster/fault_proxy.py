"""Fault injection in front of the real API server.

A plain-HTTP reverse proxy on 127.0.0.1 that forwards every request (the client's own
`Authorization` header included) to the real kube-apiserver, except those a `FailRule` catches:
the same rules, and the same `POST /_fake/fail` admin API, as the fake servers'. A failing rule
answers with a Kubernetes `Status` without forwarding (the write is not applied); a rule with
`hang_seconds` and status 0 sleeps, then forwards (the client may have given up by then, and the
server still carries the write out: the "applied after the timeout" case).

`LatencyProxy` is the other kind: a TCP pass-through (TLS stays end to end, handshakes included)
that delays every byte the client sends by a fixed one-way latency, so that each request, and
each TLS handshake flight, costs that much more, as on a network where the API server is far
away. It also logs when the client's bytes arrived, from which the benchmarks count round trips.
Standalone (prints its URL, serves until SIGTERM or SIGINT):

    python tests/realcluster/fault_proxy.py --upstream https://127.0.0.1:PORT --latency-ms 50
"""

from __future__ import annotations

import argparse
import heapq
import json
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

if __name__ == "__main__":  # run as a script
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fakes.loopback import FailRule, LoopbackServer, serve_until_signalled  # noqa: E402

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


class LatencyProxy:
    """TCP pass-through on 127.0.0.1 to `upstream` (host:port, or a URL whose scheme is kept in
    `url`), delaying the client's bytes by `latency` seconds (changeable while it runs). The
    answers are not delayed: a request costs one `latency` more, and so does each handshake
    flight the client sends (TLS 1.3: one; TLS 1.2: two). TCP's own connect is local.

    `arrivals` logs (monotonic time, connection number) of every chunk the client sent, for
    counting round trips: a chunk sent after an answer arrives at least `latency` after the
    request it answered."""

    def __init__(self, upstream: str, latency_ms: float = 0, port: int = 0):
        scheme, _, rest = upstream.rpartition("://")
        host, _, up_port = rest.split("/")[0].rpartition(":")
        self.upstream = (host, int(up_port))
        self.scheme = scheme or "https"
        self.latency = latency_ms / 1000
        self.arrivals: list[tuple[float, int]] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", port), backlog=128)
        self._closed = False

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._listener.getsockname()[1]}"

    def start(self) -> "LatencyProxy":
        threading.Thread(target=self._accept, name="latency-proxy", daemon=True).start()
        return self

    def stop(self) -> None:
        self._closed = True
        try:
            self._listener.close()
        except OSError:
            pass

    def reset(self) -> None:
        with self._lock:
            self.arrivals.clear()
            self.connections = 0

    def __enter__(self) -> "LatencyProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                number = self.connections
            _Delayed(self, client, server, number).start()
            threading.Thread(target=_pump, args=(server, client), daemon=True).start()


class _Delayed:
    """client -> server: a reader that stamps each chunk with its due time, a sender that
    forwards it then (chunks keep their order; a burst is not serialised by the delay)."""

    def __init__(self, proxy: LatencyProxy, src: socket.socket, dst: socket.socket, number: int):
        self.proxy, self.src, self.dst, self.number = proxy, src, dst, number
        self.queue: list[tuple[float, int, bytes]] = []
        self.ready = threading.Condition()
        self.count = 0

    def start(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._send, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = self.src.recv(65536)
            except OSError:
                data = b""
            now = time.monotonic()
            if data:
                with self.proxy._lock:
                    self.proxy.arrivals.append((now, self.number))
            with self.ready:
                self.count += 1
                heapq.heappush(self.queue, (now + self.proxy.latency, self.count, data))
                self.ready.notify()
            if not data:
                return

    def _send(self) -> None:
        while True:
            with self.ready:
                while not self.queue:
                    self.ready.wait()
                due, _, data = self.queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    self.ready.wait(wait)
                    continue
                heapq.heappop(self.queue)
            try:
                if not data:
                    self.dst.shutdown(socket.SHUT_WR)
                    return
                self.dst.sendall(data)
            except OSError:
                self.src.close()
                return


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for sock in (src, dst):
        try:
            sock.close()
        except OSError:
            pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="TCP pass-through adding a one-way latency "
                                                 "to every byte the client sends")
    parser.add_argument("--upstream", required=True, help="https://HOST:PORT of the API server")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    serve_until_signalled(LatencyProxy(args.upstream, args.latency_ms, args.port).start())
    return 0


if __name__ == "__main__":
    sys.exit(main())
