"""Where cluster configuration comes from (docs/design.md#cluster-configuration), with the reason
for every choice.

Each resolver returns what it chose *and why*, so `config view` can show the picture and other
verbs can print one notice naming the source. A 403 or 404 on any probe is never fatal: it is
recorded and the next source is tried, ending at the copies embedded in the plugin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

from kubectl_nim.adapters import catalog_source
from kubectl_nim.app import local_catalog
from kubectl_nim.domain import catalog as catalog_mod
from kubectl_nim import log
from kubectl_nim.domain import names
from kubectl_nim.adapters.kube.api_errors import ApiError
from kubectl_nim.adapters.kube.cluster import Cluster, concurrently

DSC_AIR_GAPPED = "spec.components.kserve.nim.airGapped"
DISABLE_KEY_COLLECTION = "spec.nimConfig.disconnected.disableKeyCollection"
WELL_KNOWN_APPS_NAMESPACES = ("redhat-ods-applications", "opendatahub")


@dataclass
class Resolved:
    value: Any
    source: str            # what was used, e.g. "configmap redhat-ods-applications/x"
    reason: str            # why it was chosen
    probes: list[str] = field(default_factory=list)  # what was tried before it, and what happened
    news: bool = False     # worth a line on every run (a fallback, an admin's choice): is_news

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
    datascience_clusters: list[dict] | None = None  # None: not readable

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
        if not answer.forbidden_or_missing:
            raise answer
        _fallthrough(probes, what, answer)
        return None
    if isinstance(answer, Exception):
        raise answer
    return answer


def _denied(probes: list[str]) -> bool:
    return any("HTTP 403" in p for p in probes)


def _apps_probes(cluster: Cluster) -> list[Callable[[], Any]]:
    return [lambda: cluster.list("DSCInitialization")] + [
        _probe(cluster, "OdhDashboardConfig", names.DASHBOARD_CONFIG_NAME, ns)
        for ns in WELL_KNOWN_APPS_NAMESPACES]


def _apps_from(cluster: Cluster, answers: list[Any]) -> tuple[Resolved, dict | None]:
    probes: list[str] = []
    dsci_answer, *odc_answers = answers
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
            return Resolved(ns, f"odhdashboardconfig {ns}/{names.DASHBOARD_CONFIG_NAME}",
                            "first well-known namespace holding an OdhDashboardConfig",
                            probes), odc
    if _denied(probes):
        return Resolved(None, "none", "access denied: this user may not read the "
                        f"DSCInitialization or the OdhDashboardConfigs (HTTP 403); {ASK_FOR_APPS}",
                        probes), None
    return Resolved(None, "none", "no DSCInitialization or OdhDashboardConfig found "
                    "(is OpenShift AI / Open Data Hub installed?)", probes), None


def _checked_dashboard_config(odc: Any, apps: str | None,
                              warn: Callable[[str], None]) -> dict | None:
    """The OdhDashboardConfig with wrongly typed nimConfig fields dropped, each one warned about
    (domain.dashboard): a bad field means "unset", never a crash."""
    from kubectl_nim.domain import dashboard

    if odc is not None and not isinstance(odc, dict):
        odc = None
    odc, problems = dashboard.sanitize(odc)
    for problem in problems:
        warn(f"ignoring {problem} (odhdashboardconfig {apps}/{names.DASHBOARD_CONFIG_NAME}); "
             f"an admin can fix it with `config set-*`")
    return odc


def read_settings(cluster: Cluster, apps_override: str | None, *,
                  warn: Callable[[str], None]) -> ClusterSettings:
    """Applications namespace, OdhDashboardConfig and the disconnected flag; a malformed
    nimConfig field is ignored with a warning through `warn` (the run's console).

    The DataScienceCluster (today's air-gap flag) is listed in the same concurrent round trip
    as the applications-namespace probes, so reading it costs no extra wall time.
    """
    dsc_call = lambda: cluster.list("DataScienceCluster")  # noqa: E731
    if apps_override:
        apps = Resolved(apps_override, "--apps-namespace", "given on the command line")
        dsc_answer, odc_answer = _run(cluster, [dsc_call, _probe(
            cluster, "OdhDashboardConfig", names.DASHBOARD_CONFIG_NAME, apps_override)])
        odc_answers: list[Any] = [odc_answer]
        odc = None
    else:
        dsc_answer, *rest = _run(cluster, [dsc_call] + _apps_probes(cluster))
        apps, odc = _apps_from(cluster, rest)
        odc_answers = []
    probes: list[str] = []
    if odc is None and apps.value:
        answer = odc_answers[0] if odc_answers else _run(cluster, [_probe(
            cluster, "OdhDashboardConfig", names.DASHBOARD_CONFIG_NAME, apps.value)])[0]
        odc = _take(answer, probes, f"OdhDashboardConfig in {apps.value}")
    odc = _checked_dashboard_config(odc, apps.value, warn)
    dscs = _take(dsc_answer, probes, "DataScienceCluster")
    settings = ClusterSettings(apps, odc, Resolved(False, "default", "", probes), dscs)
    settings.disconnected = _disconnected(settings, probes)
    return settings


def _disconnected(settings: ClusterSettings, probes: list[str]) -> Resolved:
    """The redesign's nimConfig flag when an admin set it; else today's DataScienceCluster flag
    `spec.components.kserve.nim.airGapped` (docs/design.md#disconnected-clusters); else
    connected."""
    apps = settings.apps_namespace.value
    flag = (settings.nim_config.get("disconnected") or {}).get("disableKeyCollection")
    if flag is not None:
        return Resolved(bool(flag), f"odhdashboardconfig {apps}/{names.DASHBOARD_CONFIG_NAME}",
                        DISABLE_KEY_COLLECTION, probes)
    for dsc in settings.datascience_clusters or []:
        nim = (((dsc.get("spec") or {}).get("components") or {}).get("kserve") or {}).get("nim")
        air = (nim or {}).get("airGapped")
        if air is not None:
            return Resolved(air is True,
                            f"datasciencecluster/{(dsc.get('metadata') or {}).get('name')}",
                            DSC_AIR_GAPPED, probes)
    if settings.dashboard_config is None:
        if _denied(probes) or _denied(settings.apps_namespace.probes):
            return Resolved(False, "default", "access denied: this user may not read the "
                            "OdhDashboardConfig or the DataScienceCluster (HTTP 403), so an "
                            f"admin's disconnected setting cannot be seen; {ASK_FOR_APPS}",
                            probes)
        return Resolved(False, "default", "no OdhDashboardConfig readable and no "
                        "DataScienceCluster air-gap flag", probes)
    return Resolved(False, "default", f"{DISABLE_KEY_COLLECTION} and {DSC_AIR_GAPPED} unset",
                    probes)


def _account_target(cluster: Cluster, accounts: list[dict], field_name: str, kind: str,
                    apps: str, probes: list[str]) -> tuple[dict, str, str] | None:
    """(object, source, reason) of the object a NIM Account's `status.<field_name>` names, or
    None when no Account names one or it cannot be read (noted in `probes`)."""
    hit = _account_ref(accounts, field_name)
    if not hit:
        return None
    account, ref = hit
    ns = ref.get("namespace") or apps
    found = _take(_run(cluster, [_probe(cluster, kind, ref["name"], ns)])[0],
                  probes, f"{kind} {ns}/{ref['name']}")
    if found is None:
        return None
    return (found, f"{kind.lower()} {ns}/{ref['name']}",
            f"status.{field_name} of NIM Account {account['metadata']['name']}")


def _account_ref(accounts: list[dict], field_name: str) -> tuple[dict, dict] | None:
    for account in accounts:
        ref = (account.get("status") or {}).get(field_name) or {}
        if ref.get("name"):
            return account, ref
    return None


class Sources(NamedTuple):
    catalog: Resolved
    template: Resolved | None
    naming: Resolved | None   # the secret naming of the cluster; None when not probed


def likely_objects(apps: str, custom: list | None, template: bool) -> list[tuple[str, str, str]]:
    """(kind, name, namespace) of what resolve_sources asks first when the applications
    namespace is `apps` and the custom catalog is `custom` ([name, namespace] or None)."""
    wanted = [("ConfigMap", custom[0], custom[1])] if custom else []
    wanted += [("ConfigMap", name, apps) for name in names.CATALOG_CONFIGMAPS]
    if template:
        wanted += [("Template", name, apps) for name in names.RUNTIME_TEMPLATES]
    return wanted


def resolve_sources(cluster: Cluster, settings: ClusterSettings,
                    template: bool = True, prefetched: dict | None = None, *,
                    warn: Callable[[str], None]) -> Sources:
    """The catalog ConfigMap, (optionally) the runtime Template of
    docs/design.md#cluster-configuration, and the secret naming of the cluster's generation
    (docs/design.md#names; only with the Template, whose later name is one of its markers).

    Every first-choice object, under both namings, is asked for at once; NIM Accounts are
    listed only when those are missing, and the embedded copies end both chains. Values: a
    catalog.Catalog, the Template as a dict, and names.SEED or names.LATER. `prefetched`:
    answers (object or ClusterError) by (kind, name, namespace) already read (likely_objects),
    not asked again. `warn`: the run's console (a configured catalog that is missing).
    """
    prefetched = prefetched or {}

    def probe(kind: str, name: str, ns: str) -> Callable[[], Any]:
        if (kind, name, ns) in prefetched:
            return lambda: prefetched[(kind, name, ns)]
        return _probe(cluster, kind, name, ns)

    apps = settings.apps_namespace.value
    custom = settings.nim_config.get("customConfigMap") or {}
    candidates: list[tuple[str, str, str]] = []
    if custom.get("name"):
        candidates.append((custom["name"], custom.get("namespace") or apps,
                           "spec.nimConfig.customConfigMap of the OdhDashboardConfig"))
    if apps:
        candidates += [(name, apps, SHIPPED) for name in names.CATALOG_CONFIGMAPS]
    calls = [probe("ConfigMap", name, ns) for name, ns, _ in candidates]
    want_template = template and bool(apps)
    if want_template:
        calls += [probe("Template", name, apps) for name in names.RUNTIME_TEMPLATES]
    answers = _run(cluster, calls)
    catalog_answers = answers[:len(candidates)]
    template_answers = answers[len(candidates):]
    accounts: list[dict] | None = None

    def account_list(probes: list[str]) -> list[dict]:
        nonlocal accounts
        if accounts is None:
            accounts = _take(_run(cluster, [lambda: cluster.list("Account", apps)])[0],
                             probes, f"NIM Accounts in {apps}") or []
        return accounts

    catalog_probes: list[str] = []
    catalog, custom_failed = None, False
    for index, ((name, ns, reason), answer) in enumerate(zip(candidates, catalog_answers)):
        found = _take(answer, catalog_probes, f"ConfigMap {ns}/{name}")
        if found is not None:
            catalog = _catalog_from(found, f"configmap {ns}/{name}", reason, catalog_probes)
            break
        if index == 0 and custom.get("name"):
            _custom_missing(answer, name, ns, warn)
            custom_failed = True
    if catalog is None and apps:
        target = _account_target(cluster, account_list(catalog_probes), "nimConfig",
                                 "ConfigMap", apps, catalog_probes)
        if target:
            catalog = _catalog_from(*target, catalog_probes)
    if catalog is None:
        catalog = Resolved(local_catalog.load_embedded(), "embedded catalog",
                           _embedded_reason("catalog ConfigMap", apps, catalog_probes,
                                            _denied(settings.apps_namespace.probes)),
                           catalog_probes)
    catalog.news = custom_failed
    if not template:
        return Sources(catalog, None, None)
    naming = _naming(apps, dict(zip(candidates, catalog_answers)), template_answers)
    return Sources(catalog, _template_from(cluster, apps, template_answers, account_list,
                                           _denied(settings.apps_namespace.probes)), naming)


def _custom_missing(answer: Any, name: str, ns: str, warn: Callable[[str], None]) -> None:
    """The admin's custom catalog is configured but missing or unreadable: say so by name,
    on stderr, before the next source is used (docs/design.md#cluster-configuration)."""
    if isinstance(answer, ApiError):
        what = "does not exist" if answer.not_found else \
            "cannot be read (access denied, HTTP 403)"
        warn(f"the custom catalog ConfigMap {ns}/{name} (spec.nimConfig.customConfigMap) "
             f"{what}; falling back to the next catalog source")


SHIPPED = "the catalog shipped in the applications namespace"
SHIPPED_TEMPLATE = "the runtime template in the applications namespace"
# What to ask an admin for when a permission made the plugin fall back to its embedded copies.
ASK_FOR_APPS = ("ask an admin for read access (get) to the DSCInitialization or the "
                "OdhDashboardConfig, or pass --apps-namespace")


def _ask_for(what: str, apps: str) -> str:
    resource = "configmaps" if "ConfigMap" in what else "templates.template.openshift.io"
    return f"ask an admin for read access (get) to {resource} in {apps}"


def _embedded_reason(what: str, apps: str | None, probes: list[str],
                     apps_denied: bool = False) -> str:
    if apps and _denied(probes):
        return (f"access denied: this user may not read the {what} in the applications "
                f"namespace {apps} (HTTP 403); {_ask_for(what, apps)}")
    if not apps and apps_denied:
        return (f"access denied: this user may not read the DSCInitialization or the "
                f"OdhDashboardConfigs (HTTP 403), so the cluster's {what} cannot be found; "
                f"{ASK_FOR_APPS}")
    return f"no {what} found on the cluster"


def is_news(resolved: Resolved) -> bool:
    """Whether the catalog's source is worth a line on every run: a fallback (embedded, an
    Account's, the shipped one when the admin's custom ConfigMap failed) or the admin's custom
    ConfigMap is; the shipped ConfigMap, as usual, is said under -v only."""
    return resolved.news or resolved.reason != SHIPPED


def _naming(apps: str | None, catalog_answers: dict, template_answers: list[Any]) -> Resolved:
    """Which secret naming this cluster's generation uses: later when the applications
    namespace ships a later-named catalog or Template (found in the probes already made)."""
    found = []
    later_cm, later_tpl = (n for _, n in names.LATER_GENERATION_MARKERS)
    cm_answer = catalog_answers.get((later_cm, apps, SHIPPED))
    if isinstance(cm_answer, dict):
        found.append(f"configmap {later_cm}")
    if len(template_answers) == 2 and isinstance(template_answers[1], dict):
        found.append(f"template {later_tpl}")
    naming, source, reason = names.choose_secret_naming(None, apps, found)
    return Resolved(naming, source, reason)


def _template_from(cluster: Cluster, apps: str | None, answers: list[Any],
                   account_list: Callable[[list[str]], list[dict]],
                   apps_denied: bool = False) -> Resolved:
    probes: list[str] = []
    if apps:
        for name, answer in zip(names.RUNTIME_TEMPLATES, answers):
            tpl = _take(answer, probes, f"Template {apps}/{name}")
            if tpl is not None:
                return Resolved(tpl, f"template {apps}/{name}", SHIPPED_TEMPLATE, probes)
        target = _account_target(cluster, account_list(probes), "runtimeTemplate", "Template",
                                 apps, probes)
        if target:
            return Resolved(*target, probes)
    return Resolved(embedded_template(), "embedded template",
                    _embedded_reason("runtime Template", apps, probes, apps_denied), probes)


def resolve_catalog(cluster: Cluster, settings: ClusterSettings, *,
                    warn: Callable[[str], None]) -> Resolved:
    """The catalog ConfigMap, first that exists (docs/design.md#cluster-configuration); value is a
    catalog.Catalog."""
    return resolve_sources(cluster, settings, template=False, warn=warn)[0]


def _catalog_from(configmap: dict, source: str, reason: str, probes: list[str]) -> Resolved:
    return Resolved(catalog_mod.parse_configmap(configmap, source), source, reason, probes)


def embedded_template() -> dict:
    return catalog_mod.load_yaml(catalog_source.embedded_text("template.yaml"))
