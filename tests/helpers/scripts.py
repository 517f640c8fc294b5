"""The maintainers' scripts (scripts/*.py) loaded as modules, to call their functions."""

from __future__ import annotations

import importlib.util

from tests.helpers.paths import REPO


def load_script(name: str = "embedded_catalog"):
    """scripts/NAME.py as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
