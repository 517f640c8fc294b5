#!/usr/bin/env python3
"""Report the newest GLIBC symbol version a built Linux binary needs (its glibc floor).

    python scripts/glibc_floor.py dist/kubectl-nim            # onedir folder, or files
    python scripts/glibc_floor.py dist/kubectl-nim --max 2.28 # fail above RHEL 8's glibc

Scans every ELF file given or found under the given directories (the executable and every
bundled .so) and reads the version requirements the dynamic linker checks at start-up
(the SHT_GNU_verneed section: what `objdump -T` shows as GLIBC_2.xx).  Pure Python, no binutils
needed.  A onefile executable carries its libraries compressed inside, so scan the onedir build
(which is what the Linux release ships).

RHEL 8 / UBI 8 have glibc 2.28, RHEL 9 2.34: a floor of 2.28 starts everywhere OpenShift
operators work.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
from pathlib import Path

SHT_GNU_VERNEED = 0x6FFFFFFE
_GLIBC = re.compile(r"^GLIBC_(\d+)\.(\d+)(?:\.(\d+))?$")


def is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def needed_versions(path: Path) -> set[str]:
    """Every version name (GLIBC_2.17, GLIBCXX_3.4, ...) the file requires from its libraries."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        raise ValueError(f"{path} is not an ELF file")
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
    else:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)

    def section(i):
        base = shoff + i * shentsize
        layout = "IIQQQQII" if is64 else "IIIIIIII"  # Elf_Shdr up to sh_info
        _, sh_type, _, _, off, size, link, info = struct.unpack_from(end + layout, data, base)
        return sh_type, off, size, link, info

    names: set[str] = set()
    for i in range(shnum):
        sh_type, off, _size, link, count = section(i)
        if sh_type != SHT_GNU_VERNEED:
            continue
        _, str_off, str_size, _, _ = section(link)

        def string(index, str_off=str_off):
            start = str_off + index
            return data[start:data.index(b"\0", start)].decode("ascii", "replace")

        entry = off
        for _ in range(count):  # Elf_Verneed entries (same layout in ELF32 and ELF64)
            _ver, cnt, _file, aux, nxt = struct.unpack_from(end + "HHIII", data, entry)
            aux_at = entry + aux
            for _ in range(cnt):  # Elf_Vernaux
                _hash, _flags, _other, name, aux_next = struct.unpack_from(end + "IHHII", data,
                                                                           aux_at)
                names.add(string(name))
                if not aux_next:
                    break
                aux_at += aux_next
            if not nxt:
                break
            entry += nxt
    return names


def glibc_version(name: str) -> tuple[int, ...] | None:
    m = _GLIBC.match(name)
    return tuple(int(g) for g in m.groups() if g is not None) if m else None


def max_glibc(names) -> tuple[int, ...] | None:
    versions = [v for v in map(glibc_version, names) if v]
    return max(versions) if versions else None


def elf_files(paths) -> list[Path]:
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found += [f for f in sorted(p.rglob("*")) if f.is_file() and not f.is_symlink()
                      and is_elf(f)]
        elif is_elf(p):
            found.append(p)
    return found


def floor(paths) -> tuple[tuple[int, ...] | None, dict[str, tuple[int, ...]]]:
    """(overall max GLIBC version, {file: its max}) over the ELF files in paths."""
    per_file = {}
    for f in elf_files(paths):
        v = max_glibc(needed_versions(f))
        if v:
            per_file[str(f)] = v
    return (max(per_file.values()) if per_file else None), per_file


def fmt(v) -> str:
    return ".".join(map(str, v)) if v else "none"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="ELF files or directories to scan")
    parser.add_argument("--max", help="fail when a file needs a newer GLIBC (e.g. 2.28)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--top", type=int, default=5, help="files to list (newest first)")
    args = parser.parse_args(argv)

    files = elf_files(args.paths)
    if not files:
        print("error: no ELF files found in " + ", ".join(args.paths), file=sys.stderr)
        return 1
    overall, per_file = floor(files)
    limit = tuple(int(x) for x in args.max.split(".")) if args.max else None
    too_new = {f: v for f, v in per_file.items() if limit and v > limit}
    if args.json:
        print(json.dumps({"glibc_floor": fmt(overall), "elf_files": len(files),
                          "files": {f: fmt(v) for f, v in sorted(per_file.items())},
                          "too_new": sorted(too_new)}, indent=2))
    else:
        print(f"GLIBC floor: {fmt(overall)} ({len(files)} ELF files scanned)")
        newest = sorted(per_file.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
        for f, v in newest[:args.top]:
            print(f"  {fmt(v):>6}  {f}")
    if too_new:
        print(f"error: {len(too_new)} file(s) need a glibc newer than {args.max}: "
              + ", ".join(sorted(too_new)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
