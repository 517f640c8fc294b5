"""pytest fixtures for the fake NVIDIA NGC API.

Load as a plugin (`pytest_plugins = ["tests.fakes.ngc_fixtures"]` in tests/conftest.py) or import
the fixtures there.

`ngc_server` is a started FakeNgcServer with the default 12 synthetic models and the valid key
`nvapi-test-key`; `ngc_sleeps` replaces the NGC client's retry sleep with a recorder, so retry
tests take no wall-clock time and can assert the delays (Retry-After, backoff).
"""

from __future__ import annotations

import pytest

from .ngc_server import DEFAULT_VALID_KEYS, FakeNgcServer

VALID_KEY = DEFAULT_VALID_KEYS[0]


# Proxy settings that would route requests for the fake on 127.0.0.1 elsewhere.
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
                   "http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture
def ngc_server(monkeypatch):
    """A started fake NGC API; `ngc_server.url` is the base URL for NgcClient/--ngc-api-url.

    Ambient proxy variables are removed: the fake must be reached directly unless a test sets
    a proxy on purpose.
    """
    for variable in PROXY_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    with FakeNgcServer() as server:
        yield server


@pytest.fixture
def ngc_sleeps(nim):
    """The delays the CLI slept between retries (it does not really sleep): the `nim` fixture's
    Environment.sleep, which the NGC client (and the cluster's) gets."""
    slept: list[float] = []
    nim.environment["sleep"] = slept.append
    return slept
