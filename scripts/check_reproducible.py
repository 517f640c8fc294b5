#!/usr/bin/env python3
"""Build the binary twice from the same source and check that the archives are identical.

    python scripts/check_reproducible.py [--ref HEAD] [--mode auto|onedir|onefile]

The source is a commit (--ref, exported with `git archive`) or, by default, a snapshot of the
working tree (tracked and untracked, not ignored files), taken once, so that edits made while
the builds run cannot leak into one of them.  Each build runs from its own copy of that source in
its own directory, with fresh dist and work directories (PyInstaller --clean): the check also
proves that the result does not depend on where the tree lies.  SOURCE_DATE_EPOCH is the last
commit's time.  Exit 0 and the common sha256 when the two archives are byte-identical;
otherwise exit 1 and the files that differ.  Takes two full builds (about a minute on a 2-core
machine): run it by hand or in the release workflow, not in the unit tests
(tests/release/test_release_scripts.py checks the packaging step on its own).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from build_binary import (NAME, executable_path, resolve_mode,  # noqa: E402
                          source_date_epoch)
from checksum import sha256_of  # noqa: E402
from package import current_arch, current_os, package  # noqa: E402


def snapshot(dest: Path, ref: str | None) -> None:
    """The tree at `ref`, or the working tree's non-ignored files, copied to dest."""
    dest.mkdir(parents=True)
    if ref:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref],
                                 check=True, capture_output=True).stdout
        import io
        import tarfile

        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: refuse unsafe members
                tar.extractall(dest, filter="data")
            else:
                tar.extractall(dest)
        return
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], check=True, capture_output=True).stdout
    for rel in sorted(set(listed.decode().split("\0")) - {""}):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)


def build_once(source: Path, base: Path, mode: str, env: dict) -> Path:
    dist, work = base / "dist", base / "work"
    subprocess.run([sys.executable, str(source / "scripts" / "build_binary.py"), "--mode", mode,
                    "--dist", str(dist), "--work", str(work)], check=True, cwd=source, env=env)
    return dist / NAME if mode == "onedir" else executable_path(dist, mode)


def differing_files(a: Path, b: Path) -> list[str]:
    if a.is_file():
        return [] if filecmp.cmp(a, b, shallow=False) else [a.name]
    out = []
    names = {p.relative_to(a) for p in a.rglob("*")} | {p.relative_to(b) for p in b.rglob("*")}
    for rel in sorted(names):
        pa, pb = a / rel, b / rel
        if pa.is_dir() or pb.is_dir():
            continue
        if not (pa.exists() and pb.exists()) or not filecmp.cmp(pa, pb, shallow=False):
            out.append(str(rel))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", help="build this commit (default: a snapshot of the working tree)")
    parser.add_argument("--mode", choices=("auto", "onedir", "onefile"), default="auto")
    parser.add_argument("--version", default="v0.0.0-check")
    parser.add_argument("--keep", action="store_true", help="keep the two build directories")
    args = parser.parse_args(argv)
    mode = resolve_mode(args.mode)

    import os

    epoch = source_date_epoch(ROOT)
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    tmp = Path(tempfile.mkdtemp(prefix="kubectl-nim-repro-"))
    try:
        snapshot(tmp / "source", args.ref)
        outputs, archives = [], []
        for n in (1, 2):
            source = tmp / f"src{n}"
            shutil.copytree(tmp / "source", source, symlinks=True)
            out = build_once(source, tmp / f"build{n}", mode, env)
            outputs.append(out)
            archives.append(package(out, tmp / f"release{n}", args.version, current_os(),
                                    current_arch(), mtime=epoch, root=source))
        sums = [sha256_of(a) for a in archives]
        print(f"build 1: {sums[0]}  {archives[0].name}")
        print(f"build 2: {sums[1]}  {archives[1].name}")
        if sums[0] == sums[1]:
            print(f"reproducible: the two {mode} archives are byte-identical")
            return 0
        print("NOT reproducible; files that differ:", file=sys.stderr)
        for name in differing_files(*outputs):
            print(f"  {name}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
