"""What a command needs from its surroundings, resolved lazily and at most once.

Commands ask a Session for the catalog, the template or the cluster; nothing connects to a
cluster (or imports `kubernetes`) until a command actually needs it, so `--offline` and
`--catalog FILE` stay cluster-free.
"""

from __future__ import annotations

from functools import cached_property

from kubectl_nim import catalog as catalog_mod
from kubectl_nim import log
from kubectl_nim.options import GlobalOptions


class Session:
    def __init__(self, options: GlobalOptions):
        self.options = options

    @cached_property
    def cluster(self):
        from kubectl_nim import cluster

        return cluster.connect(self.options)

    @property
    def namespace(self) -> str:
        return self.options.namespace or self.cluster.namespace

    @cached_property
    def settings(self):
        from kubectl_nim import discovery

        return discovery.read_settings(self.cluster, self.options.apps_namespace)

    def catalog(self, catalog_file: str | None = None, offline: bool = False,
                notice: bool = True) -> catalog_mod.Catalog:
        """The catalog; when the cluster decided, one stderr notice names the source and why."""
        if catalog_file:
            result = catalog_mod.load_file(catalog_file)
        elif offline:
            result = catalog_mod.load_embedded()
        else:
            from kubectl_nim import discovery

            resolved = discovery.resolve_catalog(self.cluster, self.settings)
            result = resolved.value
            if notice:
                log.notice(f"Using the {resolved.source} ({resolved.reason}).")
        for warning in result.warnings:
            log.warn(warning)
        return result

    def template(self, offline: bool = False):
        """The runtime Template and a description of where it came from."""
        from kubectl_nim import discovery

        if offline:
            return discovery.embedded_template(), "embedded template"
        resolved = discovery.resolve_template(self.cluster, self.settings)
        return resolved.value, resolved.source
