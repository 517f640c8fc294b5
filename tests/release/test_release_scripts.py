"""The release workflow's steps are scripts in scripts/; here they run on fake build outputs.

The full two-build reproducibility check (scripts/check_reproducible.py) takes two PyInstaller
builds and is run by hand and in the release workflow; the packaging step it relies on is
checked here: same input, same archive bytes, whatever the files' times and owners.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))

import build_binary  # noqa: E402
import glibc_floor  # noqa: E402
import krew_validate  # noqa: E402
import package  # noqa: E402

VERSION = "v1.2.3"
EPOCH = 1767225600  # 2026-01-01


def script(name, *args, env=None, expect=0):
    out = subprocess.run([sys.executable, str(SCRIPTS / name), *map(str, args)],
                         capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env={**os.environ, **(env or {})})
    assert out.returncode == expect, out.stdout + out.stderr
    return out


def fake_onedir(base: Path, exe="kubectl-nim") -> Path:
    """Something shaped like a PyInstaller onedir build."""
    out = base / "kubectl-nim"
    (out / "_internal" / "kubectl_nim" / "data").mkdir(parents=True)
    (out / exe).write_bytes(b"\x7fELF fake bootloader")
    (out / exe).chmod(0o755)
    (out / "_internal" / "libpython3.so").write_bytes(b"\x7fELF fake lib" * 100)
    (out / "_internal" / "libpython3.so").chmod(0o700)
    (out / "_internal" / "kubectl_nim" / "data" / "catalog.yaml").write_text("data: {}\n")
    (out / "_internal" / "kubectl_nim" / "data" / "catalog.yaml").chmod(0o600)
    return out


def fake_onefile(base: Path, name="kubectl-nim.exe") -> Path:
    path = base / name
    path.write_bytes(b"MZ fake windows binary" * 50)
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- build_binary.py ------------------------------------------------------------------------

def test_build_environment_is_reproducible(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    env = build_binary.build_env("onedir", environ={"PATH": "/bin"})
    assert env["PYTHONHASHSEED"] == "0"
    assert env["KUBECTL_NIM_BUILD_MODE"] == "onedir"
    git = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
                         capture_output=True, text=True)
    if git.returncode == 0 and git.stdout.strip():
        assert env["SOURCE_DATE_EPOCH"] == git.stdout.strip()
    given = build_binary.build_env("onefile", {"SOURCE_DATE_EPOCH": "42"})
    assert given["SOURCE_DATE_EPOCH"] == "42"


def test_source_date_epoch_without_git(tmp_path):
    assert build_binary.source_date_epoch(tmp_path, environ={}) == build_binary.FALLBACK_EPOCH


def test_mode_per_platform():
    assert build_binary.resolve_mode("auto", "linux") == "onedir"
    assert build_binary.resolve_mode("auto", "darwin") == "onedir"
    assert build_binary.resolve_mode("auto", "win32") == "onefile"
    assert build_binary.resolve_mode("onefile", "linux") == "onefile"
    assert build_binary.executable_path(Path("d"), "onedir") == Path("d/kubectl-nim/kubectl-nim")
    # onefile beside the onedir folder, never in it, and keeping the name users run
    assert build_binary.executable_path(Path("d"), "onefile", "linux") == Path("d/onefile/kubectl-nim")
    assert (build_binary.executable_path(Path("d"), "onefile", "win32")
            == Path("d/onefile/kubectl-nim.exe"))
    assert build_binary.distpath(Path("d"), "onedir") == Path("d")


def test_single_file_asset_is_named_apart_from_the_krew_archive(tmp_path):
    exe = fake_onefile(tmp_path, "kubectl-nim")
    out = package.package(exe, tmp_path / "rel", VERSION, "darwin", "arm64", mtime=EPOCH,
                          single_file=True)
    assert out.name == "kubectl-nim-onefile_v1.2.3_darwin_arm64.tar.gz"
    assert package.archive_name(VERSION, "darwin", "arm64") == "kubectl-nim_v1.2.3_darwin_arm64.tar.gz"
    with tarfile.open(out) as tar:
        assert tar.getnames() == ["LICENSE", "THIRD_PARTY_NOTICES", "kubectl-nim",
                                  "kubectl_complete-nim"]
    with pytest.raises(SystemExit, match="not a single-file build"):
        package.package(fake_onedir(tmp_path / "b"), tmp_path / "rel", VERSION, "linux", "amd64",
                        mtime=EPOCH, single_file=True)


# -- package.py ---------------------------------------------------------------------------------

def test_package_twice_gives_the_same_bytes(tmp_path):
    built = fake_onedir(tmp_path / "build")
    first = package.package(built, tmp_path / "one", VERSION, "linux", "amd64", mtime=EPOCH)
    # what differs between two builds of one commit: file times, and the order a directory
    # lists its entries in (a fresh copy)
    copy = tmp_path / "copy" / "kubectl-nim"
    shutil.copytree(built, copy)
    for path in copy.rglob("*"):
        os.utime(path, (1, 1))
    second = package.package(copy, tmp_path / "two", VERSION, "linux", "amd64", mtime=EPOCH)
    assert first.name == second.name == f"kubectl-nim_{VERSION}_linux_amd64.tar.gz"
    assert first.read_bytes() == second.read_bytes()
    third = package.package(built, tmp_path / "three", VERSION, "linux", "amd64", mtime=EPOCH + 1)
    assert third.read_bytes() != first.read_bytes()  # the time is really in there


def test_tar_gz_layout_and_normalised_metadata(tmp_path):
    archive = package.package(fake_onedir(tmp_path), tmp_path / "out", VERSION, "linux", "arm64",
                              mtime=EPOCH)
    raw = archive.read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert raw[3] & 0x08 == 0, "no file name in the gzip header"
    assert raw[4:8] == b"\0\0\0\0", "gzip mtime 0"
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert names == ["LICENSE", "THIRD_PARTY_NOTICES", "_internal", "_internal/kubectl_nim",
                     "_internal/kubectl_nim/data", "_internal/kubectl_nim/data/catalog.yaml",
                     "_internal/libpython3.so", "kubectl-nim", "kubectl_complete-nim"]
    for m in members:
        assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (EPOCH, 0, 0, "", "")
        expected = 0o755 if m.isdir() or m.name in (
            "kubectl-nim", "kubectl_complete-nim", "_internal/libpython3.so") else 0o644
        assert m.mode == expected, m.name
    with tarfile.open(archive) as tar:
        assert tar.extractfile("LICENSE").read() == (ROOT / "LICENSE").read_bytes()
        assert tar.extractfile("kubectl_complete-nim").read() == \
            (ROOT / "kubectl_complete-nim").read_bytes()


def test_windows_zip_is_deterministic_and_has_the_exe_and_license(tmp_path):
    exe = fake_onefile(tmp_path)
    a = package.package(exe, tmp_path / "a", VERSION, "windows", "amd64", mtime=EPOCH)
    os.utime(exe, (5, 5))
    b = package.package(exe, tmp_path / "b", VERSION, "windows", "amd64", mtime=EPOCH)
    assert a.name == f"kubectl-nim_{VERSION}_windows_amd64.zip"
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        assert zf.namelist() == ["LICENSE", "THIRD_PARTY_NOTICES", "kubectl-nim.exe"]
        assert zf.read("kubectl-nim.exe") == exe.read_bytes()
        info = zf.getinfo("kubectl-nim.exe")
        assert stat.S_IMODE(info.external_attr >> 16) == 0o755


def test_package_refuses_bad_input(tmp_path):
    with pytest.raises(SystemExit, match="not v-prefixed"):
        package.package(fake_onedir(tmp_path), tmp_path / "o", "1.2.3", "linux", "amd64")
    with pytest.raises(SystemExit, match="does not exist"):
        package.package(tmp_path / "nothing", tmp_path / "o", VERSION, "linux", "amd64")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit, match="has no kubectl-nim"):
        package.package(empty, tmp_path / "o", VERSION, "linux", "amd64")


def test_package_command_line(tmp_path):
    built = fake_onedir(tmp_path)
    out = script("package.py", "--version", VERSION, "--os", "darwin", "--arch", "arm64",
                 "--input", built, "--out", tmp_path / "rel", env={"SOURCE_DATE_EPOCH": str(EPOCH)})
    archive = Path(out.stdout.strip())
    assert archive == tmp_path / "rel" / f"kubectl-nim_{VERSION}_darwin_arm64.tar.gz"
    with tarfile.open(archive) as tar:
        assert {m.mtime for m in tar.getmembers()} == {EPOCH}


# -- checksum.py ----------------------------------------------------------------------------

def test_checksums(tmp_path):
    rel = tmp_path / "rel"
    a = package.package(fake_onedir(tmp_path / "l"), rel, VERSION, "linux", "amd64", mtime=EPOCH)
    b = package.package(fake_onefile(tmp_path), rel, VERSION, "windows", "amd64", mtime=EPOCH)
    (rel / "notes.txt").write_text("not an archive")
    out = script("checksum.py", rel)
    expected = f"{digest(a)}  {a.name}\n{digest(b)}  {b.name}\n"
    assert out.stdout == expected
    assert (rel / "checksums.txt").read_text() == expected
    assert (rel / f"{a.name}.sha256").read_text() == f"{digest(a)}  {a.name}\n"
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", "checksums.txt"], cwd=rel,
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr


# -- krew_manifest.py: package every platform, fill, validate ----------------------------------

def release_archives(tmp_path) -> Path:
    rel = tmp_path / "release"
    for os_name, arch in sorted(krew_validate.RELEASE_PLATFORMS):
        if os_name == "windows":
            built = fake_onefile(tmp_path / f"{os_name}-{arch}")
        else:
            built = fake_onedir(tmp_path / f"{os_name}-{arch}")
        package.package(built, rel, VERSION, os_name, arch, mtime=EPOCH)
    return rel


@pytest.fixture
def archives(tmp_path):
    for os_name, arch in krew_validate.RELEASE_PLATFORMS:
        (tmp_path / f"{os_name}-{arch}").mkdir()
    return release_archives(tmp_path)


def test_fill_the_krew_manifest_from_the_archives(tmp_path, archives):
    out = tmp_path / "krew" / "nim.yaml"
    out.parent.mkdir()
    script("krew_manifest.py", "--version", VERSION, "--archives", archives,
           "--repo", "example/kubectl-nim", "--out", out)
    filled = yaml.safe_load(out.read_text())
    spec = filled["spec"]
    assert spec["version"] == VERSION
    assert spec["homepage"] == "https://github.com/example/kubectl-nim"
    for p in spec["platforms"]:
        labels = p["selector"]["matchLabels"]
        name = package.archive_name(VERSION, labels["os"], labels["arch"])
        assert p["uri"] == \
            f"https://github.com/example/kubectl-nim/releases/download/{VERSION}/{name}"
        assert p["sha256"] == digest(archives / name)
    assert krew_validate.validate_file(out, archives, release=True) == []
    # everything but version, homepage, uri and sha256 is the committed manifest's
    committed = yaml.safe_load((ROOT / "krew" / "nim.yaml").read_text())
    for p in committed["spec"]["platforms"] + spec["platforms"]:
        p.pop("uri"), p.pop("sha256")
    for s in (committed["spec"], spec):
        s.pop("version"), s.pop("homepage")
    assert filled == committed
    # and the script is deterministic
    again = tmp_path / "again" / "nim.yaml"
    again.parent.mkdir()
    script("krew_manifest.py", "--version", VERSION, "--archives", archives,
           "--repo", "example/kubectl-nim", "--out", again)
    assert again.read_bytes() == out.read_bytes()


def test_fill_takes_the_repository_from_github_repository(tmp_path, archives):
    out = tmp_path / "nim.yaml"
    script("krew_manifest.py", "--version", VERSION, "--archives", archives, "--out", out,
           env={"GITHUB_REPOSITORY": "acme/nim-plugin"})
    assert "https://github.com/acme/nim-plugin/releases/download/" in out.read_text()


def test_fill_refuses_a_missing_platform(tmp_path, archives):
    next(archives.glob("*darwin_arm64*")).unlink()
    out = tmp_path / "nim.yaml"
    result = script("krew_manifest.py", "--version", VERSION, "--archives", archives,
                    "--repo", "a/b", "--out", out, expect=1)
    assert "darwin_arm64" in result.stderr
    assert not out.exists()


def test_validator_checks_the_archives(tmp_path, archives):
    out = tmp_path / "nim.yaml"
    script("krew_manifest.py", "--version", VERSION, "--archives", archives, "--repo", "a/b",
           "--out", out)
    # an archive without LICENSE, and one whose checksum no longer matches
    name = package.archive_name(VERSION, "linux", "amd64")
    with tarfile.open(archives / name) as tar:
        kept = [(m, tar.extractfile(m).read() if m.isfile() else None)
                for m in tar.getmembers() if m.name != "LICENSE"]
    with tarfile.open(archives / name, "w:gz") as tar:
        for m, data in kept:
            tar.addfile(m, __import__("io").BytesIO(data) if data is not None else None)
    errors = krew_validate.validate_file(out, archives, release=True)
    assert any("installs no LICENSE" in e for e in errors), errors
    assert any("sha256 does not match" in e for e in errors), errors
    result = script("krew_validate.py", out, "--archives", archives, "--release", expect=1)
    assert "installs no LICENSE" in result.stderr


# -- glibc_floor.py -------------------------------------------------------------------------

def _elf_with_glibc() -> Path:
    candidates = [Path(sys.executable).resolve(), Path("/bin/ls"), Path("/usr/bin/env")]
    for c in candidates:
        if glibc_floor.is_elf(c) and glibc_floor.max_glibc(glibc_floor.needed_versions(c)):
            return c
    pytest.skip("no dynamically linked glibc executable here (not Linux/glibc)")


def test_glibc_floor_reads_version_requirements(tmp_path):
    elf = _elf_with_glibc()
    names = glibc_floor.needed_versions(elf)
    assert any(n.startswith("GLIBC_2.") for n in names)
    if shutil.which("objdump"):
        dump = subprocess.run(["objdump", "-T", str(elf)], capture_output=True, text=True).stdout
        import re

        from_objdump = max(tuple(map(int, v.split("."))) for v in
                           re.findall(r"GLIBC_(\d+\.\d+(?:\.\d+)?)", dump))
        assert glibc_floor.max_glibc(names) == from_objdump
    # a directory: ELF files found recursively, other files ignored
    (tmp_path / "sub").mkdir()
    shutil.copy(elf, tmp_path / "sub" / "prog")
    (tmp_path / "notes.txt").write_text("no elf")
    overall, per_file = glibc_floor.floor([tmp_path])
    assert list(per_file) == [str(tmp_path / "sub" / "prog")]
    assert overall == glibc_floor.max_glibc(names)


def test_glibc_floor_command_line(tmp_path):
    elf = _elf_with_glibc()
    floor = glibc_floor.fmt(glibc_floor.max_glibc(glibc_floor.needed_versions(elf)))
    out = script("glibc_floor.py", elf, "--max", floor)
    assert out.stdout.startswith(f"GLIBC floor: {floor} (1 ELF files scanned)")
    out = script("glibc_floor.py", elf, "--max", "2.0", expect=1)
    assert "need a glibc newer than 2.0" in out.stderr
    out = script("glibc_floor.py", tmp_path, expect=1)
    assert "no ELF files" in out.stderr
    assert glibc_floor.glibc_version("GLIBC_2.3.4") == (2, 3, 4)
    assert glibc_floor.glibc_version("GLIBCXX_3.4.21") is None
    assert glibc_floor.max_glibc({"GLIBC_2.9", "GLIBC_2.17", "GLIBC_PRIVATE"}) == (2, 17)


# -- the workflow calls these scripts -------------------------------------------------------

def test_release_workflow_uses_the_tested_scripts():
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    workflow = yaml.safe_load(text)
    on = workflow.get("on") or workflow.get(True)  # YAML 1.1 reads `on` as true
    assert on["push"]["tags"] == ["v*"]
    builds = workflow["jobs"]["build"]["strategy"]["matrix"]["include"]
    assert {(b["os_name"], b["arch"]) for b in builds} == krew_validate.RELEASE_PLATFORMS
    linux = [b for b in builds if b["os_name"] == "linux"]
    assert linux and all("/ubi8/" in b["container"]["image"] for b in linux)  # glibc 2.28
    assert all("container" not in b for b in builds if b["os_name"] != "linux")
    for name in ("build_binary.py", "package.py", "checksum.py", "krew_manifest.py",
                 "krew_validate.py", "glibc_floor.py"):
        assert f"scripts/{name}" in text, name
        assert (SCRIPTS / name).is_file()
    assert "glibc_floor.py" in text and "--max 2.28" in text
    assert "tests/release/test_binary.py" in text and "KUBECTL_NIM_BINARY" in text


def test_local_manifest_for_the_platforms_built_here(tmp_path):
    rel = tmp_path / "release"
    package.package(fake_onedir(tmp_path / "b"), rel, VERSION, "linux", "amd64", mtime=EPOCH)
    out = tmp_path / "nim.yaml"
    script("krew_manifest.py", "--local", "--version", VERSION, "--archives", rel,
           "--repo", "a/b", "--out", out)
    filled = yaml.safe_load(out.read_text())
    assert [p["selector"]["matchLabels"] for p in filled["spec"]["platforms"]] == \
        [{"os": "linux", "arch": "amd64"}]
    assert krew_validate.validate(filled, "nim.yaml", rel, release=True) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    result = script("krew_manifest.py", "--local", "--version", VERSION, "--archives", empty,
                    "--repo", "a/b", "--out", out, expect=1)
    assert "no archive" in result.stderr


def test_build_warns_loudly_on_a_glibc_newer_than_the_release():
    glibc_warning = build_binary.glibc_warning

    warning = glibc_warning(("glibc", "2.35"), "linux")
    assert warning and "glibc 2.35, newer than 2.28" in warning and "WARNING" in warning
    assert glibc_warning(("glibc", "2.28"), "linux") is None
    assert glibc_warning(("glibc", "2.17"), "linux") is None
    assert glibc_warning(("", ""), "darwin") is None
    assert glibc_warning(("musl", "1.2"), "linux") is None


def test_third_party_notices_list_what_the_binary_bundles():
    import third_party_notices

    names = [d.metadata["Name"].lower().replace("_", "-")
             for d in third_party_notices.closure()]
    assert {"click", "httpx", "pyyaml", "socksio", "truststore", "kubernetes"} <= set(names)
    assert "aiohttp" not in names  # build.spec keeps kubernetes' asyncio client out
    assert "pytest" not in names and "pyinstaller" not in names  # test and build extras
    assert names == sorted(names)
    text = third_party_notices.render(third_party_notices.closure())
    assert text.startswith("Third-party software bundled in the kubectl-nim binary")
    assert "\nhttpx 0." in text and "License: BSD-3-Clause" in text
    assert "--- LICENSE" in text  # the license texts themselves, not only their names
