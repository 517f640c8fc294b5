"""What both fake servers share: an HTTP server on 127.0.0.1 serving from a daemon thread,
and the failure-injection rule of their `/_fake/fail` admin API."""

from __future__ import annotations

import re
import signal
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any, Callable, Optional, Union


class LoopbackServer:
    """start()/stop()/`with`/url for a subclass that builds its ThreadingHTTPServer."""

    thread_name = "fake-server"
    # A short poll interval: stop() waits for it, and tests start and stop many servers.
    poll_interval = 0.01
    _httpd: Optional[ThreadingHTTPServer] = None
    _thread: Optional[threading.Thread] = None

    def _make_httpd(self) -> ThreadingHTTPServer:
        raise NotImplementedError

    def _on_stop(self) -> None:
        """Wake whatever handlers are waiting (hangs, watches) before the server shuts down."""

    @property
    def scheme(self) -> str:
        return "http"

    def start(self):
        self._httpd = self._make_httpd()
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        args=(self.poll_interval,), name=self.thread_name,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._on_stop()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def serve_until_signalled(self) -> None:
        """Standalone mode (module-level `serve_until_signalled`)."""
        serve_until_signalled(self)

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("server not started")
        return f"{self.scheme}://127.0.0.1:{self._httpd.server_address[1]}"


def serve_until_signalled(server: Any) -> None:
    """Standalone mode of a started server (anything with `url` and `stop()`: the fakes, the
    real-server tier's proxies): print the URL as the first line of stdout, serve until SIGTERM
    or SIGINT, then stop cleanly."""
    print(server.url, flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    server.stop()


@dataclass
class FailRule:
    """An injected failure: the `nth` request matching method and path (query included) and the
    `times - 1` after it fail with `status`, after sleeping `hang_seconds`."""

    method: str
    path_regex: str
    status: int
    nth: int = 1
    times: int = 1
    hang_seconds: float = 0
    retry_after: Union[float, str, None] = None  # a str is sent as is (e.g. an HTTP date)
    seen: int = 0
    # Run before the request is answered (a concurrent writer acting between a client's read
    # and its write); the request is then answered normally unless `status` says otherwise.
    before_answer: Optional[Callable[[], None]] = None

    def hit(self, method: str, target: str) -> bool:
        """Count a matching request; True when it is in the failing window."""
        if self.method not in ("", "*") and self.method.upper() != method:
            return False
        if not re.search(self.path_regex, target):
            return False
        self.seen += 1
        return self.nth <= self.seen < self.nth + self.times
