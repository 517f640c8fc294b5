"""kubectl-nim: deploy NVIDIA NIM models on OpenShift AI / Open Data Hub the key-per-deployment way."""

from __future__ import annotations

import os

# The version is stated once, in pyproject.toml ([project] version).  It is read here without
# importlib.metadata, whose import alone costs ~20 ms of every start (email, zipfile, csv ...),
# and without regular expressions (compiling them cost ~1 ms), from whichever of these sits
# beside the package directory:
#   - pyproject.toml: a source checkout (editable install, the tests, `python -m kubectl_nim`);
#   - kubectl_nim-<version>.dist-info: an installed wheel (site-packages), and the binary, where
#     build.spec bundles such a folder beside the frozen package (sys._MEIPASS).
# tests/release/test_release_scripts.py checks that every consumer agrees with pyproject.toml.
UNKNOWN = "0+unknown"
_DIST_INFO = ("kubectl_nim-", ".dist-info")


def project_table(text: str) -> dict[str, str]:
    """The string values (`key = "value"`) of the [project] table of a pyproject.toml's text:
    enough for `name` and `version`, which is all this reads."""
    found: dict[str, str] = {}
    table = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            table = line
        elif table == "[project]" and "=" in line:
            key, _, value = line.partition("=")
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                found[key.strip()] = value[1:-1]
    return found


def pyproject_version(text: str) -> str | None:
    """The literal [project] version of a pyproject.toml's text, or None."""
    return project_table(text).get("version")


def find_version(package_dir: str) -> str:
    parent = os.path.dirname(os.path.abspath(package_dir))
    try:
        with open(os.path.join(parent, "pyproject.toml"), encoding="utf-8") as f:
            project = project_table(f.read())
        if project.get("name") == "kubectl-nim":
            return project.get("version") or UNKNOWN
    except OSError:
        pass
    try:
        found = {n[len(_DIST_INFO[0]):-len(_DIST_INFO[1])] for n in os.listdir(parent)
                 if n.startswith(_DIST_INFO[0]) and n.endswith(_DIST_INFO[1])}
    except OSError:
        found = set()
    # Two dist-info folders (an interrupted upgrade) would be ambiguous: report neither.
    return found.pop() if len(found) == 1 else UNKNOWN


__version__ = find_version(os.path.dirname(__file__))
