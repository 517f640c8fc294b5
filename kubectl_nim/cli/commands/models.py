"""`models`: browse the NIM catalog (cluster ConfigMap, a file, or the embedded copy)."""

from __future__ import annotations

import click

from kubectl_nim.cli import completion
from kubectl_nim import log
from kubectl_nim.cli.options import catalog_source_options, global_options
from kubectl_nim.cli.context import get_globals
from kubectl_nim.cli.print_flags import print_flags
from kubectl_nim.cli.context import get_environment
from kubectl_nim.cli.output import Column

EU_MARK = "*"
EU_LEGEND = f"{EU_MARK} EU: restricted in the European Union (NVIDIA answers HTTP 451 there)"

# The default table fits 100 columns with the catalog's longest name (53 characters): display
# names (up to 61) go to -o wide, and a tag longer than TAG_WIDTH is cut there (wide: whole).
TAG_WIDTH = 16


def _cut(text: str, width: int = TAG_WIDTH) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


COLUMNS = [
    Column("NAME", lambda m: m.name),
    Column("LATEST", lambda m: _cut(m.latest_tag), wide_value=lambda m: m.latest_tag),
    Column("TAGS", lambda m: len(m.tags)),
    Column("UPDATED", lambda m: m.updated_date[:10]),
    Column("EU", lambda m: EU_MARK if m.eu_restricted else "-"),
    Column("DISPLAY NAME", lambda m: m.display_name, wide_only=True),
    Column("IMAGE", lambda m: m.image(), wide_only=True),
]


def model_data(model) -> dict:
    """A model as -o json prints it (docs/schemas/models.json): kubectl's metadata.name, the
    catalog entry's fields (docs/catalog.md), and the image its default tag pulls."""
    return {"metadata": {"name": model.name}, **model.to_entry(), "image": model.image()}


@click.command("models")
@click.argument("name", required=False, shell_complete=completion.model_names)
@click.option("-s", "--search", metavar="TEXT",
              help="Only models whose name, display name or description contains TEXT.")
@catalog_source_options
@print_flags()
@global_options
def command(name, search, catalog_file, offline, printer):
    """List the NIM models of the catalog, or show one model with all its tags.

    The catalog comes from --catalog FILE, --offline (the copy embedded in the plugin), or the
    cluster: the custom ConfigMap of OdhDashboardConfig, then nvidia-nim-models-data in the
    applications namespace, then the NIM Account's ConfigMap, then the embedded copy.
    -o json|yaml prints a v1 List of models (docs/schemas/models.json); -o wide adds the
    display name, the whole latest tag and the image.
    """
    from kubectl_nim.errors import ClusterError
    from kubectl_nim.app.session import Session

    try:
        catalog = Session(get_globals(), get_environment()).catalog(catalog_file, offline)
    except ClusterError as e:
        # No kubeconfig, an unreachable or refusing cluster: the embedded catalog still answers.
        way_out = "or pass --offline to list the catalog embedded in the plugin"
        raise ClusterError(e.message, hint=f"{e.hint}; {way_out}" if e.hint else way_out,
                           status=e.status, reason=e.reason) from None
    if name:
        model = catalog.get(name)
        click.echo(printer.one(model_data(model), text=lambda: show_model(model),
                               name=_name(model)), nl=False)
        return
    models = catalog.search(search) if search else list(catalog.models)
    if not models:
        what = f"match {search!r}" if search else "are listed"
        log.notice(f"No models {what} in the {catalog.source}.")
    if models or printer.structured:
        click.echo(printer.items(models, columns=COLUMNS, to_data=model_data, name=_name),
                   nl=False)
    if printer.human and any(m.eu_restricted for m in models):
        log.notice(f"\n{EU_LEGEND}")  # a footnote: stderr, as kubectl's notes


def _name(model) -> str:
    return f"model/{model.name}"


def show_model(model) -> str:
    rows = [
        ("Name", model.name),
        ("Display name", model.display_name),
        ("Description", model.short_description or "<none>"),
        ("Namespace", model.namespace),
        ("Latest tag", model.latest_tag),
        ("Default tag", model.default_tag),
        ("Image", model.image()),
        ("Updated", model.updated_date or "<unknown>"),
        ("EU restricted", "yes (NVIDIA answers HTTP 451 in the EU)" if model.eu_restricted else "no"),
        (f"Tags ({len(model.tags)})", ", ".join(model.tags)),
    ]
    width = max(len(k) for k, _ in rows) + 2
    return "".join(f"{k + ':':<{width}}{v}\n" for k, v in rows)
