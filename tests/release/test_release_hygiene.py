"""Release hygiene: one version source, a hashed lock for the binary build, GitHub
Actions pinned by commit SHA.  docs/distribution.md says why and how to refresh each.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, strategies as st
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import kubectl_nim

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import package  # noqa: E402

PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
LOCK = ROOT / "requirements" / "build.lock"


# -- one version source: pyproject.toml -----------------------------------------------------------

def test_one_version_source():
    """pyproject.toml states the version; the package, its installed metadata, the release
    scripts and the release workflow's tag check read it; nothing else states one."""
    stated = kubectl_nim.pyproject_version(PYPROJECT)
    assert stated and re.fullmatch(r"\d+\.\d+\.\d+([-+.][0-9A-Za-z.]+)?", stated)
    assert "dynamic" not in PYPROJECT  # the version is not derived from the code
    assert kubectl_nim.__version__ == stated
    assert importlib.metadata.version("kubectl-nim") == stated
    assert package.project_version() == "v" + stated
    for path in (ROOT / "kubectl_nim").rglob("*.py"):
        assert not re.search(r"""__version__\s*=\s*['"]""", path.read_text(encoding="utf-8")), path


def tag_check(tag: str) -> subprocess.CompletedProcess:
    """The release workflow's own tag check step, run as the workflow runs it."""
    jobs = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))["jobs"]
    step = next(s for s in jobs["check-version"]["steps"]
                if s.get("name") == "The tag is the package version")
    env = {**os.environ, "GITHUB_REF_NAME": tag,
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])}
    return subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the workflow's Python has tomllib")
def test_release_tag_check_reads_pyproject():
    assert tag_check("v" + kubectl_nim.__version__).returncode == 0
    wrong = tag_check("v99.0.0")
    assert wrong.returncode == 1
    assert "does not match the version in pyproject.toml" in wrong.stdout


def test_version_found_beside_the_package(tmp_path):
    """Source checkout: pyproject.toml; wheel or binary: the dist-info folder; else unknown."""
    find = kubectl_nim.find_version
    pkg = tmp_path / "site" / "kubectl_nim"
    pkg.mkdir(parents=True)
    assert find(str(pkg)) == "0+unknown"
    (tmp_path / "site" / "kubectl_nim-2.3.4.dist-info").mkdir()
    (tmp_path / "site" / "kubernetes-37.0.2.dist-info").mkdir()
    assert find(str(pkg)) == "2.3.4"
    (tmp_path / "site" / "kubectl_nim-2.3.5.dist-info").mkdir()  # ambiguous: say so
    assert find(str(pkg)) == "0+unknown"
    # another project's pyproject.toml beside the package is not ours
    (tmp_path / "site" / "pyproject.toml").write_text('[project]\nname = "other"\nversion = "9"\n')
    assert find(str(pkg)) == "0+unknown"
    (tmp_path / "site" / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\n\n[project]\nname = "kubectl-nim"\nversion = "3.0.0"\n'
        '[tool.x]\nversion = "1"\n')
    assert find(str(pkg)) == "3.0.0"


@given(version=st.from_regex(r"\A\d{1,3}\.\d{1,3}\.\d{1,3}(rc\d)?\Z"),
       other=st.from_regex(r"\A\d\.\d\Z"), quote=st.sampled_from(['"', "'"]),
       project_first=st.booleans())
def test_pyproject_version_reads_only_the_project_table(version, other, quote, project_first):
    project = f"[project]\nname = {quote}kubectl-nim{quote}\nversion = {quote}{version}{quote}\n"
    tool = f"[tool.other]\nversion = \"{other}\"\n"
    text = project + tool if project_first else tool + project
    assert kubectl_nim.pyproject_version(text) == version
    assert kubectl_nim.pyproject_version(tool) is None


def test_version_lookup_imports_no_importlib_metadata():
    """`version` and `--version` stay fast: importlib.metadata costs ~20 ms to import."""
    code = ("import sys, kubectl_nim.cli.root; "
            "print('importlib.metadata' in sys.modules, kubectl_nim.__version__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=ROOT)
    assert out.stdout.split() == ["False", kubectl_nim.__version__], out.stderr


# -- the hashed lock of the binary build -----------------------------------------------------------

def lock_entries() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, sha256 hashes) of requirements/build.lock."""
    entries: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        pin = re.match(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)", line)
        if pin:
            current = canonicalize_name(pin.group(1))
            entries[current] = (pin.group(2), [])
        elif current and line.strip().startswith("--hash=sha256:"):
            digest = line.strip().split(":", 1)[1].rstrip(" \\")
            assert re.fullmatch(r"[0-9a-f]{64}", digest), line
            entries[current][1].append(digest)
    return entries


def test_lock_pins_every_runtime_and_build_dependency_with_hashes():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    project = tomllib.loads(PYPROJECT)
    wanted = [Requirement(r) for r in project["project"]["dependencies"]]
    wanted += [Requirement(r) for r in project["project"]["optional-dependencies"]["build"]]
    wanted += [Requirement(r) for r in project["build-system"]["requires"]]
    entries = lock_entries()
    for req in wanted:
        name = canonicalize_name(req.name)
        assert name in entries, f"{req} is not in requirements/build.lock: make lock"
        version, hashes = entries[name]
        assert hashes, f"{name}=={version} has no --hash=sha256: line"
        assert req.specifier.contains(version, prereleases=True), (
            f"{name}=={version} in the lock does not satisfy pyproject's {req}: make lock")
    # every pin, the transitive ones too, carries hashes (pip --require-hashes needs them all)
    assert all(hashes for _, hashes in entries.values())
    assert {"pyinstaller", "pyinstaller-hooks-contrib", "setuptools", "wheel"} <= set(entries)


def test_binary_builds_install_from_the_lock():
    text = RELEASE.read_text(encoding="utf-8")
    assert "pip install --require-hashes -r requirements/build.lock" in text
    assert "'.[build" not in text  # PyInstaller comes from the lock, not from a range
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements/build.lock" in makefile
    assert "#    make lock" in LOCK.read_text(encoding="utf-8")  # how to refresh it


# -- GitHub Actions pinned by commit SHA ----------------------------------------------------------

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
COMMENT = re.compile(r"^\s+#\s+v\d+\.\d+\.\d+\s*$")


def unpinned(text: str) -> list[str]:
    """Every `uses:` of a workflow that is not owner/repo@<40-hex SHA> # vX.Y.Z (local actions,
    ./path, need no pin)."""
    bad = []
    for line in text.splitlines():
        m = USES.match(line)
        if m and not m.group(1).startswith("./"):
            if not (PINNED.match(m.group(1)) and COMMENT.match(m.group(2))):
                bad.append(line.strip())
    return bad


def test_unpinned_finds_tags_branches_and_missing_comments():
    assert unpinned("  - uses: actions/checkout@v4\n") == ["- uses: actions/checkout@v4"]
    assert unpinned("    uses: actions/setup-python@main\n")
    assert unpinned("- uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n")
    assert unpinned("- uses: actions/checkout@11bd719 # v4.2.2\n")
    assert unpinned("- uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4\n")
    assert not unpinned("- uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"
                        " # v4.2.2\n- uses: ./.github/actions/local\n")


def test_every_workflow_action_is_pinned_by_commit_sha():
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
    assert RELEASE in workflows
    for wf in workflows:
        text = wf.read_text(encoding="utf-8")
        assert not unpinned(text), f"{wf.name}: {unpinned(text)}"
    assert RELEASE.read_text(encoding="utf-8").count("uses: actions/") >= 8  # the check saw them
