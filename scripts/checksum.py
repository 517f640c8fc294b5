#!/usr/bin/env python3
"""Write sha256 checksums of release archives, in the format `sha256sum -c` reads.

    python scripts/checksum.py dist/release            # every archive in the folder
    python scripts/checksum.py a.tar.gz b.zip --out SHA256SUMS

Writes `<archive>.sha256` next to each archive (one line, for the Krew index's reviewers and
people who download one file) and `checksums.txt` in the first archive's folder (all archives,
sorted by name).  Prints the lines.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

ARCHIVE_SUFFIXES = (".tar.gz", ".zip")


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def archives_in(paths) -> list[Path]:
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found += [f for f in p.iterdir() if f.is_file() and f.name.endswith(ARCHIVE_SUFFIXES)]
        elif p.is_file():
            found.append(p)
        else:
            raise SystemExit(f"error: {p} does not exist")
    return sorted(set(found), key=lambda f: f.name)


def line(path: Path) -> str:
    return f"{sha256_of(path)}  {path.name}\n"  # two spaces: sha256sum's text mode


def write_checksums(archives: list[Path], out: Path | None = None) -> Path:
    if not archives:
        raise SystemExit("error: no archives (*.tar.gz, *.zip) to checksum")
    lines = []
    for a in archives:
        text = line(a)
        a.with_name(a.name + ".sha256").write_text(text, encoding="utf-8", newline="\n")
        lines.append(text)
    out = out or archives[0].parent / "checksums.txt"
    out.write_text("".join(lines), encoding="utf-8", newline="\n")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="archives or folders holding them")
    parser.add_argument("--out", type=Path, help="combined file (default: checksums.txt)")
    args = parser.parse_args(argv)
    out = write_checksums(archives_in(args.paths), args.out)
    sys.stdout.write(out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
