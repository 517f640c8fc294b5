"""What a command needs from its surroundings, resolved lazily and at most once.

Commands ask a Session for the catalog, the template or the cluster; nothing connects to a
cluster (or imports `kubernetes`) until a command actually needs it, so `--offline` and
`--catalog FILE` stay cluster-free.
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from kubectl_nim import log
from kubectl_nim.domain import catalog as catalog_mod
from kubectl_nim.app.connection import GlobalOptions
from kubectl_nim.environment import Environment

if TYPE_CHECKING:
    from kubectl_nim.app import discovery


class Session:
    def __init__(self, options: GlobalOptions, env: Environment):
        self.options = options
        self.env = env  # the run's: its sleep, clock, console, variables... reach the cluster
        self._sources: discovery.Sources | None = None
        # Set by deploy/diff: the project's NIM Account (and its Template) is read beside the
        # sources, in the same round trip (app/key_scope).
        self.probe_project_account = False
        self._project_account = None

    @cached_property
    def cluster(self):
        from kubectl_nim.adapters.kube import cluster

        return cluster.connect(self.options, self.env)

    @property
    def namespace(self) -> str:
        return self.options.namespace or self.cluster.namespace

    @cached_property
    def settings(self):
        from kubectl_nim.app import discovery, discovery_hints

        settings = discovery.read_settings(self.cluster, self.options.apps_namespace,
                                           warn=self.env.warn)
        found = discovery_hints.hints_of(settings.apps_namespace.value,
                                         settings.nim_config.get("customConfigMap"))
        if found is not None or self.options.apps_namespace is None:
            discovery_hints.save(self._hints_file, found, self._hints())
        return settings

    @cached_property
    def _hints_file(self) -> str | None:
        from kubectl_nim.app import discovery_hints

        return discovery_hints.cache_file(self.env.environ or {}, self.cluster.server,
                                          self.cluster.context)

    def _hints(self) -> dict | None:
        """What discovery found last time on this cluster (app/discovery_hints), read once."""
        from kubectl_nim.app import discovery_hints

        if "_loaded_hints" not in self.__dict__:
            self._loaded_hints = discovery_hints.load(self._hints_file,
                                                      self.env.now().timestamp())
        return self._loaded_hints

    def sources(self, template: bool):
        """(catalog, template) as discovery.Resolved, fetched together and at most once."""
        from kubectl_nim.app import discovery

        if self._sources is None or (template and self._sources[1] is None):
            def resolve():
                guessed = self._guess(template) if "settings" not in self.__dict__ else {}
                return discovery.resolve_sources(self.cluster, self.settings, template, guessed,
                                                 warn=self.env.warn)

            if self.probe_project_account and self._project_account is None:
                from kubectl_nim.adapters.kube.cluster import concurrently
                from kubectl_nim.app.key_scope import read_project_account
                from kubectl_nim.errors import ClusterError

                # The Account goes out beside discovery's first round trip (settings, guesses).
                cluster, namespace = self.cluster, self.namespace  # before the threads
                sources, self._project_account = concurrently(lambda read: read(), [
                    resolve, lambda: read_project_account(cluster, namespace)])
                if isinstance(sources, ClusterError):
                    raise sources
                self._sources = sources
            else:
                self._sources = resolve()
        return self._sources

    def _guess(self, template: bool) -> dict:
        """Discovery's first round trip, with the catalog (and Template) where the last run
        found them read beside it: answers by (kind, name, namespace), for resolve_sources to
        use when discovery asks for the same objects (app/discovery_hints)."""
        from kubectl_nim.adapters.kube.cluster import concurrently
        from kubectl_nim.app import discovery

        hints = self._hints()
        override = self.options.apps_namespace
        if override and (hints is None or hints["apps"] != override):
            hints = {"apps": override, "custom": None}
        if hints is None:
            return {}
        wanted = discovery.likely_objects(hints["apps"], hints["custom"], template)
        answers = concurrently(lambda read: read(), [lambda: self.settings] + [
            (lambda w=w: self.cluster.get(w[0], w[1], w[2])) for w in wanted])
        if isinstance(answers[0], Exception):
            raise answers[0]
        return dict(zip(wanted, answers[1:]))

    def project_account(self):
        """The project's NIM Account and its Template (app/key_scope.ProjectAccount), read
        beside the sources when `probe_project_account` was set, else now."""
        from kubectl_nim.app.key_scope import read_project_account

        if self._project_account is None:
            self._project_account = read_project_account(self.cluster, self.namespace)
        return self._project_account

    def catalog(self, catalog_file: str | None = None, offline: bool = False,
                announce: bool = True, with_template: bool = False) -> catalog_mod.Catalog:
        """The catalog; when the cluster decided (and `announce`), one notice names the source
        and why when that is news (a fallback, a custom ConfigMap: discovery.is_news), else
        under -v.

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
        if announce and not (catalog_file or offline):
            from kubectl_nim.app.discovery import is_news

            line = f"Using the {resolved.source} ({resolved.reason})."
            self.env.notice(line) if is_news(resolved) else log.debug(line)
        for warning in result.warnings:
            self.env.warn(warning)
        return result

    def announce_sources(self, template_source: str | None = None) -> None:
        """deploy's one line naming the catalog and the template the cluster decided on: a
        notice when either is news (a fallback, saying so when a permission caused it, or an
        admin's choice: discovery.is_news), else under -v only. `template_source`: the
        template actually used, when the caller took another one."""
        from kubectl_nim.app.discovery import SHIPPED_TEMPLATE, is_news

        catalog, template = self.sources(template=True)[:2]
        line = f"Using the {catalog.source} and the {template_source or template.source}."
        denied = [r.reason for r in (catalog, template) if r.reason.startswith("access denied")]
        if denied:
            line = f"{line[:-1]} ({denied[0]})."
        news = is_news(catalog) or template_source not in (None, template.source) or \
            template.reason != SHIPPED_TEMPLATE
        self.env.notice(line) if news else log.debug(line)

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


def connect(options: GlobalOptions, timeout: float, env: Environment):
    """A Cluster with its own request timeout, for a lookup that must not keep anyone waiting
    (a shell TAB): the global options' connection, nothing discovered yet."""
    from kubectl_nim.adapters.kube import cluster

    return cluster.connect(options, env, timeout=timeout)
