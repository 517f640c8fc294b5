"""Catalog and Template text from disk: a file the user names, or a data file of the package.

The one place these files are opened, so that `domain/catalog` stays pure (it parses text and
dicts) and every read error is worded once. The package's data files are found by a plain path
next to the package, not through importlib.resources: importing that costs ~10 ms of every
`models --offline` start-up (BENCHMARKS.md), and the files sit next to the modules in a wheel,
an editable install and the PyInstaller bundle alike.
"""

from __future__ import annotations

import os

from kubectl_nim.domain.catalog import MalformedCatalog
from kubectl_nim.errors import NimError

DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def read_catalog_text(path: str) -> str:
    """The text of a catalog file; an unreadable or non-UTF-8 file is one line naming it."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise NimError(f"cannot read catalog file {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise MalformedCatalog(f"catalog file {path} is not UTF-8 text") from None


def embedded_text(name: str) -> str:
    """A data file shipped in the package: `catalog.yaml` or `template.yaml`."""
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as f:
        return f.read()
