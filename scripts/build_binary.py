#!/usr/bin/env python3
"""Build the kubectl-nim binary with PyInstaller (build.spec), reproducibly.

    python scripts/build_binary.py                  # what Krew installs on this OS:
                                                    #   Linux, macOS: onedir, dist/kubectl-nim/
                                                    #   Windows: onefile, dist/onefile/kubectl-nim.exe
    python scripts/build_binary.py --onefile        # one self-unpacking file (= --mode onefile):
                                                    #   dist/onefile/kubectl-nim[.exe], the
                                                    #   single-file release asset on Linux and macOS

Why onedir on Linux and macOS: it starts about twice as fast (no unpacking to a temporary
directory on every run), and Krew installs a symlink to it, which the bootloader follows to find
`_internal/` (tests/release/test_plugin_discovery.py runs it through such a link).  Windows gets onefile:
Krew links the .exe into ~/.krew/bin there too, and a single file needs nothing beside it
(whether the Windows bootloader follows that link back to `_internal/` is untested).

Reproducibility: PYTHONHASHSEED=0 (set/frozenset order inside the bundled bytecode) and
SOURCE_DATE_EPOCH = the last commit's time (PyInstaller's build timestamp), so two builds of one
commit give the same bytes.  The release archive (scripts/package.py) then fixes mtimes, owners
and entry order.  Prints the absolute path of the built executable as the last stdout line.

Runs on Linux, macOS and Windows with the Python that has PyInstaller and the plugin's
dependencies installed (`pip install -e '.[build]'`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "kubectl-nim"
# 1980-01-01: the earliest time a ZIP entry can carry; used when there is no git history.
FALLBACK_EPOCH = 315532800


def source_date_epoch(root: Path = ROOT, environ=os.environ) -> int:
    """$SOURCE_DATE_EPOCH if set, else the committer time of HEAD, else 1980-01-01."""
    if environ.get("SOURCE_DATE_EPOCH", "").strip():
        return int(environ["SOURCE_DATE_EPOCH"])
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%ct"],
                             capture_output=True, text=True, check=True).stdout.strip()
        return int(out) if out else FALLBACK_EPOCH
    except (OSError, subprocess.CalledProcessError, ValueError):
        return FALLBACK_EPOCH


ONEFILE_DIR = "onefile"  # its own folder: the onedir build already owns dist/kubectl-nim/


def distpath(dist: Path, mode: str) -> Path:
    """Where PyInstaller writes: onefile in a folder of its own, so that both builds can sit in
    one dist/ and the single file keeps the name users run (the usage text follows it)."""
    return dist / ONEFILE_DIR if mode == "onefile" else dist


def executable_path(dist: Path, mode: str, platform: str = sys.platform) -> Path:
    exe = NAME + (".exe" if platform == "win32" else "")
    return dist / NAME / exe if mode == "onedir" else distpath(dist, mode) / exe


def resolve_mode(mode: str, platform: str = sys.platform) -> str:
    if mode == "auto":
        return "onefile" if platform == "win32" else "onedir"
    return mode


RELEASE_GLIBC = (2, 28)  # UBI 8 / RHEL 8, where the Linux release is built (scripts/glibc_floor.py)


def glibc_warning(libc: tuple[str, str], platform: str = sys.platform) -> str | None:
    """A loud warning when this Linux host's glibc is newer than the release's: the binary
    would need that glibc too and fail to start on RHEL 8 (`GLIBC_2.xx not found`)."""
    name, version = libc
    if not platform.startswith("linux") or name != "glibc":
        return None
    try:
        found = tuple(int(p) for p in version.split(".")[:2])
    except ValueError:
        return None
    if found <= RELEASE_GLIBC:
        return None
    floor = ".".join(map(str, RELEASE_GLIBC))
    bar = "!" * 78
    return (f"{bar}\n!! WARNING: this host has glibc {version}, newer than {floor} (UBI 8).\n"
            f"!! The binary built here needs glibc >= {version} and will NOT start on RHEL 8 or\n"
            f"!! other older distributions. Fine for local testing; build releases in UBI 8\n"
            f"!! (docs/distribution.md), and check with: python scripts/glibc_floor.py "
            f"dist/kubectl-nim --max {floor}\n{bar}")


def build_env(mode: str, environ=os.environ) -> dict:
    env = dict(environ)
    env["PYTHONHASHSEED"] = "0"
    env["SOURCE_DATE_EPOCH"] = str(source_date_epoch(environ=environ))
    env["KUBECTL_NIM_BUILD_MODE"] = mode
    return env


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("auto", "onedir", "onefile"), default="auto")
    parser.add_argument("--onefile", dest="mode", action="store_const", const="onefile",
                        help="same as --mode onefile")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist",
                        help="output directory (default: dist/)")
    parser.add_argument("--work", type=Path, default=None,
                        help="PyInstaller work directory (default: build/pyinstaller-MODE)")
    args = parser.parse_args(argv)
    args.mode = resolve_mode(args.mode)

    import platform

    warning = glibc_warning(platform.libc_ver())
    if warning:
        print(warning, file=sys.stderr)
    work = args.work or ROOT / "build" / f"pyinstaller-{args.mode}"
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
           "--distpath", str(distpath(args.dist, args.mode)), "--workpath", str(work),
           str(ROOT / "build.spec")]
    env = build_env(args.mode)
    print(f"+ PYTHONHASHSEED=0 SOURCE_DATE_EPOCH={env['SOURCE_DATE_EPOCH']} "
          f"KUBECTL_NIM_BUILD_MODE={args.mode} {' '.join(cmd)}", file=sys.stderr)
    started = time.monotonic()
    subprocess.run(cmd, env=env, cwd=ROOT, check=True)
    exe = executable_path(args.dist.resolve(), args.mode)
    if not exe.is_file():
        print(f"error: PyInstaller finished but {exe} is missing", file=sys.stderr)
        return 1
    print(f"built {exe} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    if warning:  # again at the end, where it is seen
        print(warning, file=sys.stderr)
    print(exe)
    return 0


if __name__ == "__main__":
    sys.exit(main())
