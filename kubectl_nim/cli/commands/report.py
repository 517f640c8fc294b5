"""`report`: a support bundle of one NIM deployment, safe to attach to a ticket."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import get_globals, global_options
from kubectl_nim.cli.options import get_environment


@click.command("report")
@click.argument("name")
@click.option("-o", "--output", "path", metavar="FILE.tar.gz",
              help="Where to write the bundle (default: nim-report-NAME-TIMESTAMP.tar.gz).")
@click.option("--tail", type=click.IntRange(min=1), default=500, show_default=True,
              metavar="N", help="Log lines kept per container.")
@global_options
def command(name, path, tail):
    """Write a .tar.gz support bundle of NAME, with every secret value redacted.

    It holds the deployment's objects (Secrets without their values), pods, events, the last
    log lines of every container (and of the previous instance of a restarted one), `config
    view`, the `status` verdict and the plugin version. The NVIDIA key never goes in, neither
    raw nor base64: values of the deployment's secrets and anything looking like a key are
    scrubbed from every file. What could not be read is listed in errors.txt.
    """
    from kubectl_nim.app import report as app
    from kubectl_nim.app.config import view_data
    from kubectl_nim.app.session import Session

    session = Session(get_globals(), get_environment())
    stamp = session.env.now().strftime("%Y%m%d-%H%M%S")  # UTC
    bundle = app.collect(session.cluster, session.namespace, name, tail,
                         lambda: view_data(session)[0], stamp, session.env.environ)
    target = path or app.default_path(name, stamp)
    count = app.write(bundle, target)
    click.echo(f"Wrote {target} ({count} files"
               + (f", {len(bundle.errors)} item(s) not collected: see errors.txt"
                  if bundle.errors else "") + ")")
