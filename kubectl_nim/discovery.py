"""Where cluster configuration comes from (SPEC §4), with the reason for every choice.

Each resolver returns what it chose *and why*, so `config view` can show the picture and other
verbs can print one notice naming the source. A 403 or 404 on any probe is never fatal: it is
recorded and the next source is tried, ending at the copies embedded in the plugin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from kubectl_nim import catalog as catalog_mod
from kubectl_nim import log
from kubectl_nim.cluster import ApiError, Cluster, concurrently

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


def _probe(cluster: Cluster, kind: str, name: str, ns: str) -> Callable[[], Any]:
    return lambda: cluster.get(kind, name, ns)


def _run(cluster: Cluster, calls: list[Callable[[], Any]]) -> list[Any]:
    """Independent probes at once: a round trip of wall time for all of them."""
    return concurrently(lambda call: call(), calls)


def _take(answer: Any, probes: list[str], what: str) -> Any:
    """The probe's value; None after a 403/404 (noted, fall through); other errors raise."""
    if isinstance(answer, ApiError):
        if answer.status not in FALLTHROUGH:
            raise answer
        _fallthrough(probes, what, answer)
        return None
    if isinstance(answer, Exception):
        raise answer
    return answer


def find_apps_namespace(cluster: Cluster, override: str | None) -> tuple[Resolved, dict | None]:
    """Applications namespace and, when found on the way, its OdhDashboardConfig.

    The DSCInitialization and the OdhDashboardConfigs of both well-known namespaces are asked
    for at once; the answers are then read in SPEC §4's order.
    """
    if override:
        return Resolved(override, "--apps-namespace", "given on the command line"), None
    probes: list[str] = []
    dsci_answer, *odc_answers = _run(cluster, [lambda: cluster.list("DSCInitialization")] + [
        _probe(cluster, "OdhDashboardConfig", DASHBOARD_CONFIG_NAME, ns)
        for ns in WELL_KNOWN_APPS_NAMESPACES])
    odcs = dict(zip(WELL_KNOWN_APPS_NAMESPACES, odc_answers))
    dscis = _take(dsci_answer, probes, "DSCInitialization")
    for dsci in dscis or []:
        ns = (dsci.get("spec") or {}).get("applicationsNamespace")
        if ns:
            odc = odcs.get(ns)
            return (Resolved(ns, f"dscinitialization/{dsci['metadata']['name']}",
                             "spec.applicationsNamespace of the DSCInitialization", probes),
                    odc if isinstance(odc, dict) else None)
    if dscis is not None:
        probes.append("DSCInitialization: none with spec.applicationsNamespace")
    for ns, answer in odcs.items():
        odc = _take(answer, probes, f"OdhDashboardConfig in {ns}")
        if odc is not None:
            return Resolved(ns, f"odhdashboardconfig {ns}/{DASHBOARD_CONFIG_NAME}",
                            "first well-known namespace holding an OdhDashboardConfig",
                            probes), odc
    return Resolved(None, "none", "no DSCInitialization or OdhDashboardConfig found "
                    "(is OpenShift AI / Open Data Hub installed?)", probes), None


def _checked_dashboard_config(odc: Any, apps: str | None) -> dict | None:
    """The OdhDashboardConfig with wrongly typed nimConfig fields dropped, each one warned about
    (domain.dashboard): a bad field means "unset", never a crash."""
    from kubectl_nim.domain import dashboard

    if odc is not None and not isinstance(odc, dict):
        odc = None
    odc, problems = dashboard.sanitize(odc)
    for problem in problems:
        log.warn(f"ignoring {problem} (odhdashboardconfig {apps}/{DASHBOARD_CONFIG_NAME}); "
                 f"an admin can fix it with `config set-*`")
    return odc


def read_settings(cluster: Cluster, apps_override: str | None) -> ClusterSettings:
    apps, odc = find_apps_namespace(cluster, apps_override)
    probes: list[str] = []
    if odc is None and apps.value:
        odc = _take(_run(cluster, [_probe(cluster, "OdhDashboardConfig", DASHBOARD_CONFIG_NAME,
                                          apps.value)])[0],
                    probes, f"OdhDashboardConfig in {apps.value}")
    odc = _checked_dashboard_config(odc, apps.value)
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


def _account_ref(accounts: list[dict], field_name: str) -> tuple[dict, dict] | None:
    for account in accounts:
        ref = (account.get("status") or {}).get(field_name) or {}
        if ref.get("name"):
            return account, ref
    return None


def resolve_sources(cluster: Cluster, settings: ClusterSettings,
                    template: bool = True) -> tuple[Resolved, Resolved | None]:
    """The catalog ConfigMap and (optionally) the runtime Template of SPEC §4.

    Every first-choice object is asked for at once; NIM Accounts are listed only when those
    are missing, and the embedded copies end both chains. Values: a catalog.Catalog and the
    Template as a dict.
    """
    apps = settings.apps_namespace.value
    custom = settings.nim_config.get("customConfigMap") or {}
    candidates: list[tuple[str, str, str]] = []
    if custom.get("name"):
        candidates.append((custom["name"], custom.get("namespace") or apps,
                           "spec.nimConfig.customConfigMap of the OdhDashboardConfig"))
    if apps:
        candidates.append((catalog_mod.CONFIGMAP_NAME, apps,
                           "the catalog shipped in the applications namespace"))
    calls = [_probe(cluster, "ConfigMap", name, ns) for name, ns, _ in candidates]
    want_template = template and bool(apps)
    if want_template:
        calls.append(_probe(cluster, "Template", TEMPLATE_NAME, apps))
    answers = _run(cluster, calls)
    accounts: list[dict] | None = None

    def account_list(probes: list[str]) -> list[dict]:
        nonlocal accounts
        if accounts is None:
            accounts = _take(_run(cluster, [lambda: cluster.list("Account", apps)])[0],
                             probes, f"NIM Accounts in {apps}") or []
        return accounts

    catalog_probes: list[str] = []
    catalog = None
    for (name, ns, reason), answer in zip(candidates, answers):
        found = _take(answer, catalog_probes, f"ConfigMap {ns}/{name}")
        if found is not None:
            catalog = _catalog_from(found, name, ns, reason, catalog_probes)
            break
    if catalog is None and apps:
        hit = _account_ref(account_list(catalog_probes), "nimConfig")
        if hit:
            account, ref = hit
            ns = ref.get("namespace") or apps
            found = _take(_run(cluster, [_probe(cluster, "ConfigMap", ref["name"], ns)])[0],
                          catalog_probes, f"ConfigMap {ns}/{ref['name']}")
            if found is not None:
                catalog = _catalog_from(found, ref["name"], ns, "status.nimConfig of NIM "
                                        f"Account {account['metadata']['name']}", catalog_probes)
    if catalog is None:
        catalog = Resolved(catalog_mod.load_embedded(), "embedded catalog",
                           "no catalog ConfigMap found on the cluster", catalog_probes)
    if not template:
        return catalog, None
    return catalog, _template_from(cluster, apps, answers[-1] if want_template else None,
                                   account_list)


def _template_from(cluster: Cluster, apps: str | None, answer: Any,
                   account_list: Callable[[list[str]], list[dict]]) -> Resolved:
    probes: list[str] = []
    if apps:
        tpl = _take(answer, probes, f"Template {apps}/{TEMPLATE_NAME}")
        if tpl is not None:
            return Resolved(tpl, f"template {apps}/{TEMPLATE_NAME}",
                            "the runtime template in the applications namespace", probes)
        hit = _account_ref(account_list(probes), "runtimeTemplate")
        if hit:
            account, ref = hit
            ns = ref.get("namespace") or apps
            tpl = _take(_run(cluster, [_probe(cluster, "Template", ref["name"], ns)])[0],
                        probes, f"Template {ns}/{ref['name']}")
            if tpl is not None:
                return Resolved(tpl, f"template {ns}/{ref['name']}",
                                f"status.runtimeTemplate of NIM Account "
                                f"{account['metadata']['name']}", probes)
    return Resolved(embedded_template(), "embedded template",
                    "no runtime Template found on the cluster", probes)


def resolve_catalog(cluster: Cluster, settings: ClusterSettings) -> Resolved:
    """The catalog ConfigMap, first that exists (SPEC §4); value is a catalog.Catalog."""
    return resolve_sources(cluster, settings, template=False)[0]


def _catalog_from(configmap: dict, name: str, ns: str, reason: str, probes: list[str]) -> Resolved:
    source = f"configmap {ns}/{name}"
    return Resolved(catalog_mod.parse_configmap(configmap, source), source, reason, probes)


def embedded_template() -> dict:
    return catalog_mod.load_yaml(catalog_mod.embedded_text("template.yaml"))
