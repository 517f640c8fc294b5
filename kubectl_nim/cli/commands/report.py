"""`report`: a support bundle of one NIM deployment, safe to attach to a ticket."""

from __future__ import annotations

import click

from kubectl_nim.cli.options import global_options
from kubectl_nim.cli.context import get_globals
from kubectl_nim.cli.context import get_environment


@click.command("report")
@click.argument("name")
@click.option("-f", "--file", "path", metavar="FILE.tar.gz",
              help="Where to write the bundle, - for stdout (default: "
                   "nim-report-NAME-TIMESTAMP.tar.gz). An existing file is never overwritten.")
@click.option("-o", "--output", "refused_output", hidden=True, expose_value=False,
              callback=lambda ctx, param, value: _refuse_output(value))
@click.option("--tail", type=click.IntRange(min=1), default=500, show_default=True,
              metavar="N", help="Log lines kept per container.")
@global_options
def command(name, path, tail):
    """Write a .tar.gz support bundle of NAME, with every secret value redacted.

    It holds the deployment's objects (Secrets without their values), pods, events, the last
    log lines of every container (and of the previous instance of a restarted one), `config
    view`, the `status` verdict and the plugin version. The NVIDIA key never goes in, neither
    raw nor base64: values of the deployment's secrets and anything looking like a key are
    scrubbed from every file. What could not be read is listed in errors.txt. -f - writes the
    bundle to stdout (e.g. `report NAME -f - | tar tz`).
    """
    from kubectl_nim import log
    from kubectl_nim.app import report as app
    from kubectl_nim.app.config import view_data
    from kubectl_nim.app.session import Session

    if path == "-" and get_environment().stdout_isatty:
        from kubectl_nim.errors import UsageError

        raise UsageError("refusing to write a gzip archive to a terminal",
                         hint="redirect stdout (-f - > FILE) or give -f FILE")
    session = Session(get_globals(), get_environment())
    now = session.env.now()
    stamp = now.strftime("%Y%m%d-%H%M%S")  # UTC
    bundle = app.collect(session.cluster, session.namespace, name, tail,
                         lambda: view_data(session)[0], stamp, session.env.environ, now=now)
    missing = (f", {len(bundle.errors)} item(s) not collected: see errors.txt"
               if bundle.errors else "")
    if path == "-":
        data, count = app.archive(bundle)
        out = get_environment().stdout
        out.flush()
        stream = getattr(out, "buffer", out)  # the bytes under the run's stdout
        stream.write(data)
        stream.flush()
        log.notice(f"Wrote the bundle to stdout ({count} files{missing})")
        return
    target = path or app.default_path(name, stamp)
    count = app.write(bundle, target)
    click.echo(f"Wrote {target} ({count} files{missing})")


def _refuse_output(value):
    if value is not None:
        from kubectl_nim.errors import UsageError

        raise UsageError("report writes its bundle to -f/--file PATH (- for stdout); -o is "
                         "the output format in the other verbs",
                         hint="e.g. report NAME -f bundle.tar.gz, or -f - | tar tz")
