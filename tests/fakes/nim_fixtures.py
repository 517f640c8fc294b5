"""pytest fixture for the fake NIM (tests/fakes/nim_server.py).

`nim_backend(kind="llm", model=..., fail_status=0, latency_ms=0)` starts one and returns it;
every server started so stops at the end of the test.
"""

from __future__ import annotations

import pytest

from .nim_server import FakeNimServer


@pytest.fixture
def nim_backend():
    started = []

    def start(kind: str = "llm", model: str = "meta/llama-3.1-8b-instruct",
              fail_status: int = 0, latency_ms: float = 0) -> FakeNimServer:
        server = FakeNimServer(model=model, kind=kind, fail_status=fail_status,
                               latency_ms=latency_ms).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
