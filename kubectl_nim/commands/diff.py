"""placeholder"""
import click


@click.command("diff")
def command():
    """TODO."""
