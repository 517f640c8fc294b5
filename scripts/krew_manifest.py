#!/usr/bin/env python3
"""Fill krew/nim.yaml with a release's version, archive URLs and sha256 checksums.

    python scripts/krew_manifest.py --version v0.2.0 --archives dist/release \\
        [--repo OWNER/NAME] [--manifest krew/nim.yaml] [--out krew/nim.yaml]
    python scripts/krew_manifest.py --local --archives dist/release --out dist/release/nim.yaml

For every platform of the manifest (its os/arch selector) the archive
`kubectl-nim_<version>_<os>_<arch>.(tar.gz|zip)` must be in --archives; its uri becomes
`https://github.com/<repo>/releases/download/<version>/<archive>` (--repo defaults to
$GITHUB_REPOSITORY, then to the repository the manifest already points at) and its sha256 is
computed from the file.  The result is validated (scripts/krew_validate.py, --release rules)
before it is written; the output is deterministic (same inputs, same bytes).

--local keeps only the platforms whose archive is there (`make krew` on one machine), so that
`kubectl krew install --manifest=dist/release/nim.yaml --archive=dist/release/<archive>` can try
the real installation locally.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from krew_validate import (release_coverage_errors, selected_platforms, sha256_of,  # noqa: E402
                           validate)
from package import archive_name, project_version  # noqa: E402

HEADER = ("# Krew plugin manifest of kubectl-nim\n"
          "# (https://krew.sigs.k8s.io/docs/developer-guide/plugin-manifest/).\n"
          "# uri and sha256 are filled per release by scripts/krew_manifest.py (release workflow);\n"
          "# the committed copy carries placeholder checksums (all zeros).\n"
          "# Check it: python scripts/krew_validate.py krew/nim.yaml\n")
_REPO_IN_URI = re.compile(r"^https://github\.com/([^/]+/[^/]+)/releases/download/")


def repo_of(manifest: dict) -> str | None:
    for p in manifest["spec"].get("platforms") or []:
        m = _REPO_IN_URI.match(str(p.get("uri", "")))
        if m:
            return m.group(1)
    return None


def platform_of(p: dict) -> tuple[str, str]:
    matched = selected_platforms(p["selector"])
    if len(matched) != 1:
        raise SystemExit(f"error: platform selector {p['selector']} selects {len(matched)} "
                         f"os/arch pairs; one per entry is expected")
    return matched[0]


def fill(manifest: dict, version: str, archives: Path, repo: str, local: bool = False) -> dict:
    spec = manifest["spec"]
    spec["version"] = version
    if "homepage" in spec:
        spec["homepage"] = f"https://github.com/{repo}"
    kept = []
    for p in spec["platforms"]:
        os_name, arch = platform_of(p)
        name = archive_name(version, os_name, arch)
        path = archives / name
        if not path.is_file():
            if local:
                continue
            raise SystemExit(f"error: {path} is missing (the release builds every platform of "
                             f"the manifest)")
        kept.append(p)
        p["uri"] = f"https://github.com/{repo}/releases/download/{version}/{name}"
        p["sha256"] = sha256_of(path)
    if not kept:
        raise SystemExit(f"error: no archive of version {version} in {archives}")
    spec["platforms"] = kept
    return manifest


def dump(manifest: dict) -> str:
    class Dumper(yaml.SafeDumper):
        pass

    def literal(dumper, text):  # multi-line strings as | blocks, as people write them
        style = "|" if "\n" in text else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    Dumper.add_representer(str, literal)
    return HEADER + yaml.dump(manifest, Dumper=Dumper, sort_keys=False, width=100,
                              allow_unicode=True, default_flow_style=False)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=project_version(),
                        help="v-prefixed (default: v + the version in pyproject.toml)")
    parser.add_argument("--archives", type=Path, required=True)
    parser.add_argument("--repo", default=os.environ.get("GITHUB_REPOSITORY") or None)
    parser.add_argument("--manifest", type=Path, default=ROOT / "krew" / "nim.yaml")
    parser.add_argument("--out", type=Path, default=None, help="default: --manifest, in place")
    parser.add_argument("--local", action="store_true",
                        help="only the platforms whose archive is present (local testing)")
    args = parser.parse_args(argv)

    manifest = yaml.safe_load(args.manifest.read_text(encoding="utf-8"))
    repo = args.repo or repo_of(manifest)
    if not repo:
        raise SystemExit("error: no repository: pass --repo OWNER/NAME")
    text = dump(fill(manifest, args.version, args.archives, repo, args.local))
    out = args.out or args.manifest
    # Validate exactly what will be written, under the name it will have.
    written = yaml.safe_load(text)
    errors = validate(written, out.name, args.archives, release=True)
    if not args.local:
        errors += release_coverage_errors(written)
    if errors:
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        return 1
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
