"""`logs`: the NIM's own log, from every predictor pod."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import global_options
from kubectl_nim.cli.context import get_globals
from kubectl_nim.cli.context import get_environment


def _duration(ctx, param, value):
    from kubectl_nim.cli.options import parse_duration

    return None if value is None else parse_duration(value)


@click.command("logs")
@click.argument("name")
@click.option("-f", "--follow", is_flag=True, help="Keep streaming new lines (Ctrl-C stops).")
@click.option("--tail", type=click.IntRange(min=0), metavar="N",
              help="Only the last N lines of each container (default: all).")
@click.option("--since", callback=_duration, metavar="DURATION",
              help="Only lines newer than DURATION, e.g. 10m or 1h.")
@click.option("--all-containers", is_flag=True,
              help="Every container of the pods, not just the model container.")
@global_options
def command(name, follow, tail, since, all_containers):
    """Print the logs of NAME's predictor pods (the NIM's model container).

    With several pods every line starts with [pod] (with --all-containers, [pod/container]).
    The log tells what a NIM is doing while `status` says Progressing: profile selection,
    the model download, the engine build.
    """
    from kubectl_nim.app import logs as app
    from kubectl_nim.app.session import Session

    session = Session(get_globals(), get_environment())
    cluster, namespace = session.cluster, session.namespace
    found = app.plan(cluster, namespace, name, all_containers)
    if not follow:
        for line in app.read(cluster, namespace, name, found, tail, since,
                             warn=session.env.warn):
            click.echo(line)
        return
    try:
        app.follow(cluster, namespace, name, found, tail, since, emit=click.echo,
                   warn=session.env.warn)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a follow ends: no "Interrupted.", exit 0
