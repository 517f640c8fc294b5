"""The latency proxy's standalone mode (`python tests/realcluster/fault_proxy.py --upstream URL
--latency-ms N`), the fakes' own (tests/fakes/loopback.serve_until_signalled): it prints its URL
first, forwards with the latency, and stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import http.client
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers.paths import TESTS

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
