#!/usr/bin/env python3
"""Pack a built kubectl-nim into its release archive, byte for byte reproducibly.

    python scripts/package.py [--version v0.1.0] [--os linux --arch amd64]
                              [--input dist/kubectl-nim] [--out dist/release]
    python scripts/package.py --single-file [--input dist/onefile/kubectl-nim] ...

The archive (`kubectl-nim_<version>_<os>_<arch>.tar.gz`, `.zip` for Windows) holds, at its root:
the executable `kubectl-nim` (with `_internal/` for a onedir build), `LICENSE`, and on Linux and
macOS the completion helper `kubectl_complete-nim`.  That is the layout krew/nim.yaml installs.
--single-file packs the onefile build the same way as a second release asset for direct download,
`kubectl-nim-onefile_<version>_<os>_<arch>.tar.gz` (Linux, macOS; on Windows the Krew zip already
is a single file).

Same input, same bytes: entries sorted by path, mtime = SOURCE_DATE_EPOCH (else the last commit's
time), owner 0:0 without names, modes normalised to 0755 (directories, executables) or 0644,
gzip header without name and with mtime 0.  Prints the archive path.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import platform
import re
import stat
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from build_binary import NAME, executable_path, source_date_epoch  # noqa: E402

OS_NAMES = {"linux": "linux", "darwin": "darwin", "win32": "windows"}
ARCH_NAMES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
ZIP_EPOCH_MIN = 315532800  # 1980-01-01, the first time a ZIP entry can carry
_VERSION = re.compile(r"^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def project_version(root: Path = ROOT) -> str:
    """`v` + the version pyproject.toml states (the one version source), read with the same
    parser kubectl_nim uses at run time."""
    sys.path.insert(0, str(root))
    from kubectl_nim import pyproject_version

    version = pyproject_version((root / "pyproject.toml").read_text(encoding="utf-8"))
    if not version:
        raise SystemExit(f"error: {root / 'pyproject.toml'} states no [project] version")
    return "v" + version


def current_os() -> str:
    return OS_NAMES.get(sys.platform, sys.platform)


def current_arch() -> str:
    machine = platform.machine().lower()
    return ARCH_NAMES.get(machine, machine)


SINGLE_FILE = NAME + "-onefile"  # the single-file asset: a name Krew's archives never have


def archive_name(version: str, os_name: str, arch: str, single_file: bool = False) -> str:
    ext = "zip" if os_name == "windows" else "tar.gz"
    return f"{SINGLE_FILE if single_file else NAME}_{version}_{os_name}_{arch}.{ext}"


def collect(input_path: Path, os_name: str, root: Path = ROOT,
            notices: Path | None = None) -> list[tuple[str, Path]]:
    """(name in the archive, file on disk) for the build output, LICENSE, THIRD_PARTY_NOTICES
    (when given) and the helper."""
    exe = NAME + (".exe" if os_name == "windows" else "")
    entries: list[tuple[str, Path]] = []
    if input_path.is_dir():  # onedir: the folder's contents go to the archive root
        if not (input_path / exe).is_file():
            raise SystemExit(f"error: {input_path} has no {exe}")
        for path in sorted(input_path.rglob("*")):
            entries.append((path.relative_to(input_path).as_posix(), path))
    elif input_path.is_file():  # onefile
        entries.append((exe, input_path))
    else:
        raise SystemExit(f"error: {input_path} does not exist; build first (make binary)")
    entries.append(("LICENSE", root / "LICENSE"))
    if notices is not None:
        entries.append(("THIRD_PARTY_NOTICES", notices))
    if os_name != "windows":
        entries.append(("kubectl_complete-nim", root / "kubectl_complete-nim"))
    names = [n for n, _ in entries]
    if len(names) != len(set(names)):
        raise SystemExit("error: duplicate entries in the archive")
    return sorted(entries)


EXECUTABLES = {NAME, NAME + ".exe", "kubectl_complete-nim"}


def _mode(path: Path, name: str) -> int:
    """0755 for directories, executables and the programs users run; 0644 for the rest."""
    st = path.lstat()
    if stat.S_ISDIR(st.st_mode) or st.st_mode & 0o111 or name in EXECUTABLES:
        return 0o755
    return 0o644


def write_tar_gz(entries, out: Path, mtime: int) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in entries:
            info = tarfile.TarInfo(name)
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if path.is_symlink():
                info.type = tarfile.SYMTYPE
                info.linkname = os.readlink(path)
                info.mode = 0o777
                tar.addfile(info)
            elif path.is_dir():
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = path.stat().st_size
                info.mode = _mode(path, name)
                with open(path, "rb") as f:
                    tar.addfile(info, f)
    with open(out, "wb") as raw:
        # filename="" and mtime=0: the gzip header carries neither the name nor a time
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            gz.write(buf.getvalue())


def write_zip(entries, out: Path, mtime: int) -> None:
    import time

    stamp = time.gmtime(max(mtime, ZIP_EPOCH_MIN))[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, path in entries:
            if path.is_symlink():
                raise SystemExit(f"error: {path} is a symlink; a zip archive cannot carry one")
            is_dir = path.is_dir()
            info = zipfile.ZipInfo(name + ("/" if is_dir else ""), date_time=stamp)
            info.create_system = 3  # "Unix", so that the mode bits below are honoured
            kind = stat.S_IFDIR if is_dir else stat.S_IFREG
            info.external_attr = (kind | _mode(path, name)) << 16
            if is_dir:
                info.external_attr |= 0x10  # MS-DOS directory flag
                zf.writestr(info, b"")
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, path.read_bytes())


def package(input_path: Path, out_dir: Path, version: str, os_name: str, arch: str,
            mtime: int | None = None, root: Path = ROOT, single_file: bool = False) -> Path:
    if not _VERSION.match(version):
        raise SystemExit(f"error: version {version!r} is not v-prefixed semver (v1.2.3)")
    if single_file and not input_path.is_file():
        raise SystemExit(f"error: {input_path} is not a single-file build; build it with "
                         f"scripts/build_binary.py --onefile (make binary-onefile)")
    mtime = source_date_epoch(root) if mtime is None else mtime
    out_dir.mkdir(parents=True, exist_ok=True)
    # The licenses of what the binary bundles, from the environment that built it.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import third_party_notices

    notices = out_dir / "THIRD_PARTY_NOTICES"
    notices.write_text(third_party_notices.render(third_party_notices.closure()),
                       encoding="utf-8")
    entries = collect(input_path, os_name, root, notices)
    out = out_dir / archive_name(version, os_name, arch, single_file)
    tmp = out.with_name(out.name + ".tmp")
    (write_zip if os_name == "windows" else write_tar_gz)(entries, tmp, mtime)
    os.replace(tmp, out)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=project_version(),
                        help="release version, v-prefixed (default: v + the version in pyproject.toml)")
    parser.add_argument("--os", dest="os_name", default=current_os(),
                        choices=sorted(set(OS_NAMES.values())))
    parser.add_argument("--arch", default=current_arch(), choices=sorted(set(ARCH_NAMES.values())))
    parser.add_argument("--input", type=Path, default=None,
                        help="build output: the onedir folder or the onefile executable "
                             "(default: dist/kubectl-nim/, else dist/onefile/kubectl-nim[.exe])")
    parser.add_argument("--single-file", action="store_true",
                        help="pack the onefile build as the single-file asset "
                             "(kubectl-nim-onefile_...; default input dist/onefile/kubectl-nim)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "release")
    parser.add_argument("--mtime", type=int, default=None,
                        help="entry time (default: SOURCE_DATE_EPOCH, else the last commit's)")
    args = parser.parse_args(argv)
    input_path = args.input
    if input_path is None:
        plat = "win32" if args.os_name == "windows" else args.os_name
        input_path = ROOT / "dist" / NAME
        if args.single_file or not input_path.is_dir():
            input_path = executable_path(ROOT / "dist", "onefile", plat)
    print(package(input_path, args.out, args.version, args.os_name, args.arch, args.mtime,
                  single_file=args.single_file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
