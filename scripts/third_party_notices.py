#!/usr/bin/env python3
"""Write THIRD_PARTY_NOTICES: the license of every package the binary bundles.

    python scripts/third_party_notices.py [--out FILE]      # default: stdout

The packages are the runtime dependency closure of the installed `kubectl-nim` distribution
(its requirements, their requirements, ..., markers evaluated for this interpreter, extras such
as httpx[socks] followed), read from the environment that builds the binary, less what
build.spec's EXCLUDES keep out of the binary (kubernetes' asyncio client: aiohttp and its
dependencies), so the file lists what PyInstaller bundles from it. For each: name, version, the declared license, and
the text of every license file the distribution ships (LICENSE, COPYING, NOTICE, AUTHORS...).
Python itself (PSF license) is bundled too and listed first. Deterministic: sorted by name.
scripts/package.py puts the file into every release archive.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

ROOT_DISTRIBUTION = "kubectl-nim"
ROOT = Path(__file__).resolve().parents[1]
_LICENSE_FILE = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE|AUTHORS)[^/]*$", re.I)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def spec_excludes(spec: Path = ROOT / "build.spec") -> set[str]:
    """The module names build.spec keeps out of the binary (its EXCLUDES list literal)."""
    import ast

    for node in ast.parse(spec.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "EXCLUDES"
                                                for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


def top_level_modules(dist: metadata.Distribution) -> set[str]:
    text = dist.read_text("top_level.txt")
    if text:
        return {line.strip() for line in text.splitlines() if line.strip()}
    modules = set()
    for file in dist.files or []:
        first = str(file).split("/")[0]
        if first.endswith(".py"):
            modules.add(first[:-3])
        elif "." not in first and first != "__pycache__":
            modules.add(first)
    return modules


def closure(root: str = ROOT_DISTRIBUTION,
            excluded: set[str] | None = None) -> list[metadata.Distribution]:
    """The installed distributions `root` needs at run time (root excluded), sorted by name;
    a distribution whose modules are all `excluded` is left out with its requirements."""
    from packaging.requirements import Requirement

    excluded = spec_excludes() if excluded is None else excluded

    seen: dict[str, metadata.Distribution] = {}
    todo: list[tuple[str, frozenset]] = [(root, frozenset())]
    while todo:
        name, extras = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional requirement not installed here: not bundled either
        key = _canonical(dist.metadata["Name"])
        modules = top_level_modules(dist)
        if key != _canonical(root) and modules and modules <= excluded:
            continue  # kept out of the binary by build.spec, and so is what only it needs
        for raw in dist.requires or []:
            req = Requirement(raw)
            environment = [{"extra": e} for e in extras] or [{"extra": ""}]
            if req.marker and not any(req.marker.evaluate(env) for env in environment):
                continue  # test/build extras, other platforms and Pythons
            if _canonical(req.name) not in seen or req.extras:
                todo.append((req.name, frozenset(req.extras)))
        if key != _canonical(root):
            seen[key] = dist
    return [seen[k] for k in sorted(seen)]


def declared_license(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression
    text = (meta.get("License") or "").strip()
    if text and len(text) < 200 and "\n" not in text:
        return text
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::")]
    return ", ".join(classifiers) or (text.splitlines()[0] if text else "UNKNOWN")


def license_texts(dist: metadata.Distribution) -> list[tuple[str, str]]:
    texts = []
    for file in sorted(dist.files or [], key=str):
        if _LICENSE_FILE.search(str(file)) and ".dist-info" in str(file):
            try:
                texts.append((Path(str(file)).name, file.read_text(encoding="utf-8").strip()))
            except (OSError, UnicodeDecodeError):
                continue
    return texts


def render(dists: list[metadata.Distribution]) -> str:
    bar = "=" * 78
    out = ["Third-party software bundled in the kubectl-nim binary", "",
           "kubectl-nim itself is under the Apache License 2.0 (LICENSE). The binary also",
           "contains the Python interpreter and the packages below, each under its own license.",
           "", bar, f"Python {sys.version.split()[0]}", "License: Python Software Foundation "
           "License (PSF-2.0), https://docs.python.org/3/license.html", ""]
    for dist in dists:
        out += [bar, f"{dist.metadata['Name']} {dist.version}",
                f"License: {declared_license(dist)}"]
        home = dist.metadata.get("Home-page") or next(
            (u.split(", ", 1)[-1] for u in dist.metadata.get_all("Project-URL") or []), "")
        if home:
            out.append(f"Home: {home}")
        for name, text in license_texts(dist):
            out += ["", f"--- {name} ---", text]
        out.append("")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    text = render(closure())
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
