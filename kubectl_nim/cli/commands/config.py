"""`config`: how the plugin sees the cluster (`view`), and the admin settings of nimConfig."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import (dry_run_option, field_manager_option, get_globals,
                                     global_options, output_option, validated)
from kubectl_nim.cli.output import render_one, result_line
from kubectl_nim.cli.options import get_environment


@click.group("config")
def command():
    """Show and change the NIM settings of OdhDashboardConfig."""


@command.command("view")
@output_option("text", "yaml", "json", default="text")
@global_options
def view(output):
    """Show the resolved configuration and why each part was chosen.

    Applications namespace, catalog source, runtime template source and the disconnected flag,
    each with the source it came from and what was tried before it: the debugging tool for
    everything else.
    """
    from kubectl_nim.app.session import Session

    session = Session(get_globals(), get_environment())
    cluster = session.cluster
    settings = session.settings
    data, catalog, template, naming = view_data(session)
    cat = catalog.value
    if output != "text":
        click.echo(render_one(data, output), nl=False)
        return
    click.echo(f"Cluster:                 {cluster.server} (context {cluster.context})")
    click.echo(f"Namespace:               {session.namespace}")
    _section("Applications namespace", settings.apps_namespace.value or "<none>",
             settings.apps_namespace)
    _section("Catalog", f"{catalog.source} ({len(cat.models)} models, "
                        f"{len(cat.warnings)} malformed entries)", catalog)
    _section("Runtime template", template.source, template)
    _section("Disconnected", str(settings.disconnected.value).lower(), settings.disconnected)
    _section("Secret naming", naming.value, naming)


def view_data(session) -> tuple[dict, object, object, object]:
    """What `config view -o yaml` prints (also a member of `report`'s bundle), with the
    resolved catalog, template and secret naming it describes."""
    from kubectl_nim.app import discovery

    cluster, settings = session.cluster, session.settings
    catalog, template, naming = discovery.resolve_sources(cluster, settings)
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


def _section(title: str, value: str, resolved) -> None:
    click.echo(f"{title + ':':<25}{value}")
    if resolved.source not in ("default", "none") and resolved.source not in value:
        click.echo(f"  from: {resolved.source}")
    if resolved.reason:
        click.echo(f"  why:  {resolved.reason}")
    for probe in resolved.probes:
        click.echo(f"  tried: {probe}")


# --- writing spec.nimConfig (admins) -------------------------------------------------------------

def _odc_ref() -> str:
    from kubectl_nim.domain.names import DASHBOARD_CONFIG_NAME
    from kubectl_nim.domain.refs import kind_ref

    return kind_ref("OdhDashboardConfig", DASHBOARD_CONFIG_NAME)


def _apps_namespace(session) -> str:
    from kubectl_nim.errors import NimError

    apps = session.settings.apps_namespace.value
    if not apps:
        raise NimError("cannot find the applications namespace (no DSCInitialization or "
                       "OdhDashboardConfig readable)",
                       hint="pass --apps-namespace, e.g. redhat-ods-applications")
    return apps


def _write_nim_config(session, apps: str, nim_config: dict, dry_run: str) -> None:
    import json

    from kubectl_nim import log
    from kubectl_nim.app import nimconfig

    if dry_run == "client":
        log.notice("Would send this JSON merge patch (fieldValidation=Strict): "
                   + json.dumps(nimconfig.nim_config_patch(nim_config), separators=(",", ":")))
    else:
        try:
            nimconfig.patch_nim_config(session.cluster, apps, nim_config,
                                       dry_run=dry_run == "server")
        except KeyboardInterrupt as signal:
            from kubectl_nim import interrupts
            from kubectl_nim.errors import NimError

            # The patch in flight was finished first (interrupts.deferred); only its check
            # against the answer was skipped.
            raise NimError(f"{interrupts.describe(signal)} after sending the patch of "
                           f"{_odc_ref()} in {apps}",
                           hint="it was most likely applied; check with `kubectl nim config "
                                "view`, or re-run the same command (it converges)",
                           signal=signal) from None
    click.echo(result_line(_odc_ref(), "patched", dry_run))


@command.command("set-custom-configmap")
@click.argument("name", callback=validated("subdomain", "ConfigMap name"))
@click.option("--configmap-namespace", metavar="NS",
              callback=validated("label", "ConfigMap namespace"),
              help="Namespace of the ConfigMap (default: the applications namespace).")
@click.option("--from-file", "from_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="Create or update the ConfigMap from this catalog file first.")
@click.option("--force", is_flag=True,
              help="Point to the ConfigMap even if it is missing, empty or unparseable.")
@dry_run_option
@field_manager_option
@global_options
def set_custom_configmap(name, configmap_namespace, from_file, force, dry_run):
    """Make the NIM catalog come from ConfigMap NAME (spec.nimConfig.customConfigMap).

    The ConfigMap is checked first: it must exist and parse as a catalog ("N models, M
    malformed entries"); an empty or unparseable one is refused unless --force. With
    --from-file, the ConfigMap is created or replaced from a catalog file and then pointed to:
    one step for air-gapped clusters. The OdhDashboardConfig is changed with a JSON merge patch
    sent with fieldValidation=Strict; a cluster whose CRD has no spec.nimConfig yet is reported
    as such, never as success.
    """
    from kubectl_nim.errors import UsageError
    from kubectl_nim.domain.names import DNS1123_SUBDOMAIN
    from kubectl_nim.app.session import Session

    if not DNS1123_SUBDOMAIN.fullmatch(name) or len(name) > 253:
        raise UsageError(f"invalid ConfigMap name {name!r}: a lowercase DNS-1123 subdomain")
    session = Session(get_globals(), get_environment())
    apps = _apps_namespace(session)
    namespace = configmap_namespace or apps
    if from_file:
        _configmap_from_file(session, apps, name, namespace, from_file, force, dry_run)
    else:
        _check_configmap(session, name, namespace, force)
    _write_nim_config(session, apps, {"customConfigMap": {"name": name, "namespace": namespace}},
                      dry_run)


def _report(catalog, where: str, force: bool) -> None:
    from kubectl_nim import log
    from kubectl_nim.errors import NimError

    for warning in catalog.warnings:
        log.warn(warning)
    log.notice(f"ConfigMap {where}: {len(catalog.models)} models, "
               f"{len(catalog.warnings)} malformed entries.")
    if not catalog.models:
        if not force:
            raise NimError(f"ConfigMap {where} holds no usable model",
                           hint="fix it, or pass --force to point to it anyway")
        log.warn(f"ConfigMap {where} holds no usable model; pointing to it anyway (--force)")


def _check_configmap(session, name: str, namespace: str, force: bool) -> None:
    from kubectl_nim.domain import catalog as catalog_mod
    from kubectl_nim import log
    from kubectl_nim.app import nimconfig
    from kubectl_nim.errors import NimError

    where = f"{namespace}/{name}"
    configmap, what = nimconfig.read_configmap(session.cluster, name, namespace)
    if configmap is None:
        if not force:
            raise NimError(f"ConfigMap {where} {what}",
                           hint="create it first, use --from-file FILE, or pass --force") \
                from None
        log.warn(f"ConfigMap {where} {what}; pointing to it anyway (--force)")
        return
    try:
        catalog = catalog_mod.parse_configmap(configmap, f"configmap {where}")
    except catalog_mod.MalformedCatalog as e:
        if not force:
            raise NimError(f"ConfigMap {where} is not a catalog: {e.message}",
                           hint="fix it, or pass --force to point to it anyway") from None
        log.warn(f"ConfigMap {where} is not a catalog ({e.message}); pointing to it anyway "
                 f"(--force)")
        return
    _report(catalog, where, force)


def _configmap_from_file(session, apps: str, name: str, namespace: str, path: str,
                         force: bool, dry_run: str) -> None:
    import json

    from kubectl_nim.domain import catalog as catalog_mod
    from kubectl_nim.app import local_catalog, nimconfig, optimistic
    from kubectl_nim.domain.refs import kind_ref
    from kubectl_nim.errors import NimError

    configmap, catalog = local_catalog.read_file(path)
    data = {str(k): v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
            for k, v in configmap["data"].items()}
    size = sum(len(k.encode()) + len(v.encode()) for k, v in data.items())
    if size >= catalog_mod.CONFIGMAP_LIMIT_BYTES:
        raise NimError(f"{path} holds {size} bytes of data: a ConfigMap must stay under 1 MiB")
    _report(catalog, f"{namespace}/{name} (from {path})", force)
    cluster = session.cluster
    if dry_run != "client":
        # Before writing anything: would the pointer be accepted at all (nimConfig support, RBAC)?
        nimconfig.patch_nim_config(cluster, apps,
                                   {"customConfigMap": {"name": name, "namespace": namespace}},
                                   dry_run=True)

    def desired(current):
        if current is None:
            return {"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": name, "namespace": namespace,
                                 "labels": {"app.kubernetes.io/managed-by": "kubectl-nim"}},
                    "data": data}
        if current.get("data") == data:
            return None
        current["data"] = data
        return current

    if dry_run == "client":
        existing = cluster.get_or_none("ConfigMap", name, namespace)
        want = desired(existing)
        click.echo(result_line(kind_ref("ConfigMap", name), optimistic.action_of(existing, want),
                               dry_run))
        return
    written = optimistic.read_modify_write(cluster, "ConfigMap", name, namespace, desired,
                                     dry_run=dry_run == "server", sleep=get_environment().sleep)
    click.echo(result_line(kind_ref("ConfigMap", name), written.action, dry_run))


@command.command("unset-custom-configmap")
@dry_run_option
@field_manager_option
@global_options
def unset_custom_configmap(dry_run):
    """Stop using a custom catalog ConfigMap (removes spec.nimConfig.customConfigMap)."""
    from kubectl_nim import log
    from kubectl_nim.app.nimconfig import current_nim_config
    from kubectl_nim.app.session import Session

    session = Session(get_globals(), get_environment())
    apps = _apps_namespace(session)
    before = current_nim_config(session.settings.dashboard_config).get("customConfigMap") or {}
    _write_nim_config(session, apps, {"customConfigMap": None}, dry_run)
    if dry_run != "none":
        return
    if before.get("name"):
        log.notice(f"The catalog no longer comes from ConfigMap "
                   f"{before.get('namespace') or apps}/{before['name']}.")
    else:
        log.notice("No custom catalog ConfigMap was set.")


@command.command("set-disconnected")
@click.argument("value", type=click.Choice(["true", "false"], case_sensitive=False))
@dry_run_option
@field_manager_option
@global_options
def set_disconnected(value, dry_run):
    """Turn disconnected mode on or off (spec.nimConfig.disconnected.disableKeyCollection).

    Clusters whose OdhDashboardConfig has no nimConfig yet are refused with the way that works
    there: the DataScienceCluster flag spec.components.kserve.nim.airGapped. When true, no NVIDIA key is asked for or validated and deployments get no secrets: images
    come through the cluster's global pull secret or mirror.
    """
    from kubectl_nim import log
    from kubectl_nim.app.session import Session

    from kubectl_nim.app.discovery import DSC_AIR_GAPPED
    from kubectl_nim.app.nimconfig import NimConfigUnsupported

    session = Session(get_globals(), get_environment())
    apps = _apps_namespace(session)
    flag = value.lower() == "true"
    try:
        _write_nim_config(session, apps, {"disconnected": {"disableKeyCollection": flag}},
                          dry_run)
    except NimConfigUnsupported as e:
        # Today's clusters have the air-gap switch on the DataScienceCluster instead; it is the
        # operator's setting (it also changes the cluster's own NIM template), so we name it
        # rather than write it.
        dscs = session.settings.datascience_clusters or []
        dsc = (dscs[0].get("metadata") or {}).get("name") if dscs else "default-dsc"
        raise NimConfigUnsupported(
            e.message,
            hint=f"on this release the way is the DataScienceCluster flag {DSC_AIR_GAPPED}, "
                 f"which the plugin reads too: `oc patch datasciencecluster {dsc} --type merge "
                 f"-p '{{\"spec\":{{\"components\":{{\"kserve\":{{\"nim\":"
                 f"{{\"airGapped\":{value.lower()}}}}}}}}}}}'`. Nothing was changed") from None
    if dry_run == "none":
            log.notice("Disconnected mode is " + ("on: deploy will not ask for keys or create "
                                              "secrets." if flag else
                                              "off: deploy asks for a personal key."))
