"""placeholder"""
import click


@click.command("logs")
def command():
    """TODO."""
