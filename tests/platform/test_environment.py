"""The Environment: one object for streams, terminals, clocks, sleep and variables,
made once per run by the root group and handed down; tests pass one in instead of patching."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import pytest

from kubectl_nim.cli import cli
from kubectl_nim.environment import Environment, isatty
from tests.helpers.deploy import MODEL, NAME, project, run_deploy  # noqa: F401
from tests.fakes.clock import FakeClock
from tests.fakes.ngc_fixtures import VALID_KEY
from tests.helpers.paths import REPO

ROOT = REPO


class Terminal(io.StringIO):
    def isatty(self):
        return True


class Closed(io.StringIO):
    def isatty(self):
        raise ValueError("I/O operation on closed file")


# --- the object -----------------------------------------------------------------------------------

def test_bind_asks_the_streams_once():
    env = Environment(stdin=Terminal(), stdout=io.StringIO(), stderr=Closed(), environ={}).bind()
    assert (env.stdin_isatty, env.stdout_isatty, env.stderr_isatty) == (True, False, False)


def test_given_answers_win_over_the_streams():
    env = Environment(stdin=io.StringIO(), stdin_isatty=True, stderr=Terminal(),
                      stderr_isatty=False).bind()
    assert (env.stdin_isatty, env.stderr_isatty) == (True, False)


def test_open_fields_come_from_the_process(monkeypatch):
    stdin = Terminal()
    monkeypatch.setattr("sys.stdin", stdin)  # the interpreter's stream, as CliRunner swaps it
    monkeypatch.setenv("KUBECTL_NIM_PROBE", "1")
    env = Environment.default()
    assert env.stdin is stdin and env.stdin_isatty is True
    assert env.environ["KUBECTL_NIM_PROBE"] == "1"


def test_isatty_of_missing_or_broken_streams():
    assert (isatty(None), isatty(Closed()), isatty(object()), isatty(Terminal())) == \
        (False, False, False, True)


@pytest.mark.parametrize("tty, environ, colour", [
    (True, {}, True),
    (True, {"TERM": "xterm-256color"}, True),
    (True, {"NO_COLOR": "1"}, False),
    (True, {"NO_COLOR": ""}, True),          # no-color.org: set and not empty
    (True, {"TERM": "dumb"}, False),
    (False, {}, False),                      # a pipe or a file: never
])
def test_colour(tty, environ, colour):
    assert Environment(stderr_isatty=tty, environ=environ).colour is colour


def _imports(path):
    tree = ast.parse(path.read_text())
    imported = {alias.name for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {f"{node.module}.{alias.name}" if node.module == "kubectl_nim" else node.module
                 for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
                 for alias in node.names}
    return {name.split(".")[0] if not name.startswith("kubectl_nim") else name
            for name in imported}


STANDARD = {"__future__", "base64", "dataclasses", "datetime", "os", "re", "sys", "time",
            "typing"}


def test_the_module_imports_only_the_standard_library():
    """Every layer, `--help` included, may import it: nothing heavy at load time. The one module
    of the plugin it reaches is the redacting log (the console's default), itself standard
    library only."""
    assert _imports(ROOT / "kubectl_nim" / "environment.py") <= STANDARD | {"kubectl_nim.log"}
    assert _imports(ROOT / "kubectl_nim" / "log.py") <= STANDARD


# --- through the CLI: the root group makes it, the verbs read it ---------------------------------

def test_a_terminal_on_stdin_gets_the_prompt(nim, ngc_server):
    prompted = nim("validate-key", "--ngc-api-url", ngc_server.url, input=f"{VALID_KEY}\n",
                   stdin_isatty=True)
    assert prompted.exit_code == 0, prompted.stderr
    assert "NVIDIA API key (nvapi-...)" in prompted.stderr
    piped = nim("validate-key", "--ngc-api-url", ngc_server.url, input=f"{VALID_KEY}\n")
    assert piped.exit_code == 2
    assert piped.stderr.startswith("error: no NVIDIA API key given; ")


def test_variables_come_from_the_environment_object(ngc_server, capsys):
    """`cli.main(args, obj=Environment(...))`: $NGC_API_KEY from the object, not the process."""
    env = Environment(environ={"NGC_API_KEY": VALID_KEY}, stdin=io.StringIO(),
                      stdin_isatty=False)
    code = cli.main(["validate-key", "--ngc-api-url", ngc_server.url], obj=env,
                    standalone_mode=False)
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert "valid" in out.lower()
    refused = cli.main(["validate-key", "--ngc-api-url", ngc_server.url],
                       obj=env.replace(environ={}), standalone_mode=False)
    assert refused == 2


def test_completion_reads_the_variables_of_the_environment(tmp_path):
    """A TAB's kubeconfig comes from the run's $KUBECONFIG (here only in the object)."""
    from click.shell_completion import get_completion_class

    from kubectl_nim.cli import completion

    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text("contexts:\n- name: lab\n")
    completion.register()

    def contexts(environ):
        comp = get_completion_class("bash")(cli, {"environment": Environment(environ=environ)},
                                            "kubectl-nim", "_KUBECTL_NIM_COMPLETE")
        return [i.value for i in comp.get_completions(["deploy", "--context"], "")]

    assert contexts({"KUBECONFIG": str(kubeconfig)}) == ["lab"]
    assert contexts({}) == []


@pytest.mark.parametrize("tty", [True, False])
def test_a_terminal_on_stderr_gets_the_progress_line(nim, ngc_server, tmp_path, tty):
    result = nim("catalog", "generate", "--ngc-api-url", ngc_server.url, "--output",
                 str(tmp_path / "c.yaml"), env={"NGC_API_KEY": VALID_KEY},
                 stderr_isatty=tty, clock=lambda: 0.0)
    assert result.exit_code == 0, result.stderr
    assert ("\r\x1b[K" in result.stderr) is tty            # the rewritten line, then cleared
    assert ("Fetching the details of" in result.stderr) is not tty  # CI logs: one notice


def test_a_fake_clock_lets_a_wait_time_out_at_once(nim, run_deploy, project):  # noqa: F811
    """`deploy --wait --timeout 2m` on a deployment that never becomes ready: two minutes of
    polling in no time, every pause recorded."""
    fake = FakeClock()
    nim.environment.update(fake.environment())
    result = run_deploy(NAME, "--model", MODEL, "--wait", "--timeout", "2m")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith(
        f"error: timed out after 120s waiting for inferenceservice.serving.kserve.io/{NAME} to "
        f"become ready")
    assert sum(fake.slept) == pytest.approx(120) and set(fake.slept) == {2.0}


# --- no test patches the plugin --------------------------------------------------------------------

PATCHED_PACKAGES = ("kubectl_nim", "tests.fakes")


def patched_seams(path: Path) -> list[str]:
    """`monkeypatch.setattr` (or mock.patch) on a module or class of the plugin or the fakes: the
    seams the Environment, parameters and the fakes' fault injection replace."""
    tree = ast.parse(path.read_text(), filename=str(path))
    ours: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            ours.update((a.asname or a.name).split(".")[0] for a in node.names
                        if a.name.startswith(PATCHED_PACKAGES))
        elif isinstance(node, ast.ImportFrom) and node.module \
                and node.module.startswith(PATCHED_PACKAGES):
            ours.update(a.asname or a.name for a in node.names)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("setattr", "delattr", "patch", "object") and node.args):
            continue
        target = node.args[0]
        root = target
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(target, ast.Constant) and isinstance(target.value, str) \
                and target.value.startswith(PATCHED_PACKAGES):
            found.append(f"{path.name}:{node.lineno} {target.value}")
        elif isinstance(root, ast.Name) and root.id in ours:
            found.append(f"{path.name}:{node.lineno} {ast.unparse(target)}")
    return found


def test_no_test_patches_the_plugin():
    paths = sorted((ROOT / "tests").rglob("*.py"))
    assert [seam for p in paths for seam in patched_seams(p)] == []


def test_the_patch_check_catches_one(tmp_path):
    bad = tmp_path / "test_bad.py"
    bad.write_text(
        "from kubectl_nim.app import optimistic\n"
        "from kubectl_nim.adapters.kube.cluster import Cluster\n"
        "import kubectl_nim.cli.commands.catalog as catalog_cmd\n"
        "from tests.fakes import kube_apiserver\n"
        "import sys\n"
        "def test_x(monkeypatch):\n"
        "    monkeypatch.setattr(optimistic, 'sleep', print)\n"
        "    monkeypatch.setattr(Cluster, 'replace', print)\n"
        "    monkeypatch.setattr(catalog_cmd, 'clock', print)\n"
        "    monkeypatch.setattr('kubectl_nim.adapters.kube.kubeconfig.X', 1)\n"
        "    monkeypatch.setattr(kube_apiserver._Handler, 'nagle', True)\n"
        "    monkeypatch.setattr(sys, 'stdin', None)\n"
        "    monkeypatch.setenv('HOME', '/')\n")
    assert [s.split(" ", 1)[0] for s in patched_seams(bad)] == [
        "test_bad.py:7", "test_bad.py:8", "test_bad.py:9", "test_bad.py:10", "test_bad.py:11"]
