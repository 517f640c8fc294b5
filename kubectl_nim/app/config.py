"""`config`: what the plugin resolved about the cluster (`view`), and the admin settings in the
OdhDashboardConfig's spec.nimConfig (custom catalog ConfigMap, disconnected mode). Notices,
warnings and the pauses between retries are the run's (`session.env`)."""

from __future__ import annotations

from kubectl_nim.app import Emit
from kubectl_nim.domain.dry_run import DryRun


def odc_ref() -> str:
    from kubectl_nim.domain.names import DASHBOARD_CONFIG_NAME
    from kubectl_nim.domain.refs import kind_ref

    return kind_ref("OdhDashboardConfig", DASHBOARD_CONFIG_NAME)


def view_data(session) -> tuple[dict, object, object, object]:
    """What `config view -o yaml` prints (also a member of `report`'s bundle), with the
    resolved catalog, template and secret naming it describes."""
    from kubectl_nim.app import discovery

    cluster, settings = session.cluster, session.settings
    catalog, template, naming = discovery.resolve_sources(cluster, settings,
                                                          warn=session.env.warn)
    assert template is not None and naming is not None  # resolved: template=True (the default)
    cat = catalog.value
    data = {
        "cluster": {"server": cluster.server, "context": cluster.context,
                    "namespace": session.namespace},
        "applicationsNamespace": settings.apps_namespace.to_data(),
        "catalog": catalog.to_data(value={"models": len(cat.models),
                                          "malformedEntries": len(cat.warnings)}),
        "template": template.to_data(value=template.value.get("metadata", {}).get("name")),
        "disconnected": settings.disconnected.to_data(),
        "secretNaming": naming.to_data(),
    }
    return data, catalog, template, naming


def apps_namespace(session) -> str:
    from kubectl_nim.errors import NimError

    apps = session.settings.apps_namespace.value
    if not apps:
        raise NimError("cannot find the applications namespace (no DSCInitialization or "
                       "OdhDashboardConfig readable)",
                       hint="pass --apps-namespace, e.g. redhat-ods-applications")
    return apps


def write_nim_config(session, apps: str, nim_config: dict, dry_run: DryRun, emit: Emit,
                     action: str = "patched") -> None:
    """Send the patch (also when it changes nothing: it is how an unsupported CRD is found)
    and report `action` (`unchanged` when nothing was set to remove)."""
    import json

    from kubectl_nim.app import nimconfig

    if not dry_run.sends:
        session.env.notice("Would send this JSON merge patch (fieldValidation=Strict): "
                   + json.dumps(nimconfig.nim_config_patch(nim_config), separators=(",", ":")))
    else:
        try:
            nimconfig.patch_nim_config(session.cluster, apps, nim_config,
                                       dry_run=dry_run)
        except KeyboardInterrupt as signal:
            from kubectl_nim import interrupts
            from kubectl_nim.errors import NimError

            # The patch in flight was finished first (interrupts.deferred); only its check
            # against the answer was skipped.
            raise NimError(f"{interrupts.describe(signal)} after sending the patch of "
                           f"{odc_ref()} in {apps}",
                           hint="it was most likely applied; check with `kubectl nim config "
                                "view`, or re-run the same command (it converges)",
                           signal=signal) from None
    emit(odc_ref(), action)


def _report_catalog(session, catalog, where: str, force: bool) -> None:
    from kubectl_nim.errors import NimError

    env = session.env
    for warning in catalog.warnings:
        env.warn(warning)
    env.notice(f"ConfigMap {where}: {len(catalog.models)} models, "
               f"{len(catalog.warnings)} malformed entries.")
    if not catalog.models:
        if not force:
            raise NimError(f"ConfigMap {where} holds no usable model",
                           hint="fix it, or pass --force to point to it anyway")
        env.warn(f"ConfigMap {where} holds no usable model; pointing to it anyway (--force)")


def check_configmap(session, name: str, namespace: str, force: bool) -> None:
    from kubectl_nim.domain import catalog as catalog_mod
    from kubectl_nim.app import nimconfig
    from kubectl_nim.errors import NimError

    where = f"{namespace}/{name}"
    configmap, what = nimconfig.read_configmap(session.cluster, name, namespace)
    if configmap is None:
        if not force:
            raise NimError(f"ConfigMap {where} {what}",
                           hint="create it first, use --from-file FILE, or pass --force") \
                from None
        session.env.warn(f"ConfigMap {where} {what}; pointing to it anyway (--force)")
        return
    try:
        catalog = catalog_mod.parse_configmap(configmap, f"configmap {where}")
    except catalog_mod.MalformedCatalog as e:
        if not force:
            raise NimError(f"ConfigMap {where} is not a catalog: {e.message}",
                           hint="fix it, or pass --force to point to it anyway") from None
        session.env.warn(f"ConfigMap {where} is not a catalog ({e.message}); pointing to it "
                         f"anyway (--force)")
        return
    _report_catalog(session, catalog, where, force)


def configmap_from_file(session, apps: str, name: str, namespace: str, path: str,
                        force: bool, dry_run: DryRun, emit: Emit) -> None:
    import json

    from kubectl_nim.domain import catalog as catalog_mod
    from kubectl_nim.app import local_catalog, nimconfig, optimistic
    from kubectl_nim.domain.names import MANAGED_BY_LABEL
    from kubectl_nim.domain.refs import kind_ref
    from kubectl_nim.errors import NimError

    configmap, catalog = local_catalog.read_file(path)
    data = {str(k): v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
            for k, v in configmap["data"].items()}
    size = sum(len(k.encode()) + len(v.encode()) for k, v in data.items())
    if size >= catalog_mod.CONFIGMAP_LIMIT_BYTES:
        raise NimError(f"{path} holds {size} bytes of data: a ConfigMap must stay under 1 MiB")
    _report_catalog(session, catalog, f"{namespace}/{name} (from {path})", force)
    cluster = session.cluster
    if dry_run.sends:
        # Before writing anything: would the pointer be accepted at all (nimConfig support, RBAC)?
        nimconfig.patch_nim_config(cluster, apps,
                                   {"customConfigMap": {"name": name, "namespace": namespace}},
                                   dry_run=DryRun.SERVER)

    def desired(current):
        if current is None:
            return {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": namespace,
                                 "labels": {MANAGED_BY_LABEL: "kubectl-nim"}},
                    "data": data}
        if current.get("data") == data:
            return None
        current["data"] = data
        return current

    if not dry_run.sends:
        existing = cluster.get_or_none("ConfigMap", name, namespace)
        emit(kind_ref("ConfigMap", name), optimistic.action_of(existing, desired(existing)))
        return
    written = optimistic.read_modify_write(cluster, "ConfigMap", name, namespace, desired,
                                           dry_run=dry_run, sleep=session.env.sleep)
    emit(kind_ref("ConfigMap", name), written.action)


def set_custom_configmap(session, name: str, configmap_namespace: str | None,
                         from_file: str | None, force: bool, dry_run: DryRun, emit: Emit) -> None:
    """Check the ConfigMap (or write it from a catalog file first), then point nimConfig at it.
    The name was checked at the boundary (a DNS-1123 subdomain)."""
    apps = apps_namespace(session)
    namespace = configmap_namespace or apps
    if from_file:
        configmap_from_file(session, apps, name, namespace, from_file, force, dry_run, emit)
    else:
        check_configmap(session, name, namespace, force)
    write_nim_config(session, apps, {"customConfigMap": {"name": name, "namespace": namespace}},
                     dry_run, emit)


def unset_custom_configmap(session, dry_run: DryRun, emit: Emit) -> None:
    from kubectl_nim.app.nimconfig import current_nim_config

    apps = apps_namespace(session)
    before = current_nim_config(session.settings.dashboard_config).get("customConfigMap") or {}
    write_nim_config(session, apps, {"customConfigMap": None}, dry_run, emit,
                     "patched" if before.get("name") else "unchanged")
    if not dry_run.persists:
        return
    if before.get("name"):
        session.env.notice(f"The catalog no longer comes from ConfigMap "
                           f"{before.get('namespace') or apps}/{before['name']}.")
    else:
        session.env.notice("No custom catalog ConfigMap was set.")


def set_disconnected(session, flag: bool, dry_run: DryRun, emit: Emit) -> None:
    from kubectl_nim.app.nimconfig import NimConfigUnsupported

    apps = apps_namespace(session)
    value = "true" if flag else "false"
    try:
        write_nim_config(session, apps, {"disconnected": {"disableKeyCollection": flag}},
                         dry_run, emit)
    except NimConfigUnsupported as e:
        # Today's clusters have the air-gap switch on the DataScienceCluster instead; it is the
        # operator's setting (it also changes the cluster's own NIM template), so we name it
        # rather than write it.
        raise NimConfigUnsupported(e.message, hint=_dsc_way(
            session.settings.datascience_clusters, value)) from None
    if dry_run.persists:
        session.env.notice("Disconnected mode is " + ("on: deploy will not ask for keys or "
                                                      "create secrets." if flag else
                                                      "off: deploy asks for a personal key."))


def _dsc_way(dscs, value: str) -> str:
    """The DataScienceCluster flag, on the DataScienceCluster that exists (never a guessed
    name): today's clusters have the air-gap switch there instead of nimConfig."""
    from kubectl_nim.app.discovery import DSC_AIR_GAPPED

    names = [n for n in ((d.get("metadata") or {}).get("name") for d in dscs or []
                         if isinstance(d, dict)) if isinstance(n, str) and n]
    patch = (f"--type merge -p '{{\"spec\":{{\"components\":{{\"kserve\":{{\"nim\":"
             f"{{\"airGapped\":{value}}}}}}}}}}}'")
    if names:
        where = f"`oc patch datasciencecluster {names[0]} {patch}`"
    elif dscs is None:  # not readable: the admin who can read it names it
        where = (f"an admin can set it with `oc patch datasciencecluster NAME {patch}` "
                 f"(`oc get datasciencecluster` names it)")
    else:
        return (f"this cluster has no DataScienceCluster either (whose flag {DSC_AIR_GAPPED} "
                f"the plugin also reads): disconnected mode cannot be set here. Nothing was "
                f"changed")
    return (f"on this release the way is the DataScienceCluster flag {DSC_AIR_GAPPED}, which "
            f"the plugin reads too: {where}. Nothing was changed")
