"""The single-file executable (scripts/build_binary.py --onefile), the release asset for direct
download beside the Krew archive: it runs the same CLI, reports the version pyproject.toml
states, carries the embedded catalog, and packs into kubectl-nim-onefile_<version>_<os>_<arch>.

Built once per session (tests/helpers/binary.py; KUBECTL_NIM_ONEFILE_BINARY=path uses a given one).
"""

from __future__ import annotations

import json
import tarfile

import pytest

from kubectl_nim import __version__
from kubectl_nim.app import local_catalog

from tests.helpers.binary import ROOT, built, runner

pytestmark = pytest.mark.subprocess


@pytest.fixture(scope="session")
def onefile(tmp_path_factory):
    return built("onefile", tmp_path_factory)


@pytest.fixture
def run(onefile, tmp_path):
    return runner(onefile, tmp_path)


def test_onefile_is_one_file_named_kubectl_nim(onefile):
    assert onefile.name in ("kubectl-nim", "kubectl-nim.exe")
    assert onefile.parent.name == "onefile"  # beside, never inside, the onedir build's folder
    assert not (onefile.parent / "_internal").exists()


def test_onefile_version_is_pyprojects(run):
    out = run("version")
    assert out.stdout.startswith(f"kubectl-nim {__version__} (python ")
    assert json.loads(run("version", "-o", "json").stdout)["version"] == __version__
    assert run("--version").stdout == f"kubectl-nim {__version__}\n"
    assert __version__ != "0+unknown"  # the bundled dist-info was found


def test_onefile_models_offline(run):
    data = json.loads(run("models", "--offline", "-o", "json").stdout)["items"]
    assert [m["name"] for m in data] == local_catalog.load_embedded().names
    assert run("--help").stdout.startswith("Usage: kubectl-nim [OPTIONS] COMMAND [ARGS]...")


def test_onefile_packs_as_its_own_asset(onefile, tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import package

    out = package.package(onefile, tmp_path, "v" + __version__, "linux", "amd64", mtime=315532800,
                          single_file=True)
    assert out.name == f"kubectl-nim-onefile_v{__version__}_linux_amd64.tar.gz"
    with tarfile.open(out) as tar:
        names = tar.getnames()
        assert tar.getmember("kubectl-nim").mode == 0o755
    assert names == ["LICENSE", "THIRD_PARTY_NOTICES", "kubectl-nim", "kubectl_complete-nim"]
