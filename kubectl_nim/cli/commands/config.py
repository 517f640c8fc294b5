"""`config`: how the plugin sees the cluster (`view`), and the admin settings of nimConfig."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import (dry_run_option, field_manager_option, get_globals,
                                     global_options, output_option, validated)
from kubectl_nim.cli.options import get_environment
from kubectl_nim.cli.output import render_one, result_printer


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
    from kubectl_nim.app.config import view_data
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


def _section(title: str, value: str, resolved) -> None:
    click.echo(f"{title + ':':<25}{value}")
    if resolved.source not in ("default", "none") and resolved.source not in value:
        click.echo(f"  from: {resolved.source}")
    if resolved.reason:
        click.echo(f"  why:  {resolved.reason}")
    for probe in resolved.probes:
        click.echo(f"  tried: {probe}")


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
                                from_file, force, dry_run, result_printer(dry_run),
                                sleep=env.sleep)


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
