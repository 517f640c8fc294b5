"""The CLI frame: invoked name, global options before and after the verb, the one error path."""

import subprocess
import sys

import click
import pytest

from kubectl_nim import __version__, log
from kubectl_nim.cli import cli, invoked_name
from kubectl_nim.errors import NvidiaUnreachable
from kubectl_nim.app.connection import GlobalOptions
from kubectl_nim.cli.options import global_options, parse_duration
from kubectl_nim.cli.context import get_globals
from tests.helpers.paths import REPO


@pytest.mark.parametrize("argv0, env, expected", [
    ("/usr/local/bin/kubectl-nim", {}, "kubectl-nim"),
    ("/usr/local/bin/kubectl-nim", {"KUBECTL_PATH": "/usr/bin/kubectl"}, "kubectl nim"),
    ("/usr/local/bin/kubectl-nim", {"KUBECTL_PATH": "/usr/bin/oc"}, "oc nim"),
    ("/usr/local/bin/kubectl-nim", {"KUBECTL_BINARY": "oc"}, "oc nim"),
    ("C:\\bin\\kubectl-nim.exe", {"KUBECTL_PATH": "C:\\bin\\kubectl.exe"}, "kubectl nim"),
    ("/opt/bin/kubectl-rhoai_nim", {"KUBECTL_PATH": "/usr/bin/kubectl"}, "kubectl rhoai-nim"),
    ("/opt/bin/nim-tool", {"KUBECTL_PATH": "/usr/bin/kubectl"}, "nim-tool"),
])
def test_invoked_name(argv0, env, expected):
    assert invoked_name(argv0, env) == expected


def test_usage_text_follows_the_invoked_name():
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["models", "--help"], prog_name="oc nim")
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: oc nim models [OPTIONS] [NAME]")


def test_every_command_has_help_text():
    """A command without help fails here, like datasette's documentation test."""
    def walk(group, path):
        for name, command in group.commands.items():
            assert command.help and command.get_short_help_str().strip(), f"{path} {name} lacks help"
            for param in command.params:
                if isinstance(param, click.Option) and not param.hidden:
                    assert param.help, f"{path} {name} {param.opts[0]} lacks help"
            if isinstance(command, click.Group):
                walk(command, f"{path} {name}")
    walk(cli, "kubectl-nim")


def test_every_command_is_in_the_readme():

    readme = (REPO / "README.md").read_text()
    for name in cli.commands:
        assert f"nim {name}" in readme, f"README does not document `{name}`"


def _probe_command():
    @click.command("probe")
    @global_options
    def probe():
        """Print the global options as the command sees them."""
        opts = get_globals()
        click.echo(f"{opts.namespace} {opts.context} {opts.kubeconfig} {opts.request_timeout} "
                   f"{opts.verbose} {opts.apps_namespace}")
    return probe


@pytest.mark.parametrize("args, expected", [
    (["probe", "-n", "team"], "team None None None 0 None"),
    (["-n", "team", "probe"], "team None None None 0 None"),
    (["-n", "before", "probe", "--namespace", "after"], "after None None None 0 None"),
    (["--context", "c1", "probe", "--kubeconfig", "/k", "--request-timeout", "1m30s",
      "-vv", "--apps-namespace", "apps"], "None c1 /k 90.0 2 apps"),
    (["-v", "probe", "-v"], "None None None None 2 None"),
])
def test_global_options_work_before_and_after_the_verb(args, expected):
    from click.testing import CliRunner

    group = click.Group("t", commands=[_probe_command()])
    group = global_options(group)
    result = CliRunner().invoke(group, args, obj=GlobalOptions())
    assert result.exit_code == 0, result.output
    assert result.stdout == expected + "\n"


@pytest.mark.parametrize("text, seconds", [("30", 30), ("30s", 30), ("2m", 120), ("1h", 3600),
                                           ("1m30s", 90), ("0", 0), ("1.5s", 1.5)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "10x", "m", "-1s"])
def test_parse_duration_rejects_garbage(text):
    with pytest.raises(click.BadParameter):
        parse_duration(text)


def test_bad_duration_is_a_usage_error(nim):
    result = nim("models", "--offline", "--request-timeout", "soon")
    assert result.exit_code == 2
    assert "'soon' is not a duration" in result.stderr


def test_unknown_flag_is_a_usage_error(nim):
    result = nim("models", "--bogus")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no such option '--bogus' (did you mean one of:")
    assert result.stderr.endswith("; see 'kubectl-nim models --help'\n")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""


def test_version(nim):
    result = nim("version")
    assert result.exit_code == 0
    assert result.stdout.startswith(f"kubectl-nim {__version__} (python ")
    assert nim("version", "-o", "json").stdout.startswith('{\n  "version": "%s"' % __version__)
    assert nim("--version").stdout == f"kubectl-nim {__version__}\n"


def _failing_cli(exc):
    @cli.command("explode", hidden=True)
    def explode():
        """Raise for the error-path tests."""
        raise exc
    return explode


@pytest.fixture
def exploding(request):
    def add(exc):
        _failing_cli(exc)
    yield add
    cli.commands.pop("explode", None)


def test_nim_errors_are_one_line_with_the_exit_code(nim, exploding):
    exploding(NvidiaUnreachable("the thing broke", hint="do the other thing"))
    result = nim("explode")
    assert result.exit_code == 3
    assert result.stderr == "error: the thing broke; do the other thing\n"
    assert result.stdout == ""


def test_a_nim_error_shows_its_traceback_with_vv_not_v(nim, exploding):
    """The documented rule (README, cli/root.py): -v is the debug log, -vv adds the traceback."""
    exploding(NvidiaUnreachable("the thing broke", hint="do the other thing"))
    assert "Traceback" not in nim("-v", "explode").stderr
    both = nim("-vv", "explode")
    assert both.exit_code == 3
    assert "Traceback (most recent call last)" in both.stderr
    assert both.stderr.endswith("error: the thing broke; do the other thing\n")


def test_unexpected_errors_have_no_traceback_unless_verbose(nim, exploding):
    log.register_secret("nvapi-SECRET")
    exploding(RuntimeError("boom with nvapi-SECRET inside"))
    result = nim("explode")
    assert result.exit_code == 1
    assert result.stderr == ("error: unexpected failure (RuntimeError: boom with <redacted> inside); "
                             "rerun with -v for a traceback and report it\n")
    verbose = nim("-v", "explode")
    assert "Traceback (most recent call last)" in verbose.stderr
    assert "nvapi-SECRET" not in verbose.stderr


@pytest.mark.subprocess
def test_console_script_help_does_not_import_kubernetes_or_httpx():
    code = ("import sys; sys.argv=['kubectl-nim','--help']\n"
            "from kubectl_nim.cli import cli\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            "bad=[m for m in ('kubernetes','httpx','yaml','truststore','socksio') if m in sys.modules]\n"
            "print('HEAVY', bad, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Usage: kubectl-nim" in result.stdout
    assert "HEAVY []" in result.stderr


@pytest.mark.subprocess
@pytest.mark.parametrize("args", [["version"], ["models", "--offline", "-o", "json"],
                                  ["models", "--offline"]])
def test_offline_verbs_do_not_import_kubernetes(args):
    code = ("import sys; sys.argv=['kubectl-nim'] + %r\n"
            "from kubectl_nim.cli import cli\n"
            "try:\n    cli.main()\nexcept SystemExit as e:\n    code = e.code\n"
            "print('KUBE', 'kubernetes' in sys.modules, 'httpx' in sys.modules, code, "
            "'truststore' in sys.modules, file=sys.stderr)" % args)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "KUBE False False 0 False" in result.stderr, result.stderr


@pytest.mark.subprocess
def test_installed_console_script_runs_and_reports_usage_errors():
    import shutil
    from pathlib import Path

    script = Path(sys.executable).with_name("kubectl-nim")
    exe = str(script) if script.exists() else shutil.which("kubectl-nim")
    assert exe, "the console script is not installed (pip install -e .)"
    ok = subprocess.run([exe, "models", "--offline", "-o", "name"], capture_output=True, text=True)
    assert ok.returncode == 0
    assert "model/llama-3.1-8b-instruct\n" in ok.stdout
    bad = subprocess.run([exe, "deploy-everything"], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    via_kubectl = subprocess.run([exe, "models", "--help"], capture_output=True, text=True,
                                 env={"PATH": "/usr/bin:/bin", "KUBECTL_PATH": "/usr/bin/oc"})
    assert via_kubectl.stdout.startswith("Usage: oc nim models")
