"""What a command needs from its surroundings, resolved lazily and at most once.

Commands ask a Session for the catalog, the template or the cluster; nothing connects to a
cluster (or imports `kubernetes`) until a command actually needs it, so `--offline` and
`--catalog FILE` stay cluster-free.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import cached_property

from kubectl_nim.domain import catalog as catalog_mod
from kubectl_nim.app.connection import GlobalOptions
from kubectl_nim.environment import Environment


class Session:
    def __init__(self, options: GlobalOptions, env: Environment | None = None):
        self.options = options
        self.env = env or Environment.default()  # its sleep, variables... reach the cluster
        self._sources = None

    @cached_property
    def cluster(self):
        from kubectl_nim.adapters.kube import cluster

        return cluster.connect(self.options, self.env)

    @property
    def namespace(self) -> str:
        return self.options.namespace or self.cluster.namespace

    @cached_property
    def settings(self):
        from kubectl_nim.app import discovery

        return discovery.read_settings(self.cluster, self.options.apps_namespace)

    def sources(self, template: bool):
        """(catalog, template) as discovery.Resolved, fetched together and at most once."""
        from kubectl_nim.app import discovery

        if self._sources is None or (template and self._sources[1] is None):
            self._sources = discovery.resolve_sources(self.cluster, self.settings, template)
        return self._sources

    def catalog(self, catalog_file: str | None = None, offline: bool = False,
                notice: bool = True, with_template: bool = False) -> catalog_mod.Catalog:
        """The catalog; when the cluster decided, one stderr notice names the source and why.

        `with_template` fetches the runtime Template in the same round trip, for `template()`.
        """
        from kubectl_nim.app import local_catalog

        with _kept_until_exit():
            if catalog_file:
                result = local_catalog.load_file(catalog_file)
            elif offline:
                result = local_catalog.load_embedded()
            else:
                resolved = self.sources(with_template)[0]
                result = resolved.value
        if notice and not (catalog_file or offline):
            self.env.notice(f"Using the {resolved.source} ({resolved.reason}).")
        for warning in result.warnings:
            self.env.warn(warning)
        return result

    def secret_naming(self, override: str | None = None):
        """How this deployment's secrets are named (a discovery.Resolved): `--secret-naming`,
        else the naming of the cluster's generation (docs/design.md#names)."""
        from kubectl_nim.app import discovery
        from kubectl_nim.domain import names

        if override:
            naming, source, reason = names.choose_secret_naming(override, None, [])
            return discovery.Resolved(naming, source, reason)
        return self.sources(template=True)[2]

    def template(self, offline: bool = False):
        """The runtime Template and a description of where it came from."""
        from kubectl_nim.app import discovery

        if offline:
            return discovery.embedded_template(), "embedded template"
        resolved = self.sources(template=True)[1]
        return resolved.value, resolved.source


@contextmanager
def _kept_until_exit():
    """Build objects that live until the process exits (the catalog: several per model)
    without the cyclic garbage collector: it would traverse each of them again at every young
    collection while they pile up, 10-20 ms of `models` on a 2,000-model catalog
    (BENCHMARKS.md). Afterwards everything alive is frozen (gc.freeze: left alone by later
    collections, still freed by reference counting), as NimGroup.main does before exit."""
    import gc

    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def connect(options: GlobalOptions, timeout: float, env: Environment | None = None):
    """A Cluster with its own request timeout, for a lookup that must not keep anyone waiting
    (a shell TAB): the global options' connection, nothing discovered yet."""
    from kubectl_nim.adapters.kube import cluster

    return cluster.connect(options, env, timeout=timeout)
