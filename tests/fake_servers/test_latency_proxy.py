"""The latency proxy of the real-server tier (tests/realcluster/fault_proxy.py, LatencyProxy):
bytes pass through unchanged, every request costs the one-way latency once, and its arrival log
counts round trips (requests sent together count once, a request sent after an answer twice);
and its standalone mode (`python tests/realcluster/fault_proxy.py --upstream URL --latency-ms N`,
the fakes' own tests/fakes/loopback.serve_until_signalled): it prints its URL first, forwards
with the latency, and stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers.obs import round_trips
from tests.helpers.paths import TESTS
from tests.realcluster.fault_proxy import LatencyProxy

SCRIPT = TESTS / "realcluster" / "fault_proxy.py"


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _post(url: str, body: bytes, connection=None) -> tuple[bytes, float]:
    host, port = url.split("//")[1].split(":")
    conn = connection or http.client.HTTPConnection(host, int(port), timeout=10)
    started = time.monotonic()
    conn.request("POST", "/", body=body)
    answer = conn.getresponse().read()
    return answer, time.monotonic() - started


def test_bytes_pass_unchanged_and_each_request_costs_the_latency(upstream):
    with LatencyProxy(upstream, latency_ms=100) as proxy:
        assert proxy.url.startswith("http://127.0.0.1:")
        host, port = proxy.url.split("//")[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        body = bytes(range(256)) * 1000  # larger than one chunk
        first, took_first = _post(proxy.url, body, conn)
        second, took_second = _post(proxy.url, b"again", conn)  # kept-alive connection
        assert first == body and second == b"again"
        assert 0.1 <= took_first < 0.6 and 0.1 <= took_second < 0.6
        assert round_trips([{"arrived": at} for at, _ in proxy.arrivals], 0.1) == 2


def test_concurrent_requests_count_as_one_round_trip(upstream):
    with LatencyProxy(upstream, latency_ms=150) as proxy:
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda i: _post(proxy.url, b"x%d" % i)[0], range(4)))
        assert answers == [b"x0", b"x1", b"x2", b"x3"]
        assert time.monotonic() - started < 0.6
        assert proxy.connections == 4
        assert round_trips([{"arrived": at} for at, _ in proxy.arrivals], 0.15) == 1


def test_latency_changes_while_running(upstream):
    with LatencyProxy(upstream, latency_ms=0) as proxy:
        assert _post(proxy.url, b"a")[1] < 0.1
        proxy.latency = 0.2
        assert _post(proxy.url, b"b")[1] >= 0.2
        proxy.reset()
        assert proxy.arrivals == [] and proxy.connections == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_standalone_proxy_prints_its_url_forwards_and_stops_on_a_signal(upstream, signum):
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "--upstream", upstream,
                             "--latency-ms", "100"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if not url else url
        host, port = url.split("//")[1].split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        started = time.monotonic()
        conn.request("POST", "/", body=b"through")
        assert conn.getresponse().read() == b"through"
        assert time.monotonic() - started >= 0.1
        conn.close()
    finally:
        proc.send_signal(signum)
        try:
            code = proc.wait(timeout=30)
        finally:
            proc.kill()
            proc.stdout.close()
            err = proc.stderr.read()
            proc.stderr.close()
    assert code == 0, err
    assert "Traceback" not in err
