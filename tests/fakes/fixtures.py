"""pytest fixtures for the fake Kubernetes API server.

Load as a plugin (``pytest_plugins = ["tests.fakes.fixtures"]`` in
``tests/conftest.py``) or import the fixtures there.  One server per test
keeps tests independent; starting one costs about a millisecond.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from tests.fakes.kube_apiserver import FakeKubeAPIServer


@pytest.fixture
def kube_server() -> Iterator[FakeKubeAPIServer]:
    """A started fake API server (spec.nimConfig-aware OdhDashboardConfig CRD)."""
    server = FakeKubeAPIServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kube_server_without_nimconfig() -> Iterator[FakeKubeAPIServer]:
    """Like ``kube_server`` but with today's OdhDashboardConfig CRD (no nimConfig)."""
    server = FakeKubeAPIServer(without_nimconfig=True).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kubeconfig(kube_server: FakeKubeAPIServer, tmp_path) -> str:
    """Path of a kubeconfig pointing at ``kube_server`` (namespace ``default``)."""
    return str(kube_server.write_kubeconfig(tmp_path / "kubeconfig"))
