"""`config`: how the plugin sees the cluster (`view`), and the admin settings of nimConfig."""

from __future__ import annotations

import click

from kubectl_nim.options import get_globals, global_options, output_option
from kubectl_nim.output import render_one


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
    from kubectl_nim import discovery
    from kubectl_nim.session import Session

    session = Session(get_globals())
    cluster = session.cluster
    settings = session.settings
    catalog = discovery.resolve_catalog(cluster, settings)
    template = discovery.resolve_template(cluster, settings)
    cat = catalog.value
    data = {
        "cluster": {"server": cluster.server, "context": cluster.context,
                    "namespace": session.namespace},
        "applicationsNamespace": settings.apps_namespace.to_data(),
        "catalog": catalog.to_data(value={"models": len(cat.models),
                                          "malformedEntries": len(cat.warnings)}),
        "template": template.to_data(value=template.value.get("metadata", {}).get("name")),
        "disconnected": settings.disconnected.to_data(),
    }
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


def _section(title: str, value: str, resolved) -> None:
    click.echo(f"{title + ':':<25}{value}")
    if resolved.source not in ("default", "none") and resolved.source not in value:
        click.echo(f"  from: {resolved.source}")
    if resolved.reason:
        click.echo(f"  why:  {resolved.reason}")
    for probe in resolved.probes:
        click.echo(f"  tried: {probe}")
