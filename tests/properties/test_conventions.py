"""kubectl's conventions on the command line: -v=N, a bare --dry-run, one-line usage errors,
and usage text and hints in the words of the client the user ran the plugin from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubectl_nim import caller
from kubectl_nim.cli import cli, invoked_name, kubectl_spellings


@pytest.fixture(autouse=True)
def _reset_caller():
    yield
    caller.set_prog_name("kubectl-nim")


@pytest.mark.parametrize("args,expected", [
    (["-v=6", "models"], ["-v", "-v", "models"]),
    (["models", "--v=1"], ["models", "-v"]),
    (["models", "--verbose=0"], ["models"]),
    (["models", "--", "-v=6", "--dry-run"], ["models", "--", "-v=6", "--dry-run"]),
    (["deploy", "--dry-run", "x"], ["deploy", "--dry-run=client", "x"]),
    (["deploy", "--dry-run=server"], ["deploy", "--dry-run=server"]),
    (["-vv", "-v6"], ["-vv", "-v6"]),  # not kubectl's spelling: click reports it
])
def test_kubectl_spellings(args, expected):
    assert kubectl_spellings(args) == expected


def test_v_equals_n_is_accepted(nim):
    result = nim("models", "--offline", "-v=6", "-o", "name")
    assert result.exit_code == 0, result.stderr
    assert "model/llama-3.1-8b-instruct" in result.stdout


def test_bare_dry_run_is_client_with_a_warning(nim):
    result = nim("deploy", "--model", "llama-3.1-8b-instruct", "--offline", "--skip-secrets",
                 "--dry-run", "-o", "name", "-n", "team")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("warning: --dry-run without a value means "
                                    "--dry-run=client (as in kubectl)")
    assert "inferenceservice.serving.kserve.io/" in result.stdout


def test_bare_dry_run_never_takes_the_next_word(nim):
    # kubectl's flag parser leaves `llama` to be the NAME; so do we.
    result = nim("deploy", "--dry-run", "llama", "--model", "llama-3.1-8b-instruct",
                 "--offline", "--skip-secrets", "-o", "name", "-n", "team")
    assert result.exit_code == 0, result.stderr
    assert "servingruntime.serving.kserve.io/llama\n" in result.stdout


@pytest.mark.parametrize("args,line", [
    (["models", "--bogus-flag"], "error: no such option '--bogus-flag'; "
                                 "see 'kubectl-nim models --help'"),
    (["deploy"], "error: missing option '--model'; see 'kubectl-nim deploy --help'"),
    (["models", "-o", "xml"], "error: invalid value for '-o' / '--output': 'xml' is not one of "
                              "'table', 'wide', 'json', 'yaml', 'name', 'jsonpath=TEMPLATE', "
                              "'jsonpath-file=FILE', 'custom-columns=SPEC', "
                              "'custom-columns-file=FILE'; "
                              "see 'kubectl-nim models --help'"),
    (["no-such-verb"], "error: no such command 'no-such-verb'; see 'kubectl-nim --help'"),
])
def test_usage_errors_are_one_line(nim, args, line):
    result = nim(*args)
    assert result.exit_code == 2
    assert result.stderr == line + "\n"


@pytest.mark.parametrize("environ,expected", [
    ({"KUBECTL_PATH": "/usr/bin/oc"}, "oc nim"),
    ({"_": "/usr/bin/kubectl"}, "kubectl nim"),
    ({"_": "/usr/local/bin/oc"}, "oc nim"),
    ({"_": "C:\\tools\\kubectl.exe"}, "kubectl nim"),
    ({"_": "/opt/kubectl1.30"}, "kubectl1.30 nim"),
    ({"_": "/home/me/.krew/bin/kubectl-nim"}, "kubectl-nim"),  # typed directly
    ({"_": "/usr/bin/env"}, "kubectl-nim"),
    ({}, "kubectl-nim"),
])
def test_invoked_name_without_kubectl_path(environ, expected):
    assert invoked_name("/home/me/.krew/bin/kubectl-nim", environ) == expected


@pytest.mark.subprocess
def test_console_script_under_an_older_kubectl_says_kubectl_nim():
    """kubectl < 1.37 sets no KUBECTL_PATH; bash's `_` (which kubectl passes on) tells."""
    script = Path(sys.executable).with_name("kubectl-nim")
    env = {"PATH": "/usr/bin:/bin", "_": "/usr/bin/kubectl", "HOME": "/nonexistent"}
    out = subprocess.run([str(script), "models", "--help"], capture_output=True, text=True,
                         env=env)
    assert out.stdout.startswith("Usage: kubectl nim models")
    err = subprocess.run([str(script), "models", "--nope"], capture_output=True, text=True,
                         env=env)
    assert err.stderr == ("error: no such option '--nope' (did you mean '--token'?); "
                          "see 'kubectl nim models --help'\n")


def run_as(prog_name, *args):
    return CliRunner().invoke(cli, list(args), prog_name=prog_name, catch_exceptions=False)


@pytest.mark.parametrize("prog,expected", [
    ("kubectl nim", "`kubectl nim list -n team` shows the deployments"),
    ("oc nim", "`oc nim list -n team` shows the deployments"),
    ("kubectl-nim", "`kubectl nim list -n team` shows the deployments"),
])
def test_hints_use_the_invoking_client(prog, expected, kube_server, kubeconfig):
    result = run_as(prog, "rotate-key", "nope", "--kubeconfig", kubeconfig, "-n", "team",
                    "--no-restart")
    assert result.exit_code == 1
    assert expected in result.stderr


def test_tool_hints_follow_the_caller():
    caller.set_prog_name("kubectl nim")
    assert (caller.tool_cmd("get pods"), caller.create_project_cmd()) == \
        ("kubectl get pods", "kubectl create namespace")
    caller.set_prog_name("oc nim")
    assert (caller.tool_cmd("get pods"), caller.create_project_cmd()) == \
        ("oc get pods", "oc new-project")
    caller.set_prog_name("kubectl-nim")
    assert caller.tool() == "oc"
