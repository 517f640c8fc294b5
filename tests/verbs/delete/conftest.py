"""What every `delete` test file takes: no real backoff, and the verb run in-process."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_backoff(no_backoff):
    pass


@pytest.fixture
def delete(nim, kubeconfig):
    """`delete(*args, input=..., **environment)`: `kubectl-nim delete --kubeconfig KC *args`."""
    def run(*args, input=None, **environment):
        return nim("delete", "--kubeconfig", kubeconfig, *args, input=input, **environment)
    return run
