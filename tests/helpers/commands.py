"""The plugin's commands as the CLI tests walk them."""

from __future__ import annotations

import click

from kubectl_nim.cli.commands import VERBS, load


def leaf_commands() -> dict[str, click.Command]:
    """Every leaf command, by its path (`config set-disconnected`, `project status`)."""
    out = {}
    for cmd in (load(name) for name in VERBS):
        if isinstance(cmd, click.Group):
            out.update({f"{cmd.name} {sub.name}": sub for sub in cmd.commands.values()})
        else:
            out[cmd.name] = cmd
    return out
