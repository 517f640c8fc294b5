"""Where cluster configuration comes from (SPEC §4), with the reason for every choice.

Each resolver returns what it chose *and why*, so `config view` can show the picture and other
verbs can print one notice naming the source. A 403 or 404 on any probe is never fatal: it is
recorded and the next source is tried, ending at the copies embedded in the plugin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubectl_nim import catalog as catalog_mod
from kubectl_nim import log
from kubectl_nim.cluster import ApiError, Cluster

DASHBOARD_CONFIG_NAME = "odh-dashboard-config"
TEMPLATE_NAME = "nvidia-nim-http-template"
WELL_KNOWN_APPS_NAMESPACES = ("redhat-ods-applications", "opendatahub")
FALLTHROUGH = (403, 404)


@dataclass
class Resolved:
    value: Any
    source: str            # what was used, e.g. "configmap redhat-ods-applications/x"
    reason: str            # why it was chosen
    probes: list[str] = field(default_factory=list)  # what was tried before it, and what happened

    def to_data(self, value: Any = None) -> dict:
        data = {"value": self.value if value is None else value, "source": self.source,
                "reason": self.reason}
        if self.probes:
            data["tried"] = list(self.probes)
        return data


@dataclass
class ClusterSettings:
    apps_namespace: Resolved
    dashboard_config: dict | None
    disconnected: Resolved

    @property
    def nim_config(self) -> dict:
        return ((self.dashboard_config or {}).get("spec") or {}).get("nimConfig") or {}


def _fallthrough(probes: list[str], what: str, error: ApiError) -> None:
    note = f"{what}: HTTP {error.status} ({error.reason or 'error'}), trying the next source"
    probes.append(note)
    log.debug(note)


def find_apps_namespace(cluster: Cluster, override: str | None) -> tuple[Resolved, dict | None]:
    """Applications namespace and, when found on the way, its OdhDashboardConfig."""
    if override:
        return Resolved(override, "--apps-namespace", "given on the command line"), None
    probes: list[str] = []
    try:
        for dsci in cluster.list("DSCInitialization"):
            ns = (dsci.get("spec") or {}).get("applicationsNamespace")
            if ns:
                name = dsci["metadata"]["name"]
                return Resolved(ns, f"dscinitialization/{name}",
                                "spec.applicationsNamespace of the DSCInitialization",
                                probes), None
        probes.append("DSCInitialization: none with spec.applicationsNamespace")
    except ApiError as e:
        if e.status not in FALLTHROUGH:
            raise
        _fallthrough(probes, "DSCInitialization", e)
    for ns in WELL_KNOWN_APPS_NAMESPACES:
        try:
            odc = cluster.get("OdhDashboardConfig", DASHBOARD_CONFIG_NAME, ns)
            return Resolved(ns, f"odhdashboardconfig {ns}/{DASHBOARD_CONFIG_NAME}",
                            "first well-known namespace holding an OdhDashboardConfig",
                            probes), odc
        except ApiError as e:
            if e.status not in FALLTHROUGH:
                raise
            _fallthrough(probes, f"OdhDashboardConfig in {ns}", e)
    return Resolved(None, "none", "no DSCInitialization or OdhDashboardConfig found "
                    "(is OpenShift AI / Open Data Hub installed?)", probes), None


def read_settings(cluster: Cluster, apps_override: str | None) -> ClusterSettings:
    apps, odc = find_apps_namespace(cluster, apps_override)
    probes: list[str] = []
    if odc is None and apps.value:
        try:
            odc = cluster.get("OdhDashboardConfig", DASHBOARD_CONFIG_NAME, apps.value)
        except ApiError as e:
            if e.status not in FALLTHROUGH:
                raise
            _fallthrough(probes, f"OdhDashboardConfig in {apps.value}", e)
    settings = ClusterSettings(apps, odc, Resolved(False, "default", "", probes))
    flag = (settings.nim_config.get("disconnected") or {}).get("disableKeyCollection")
    if odc is None:
        settings.disconnected = Resolved(False, "default", "no OdhDashboardConfig readable", probes)
    elif flag is None:
        settings.disconnected = Resolved(False, "default",
                                         "spec.nimConfig.disconnected.disableKeyCollection unset",
                                         probes)
    else:
        settings.disconnected = Resolved(
            bool(flag), f"odhdashboardconfig {apps.value}/{DASHBOARD_CONFIG_NAME}",
            "spec.nimConfig.disconnected.disableKeyCollection", probes)
    return settings


def _accounts(cluster: Cluster, namespace: str, probes: list[str]) -> list[dict]:
    try:
        return cluster.list("Account", namespace)
    except ApiError as e:
        if e.status not in FALLTHROUGH:
            raise
        _fallthrough(probes, f"NIM Accounts in {namespace}", e)
        return []


def _account_ref(accounts: list[dict], field_name: str) -> tuple[dict, dict] | None:
    for account in accounts:
        ref = (account.get("status") or {}).get(field_name) or {}
        if ref.get("name"):
            return account, ref
    return None


def resolve_catalog(cluster: Cluster, settings: ClusterSettings) -> Resolved:
    """The catalog ConfigMap, first that exists (SPEC §4); value is a catalog.Catalog."""
    apps = settings.apps_namespace.value
    probes: list[str] = []
    candidates: list[tuple[str, str, str]] = []
    custom = settings.nim_config.get("customConfigMap") or {}
    if custom.get("name"):
        candidates.append((custom["name"], custom.get("namespace") or apps,
                           "spec.nimConfig.customConfigMap of the OdhDashboardConfig"))
    if apps:
        candidates.append((catalog_mod.CONFIGMAP_NAME, apps,
                           "the catalog shipped in the applications namespace"))
    for name, ns, reason in candidates:
        found = _get_configmap(cluster, name, ns, probes)
        if found is not None:
            return _catalog_from(found, name, ns, reason, probes)
    if apps:
        hit = _account_ref(_accounts(cluster, apps, probes), "nimConfig")
        if hit:
            account, ref = hit
            ns = ref.get("namespace") or apps
            found = _get_configmap(cluster, ref["name"], ns, probes)
            if found is not None:
                return _catalog_from(found, ref["name"], ns,
                                     f"status.nimConfig of NIM Account {account['metadata']['name']}",
                                     probes)
    return Resolved(catalog_mod.load_embedded(), "embedded catalog",
                    "no catalog ConfigMap found on the cluster", probes)


def _get_configmap(cluster: Cluster, name: str, ns: str, probes: list[str]) -> dict | None:
    try:
        return cluster.get("ConfigMap", name, ns)
    except ApiError as e:
        if e.status not in FALLTHROUGH:
            raise
        _fallthrough(probes, f"ConfigMap {ns}/{name}", e)
        return None


def _catalog_from(configmap: dict, name: str, ns: str, reason: str, probes: list[str]) -> Resolved:
    source = f"configmap {ns}/{name}"
    return Resolved(catalog_mod.parse_configmap(configmap, source), source, reason, probes)


def resolve_template(cluster: Cluster, settings: ClusterSettings) -> Resolved:
    """The runtime Template (SPEC §4); value is the Template object as a dict."""
    apps = settings.apps_namespace.value
    probes: list[str] = []
    if apps:
        try:
            tpl = cluster.get("Template", TEMPLATE_NAME, apps)
            return Resolved(tpl, f"template {apps}/{TEMPLATE_NAME}",
                            "the runtime template in the applications namespace", probes)
        except ApiError as e:
            if e.status not in FALLTHROUGH:
                raise
            _fallthrough(probes, f"Template {apps}/{TEMPLATE_NAME}", e)
        hit = _account_ref(_accounts(cluster, apps, probes), "runtimeTemplate")
        if hit:
            account, ref = hit
            ns = ref.get("namespace") or apps
            try:
                tpl = cluster.get("Template", ref["name"], ns)
                return Resolved(tpl, f"template {ns}/{ref['name']}",
                                f"status.runtimeTemplate of NIM Account {account['metadata']['name']}",
                                probes)
            except ApiError as e:
                if e.status not in FALLTHROUGH:
                    raise
                _fallthrough(probes, f"Template {ns}/{ref['name']}", e)
    return Resolved(embedded_template(), "embedded template",
                    "no runtime Template found on the cluster", probes)


def embedded_template() -> dict:
    return catalog_mod.load_yaml(catalog_mod.embedded_text("template.yaml"))
