#!/usr/bin/env python3
"""Check a Krew plugin manifest the way Krew's own validator does, plus the index's review rules.

    python scripts/krew_validate.py krew/nim.yaml                        # structure
    python scripts/krew_validate.py krew/nim.yaml --archives dist/release  # + the archives

Rules, from sigs.k8s.io/krew (internal/index/validation/validate.go and
cmd/validate-krew-manifest) and the krew-index plugin guidelines:

* apiVersion krew.googlecontainertools.github.com/v1alpha2, kind Plugin;
* metadata.name matches ^[\\w-]+$, is no Windows reserved name, and equals the file name;
* spec.version is `v`-prefixed semantic version (vMAJOR.MINOR.PATCH[-pre][+build]);
* shortDescription set, one line, at most 50 characters (the index's limit);
* description set, lines of at most 80 characters, and no command lists (no bullet lists, no
  `kubectl nim ...` usage lines: the plugin's --help is the place for those);
* at least one platform; each with uri (https), sha256 (lowercase 64-hex), bin, valid `files`
  operations, and a selector that is set, not empty, and uses only the keys `os` and `arch`;
* every platform selects at least one os/arch Krew supports, and no os/arch is selected by two
  platforms (non-overlapping selectors);
* with --archives: each platform's archive exists, its sha256 matches, and installing it the way
  Krew does (the `files` operations) yields the `bin` and a LICENSE file.
--release also refuses the placeholder checksum of the committed manifest.
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import sys
import tarfile
import zipfile
from pathlib import Path

import yaml

from checksum import sha256_of  # scripts/ is on sys.path: they run as scripts

API_VERSION = "krew.googlecontainertools.github.com/v1alpha2"
SAFE_NAME = re.compile(r"^[\w-]+$")
SHA256 = re.compile(r"^[a-f0-9]{64}$")
SEMVER = re.compile(r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
                    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")
WINDOWS_FORBIDDEN = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}
PLACEHOLDER_SHA256 = "0" * 64
SHORT_DESCRIPTION_MAX = 50
LINE_MAX = 80
# The os/arch pairs Krew runs on (krew's validate-krew-manifest allPlatforms()).
KREW_PLATFORMS = [("windows", "386"), ("windows", "amd64"), ("windows", "arm64"),
                  ("linux", "386"), ("linux", "amd64"), ("linux", "arm"), ("linux", "arm64"),
                  ("linux", "ppc64le"), ("linux", "s390x"),
                  ("darwin", "386"), ("darwin", "amd64"), ("darwin", "arm64")]
# What the release workflow builds: the manifest must cover exactly these.
RELEASE_PLATFORMS = {("linux", "amd64"), ("linux", "arm64"), ("darwin", "amd64"),
                     ("darwin", "arm64"), ("windows", "amd64")}
_COMMAND_LINE = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)])\s|^\s*\$ |\b(?:kubectl|oc)[ -]nim\b")


# -- label selectors (metav1.LabelSelector semantics) -------------------------------------------

def selector_matches(selector: dict, labels: dict) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
        if op not in ("In", "NotIn", "Exists", "DoesNotExist"):
            return False
    return True


def selected_platforms(selector: dict) -> list[tuple[str, str]]:
    return [(o, a) for o, a in KREW_PLATFORMS if selector_matches(selector, {"os": o, "arch": a})]


def _selector_errors(sel) -> list[str]:
    if sel is None:
        return ["nil selector is not supported"]
    if not isinstance(sel, dict):
        return ["selector is not a mapping"]
    labels, exprs = sel.get("matchLabels"), sel.get("matchExpressions")
    if labels is None and not exprs:
        return ["empty selector is not supported"]
    errors = []
    keys = list(labels or {}) + [e.get("key") for e in exprs or []]
    errors += [f"selector key {k!r} not supported (only os, arch)" for k in keys
               if k not in ("os", "arch")]
    if labels is not None and len(labels) == 0:
        errors.append("`matchLabels` specified but empty")
    if exprs is not None and len(exprs) == 0:
        errors.append("`matchExpressions` specified but empty")
    for e in exprs or []:
        if e.get("operator") not in ("In", "NotIn", "Exists", "DoesNotExist"):
            errors.append(f"selector operator {e.get('operator')!r} is not valid")
    return errors


# -- archives, installed the way Krew does ------------------------------------------------------

def archive_members(path: Path) -> list[str]:
    """Paths of files and directories in the archive (directories end without a slash)."""
    names: set[str] = set()
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            raw = zf.namelist()
    else:
        with tarfile.open(path) as tf:
            raw = tf.getnames()
    for name in raw:
        name = name.strip("/")
        if name.startswith("./"):
            name = name[2:]
        parts = name.split("/")
        names.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return sorted(n for n in names if n)


def install(members: list[str], files) -> set[str]:
    """Apply Krew's `files` operations (default: everything to .) to the archive's paths."""
    operations = files if files else [{"from": "*", "to": "."}]
    installed: set[str] = set()
    for op in operations:
        pattern = op["from"].strip("/")
        to = op["to"].strip("/")
        to = "" if to in (".", "") else to + "/"
        depth = pattern.count("/") + 1
        for m in members:
            if m.count("/") + 1 != depth or not fnmatch.fnmatchcase(m, pattern):
                continue
            base = m.rsplit("/", 1)[-1]
            for sub in members:  # the match and everything under it
                if sub == m or sub.startswith(m + "/"):
                    installed.add(to + base + sub[len(m):])
    return installed


# -- the manifest -------------------------------------------------------------------------------

def _lines_too_long(text: str) -> list[str]:
    # Krew tolerates a long line that is a single word (a URL, say).
    return [ln for ln in text.splitlines() if len(ln) > LINE_MAX and " " in ln.strip()]


def validate(manifest: dict, file_name: str, archives: Path | None = None,
             release: bool = False) -> list[str]:
    errors: list[str] = []
    if not isinstance(manifest, dict):
        return ["the manifest is not a YAML mapping"]
    if manifest.get("apiVersion") != API_VERSION:
        errors.append(f"apiVersion={manifest.get('apiVersion')!r}, Krew supports {API_VERSION!r}")
    if manifest.get("kind") != "Plugin":
        errors.append(f"kind={manifest.get('kind')!r}, only 'Plugin' is supported")
    expected = Path(file_name).name
    if not expected.endswith(".yaml"):
        errors.append(f"manifest file {expected!r} must have the .yaml extension")
    expected = expected[:-5] if expected.endswith(".yaml") else expected
    name = (manifest.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not SAFE_NAME.match(name) or name.upper() in WINDOWS_FORBIDDEN:
        errors.append(f"plugin name {name!r} is not allowed, must match {SAFE_NAME.pattern}")
    elif name != expected:
        errors.append(f"plugin should be named {expected!r}, not {name!r}")

    spec = manifest.get("spec") or {}
    short = spec.get("shortDescription") or ""
    if not short:
        errors.append("should have a short description")
    elif "\n" in short or "\r" in short:
        errors.append("should not have line breaks in short description")
    elif len(short) > SHORT_DESCRIPTION_MAX:
        errors.append(f"shortDescription has {len(short)} characters, at most "
                      f"{SHORT_DESCRIPTION_MAX} allowed")
    description = spec.get("description") or ""
    if not description.strip():
        errors.append("should have a description")
    for line in _lines_too_long(description):
        errors.append(f"description line longer than {LINE_MAX} characters: {line[:40]!r}...")
    for line in description.splitlines():
        if _COMMAND_LINE.search(line):
            errors.append(f"description lists commands or usage ({line.strip()[:50]!r}); "
                          f"the plugin's --help is the place for them")
    for line in _lines_too_long(spec.get("caveats") or ""):
        errors.append(f"caveats line longer than {LINE_MAX} characters: {line[:40]!r}...")
    homepage = spec.get("homepage")
    if homepage is not None and not str(homepage).startswith("https://"):
        errors.append(f"homepage {homepage!r} is not an https URL")

    version = spec.get("version")
    if not version:
        errors.append("should have a version specified")
    elif not isinstance(version, str) or not version.startswith("v"):
        errors.append(f"version {version!r} does not start with 'v'")
    elif not SEMVER.match(version):
        errors.append(f"version {version!r} is not a semantic version")

    platforms = spec.get("platforms") or []
    if not platforms:
        errors.append("should have a platform specified")
    seen: dict[tuple[str, str], int] = {}
    for i, p in enumerate(platforms):
        where = f"spec.platforms[{i}]"
        if not isinstance(p, dict):
            errors.append(f"{where} is not a mapping")
            continue
        if not p.get("uri"):
            errors.append(f"{where}: `uri` has to be set")
        elif not str(p["uri"]).startswith("https://"):
            errors.append(f"{where}: uri {p['uri']!r} is not https")
        sha = p.get("sha256")
        if not sha:
            errors.append(f"{where}: `sha256` sum has to be set")
        elif not isinstance(sha, str) or not SHA256.match(sha):
            errors.append(f"{where}: `sha256` value {sha!r} is not valid, must match "
                          f"{SHA256.pattern}")
        elif release and sha == PLACEHOLDER_SHA256:
            errors.append(f"{where}: sha256 is still the placeholder; run "
                          f"scripts/krew_manifest.py on the built archives")
        if not p.get("bin"):
            errors.append(f"{where}: `bin` has to be set")
        files = p.get("files")
        if files is not None:
            if not isinstance(files, list) or not files:
                errors.append(f"{where}: `files` has to be unspecified or non-empty")
            else:
                for op in files:
                    if not (op or {}).get("from"):
                        errors.append(f"{where}: `files`: `from` field has to be set")
                    elif not op.get("to"):
                        errors.append(f"{where}: `files`: `to` field has to be set")
        sel_errors = _selector_errors(p.get("selector"))
        errors += [f"{where}: invalid platform selector: {e}" for e in sel_errors]
        if sel_errors:
            continue
        matched = selected_platforms(p["selector"])
        if not matched:
            errors.append(f"{where}: selector {p['selector']} doesn't match any supported platform")
        for pair in matched:
            if pair in seen:
                errors.append(f"spec.platforms {seen[pair]} and {i} have overlapping selectors "
                              f"that select os={pair[0]}/arch={pair[1]}")
            seen[pair] = i
        if any(o == "windows" for o, _ in matched) and p.get("bin") and \
                not str(p["bin"]).endswith(".exe"):
            errors.append(f"{where}: the Windows bin {p['bin']!r} must end in .exe")
        if archives is not None and p.get("uri"):
            errors += _archive_errors(where, p, archives)
    return errors


def _archive_errors(where: str, platform: dict, archives: Path) -> list[str]:
    path = archives / str(platform["uri"]).rsplit("/", 1)[-1]
    if not path.is_file():
        return [f"{where}: archive {path.name} not found in {archives}"]
    errors = []
    if platform.get("sha256") != sha256_of(path):
        errors.append(f"{where}: sha256 does not match {path.name}")
    try:
        installed = install(archive_members(path), platform.get("files"))
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as e:
        return errors + [f"{where}: cannot read {path.name}: {e}"]
    if platform.get("bin") and platform["bin"] not in installed:
        errors.append(f"{where}: bin {platform['bin']!r} is not in the installed files of "
                      f"{path.name}")
    if not any(f.rsplit("/", 1)[-1] in ("LICENSE", "LICENSE.txt") for f in installed):
        errors.append(f"{where}: {path.name} installs no LICENSE file")
    return errors


def release_coverage_errors(manifest: dict) -> list[str]:
    """The project's own rule: one platform entry per os/arch of the release matrix."""
    covered = []
    for p in (manifest.get("spec") or {}).get("platforms") or []:
        sel = (p or {}).get("selector") or {}
        if _selector_errors(sel):
            continue
        covered += selected_platforms(sel)
    errors = [f"no platform for {o}/{a}" for o, a in sorted(RELEASE_PLATFORMS - set(covered))]
    errors += [f"platform {o}/{a} is not built by the release workflow"
               for o, a in sorted(set(covered) - RELEASE_PLATFORMS)]
    return errors


def validate_file(path: Path, archives: Path | None = None, release: bool = False) -> list[str]:
    try:
        manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        return [f"cannot read {path}: {e}"]
    errors = validate(manifest, path.name, archives, release)
    if isinstance(manifest, dict):
        errors += release_coverage_errors(manifest)
    return errors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--archives", type=Path, help="directory of the release archives")
    parser.add_argument("--release", action="store_true",
                        help="also refuse placeholder checksums")
    args = parser.parse_args(argv)
    errors = validate_file(args.manifest, args.archives, args.release)
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    if errors:
        return 1
    print(f"{args.manifest}: valid Krew manifest", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
