import platform
import sys

import click

from kubectl_nim import __version__
from kubectl_nim.options import output_option
from kubectl_nim.output import render_one


@click.command("version")
@output_option("text", "json", "yaml", default="text")
def command(output):
    """Print the plugin version."""
    info = {"version": __version__, "python": platform.python_version(),
            "platform": f"{sys.platform}/{platform.machine().lower()}"}
    if output == "text":
        click.echo(f"kubectl-nim {info['version']} (python {info['python']}, {info['platform']})")
    else:
        click.echo(render_one(info, output), nl=False)
