"""placeholder"""
import click


@click.command("test")
def command():
    """TODO."""
