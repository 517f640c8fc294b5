"""`list`: the NIM deployments of a project (or of every project the user can read)."""

from __future__ import annotations

import click

from kubectl_nim import caller, log
from kubectl_nim.cli.options import get_globals, global_options, output_option
from kubectl_nim.cli.options import get_environment
from kubectl_nim.cli.output import Column, render

WATCH_INTERVAL = 2.0  # seconds between polls of `list -w`


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
@click.option("-l", "--selector", metavar="SELECTOR",
              help="Only InferenceServices with these labels, as kubectl -l (e.g. team=a,env!=dev).")
@click.option("--sort-by", metavar="JSONPATH",
              help="Sort by a field of the -o json form, e.g. {.creationTimestamp} or .model.")
@click.option("--no-headers", is_flag=True, help="Tables without their header line.")
@click.option("-w", "--watch", is_flag=True,
              help="After the list, print a line for every deployment that appears or changes "
                   "(and a notice for one that goes) until Ctrl-C.")
@click.option("--watch-interval", type=float, default=WATCH_INTERVAL, hidden=True)
@output_option("table", "wide", "json", "yaml", "name", jsonpath=True)
@global_options
def command(name, all_namespaces, selector, sort_by, no_headers, watch, watch_interval, output):
    """List the NIM deployments of the project (or just NAME).

    A NIM deployment is an InferenceService whose ServingRuntime is annotated
    runtimes.opendatahub.io/nvidia-nim: "true" or runs an nvcr.io/nim/ image, whether the
    dashboard or this plugin made it. KEY tells how it gets its NVIDIA key: per-deployment (its
    own secrets), shared-legacy (nvidia-nim-secrets / ngc-secret: see `migrate`),
    project-account (the key of the project's NIM Account: see `project`), none
    (disconnected), custom (secrets under other names) or inline.

    -o jsonpath=TEMPLATE and --sort-by apply to the -o json form (a v1 List of rows with name,
    namespace, model, tag, ready, keyScheme, secrets, pvc, runtime, image, url,
    creationTimestamp), with the JSONPath subset kubectl users need most: .key, ['key'], [N],
    [*], ..key, {range ...}{end} and "literal" text. For example:

    \b
      list -o jsonpath='{range .items[*]}{.name}{"\\t"}{.ready}{"\\n"}{end}'
      list --sort-by .creationTimestamp --no-headers
    """
    from kubectl_nim.app import listing
    from kubectl_nim.domain import jsonpath
    from kubectl_nim.errors import NotFound
    from kubectl_nim.app.session import Session

    if sort_by:
        jsonpath.sort_key_path(sort_by)  # a bad expression is a usage error before any request
    session = Session(get_globals(), get_environment())
    cluster = session.cluster
    namespace = None if all_namespaces else session.namespace

    def current() -> list:
        rows = listing.collect(cluster, namespace, selector)
        if name:
            rows = [r for r in rows if r.name == name]
        return jsonpath.sort_items(rows, sort_by, _data) if sort_by else rows

    rows = current()
    where = "any project you can read" if all_namespaces else f"{namespace}"
    if name and not rows and not watch:
        raise NotFound(f"no NIM deployment {name!r} in {where}",
                       hint=f"`{caller.plugin_cmd('list')}" + (" -A" if all_namespaces else
                                                               f" -n {namespace}")
                       + "` shows the deployments")
    if not rows:
        log.notice(f"No NIM deployments found in {where}.")
    if rows or output in ("json", "yaml"):
        click.echo(_render(rows, output, all_namespaces, not no_headers), nl=False)
    if watch:
        _watch(current, rows, output, all_namespaces, watch_interval)


def _data(row) -> dict:
    return row.to_data()


def _render(rows, output, all_namespaces, headers=True) -> str:
    return render(rows, output, columns=columns(all_namespaces, get_environment().now()),
                  to_data=_data, name=_name,
                  headers=headers)


def _watch(current, rows, output, all_namespaces, interval) -> None:
    """Poll (every `interval` seconds) and print what changed, as kubectl -w prints events:
    one line (or object) per deployment that appeared or changed, no header again."""
    from kubectl_nim.cli.output import render_one

    sleep = get_environment().sleep
    seen = {(r.namespace, r.name): r for r in rows}
    try:
        while True:
            sleep(interval)
            rows = current()
            now = {(r.namespace, r.name): r for r in rows}
            changed = [r for key, r in now.items() if seen.get(key) != r]
            for row in changed:
                if output in ("json", "yaml"):
                    click.echo(render_one(row.to_data(), output), nl=False)
                else:
                    click.echo(_render([row], output, all_namespaces, headers=False), nl=False)
            for key in seen.keys() - now.keys():
                log.notice(f"{_name(seen[key])} deleted")
            seen = now
    except KeyboardInterrupt:
        return  # Ctrl-C is how a watch ends
