"""Smoke test of the built binary (PyInstaller, build.spec): the onedir build Krew installs.

Uses the binary KUBECTL_NIM_BINARY names (the release workflow sets it to what it just built);
otherwise builds one once per session with scripts/build_binary.py into a temporary directory
(tests/helpers/binary.py: about 30-45 s on a 2-core machine; without PyInstaller the test fails
rather than skipping; KUBECTL_NIM_SKIP_BINARY=1 skips it on purpose).
"""

from __future__ import annotations

import json

import pytest

from kubectl_nim import __version__
from kubectl_nim.app import local_catalog

from tests.helpers.binary import built, runner
from tests.helpers.catalog import catalog_configmap, model_entry
from tests.fakes.ngc_fixtures import VALID_KEY

pytestmark = pytest.mark.subprocess


@pytest.fixture(scope="session")
def binary(tmp_path_factory):
    return built("onedir", tmp_path_factory)


@pytest.fixture
def run(binary, tmp_path):
    return runner(binary, tmp_path)


def test_help(run):
    out = run("--help")
    assert out.stdout.startswith("Usage: kubectl-nim [OPTIONS] COMMAND [ARGS]...")
    for verb in ("models", "deploy", "validate-key", "version", "completion"):
        assert f"  {verb} " in out.stdout
    assert out.stderr == ""


def test_version(run):
    out = run("version")
    assert out.stdout.startswith(f"kubectl-nim {__version__} (python ")
    data = json.loads(run("version", "-o", "json").stdout)
    assert data["version"] == __version__


def test_models_offline_json_is_the_embedded_catalog(run):
    """The catalog inside the binary is the package's data file."""
    data = json.loads(run("models", "--offline", "-o", "json").stdout)["items"]
    assert [m["name"] for m in data] == local_catalog.load_embedded().names
    assert all(m["image"].startswith("nvcr.io/") for m in data)


def test_embedded_template_renders(run):
    out = run("deploy", "--model", "llama-3.1-8b-instruct", "--offline", "--skip-secrets",
              "--dry-run=client", "-o", "yaml", "-n", "team")
    kinds = [ln.split(": ", 1)[1] for ln in out.stdout.splitlines() if ln.startswith("kind: ")]
    assert kinds == ["PersistentVolumeClaim", "ServingRuntime", "InferenceService"]


def test_usage_errors_exit_2(run):
    out = run("models", "--no-such-flag", expect=2)
    assert out.stderr == ("error: no such option '--no-such-flag'; "
                          "see 'kubectl-nim models --help'\n")
    assert run("deploy", expect=2).stderr == ("error: missing option '--model'; "
                                              "see 'kubectl-nim deploy --help'\n")
    assert run("no-such-verb", expect=2).stderr


def test_failures_are_one_line(run, tmp_path):
    out = run("models", "--catalog", tmp_path / "missing.yaml", expect=1)
    assert out.stderr.startswith("error: cannot read catalog file")
    assert out.stdout == ""


def test_cluster_verb_against_the_fake_api_server(run, kube_server, tmp_path):
    """The kubernetes client and its TLS/HTTP stack made it into the bundle."""
    kube_server.put_object({"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
                            "metadata": {"name": "odh-dashboard-config",
                                         "namespace": "redhat-ods-applications"}, "spec": {}})
    kube_server.put_object(catalog_configmap([model_entry("from-the-cluster")],
                                             namespace="redhat-ods-applications"))
    kubeconfig = kube_server.write_kubeconfig(tmp_path / "kubeconfig")
    out = run("models", "-o", "name", "--kubeconfig", kubeconfig)
    assert out.stdout == "model/from-the-cluster\n"


def test_validate_key_against_the_fake_ngc(run, ngc_server):
    """httpx and the certificate bundle made it into the bundle."""
    out = run("validate-key", "--ngc-api-url", ngc_server.url,
              extra_env={"NGC_API_KEY": VALID_KEY})
    assert out.stdout.startswith("The API key is valid.")


def test_completion(run):
    assert "_KUBECTL_NIM_COMPLETE=bash_complete" in run("completion", "bash").stdout
    out = run("deploy", "--model", "gemma-2-9", extra_env={"_KUBECTL_NIM_COMPLETE": "cobra_complete"})
    assert out.stdout == "gemma-2-9b-it\tGemma-2-9B-IT\n:4\n"


# --- what the binary must carry for connections -----------------------------------------

from tests.helpers.kubeconfigs import config, dead_port, socks_proxy, write  # noqa: E402,F401


def test_binary_speaks_socks5_to_a_proxy_url(run, kube_server, socks_proxy, tmp_path):  # noqa: F811
    host, port = socks_proxy.server_address
    path = write(tmp_path / "kc",
                 config(clusters=[("c", {"server": kube_server.url,
                                         "proxy-url": f"socks5://{host}:{port}"})],
                        users=[("u", {"token": "t"})],
                        contexts=[("x", {"cluster": "c", "user": "u", "namespace": "team"})],
                        current="x"))
    run("list", "--kubeconfig", path)
    assert socks_proxy.tunnels, "socksio is missing from the binary"


def test_binary_trusts_the_system_store(run, tmp_path):
    path = write(tmp_path / "kc",
                 config(clusters=[("c", {"server": f"https://127.0.0.1:{dead_port()}"})],
                        users=[("u", {"token": "t"})],
                        contexts=[("x", {"cluster": "c", "user": "u"})], current="x"))
    out = run("list", "--kubeconfig", path, "-v", expect=1)
    assert "TLS trust: the system trust store (truststore)" in out.stderr
