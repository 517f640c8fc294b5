"""`validate-key` end to end: CliRunner (and one subprocess) against the fake NGC API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from tests.fakes.ngc_fixtures import VALID_KEY
from kubectl_nim import log

BAD_KEY = "nvapi-revoked-0123456789abcdef"
LEGACY_KEY = "bGVnYWN5LWtleS0wMTIzNDU2Nzg5YWJjZGVm"

VALID_TEXT = ("The API key is valid.\n"
              "Type:     PERSONAL_KEY\n"
              "Org:      fake-org\n"
              "Products: ai-foundations, nv-cloud-functions, private-registry, artifact-catalog\n")
NETWORK_HINT = ("; check the network path to NVIDIA (HTTPS_PROXY, NO_PROXY and SSL_CERT_FILE are "
                "honoured) and retry; --ngc-api-url overrides the endpoint\n")
KEY_HINT_401 = ("; check that it is a current personal key (nvapi-...), neither revoked nor "
                "expired; create one at https://org.ngc.nvidia.com/setup/personal-keys\n")


@pytest.fixture
def validate(nim, ngc_server, ngc_sleeps):
    """Run `validate-key` against the fake; the key comes from $NGC_API_KEY unless env says."""
    def run(*args, key=VALID_KEY, env=None, input=None):
        environment = {"NGC_API_KEY": key, **(env or {})}
        return nim("validate-key", "--ngc-api-url", ngc_server.url, *args, env=environment,
                   input=input)
    return run


def host(server) -> str:
    return server.url.split("//", 1)[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- success ------------------------------------------------------------------------------

def test_valid_key_text(validate, ngc_server):
    result = validate()
    assert (result.exit_code, result.stdout, result.stderr) == (0, VALID_TEXT, "")
    assert [r["path"] for r in ngc_server.requests] == ["/v3/keys/get-caller-info"]


def test_valid_key_json(validate):
    result = validate("-o", "json")
    assert result.exit_code == 0
    assert result.stdout == json.dumps({
        "valid": True, "type": "PERSONAL_KEY", "org": "fake-org",
        "products": ["ai-foundations", "nv-cloud-functions", "private-registry",
                     "artifact-catalog"], "reason": None}, indent=2) + "\n"


def test_key_from_file(validate, tmp_path):
    path = tmp_path / "key"
    path.write_text(f"\n  {VALID_KEY}  \n")
    result = validate("--api-key-file", str(path), key=None)
    assert (result.exit_code, result.stdout) == (0, VALID_TEXT)


def test_key_from_stdin(validate):
    result = validate("--api-key-file", "-", key=None, input=f"{VALID_KEY}\n")
    assert (result.exit_code, result.stdout) == (0, VALID_TEXT)


def test_url_from_environment(nim, ngc_server):
    result = nim("validate-key", env={"NGC_API_KEY": VALID_KEY, "NGC_API_URL": ngc_server.url})
    assert result.exit_code == 0 and len(ngc_server.requests) == 1


def test_global_options_before_the_verb(nim, ngc_server):
    result = nim("-v", "validate-key", "--ngc-api-url", ngc_server.url,
                 env={"NGC_API_KEY": VALID_KEY})
    assert result.exit_code == 0
    assert f"debug: POST {ngc_server.url}/v3/keys/get-caller-info -> 200 (" in result.stderr


def test_http_proxy_is_honoured(validate, ngc_server):
    result = validate("--ngc-api-url", "http://ngc.invalid",
                      env={"HTTP_PROXY": ngc_server.url, "NO_PROXY": None, "no_proxy": None})
    assert (result.exit_code, result.stdout) == (0, VALID_TEXT)
    assert [(r["proxied"], r["host"]) for r in ngc_server.requests] == [(True, "ngc.invalid")]


# --- key input refused (exit 2) -----------------------------------------------------------

REFUSED_ON_COMMAND_LINE = (
    "error: refusing an API key given on the command line: it would leak to `ps` and shell "
    "history; use --api-key-file PATH (or - for stdin), the NGC_API_KEY environment variable, "
    "or the interactive prompt\n")


@pytest.mark.parametrize("args", [[VALID_KEY], ["--api-key", VALID_KEY],
                                  [f"--api-key={VALID_KEY}"], [VALID_KEY, "second-word"]])
def test_key_on_the_command_line_is_refused(validate, ngc_server, args):
    result = validate(*args, key=None)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", REFUSED_ON_COMMAND_LINE)
    assert log.redact(VALID_KEY) == log.REDACTED
    assert ngc_server.requests == []


def test_usage_line_does_not_advertise_a_key_argument(nim):
    assert "Usage: kubectl-nim validate-key [OPTIONS]\n" in nim("validate-key", "--help").stdout


def test_no_key_at_all(validate):
    result = validate(key=None)
    assert result.exit_code == 2
    assert result.stderr == ("error: no NVIDIA API key given; use --api-key-file PATH (- for "
                             "stdin), set the NGC_API_KEY environment variable, or run in a "
                             "terminal to be prompted\n")


def test_unreadable_key_file(validate, tmp_path):
    result = validate("--api-key-file", str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert result.stderr == (f"error: cannot read the API key file {tmp_path / 'missing'}: "
                             f"No such file or directory\n")


def test_empty_key(validate):
    result = validate(key="   ")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the NVIDIA API key from $NGC_API_KEY is empty; ")


# --- key rejected (exit 1) ----------------------------------------------------------------

def test_legacy_key_is_refused_before_any_request(validate, ngc_server):
    result = validate(key=LEGACY_KEY)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: this is a legacy NVIDIA API key; only personal keys (starting with nvapi-) are "
        "supported; create a personal key with the NGC Catalog service at "
        "https://org.ngc.nvidia.com/setup/personal-keys\n")
    assert ngc_server.requests == []


def test_401(validate):
    result = validate(key=BAD_KEY)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "error: NVIDIA rejected the API key (HTTP 401)" + KEY_HINT_401


def test_403(validate, ngc_server, ngc_sleeps):
    ngc_server.fail("POST", "/v3/keys", 403)
    result = validate("-o", "json")
    # a script reading -o json gets the verdict, not an empty stdout (the exit code stays 1)
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"valid": False, "type": None, "org": None,
                                         "products": [],
                                         "reason": "NVIDIA rejected the API key (HTTP 403)"}
    assert result.stderr.startswith("error: NVIDIA rejected the API key (HTTP 403); ")
    assert ngc_sleeps == [] and len(ngc_server.requests) == 1


# --- NVIDIA unreachable (exit 3) ----------------------------------------------------------

def test_429_then_200_honours_retry_after(validate, ngc_server, ngc_sleeps):
    ngc_server.fail("POST", "/v3/keys", 429, retry_after=3)
    result = validate()
    assert (result.exit_code, result.stdout) == (0, VALID_TEXT)
    assert ngc_sleeps == [3.0]


def test_5xx_exhausted(validate, ngc_server, ngc_sleeps):
    ngc_server.fail("POST", "/v3/keys", 503, times=100)
    result = validate()
    assert (result.exit_code, result.stdout) == (3, "")
    # Each retry is announced on stderr (no minute of silence), then the one error line.
    assert result.stderr == "".join(
        f"NVIDIA ({host(ngc_server)}): HTTP 503; retrying ({n}/5)...\n" for n in range(2, 6)) + (
        f"error: NVIDIA could not be reached at {host(ngc_server)}: "
        f"HTTP 503 after 5 attempts" + NETWORK_HINT)
    assert len(ngc_sleeps) == 4


def test_hang_past_a_short_timeout(validate, ngc_server):
    ngc_server.fail("POST", "/v3/keys", hang_seconds=5, times=100)
    result = validate("--request-timeout", "0.1s")
    assert result.exit_code == 3
    assert result.stderr.splitlines()[0] == \
        f"NVIDIA ({host(ngc_server)}): timed out after 0.1s; retrying (2/5)..."
    assert result.stderr.splitlines()[-1] + "\n" == (
        f"error: NVIDIA could not be reached at {host(ngc_server)}: "
        f"timed out after 0.1s (5 attempts)" + NETWORK_HINT)


def test_connection_refused(validate):
    port = closed_port()
    result = validate("--ngc-api-url", f"http://127.0.0.1:{port}")
    assert result.exit_code == 3
    assert result.stderr.count("retrying") == 4
    assert result.stderr.splitlines()[-1] + "\n" == (
        f"error: NVIDIA could not be reached at 127.0.0.1:{port}: "
        f"connection refused (5 attempts)" + NETWORK_HINT)


def test_wrong_ngc_api_url_exits_3_not_1(validate, ngc_server):
    """A URL that is not NVIDIA's API (404) is "not reached", not "key rejected"."""
    result = validate("--ngc-api-url", ngc_server.url + "/nothing-here")
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: NVIDIA could not be reached at {host(ngc_server)}: "
                                    f"HTTP 404 to POST /v3/keys/get-caller-info, which NVIDIA's API serves")
    assert "check --ngc-api-url" in result.stderr


def test_451_is_explained(validate, ngc_server):
    ngc_server.fail("POST", "/v3/keys", 451)
    result = validate()
    assert result.exit_code == 1
    assert "HTTP 451 Unavailable For Legal Reasons" in result.stderr
    assert "European Union" in result.stderr and result.stderr.count("\n") == 1


# --- secret hygiene -----------------------------------------------------------------------

def _arrange(name, server, tmp_path):
    """Set up one path through validate-key; returns (args, environment)."""
    key = {"legacy": LEGACY_KEY, "rejected": BAD_KEY}.get(name, VALID_KEY)
    env = {"NGC_API_KEY": key}
    args = ["--ngc-api-url", server.url]
    if name in ("positional", "option"):
        env, args = {}, args + ([VALID_KEY] if name == "positional" else ["--api-key", VALID_KEY])
    elif name == "forbidden":
        server.fail("POST", "", 403)
    elif name == "throttled":
        server.fail("POST", "", 429, times=100, retry_after=1)
    elif name == "server-error":
        server.fail("POST", "", 500, times=100)
    elif name == "hang":
        server.fail("POST", "", hang_seconds=5, times=100)
        args += ["--request-timeout", "0.05"]
    elif name == "refused":
        args = ["--ngc-api-url", f"http://127.0.0.1:{closed_port()}"]
    elif name == "two-line-file":
        path = tmp_path / "key"
        path.write_text(f"{VALID_KEY}\n{VALID_KEY}\n")
        env, args = {}, args + ["--api-key-file", str(path)]
    elif name == "binary-file":
        path = tmp_path / "key"
        path.write_bytes(VALID_KEY.encode() + b"\xff")
        env, args = {}, args + ["--api-key-file", str(path)]
    return key, args, env


@pytest.mark.parametrize("name", ["valid", "legacy", "rejected", "positional", "option",
                                  "forbidden", "throttled", "server-error", "hang", "refused",
                                  "two-line-file", "binary-file"])
@pytest.mark.parametrize("output", ["text", "json"])
def test_the_key_never_appears_in_any_output(nim, ngc_server, ngc_sleeps, tmp_path,
                                             name, output):
    key, args, env = _arrange(name, ngc_server, tmp_path)
    result = nim("validate-key", "-vv", "-o", output, *args, env=env)
    assert result.exit_code in (0, 1, 2, 3)
    assert (result.exit_code == 0) == (name == "valid")
    assert key not in result.stdout and key not in result.stderr
    assert key not in json.dumps(ngc_server.requests)


# --- process-level checks -----------------------------------------------------------------

def _imports(*args, env=None):
    """Run `python -X importtime -m kubectl_nim ARGS`; return (result, imported top modules)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "kubectl_nim", *args],
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, **(env or {})})
    names = {line.rsplit("|", 1)[-1].strip().split(".")[0]
             for line in result.stderr.splitlines() if line.startswith("import time:")}
    return result, names


@pytest.mark.subprocess
def test_startup_imports(ngc_server):
    help_result, help_modules = _imports("--help")
    assert help_result.returncode == 0 and "validate-key" in help_result.stdout
    assert not {"httpx", "kubernetes"} & help_modules

    result, modules = _imports("validate-key", "--ngc-api-url", ngc_server.url, "-o", "json",
                               env={"NGC_API_KEY": VALID_KEY})
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["valid"] is True
    assert "httpx" in modules and "kubernetes" not in modules


def test_disconnected_cluster_is_named_and_the_key_still_checked(validate, kube_server, kubeconfig):
    kube_server.put_object({"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
                            "metadata": {"name": "odh-dashboard-config",
                                         "namespace": "redhat-ods-applications"},
                            "spec": {"nimConfig": {"disconnected": {"disableKeyCollection": True}}}})
    result = validate("--kubeconfig", kubeconfig)
    assert result.exit_code == 0
    assert result.stdout == VALID_TEXT
    assert result.stderr == (
        f"note: cluster {kube_server.url} is disconnected (odhdashboardconfig "
        "redhat-ods-applications/odh-dashboard-config: spec.nimConfig.disconnected."
        "disableKeyCollection is true): deploy there collects and validates no key; image pulls "
        "use the cluster's global pull secret\n")


def test_connected_or_unreachable_cluster_adds_nothing(validate, kube_server, kubeconfig, tmp_path):
    assert validate("--kubeconfig", kubeconfig).stderr == ""
    gone = kube_server.write_kubeconfig(tmp_path / "gone")
    kube_server.stop()
    result = validate("--kubeconfig", str(gone))
    assert (result.exit_code, result.stdout, result.stderr) == (0, VALID_TEXT, "")


# --- restricted networks (docs/airgap.md): the check goes through the given proxy -------------

def test_https_proxy_flag_is_used(validate, ngc_server):
    result = validate("--ngc-api-url", "http://ngc.invalid", "--https-proxy", ngc_server.url)
    assert (result.exit_code, result.stdout) == (0, VALID_TEXT)
    assert [(r["proxied"], r["host"]) for r in ngc_server.requests] == [(True, "ngc.invalid")]


def test_proxy_credentials_never_show(validate, ngc_server):
    proxy = ngc_server.url.replace("http://", "http://user:pr0xy-pass@")
    result = validate("--ngc-api-url", "http://ngc.invalid", "--https-proxy", proxy, "-v")
    assert result.exit_code == 0, result.stderr
    assert "pr0xy-pass" not in result.stdout + result.stderr


def test_ca_bundle_cluster_is_refused_and_a_bad_file_is_a_usage_error(validate, tmp_path):
    result = validate("--ca-bundle", "cluster")
    assert result.exit_code == 2
    assert "validate-key asks NVIDIA from this machine" in result.stderr
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate")
    result = validate("--ca-bundle", str(bad))
    assert result.exit_code == 2
    assert "holds no PEM certificate" in result.stderr
