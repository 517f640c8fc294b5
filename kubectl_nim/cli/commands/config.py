"""`config`: how the plugin sees the cluster (`view`), and the admin settings of nimConfig."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import dry_run_option, field_manager_option, global_options, validated
from kubectl_nim.cli.context import get_globals
from kubectl_nim.cli.print_flags import print_flags
from kubectl_nim.cli.context import get_environment
from kubectl_nim.cli.output import result_printer


@click.group("config")
def command():
    """Show and change the NIM settings of OdhDashboardConfig."""


@command.command("view")
@print_flags(sort=False)
@global_options
def view(printer):
    """Show the resolved configuration and why each part was chosen.

    Applications namespace, catalog source, runtime template source and the disconnected flag,
    each with the source it came from and what was tried before it: the debugging tool for
    everything else. -o json|yaml: one object (docs/schemas/config-view.json).
    """
    from kubectl_nim.app.config import view_data
    from kubectl_nim.app.session import Session

    session = Session(get_globals(), get_environment())
    data, catalog, template, naming = view_data(session)
    click.echo(printer.one(data, text=lambda: _text(session, catalog, template, naming)),
               nl=False)


def _text(session, catalog, template, naming) -> str:
    cluster, settings, cat = session.cluster, session.settings, catalog.value
    lines = [f"Cluster:                 {cluster.server} (context {cluster.context})",
             f"Namespace:               {session.namespace}"]
    lines += _section("Applications namespace", settings.apps_namespace.value or "<none>",
                      settings.apps_namespace)
    lines += _section("Catalog", f"{catalog.source} ({len(cat.models)} models, "
                                 f"{len(cat.warnings)} malformed entries)", catalog)
    lines += _section("Runtime template", template.source, template)
    lines += _section("Disconnected", str(settings.disconnected.value).lower(),
                      settings.disconnected)
    lines += _section("Secret naming", naming.value, naming)
    return "".join(f"{line}\n" for line in lines)


def _section(title: str, value: str, resolved) -> list[str]:
    lines = [f"{title + ':':<25}{value}"]
    if resolved.source not in ("default", "none") and resolved.source not in value:
        lines.append(f"  from: {resolved.source}")
    if resolved.reason:
        lines.append(f"  why:  {resolved.reason}")
    lines += [f"  tried: {probe}" for probe in resolved.probes]
    return lines


# --- writing spec.nimConfig (admins) -------------------------------------------------------------

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
    from kubectl_nim.app import config
    from kubectl_nim.app.session import Session

    env = get_environment()
    config.set_custom_configmap(Session(get_globals(), env), name, configmap_namespace,
                                from_file, force, dry_run, result_printer(dry_run))


@command.command("unset-custom-configmap")
@dry_run_option
@field_manager_option
@global_options
def unset_custom_configmap(dry_run):
    """Stop using a custom catalog ConfigMap (removes spec.nimConfig.customConfigMap)."""
    from kubectl_nim.app import config
    from kubectl_nim.app.session import Session

    config.unset_custom_configmap(Session(get_globals(), get_environment()), dry_run,
                                  result_printer(dry_run))


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
    from kubectl_nim.app import config
    from kubectl_nim.app.session import Session

    config.set_disconnected(Session(get_globals(), get_environment()), value.lower() == "true",
                            dry_run, result_printer(dry_run))
