"""The catalogs a verb reads without asking the cluster: a file the user names (`--catalog-file`,
`catalog diff`, `config set-catalog --from-file`) or the one shipped in the package
(`--offline`, and the fallback when the cluster has none).

Reading is `adapters/catalog_source`, parsing is `domain/catalog`; this use case joins them for
the CLI, which reaches adapters only through app/ (docs/architecture.md).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Mapping

from kubectl_nim.adapters import catalog_source
from kubectl_nim.domain import catalog as catalog_mod


def read_file(path: str) -> tuple[Mapping[str, Any], catalog_mod.Catalog]:
    """A catalog file as its ConfigMap object and as a Catalog."""
    source = f"file {path}"
    text = catalog_source.read_catalog_text(path)
    configmap = catalog_mod.unwrap_configmap(catalog_mod.decode_text(text, source), source)
    return configmap, catalog_mod.parse_entries(configmap["data"], source)


def load_file(path: str) -> catalog_mod.Catalog:
    return read_file(path)[1]


@lru_cache(maxsize=1)
def load_embedded() -> catalog_mod.Catalog:
    """The shipped catalog, parsed once per process: `status` of a project asks it about every
    deployment."""
    return catalog_mod.parse_text(catalog_source.embedded_text("catalog.yaml"),
                                  source="embedded catalog")
