"""Shared fixtures: a CliRunner that keeps stdout and stderr apart, catalog files, and the
fake servers (tests/fakes) that speak the real Kubernetes and NVIDIA wire formats."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kubectl_nim import log
from kubectl_nim.cli import cli
from kubectl_nim.environment import Environment
from tests.helpers.catalog import catalog_configmap
from tests.helpers.paths import SHARED_DATA

pytest_plugins = ["tests.fakes.fixtures", "tests.fakes.ngc_fixtures", "tests.fakes.nim_fixtures"]



@pytest.fixture(autouse=True)
def _isolated_process_state(monkeypatch, tmp_path):
    """No test sees the developer's kubeconfig, NVIDIA key or proxy, or another test's secrets."""
    for var in ("KUBECONFIG", "NGC_API_KEY", "NGC_API_URL", "HTTPS_PROXY", "HTTP_PROXY",
                "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy",
                "SSL_CERT_FILE", "SSL_CERT_DIR", "KUBERNETES_SERVICE_HOST", "KUBECTL_PATH",
                "KUBECTL_BINARY", "KUBECTL_PLUGINS_CALLER", "XDG_CACHE_HOME", "KUBECTL_NIM_CACHE_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    log.forget_secrets()
    log.set_verbosity(0)
    yield
    log.forget_secrets()
    log.set_verbosity(0)


class Invoker:
    def __init__(self):
        self.runner = CliRunner()
        # Environment fields for every run of this test (a clock, a recorded sleep, a terminal);
        # the root command fills the rest from the CliRunner's streams and variables.
        self.environment: dict = {}

    def __call__(self, *args, input=None, env=None, **environment):
        """`env`: process variables (CliRunner); `environment`: Environment fields for this run
        (`stdin_isatty=True`...), over `self.environment`."""
        given = Environment(**{**self.environment, **environment})
        result = self.runner.invoke(cli, [str(a) for a in args], input=input, env=env,
                                    prog_name="kubectl-nim", catch_exceptions=False,
                                    environment=given)
        return result


@pytest.fixture
def nim():
    """Run the CLI in-process: `nim("models", "--offline").stdout`."""
    return Invoker()


@pytest.fixture
def no_backoff(nim):
    """The CLI's waits between retries return at once (its Environment's sleep)."""
    nim.environment["sleep"] = lambda seconds: None


@pytest.fixture
def catalog_file(tmp_path):
    """Write a catalog ConfigMap (YAML by default) and return its path."""
    def write(entries, raw=None, fmt="yaml", name="catalog"):
        import yaml

        cm = catalog_configmap(entries, raw=raw)
        path = tmp_path / f"{name}.{fmt}"
        path.write_text(json.dumps(cm) if fmt == "json" else yaml.safe_dump(cm))
        return str(path)
    return write


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA
