"""`list`: the NIM deployments of a project (or of every project the user can read)."""

from __future__ import annotations

import click

from kubectl_nim import log
from kubectl_nim.cli.options import global_options
from kubectl_nim.cli.context import get_globals
from kubectl_nim.cli.print_flags import print_flags, selector_option, watch_options
from kubectl_nim.cli.context import get_environment
from kubectl_nim.cli.output import Column


def columns(all_namespaces: bool, now) -> list[Column]:
    from kubectl_nim.domain.list_rows import human_age

    cols = [
        Column("NAME", lambda r: r.name),
        Column("MODEL", lambda r: r.model),
        Column("TAG", lambda r: r.tag),
        Column("READY", lambda r: r.ready),
        Column("KEY", lambda r: r.key),
        Column("PVC", lambda r: ",".join(r.pvc)),
        Column("AGE", lambda r: human_age(r.created, now)),
        Column("RUNTIME", lambda r: r.runtime, wide_only=True),
        Column("SECRETS", lambda r: ",".join(r.secrets), wide_only=True),
        Column("IMAGE", lambda r: r.image, wide_only=True),
        Column("URL", lambda r: r.url, wide_only=True),
    ]
    if all_namespaces:
        cols.insert(0, Column("NAMESPACE", lambda r: r.namespace))
    return cols


def _name(row) -> str:
    from kubectl_nim.domain.refs import kind_ref

    return kind_ref("InferenceService", row.name)


@click.command("list")
@click.argument("name", required=False)
@click.option("-A", "--all-namespaces", is_flag=True,
              help="Every project you can read, not just the current one.")
@selector_option
@watch_options
@print_flags()
@global_options
def command(name, all_namespaces, selector, watch, watch_interval, printer):
    """List the NIM deployments of the project (or just NAME).

    A NIM deployment is an InferenceService whose ServingRuntime is annotated
    runtimes.opendatahub.io/nvidia-nim: "true" or runs an nvcr.io/nim/ image, whether the
    dashboard or this plugin made it. KEY tells how it gets its NVIDIA key: per-deployment (its
    own secrets), shared-legacy (nvidia-nim-secrets / ngc-secret: see `migrate`),
    project-account (the key of the project's NIM Account: see `project`), none
    (disconnected), custom (secrets under other names) or inline.

    -o json|yaml prints a v1 List; its items (docs/schemas/list.json) have metadata (name,
    namespace, labels, creationTimestamp), name, namespace, model, tag, ready, keyScheme,
    secrets, pvc, runtime, image, url and creationTimestamp. -o jsonpath, custom-columns and
    --sort-by apply to that form, with the JSONPath subset kubectl users need most: .key,
    ['key'], [N], [*], ..key, {range ...}{end} and "literal" text. For example:

    \b
      list -o json | jq '.items[].name'
      list -o jsonpath='{range .items[*]}{.name}{"\\t"}{.ready}{"\\n"}{end}'
      list -o custom-columns=NAME:.metadata.name,MODEL:.model
      list --sort-by .metadata.creationTimestamp --no-headers
    """
    from kubectl_nim.app import listing
    from kubectl_nim.app.session import Session

    session = Session(get_globals(), get_environment())
    cluster = session.cluster
    namespace = None if all_namespaces else session.namespace

    def current() -> list:
        rows = listing.collect(cluster, namespace, selector, warn=session.env.warn)
        if name:
            rows = [r for r in rows if r.name == name]
        return rows

    rows = current()
    where = "any project you can read" if all_namespaces else f"{namespace}"
    if name and not rows and not watch:
        from kubectl_nim.app.day2 import deployment_not_found

        raise deployment_not_found(name, namespace, all_namespaces)
    if not rows:
        log.notice(f"No NIM deployments found in {where}.")
    spec = dict(columns=columns(all_namespaces, get_environment().now()), to_data=_data,
                name=_name)
    if rows or printer.structured:
        click.echo(printer.items(rows, **spec), nl=False)
    if watch:
        from kubectl_nim.cli.watch import watch as follow

        follow(current, rows, printer, spec, watch_interval, key=lambda r: (r.namespace, r.name),
               fingerprint=lambda r: r, sleep=get_environment().sleep)


def _data(row) -> dict:
    return row.to_data()
